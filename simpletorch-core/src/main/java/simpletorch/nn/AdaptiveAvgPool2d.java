package simpletorch.nn;

import simpletorch.autograd.Functional;
import simpletorch.tensor.Tensor;

/**
 * Average pooling to a fixed output size, as {@code torch.nn.AdaptiveAvgPool2d((outH, outW))}; with output size 1
 * it is global average pooling. No parameters.
 *
 * <p>Shape: [N, C, H, W] to [N, C, outH, outW]; cell (oh, ow) averages rows floor(oh*H/outH) ..
 * ceil((oh+1)*H/outH) - 1, likewise columns.
 */
public final class AdaptiveAvgPool2d extends Module {
    public final int outH;
    public final int outW;

    /** A square output, e.g. {@code new AdaptiveAvgPool2d(1)} for global average pooling. */
    public AdaptiveAvgPool2d(int outputSize) {
        this(outputSize, outputSize);
    }

    public AdaptiveAvgPool2d(int outH, int outW) {
        Conv2d.require(outH > 0 && outW > 0, "output size must be positive, got " + outH + "x" + outW);
        this.outH = outH;
        this.outW = outW;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.adaptiveAvgPool2d(input, outH, outW);
    }

    @Override
    protected String extraRepr() {
        return "output_size=" + (outH == outW ? Integer.toString(outH) : "(" + outH + ", " + outW + ")");
    }
}
