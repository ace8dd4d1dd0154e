package simpletorch.kernels;

/**
 * 2-d max pooling over NCHW arrays. The forward pass records, for every output element, which input element of
 * its plane won (as {@code ih * W + iw}); the backward pass routes each output gradient to that element. Ties go
 * to the first maximum in row-major window order and NaN always wins, as in PyTorch.
 */
public final class PoolKernels {
    private PoolKernels() {
    }

    /**
     * @param out    [N, C, OH, OW], overwritten with the window maxima
     * @param argmax [N, C, OH, OW], overwritten with the winner's index within its input plane
     * @param in     [N, C, H, W]
     */
    public static void maxPool2dForward(float[] out, int[] argmax, float[] in, PoolGeometry g) {
        int H = g.H(), W = g.W(), OH = g.OH(), OW = g.OW();
        Parallel.parallelFor(g.N() * g.C(), (worker, from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int inOff = plane * H * W;
                int o = plane * OH * OW;
                for (int oh = 0; oh < OH; oh++) {
                    int h0 = Math.max(oh * g.strideH() - g.padH(), 0);
                    int h1 = Math.min(oh * g.strideH() - g.padH() + g.KH(), H);
                    for (int ow = 0; ow < OW; ow++, o++) {
                        int w0 = Math.max(ow * g.strideW() - g.padW(), 0);
                        int w1 = Math.min(ow * g.strideW() - g.padW() + g.KW(), W);
                        int best = h0 * W + w0;
                        float max = in[inOff + best];
                        for (int ih = h0; ih < h1; ih++) {
                            for (int iw = w0; iw < w1; iw++) {
                                float v = in[inOff + ih * W + iw];
                                if (v > max || (Float.isNaN(v) && !Float.isNaN(max))) {
                                    max = v;
                                    best = ih * W + iw;
                                }
                            }
                        }
                        out[o] = max;
                        argmax[o] = best;
                    }
                }
            }
        });
    }

    /**
     * din[plane][argmax] += dout for every output element.
     *
     * @param din    [N, C, H, W], accumulated into
     * @param dout   [N, C, OH, OW]
     * @param argmax [N, C, OH, OW], from the forward pass
     */
    public static void maxPool2dBackward(float[] din, float[] dout, int[] argmax, PoolGeometry g) {
        int HW = g.H() * g.W();
        int OHW = g.OH() * g.OW();
        Parallel.parallelFor(g.N() * g.C(), (worker, from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int inOff = plane * HW;
                for (int o = plane * OHW, end = o + OHW; o < end; o++) {
                    din[inOff + argmax[o]] += dout[o];
                }
            }
        });
    }

    /** The definition, in double. Writes out and argmax. */
    public static void maxPool2dForwardNaive(double[] out, int[] argmax, double[] in, PoolGeometry g) {
        int H = g.H(), W = g.W(), OH = g.OH(), OW = g.OW();
        for (int plane = 0; plane < g.N() * g.C(); plane++) {
            for (int oh = 0; oh < OH; oh++) {
                for (int ow = 0; ow < OW; ow++) {
                    double max = Double.NEGATIVE_INFINITY;
                    int best = -1;
                    for (int kh = 0; kh < g.KH(); kh++) {
                        for (int kw = 0; kw < g.KW(); kw++) {
                            int ih = oh * g.strideH() - g.padH() + kh;
                            int iw = ow * g.strideW() - g.padW() + kw;
                            if (ih < 0 || ih >= H || iw < 0 || iw >= W) {
                                continue;
                            }
                            double v = in[plane * H * W + ih * W + iw];
                            if (best < 0 || v > max) {
                                max = v;
                                best = ih * W + iw;
                            }
                        }
                    }
                    out[(plane * OH + oh) * OW + ow] = max;
                    argmax[(plane * OH + oh) * OW + ow] = best;
                }
            }
        }
    }

    /** The definition of the backward pass, in double; adds into din. */
    public static void maxPool2dBackwardNaive(double[] din, double[] dout, int[] argmax, PoolGeometry g) {
        int HW = g.H() * g.W();
        int OHW = g.OH() * g.OW();
        for (int o = 0; o < g.N() * g.C() * OHW; o++) {
            din[(o / OHW) * HW + argmax[o]] += dout[o];
        }
    }
}
