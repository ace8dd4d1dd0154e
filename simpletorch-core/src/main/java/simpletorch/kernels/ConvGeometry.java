package simpletorch.kernels;

/**
 * The sizes of one 2-d convolution over a batch, NCHW.
 *
 * <p>Output size, as in {@code torch.nn.Conv2d}: {@code OH = (H + 2*padH - KH) / strideH + 1}, likewise OW.
 *
 * @param N  batch size
 * @param C  input channels
 * @param H  input height
 * @param W  input width
 * @param OC output channels
 * @param KH kernel height
 * @param KW kernel width
 */
public record ConvGeometry(int N, int C, int H, int W, int OC, int KH, int KW,
                           int strideH, int strideW, int padH, int padW) {
    public ConvGeometry {
        require(N > 0 && C > 0 && H > 0 && W > 0 && OC > 0, "sizes must be positive");
        require(KH > 0 && KW > 0, "kernel size must be positive");
        require(strideH > 0 && strideW > 0, "stride must be positive");
        require(padH >= 0 && padW >= 0, "padding must be >= 0");
        require(H + 2 * padH >= KH && W + 2 * padW >= KW, "kernel larger than the padded input");
    }

    public int OH() {
        return (H + 2 * padH - KH) / strideH + 1;
    }

    public int OW() {
        return (W + 2 * padW - KW) / strideW + 1;
    }

    /** Elements in one output image: OC * OH * OW. */
    public int outImageSize() {
        return OC * OH() * OW();
    }

    public int inImageSize() {
        return C * H * W;
    }

    private void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException(what + ": " + this);
        }
    }
}
