package simpletorch.nn;

import simpletorch.autograd.Functional;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * 2-d convolution layer, as {@code torch.nn.Conv2d} (square kernel, groups = 1, dilation = 1).
 *
 * <p>Shape: input [N, inChannels, H, W], output [N, outChannels, OH, OW] with
 * {@code OH = (H + 2*padding - kernelSize) / stride + 1}, likewise OW.
 * Parameters: {@code weight} [outChannels, inChannels, kernelSize, kernelSize], {@code bias} [outChannels].
 *
 * <pre>{@code
 * Conv2d conv1 = new Conv2d(3, 16, 3, 1, 1); // nn.Conv2d(3, 16, 3, padding=1)
 * }</pre>
 */
public final class Conv2d extends Module {
    public final int inChannels;
    public final int outChannels;
    public final int kernelSize;
    public final int stride;
    public final int padding;
    public final Tensor weight;
    public final Tensor bias;

    /** Stride 1, no padding, with a bias. */
    public Conv2d(int inChannels, int outChannels, int kernelSize) {
        this(inChannels, outChannels, kernelSize, 1, 0, true, Generator.defaultGenerator());
    }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding) {
        this(inChannels, outChannels, kernelSize, stride, padding, true, Generator.defaultGenerator());
    }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, boolean bias, Generator g) {
        require(inChannels > 0, "inChannels must be > 0, got " + inChannels);
        require(outChannels > 0, "outChannels must be > 0, got " + outChannels);
        require(kernelSize > 0, "kernelSize must be > 0, got " + kernelSize);
        require(stride > 0, "stride must be > 0, got " + stride);
        require(padding >= 0, "padding must be >= 0, got " + padding);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
        this.weight = registerParameter("weight", Tensor.zeros(outChannels, inChannels, kernelSize, kernelSize));
        this.bias = bias ? registerParameter("bias", Tensor.zeros(outChannels)) : null;
        Init.resetLikePyTorch(weight, this.bias, inChannels * kernelSize * kernelSize, g);
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.conv2d(input, weight, bias, stride, padding);
    }

    @Override
    protected String extraRepr() {
        return inChannels + ", " + outChannels + ", kernel_size=(" + kernelSize + ", " + kernelSize + "), stride=("
                + stride + ", " + stride + ")" + (padding > 0 ? ", padding=(" + padding + ", " + padding + ")" : "")
                + (bias == null ? ", bias=False" : "");
    }

    static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
