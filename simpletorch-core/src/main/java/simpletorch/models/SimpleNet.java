package simpletorch.models;

import simpletorch.autograd.Functional;
import simpletorch.nn.Conv2d;
import simpletorch.nn.Linear;
import simpletorch.nn.MaxPool2d;
import simpletorch.nn.Module;
import simpletorch.tensor.Tensor;

/**
 * The tutorial's network: two blocks of 3x3 convolution (padding 1), ReLU and 2x2 max-pooling, then one linear
 * layer. For 3x32x32 inputs: conv1 3->16 (448 parameters), conv2 16->32 (4,640), fc1 2048->10 (20,490): 25,578.
 * Sized from the input shape, so 1x28x28 images give fc1 1568->10.
 *
 * <pre>
 * x [N, C, H, W] -> conv1 -> relu -> pool -> [N, 16, H/2, W/2]
 *                -> conv2 -> relu -> pool -> [N, 32, H/4, W/4] -> flatten -> fc1 -> [N, classes]
 * </pre>
 */
public final class SimpleNet extends Module {
    public final int channels;
    public final int height;
    public final int width;
    public final int numClasses;
    public final Conv2d conv1;
    public final Conv2d conv2;
    public final MaxPool2d pool;
    public final Linear fc1;

    /** The tutorial's configuration: 3x32x32 images, 10 classes. */
    public SimpleNet() {
        this(3, 32, 32, 10);
    }

    public SimpleNet(int channels, int height, int width, int numClasses) {
        Models.checkShape("SimpleNet", channels, height, width, numClasses);
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.numClasses = numClasses;
        this.conv1 = registerModule("conv1", new Conv2d(channels, 16, 3, 1, 1));
        this.conv2 = registerModule("conv2", new Conv2d(16, 32, 3, 1, 1));
        this.pool = registerModule("pool", new MaxPool2d(2, 2));
        this.fc1 = registerModule("fc1", new Linear(32 * (height / 4) * (width / 4), numClasses));
    }

    @Override
    public Tensor forward(Tensor x) {
        Models.checkInput("SimpleNet", x, channels, height, width);
        // pool(relu(conv(.))) as one fused op: the same numbers, each image pooled while its convolution output is in
        // cache, ReLU applied to the pooled quarter (MaxPool2d.forwardAfterConvRelu)
        x = pool.forwardAfterConvRelu(conv1, x);
        x = pool.forwardAfterConvRelu(conv2, x);
        x = Functional.flatten(x, 1);
        return fc1.forward(x);
    }
}
