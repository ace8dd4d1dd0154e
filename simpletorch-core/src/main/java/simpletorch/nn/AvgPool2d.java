package simpletorch.nn;

import simpletorch.autograd.Functional;
import simpletorch.tensor.Tensor;

/**
 * 2-d average pooling, as {@code torch.nn.AvgPool2d} (square window, floor mode, count_include_pad=True). No
 * parameters.
 *
 * <p>Shape: [N, C, H, W] to [N, C, OH, OW] with {@code OH = (H + 2*padding - kernelSize) / stride + 1}.
 */
public final class AvgPool2d extends Module {
    public final int kernelSize;
    public final int stride;
    public final int padding;

    /** Stride equal to the kernel size, as PyTorch's default. */
    public AvgPool2d(int kernelSize) {
        this(kernelSize, kernelSize, 0);
    }

    public AvgPool2d(int kernelSize, int stride, int padding) {
        Conv2d.require(kernelSize > 0, "kernelSize must be > 0, got " + kernelSize);
        Conv2d.require(stride > 0, "stride must be > 0, got " + stride);
        Conv2d.require(padding >= 0 && 2 * padding <= kernelSize,
                "padding must be between 0 and half the kernel size, got " + padding);
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.avgPool2d(input, kernelSize, stride, padding);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + kernelSize + ", stride=" + stride + ", padding=" + padding;
    }
}
