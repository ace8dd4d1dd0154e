package simpletorch.models;

import simpletorch.autograd.Functional;
import simpletorch.nn.AdaptiveAvgPool2d;
import simpletorch.nn.BatchNorm2d;
import simpletorch.nn.Conv2d;
import simpletorch.nn.Init;
import simpletorch.nn.Linear;
import simpletorch.nn.Module;
import simpletorch.nn.Sequential;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * The CIFAR ResNet of He et al. 2015 ("Deep Residual Learning for Image Recognition", section 4.2) with n = 3:
 * 6n + 2 = 20 weighted layers. Shortcuts where the shape changes are option B (1x1 convolution and BatchNorm, as
 * torchvision); the paper's CIFAR net used option A (zero padding), which has no parameters.
 *
 * <pre>
 * x [N, C, H, W] -> conv1 (3x3, 16, no bias) -> bn1 -> relu
 *                -> layer1: 3 x BasicBlock(16)              -> [N, 16, H, W]
 *                -> layer2: 3 x BasicBlock(32), first stride 2 -> [N, 32, H/2, W/2]
 *                -> layer3: 3 x BasicBlock(64), first stride 2 -> [N, 64, H/4, W/4]
 *                -> avgpool (global) -> flatten -> fc (64 -> classes)
 * </pre>
 *
 * For 10 classes: 269,722 parameters with option A's parameter-free shortcuts (the paper's "0.27M"), plus 2,752
 * for the two projection shortcuts: 272,474 (for any input size: the pooling is global). Initialisation as torchvision's ResNet: convolutions kaiming-normal (fan_out, ReLU),
 * BatchNorm weight 1 and bias 0, the linear layer PyTorch's default.
 */
public final class ResNet20 extends Module {
    public final int channels;
    public final int height;
    public final int width;
    public final Conv2d conv1;
    public final BatchNorm2d bn1;
    public final Sequential layer1;
    public final Sequential layer2;
    public final Sequential layer3;
    public final AdaptiveAvgPool2d avgpool;
    public final Linear fc;

    public ResNet20(int channels, int height, int width, int numClasses) {
        Models.checkShape("ResNet20", channels, height, width, numClasses);
        Generator g = Generator.defaultGenerator();
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.conv1 = registerModule("conv1", new Conv2d(channels, 16, 3, 1, 1, false, g));
        this.bn1 = registerModule("bn1", new BatchNorm2d(16));
        this.layer1 = registerModule("layer1", stage(16, 16, 1, g));
        this.layer2 = registerModule("layer2", stage(16, 32, 2, g));
        this.layer3 = registerModule("layer3", stage(32, 64, 2, g));
        this.avgpool = registerModule("avgpool", new AdaptiveAvgPool2d(1));
        this.fc = registerModule("fc", new Linear(64, numClasses));
        for (var e : namedParameters().entrySet()) {
            Tensor w = e.getValue();
            if (w.dim() == 4) { // a convolution's weight [out, in, kh, kw]
                Init.kaimingNormal(w, w.size(0) * w.size(2) * w.size(3), g);
            }
        }
    }

    private static Sequential stage(int in, int out, int stride, Generator g) {
        return new Sequential(new BasicBlock(in, out, stride, g), new BasicBlock(out, out, 1, g),
                new BasicBlock(out, out, 1, g));
    }

    @Override
    public Tensor forward(Tensor x) {
        Models.checkInput("ResNet20", x, channels, height, width);
        x = bn1.forwardRelu(conv1.forward(x)); // relu(bn1(.)) as one op: the same numbers
        x = layer3.forward(layer2.forward(layer1.forward(x)));
        return fc.forward(Functional.flatten(avgpool.forward(x), 1));
    }
}
