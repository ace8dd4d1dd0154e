package simpletorch.models;

import simpletorch.autograd.Functional;
import simpletorch.nn.BatchNorm2d;
import simpletorch.nn.Conv2d;
import simpletorch.nn.Module;
import simpletorch.nn.Sequential;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * The residual block of He et al. 2015, as torchvision's {@code BasicBlock}: two 3x3 convolutions (no bias), each
 * followed by BatchNorm, and a skip connection added before the last ReLU.
 *
 * <pre>
 * x -> conv1 (3x3, stride) -> bn1 -> relu -> conv2 (3x3) -> bn2 -> (+ shortcut(x)) -> relu
 * </pre>
 *
 * The shortcut is the identity, or where the stride or the channel count changes, {@code downsample}: a 1x1
 * convolution with that stride and BatchNorm (option B of the paper), named {@code downsample.0} and
 * {@code downsample.1} as in torchvision.
 */
public final class BasicBlock extends Module {
    public final Conv2d conv1;
    public final BatchNorm2d bn1;
    public final Conv2d conv2;
    public final BatchNorm2d bn2;
    public final Sequential downsample;

    public BasicBlock(int inChannels, int outChannels, int stride, Generator g) {
        this.conv1 = registerModule("conv1", new Conv2d(inChannels, outChannels, 3, stride, 1, false, g));
        this.bn1 = registerModule("bn1", new BatchNorm2d(outChannels));
        this.conv2 = registerModule("conv2", new Conv2d(outChannels, outChannels, 3, 1, 1, false, g));
        this.bn2 = registerModule("bn2", new BatchNorm2d(outChannels));
        this.downsample = stride != 1 || inChannels != outChannels
                ? registerModule("downsample", new Sequential(new Conv2d(inChannels, outChannels, 1, stride, 0, false, g),
                        new BatchNorm2d(outChannels)))
                : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor out = bn1.forwardRelu(conv1.forward(x)); // relu(bn1(.)) as one op: the same numbers
        out = bn2.forward(conv2.forward(out));
        Tensor identity = downsample != null ? downsample.forward(x) : x;
        return Functional.addRelu(out, identity); // relu(out + identity) as one op: the same numbers
    }
}
