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
     * Max pooling of {@code relu(in)}, computed as pooling then ReLU (they commute): the winners are those of
     * {@code in}, the values {@code Math.max(max, 0)}. On the vector 2x2 path the ReLU is applied as the maxima
     * are stored (one pass over the planes instead of two); elsewhere it is a second pass.
     */
    public static void maxPool2dReluForward(float[] out, int[] argmax, float[] in, PoolGeometry g) {
        if (vectorPath(g)) {
            int H = g.H(), W = g.W();
            Parallel.parallelFor(g.N() * g.C(),
                    (worker, from, to) -> VectorPool.maxPool2x2Any(out, argmax, in, 0, H * W, W, from, to, H, W, true));
            return;
        }
        maxPool2dForward(out, argmax, in, g);
        ElementwiseKernels.reluForward(out, out, g.N() * g.C() * g.OH() * g.OW());
    }

    /**
     * @param out    [N, C, OH, OW], overwritten with the window maxima
     * @param argmax [N, C, OH, OW], overwritten with the winner's index within its input plane
     * @param in     [N, C, H, W]
     */
    public static void maxPool2dForward(float[] out, int[] argmax, float[] in, PoolGeometry g) {
        int H = g.H(), W = g.W(), OH = g.OH(), OW = g.OW();
        if (isTwoByTwo(g)) {
            if (vectorPath(g)) {
                Parallel.parallelFor(g.N() * g.C(),
                        (worker, from, to) -> VectorPool.maxPool2x2(out, argmax, in, 0, from, to, H, W, false));
            } else {
                Parallel.parallelFor(g.N() * g.C(), (worker, from, to) -> maxPool2x2(out, argmax, in, from, to, H, W));
            }
            return;
        }
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
                                // Selects rather than a branch: which element wins is unpredictable.
                                boolean take = v > max || (v != v && max == max); // v != v: v is NaN
                                max = take ? v : max;
                                best = take ? ih * W + iw : best;
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
     * The common 2x2, stride-2 window, written so the JIT emits no unpredictable branch: the maximum by
     * Math.max (which propagates NaN) and the winner by integer selects. Planes [from, to).
     */
    private static void maxPool2x2(float[] out, int[] argmax, float[] in, int from, int to, int H, int W) {
        int OH = H / 2, OW = W / 2;
        for (int plane = from; plane < to; plane++) {
            int inOff = plane * H * W;
            int o = plane * OH * OW;
            for (int oh = 0; oh < OH; oh++) {
                int r0 = inOff + 2 * oh * W;
                int r1 = r0 + W;
                for (int ow = 0; ow < OW; ow++, o++) {
                    float a = in[r0 + 2 * ow], b = in[r0 + 2 * ow + 1];
                    float c = in[r1 + 2 * ow], d = in[r1 + 2 * ow + 1];
                    int ia = 2 * oh * W + 2 * ow; // a's index in its plane
                    float top = Math.max(a, b);
                    float bottom = Math.max(c, d);
                    int iTop = b > a ? ia + 1 : ia; // strict: the first of equal maxima wins
                    int iBottom = d > c ? ia + W + 1 : ia + W;
                    float max = Math.max(top, bottom);
                    out[o] = max;
                    argmax[o] = bottom > top ? iBottom : iTop;
                    if (max != max) { // a NaN wins, as in PyTorch: rare, so this branch is predicted
                        argmax[o] = a != a ? ia : b != b ? ia + 1 : c != c ? ia + W : ia + W + 1;
                    }
                }
            }
        }
    }

    /**
     * Outputs [oFrom, oTo) of one plane, read from {@code in[inOff]} with rows {@code ld} apart, by the scalar rule of
     * {@link #maxPool2x2} (NaN included). The winners are indices within an [H, W] plane.
     */
    static void maxPool2x2Outputs(float[] out, int[] argmax, float[] in, int inOff, int ld, int plane, int oFrom,
                                  int oTo, int H, int W) {
        int OW = W / 2, OHW = (H / 2) * OW;
        for (int o = oFrom; o < oTo; o++) {
            int oh = o / OW, ow = o - oh * OW;
            int ia = 2 * oh * W + 2 * ow, at = inOff + 2 * oh * ld + 2 * ow;
            float a = in[at], b = in[at + 1], c = in[at + ld], d = in[at + ld + 1];
            float top = Math.max(a, b), bottom = Math.max(c, d), max = Math.max(top, bottom);
            int iTop = b > a ? ia + 1 : ia, iBottom = d > c ? ia + W + 1 : ia + W;
            int k = plane * OHW + o;
            out[k] = max;
            argmax[k] = bottom > top ? iBottom : iTop;
            if (max != max) {
                argmax[k] = a != a ? ia : b != b ? ia + 1 : c != c ? ia + W : ia + W + 1;
            }
        }
    }

    /**
     * din[plane][argmax] += dout for every output element.
     *
     * @param din    [N, C, H, W], accumulated into
     * @param dout   [N, C, OH, OW]
     * @param argmax [N, C, OH, OW], from the forward pass
     */
    public static void maxPool2dBackward(float[] din, float[] dout, int[] argmax, PoolGeometry g) {
        maxPool2dBackward(din, dout, argmax, g, true);
    }

    /**
     * As {@link #maxPool2dBackward(float[], float[], int[], PoolGeometry)}; with {@code accumulate} false din is
     * overwritten (each plane zeroed just before its scatter, while it is in cache) instead of added into.
     */
    public static void maxPool2dBackward(float[] din, float[] dout, int[] argmax, PoolGeometry g, boolean accumulate) {
        if (!accumulate && vectorBackward(g)) {
            Parallel.parallelFor(g.N() * g.C(),
                    (worker, from, to) -> VectorPool.maxPool2x2Backward(din, dout, null, argmax, from, to, g.H(), g.W()));
            return;
        }
        int HW = g.H() * g.W();
        int OHW = g.OH() * g.OW();
        Parallel.parallelFor(g.N() * g.C(), (worker, from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int inOff = plane * HW;
                if (!accumulate) {
                    java.util.Arrays.fill(din, inOff, inOff + HW, 0f);
                }
                for (int o = plane * OHW, end = o + OHW; o < end; o++) {
                    din[inOff + argmax[o]] += dout[o];
                }
            }
        });
    }

    /**
     * The backward pass of {@code relu} followed by max pooling, computed as pooling then ReLU (they commute):
     * each output gradient goes to its window's winner when the pooled value was positive, and nowhere otherwise
     * (ReLU's gradient at 0, and at NaN, is 0). With {@code accumulate} false din is overwritten.
     *
     * @param out    [N, C, OH, OW], the forward output (after ReLU: +0.0, positive or NaN, never -0.0)
     */
    public static void maxPool2dReluBackward(float[] din, float[] dout, float[] out, int[] argmax, PoolGeometry g,
                                             boolean accumulate) {
        if (!accumulate && vectorBackward(g)) {
            Parallel.parallelFor(g.N() * g.C(),
                    (worker, from, to) -> VectorPool.maxPool2x2Backward(din, dout, out, argmax, from, to, g.H(), g.W()));
            return;
        }
        int HW = g.H() * g.W();
        int OHW = g.OH() * g.OW();
        Parallel.parallelFor(g.N() * g.C(), (worker, from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int inOff = plane * HW;
                if (!accumulate) {
                    java.util.Arrays.fill(din, inOff, inOff + HW, 0f);
                }
                for (int o = plane * OHW, end = o + OHW; o < end; o++) {
                    // out > 0 tested on the bits, without a branch (see ElementwiseKernels.reluBackward): the
                    // sign of a pooled pre-activation is a coin flip.
                    int bits = Float.floatToRawIntBits(out[o]);
                    int positive = (-bits >> 31) & ((bits - 0x7f800001) >> 31);
                    din[inOff + argmax[o]] += Float.intBitsToFloat(Float.floatToRawIntBits(dout[o]) & positive);
                }
            }
        });
    }

    /** 2x2 windows at stride 2 without padding: the common pooling, with kernels of its own. */
    private static boolean isTwoByTwo(PoolGeometry g) {
        return g.KH() == 2 && g.KW() == 2 && g.strideH() == 2 && g.strideW() == 2 && g.padH() == 0 && g.padW() == 0;
    }

    /** Whether the forward pass takes {@link VectorPool}: a 2x2 geometry over planes of whole vectors. */
    private static boolean vectorPath(PoolGeometry g) {
        return isTwoByTwo(g) && Gemm.vectorEnabled() && VectorPool.applies(g.H(), g.W());
    }

    /**
     * Whether a backward pass that overwrites din takes {@link VectorPool#maxPool2x2Backward}: the vector forward's
     * planes, of even height (so every element of din is in a window).
     */
    private static boolean vectorBackward(PoolGeometry g) {
        return vectorPath(g) && g.H() % 2 == 0;
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
