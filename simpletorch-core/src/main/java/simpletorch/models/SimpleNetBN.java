package simpletorch.models;

import java.util.Arrays;
import simpletorch.autograd.Functional;
import simpletorch.nn.BatchNorm2d;
import simpletorch.nn.Conv2d;
import simpletorch.nn.Dropout;
import simpletorch.nn.Linear;
import simpletorch.nn.MaxPool2d;
import simpletorch.nn.Module;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * The tutorial's network with the two additions it suggests: BatchNorm after each convolution and Dropout before
 * the classifier. The convolutions have no bias (BatchNorm's own bias replaces it); everything else is
 * {@link SimpleNet}'s.
 *
 * <pre>
 * x [N, C, H, W] -> conv1 (3x3, 16, no bias) -> bn1 -> relu -> pool -> [N, 16, H/2, W/2]
 *                -> conv2 (3x3, 32, no bias) -> bn2 -> relu -> pool -> [N, 32, H/4, W/4]
 *                -> flatten -> dropout (p = 0.25) -> fc1 -> [N, classes]
 * </pre>
 *
 * For 1x28x28 inputs and 10 classes: 144 + 32 + 4,608 + 64 + 15,690 = 20,538 parameters.
 */
public final class SimpleNetBN extends Module {
    /** The dropout probability before the classifier. */
    public static final double DROPOUT = 0.25;

    public final int channels;
    public final int height;
    public final int width;
    public final Conv2d conv1;
    public final BatchNorm2d bn1;
    public final Conv2d conv2;
    public final BatchNorm2d bn2;
    public final MaxPool2d pool;
    public final Dropout dropout;
    public final Linear fc1;

    public SimpleNetBN(int channels, int height, int width, int numClasses) {
        Models.checkShape("SimpleNetBN", channels, height, width, numClasses);
        Generator g = Generator.defaultGenerator();
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.conv1 = registerModule("conv1", new Conv2d(channels, 16, 3, 1, 1, false, g));
        this.bn1 = registerModule("bn1", new BatchNorm2d(16));
        this.conv2 = registerModule("conv2", new Conv2d(16, 32, 3, 1, 1, false, g));
        this.bn2 = registerModule("bn2", new BatchNorm2d(32));
        this.pool = registerModule("pool", new MaxPool2d(2, 2));
        this.dropout = registerModule("dropout", new Dropout(DROPOUT));
        this.fc1 = registerModule("fc1", new Linear(32 * (height / 4) * (width / 4), numClasses));
    }

    @Override
    public Tensor forward(Tensor x) {
        Models.checkInput("SimpleNetBN", x, channels, height, width);
        // pool(relu(bn(.))) as one fused op: the same numbers (MaxPool2d.forwardAfterBatchNormRelu)
        x = pool.forwardAfterBatchNormRelu(bn1, conv1.forward(x));
        x = pool.forwardAfterBatchNormRelu(bn2, conv2.forward(x));
        return fc1.forward(dropout.forward(Functional.flatten(x, 1)));
    }
}
