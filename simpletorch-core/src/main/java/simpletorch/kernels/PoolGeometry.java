package simpletorch.kernels;

/**
 * The sizes of one 2-d pooling over a batch, NCHW.
 *
 * <p>Output size, as in {@code torch.nn.MaxPool2d} (floor mode): {@code OH = (H + 2*padH - KH) / strideH + 1}.
 * Padded positions never win a max (they count as negative infinity).
 */
public record PoolGeometry(int N, int C, int H, int W, int KH, int KW, int strideH, int strideW, int padH, int padW) {
    public PoolGeometry {
        require(N > 0 && C > 0 && H > 0 && W > 0, "sizes must be positive");
        require(KH > 0 && KW > 0, "kernel size must be positive");
        require(strideH > 0 && strideW > 0, "stride must be positive");
        // PyTorch's rule: padding at most half the kernel, so every window holds a real element.
        require(padH >= 0 && padW >= 0 && 2 * padH <= KH && 2 * padW <= KW, "padding must be between 0 and half the kernel");
        require(H + 2 * padH >= KH && W + 2 * padW >= KW, "kernel larger than the padded input");
    }

    public int OH() {
        return (H + 2 * padH - KH) / strideH + 1;
    }

    public int OW() {
        return (W + 2 * padW - KW) / strideW + 1;
    }

    private void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException(what + ": " + this);
        }
    }
}
