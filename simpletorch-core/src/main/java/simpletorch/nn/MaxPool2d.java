package simpletorch.nn;

import simpletorch.autograd.Functional;
import simpletorch.tensor.Tensor;

/**
 * 2-d max pooling, as {@code torch.nn.MaxPool2d} (square window, floor mode). No parameters.
 *
 * <p>Shape: [N, C, H, W] to [N, C, OH, OW] with {@code OH = (H + 2*padding - kernelSize) / stride + 1}.
 */
public final class MaxPool2d extends Module {
    public final int kernelSize;
    public final int stride;
    public final int padding;

    /** Stride equal to the kernel size, as PyTorch's default. */
    public MaxPool2d(int kernelSize) {
        this(kernelSize, kernelSize, 0);
    }

    public MaxPool2d(int kernelSize, int stride) {
        this(kernelSize, stride, 0);
    }

    public MaxPool2d(int kernelSize, int stride, int padding) {
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
        return Functional.maxPool2d(input, kernelSize, stride, padding);
    }

    /**
     * {@code forward(relu(input))} in one op ({@link Functional#reluMaxPool2d}): the same values and gradients,
     * with the ReLU applied to the pooled output. Models whose forward reads "relu then pool" call this.
     */
    public Tensor forwardAfterRelu(Tensor input) {
        return Functional.reluMaxPool2d(input, kernelSize, kernelSize, stride, stride, padding, padding);
    }

    /**
     * {@code forward(relu(conv.forward(input)))} in one op where there is one ({@link Functional#conv2dReluMaxPool2d},
     * for a 2x2 pool of stride 2: each image pooled while its convolution output is in cache), else as
     * {@code forwardAfterRelu(conv.forward(input))}. The same values and gradients either way.
     */
    public Tensor forwardAfterConvRelu(Conv2d conv, Tensor input) {
        if (kernelSize == 2 && stride == 2 && padding == 0) {
            return Functional.conv2dReluMaxPool2d(input, conv.weight, conv.bias, conv.stride, conv.padding);
        }
        return forwardAfterRelu(conv.forward(input));
    }

    /**
     * {@code forward(relu(bn.forward(input)))} in one op for a 2x2 pool of stride 2 without padding
     * ({@link BatchNormBase#forwardReluMaxPool2x2}), else as {@code forwardAfterRelu(bn.forward(input))}. The same
     * values and gradients either way.
     */
    public Tensor forwardAfterBatchNormRelu(BatchNormBase bn, Tensor input) {
        if (kernelSize == 2 && stride == 2 && padding == 0) {
            return bn.forwardReluMaxPool2x2(input);
        }
        return forwardAfterRelu(bn.forward(input));
    }

    @Override
    protected String extraRepr() {
        // PyTorch's repr always lists dilation and ceil_mode; this layer supports only their defaults.
        return "kernel_size=" + kernelSize + ", stride=" + stride + ", padding=" + padding
                + ", dilation=1, ceil_mode=False";
    }
}
