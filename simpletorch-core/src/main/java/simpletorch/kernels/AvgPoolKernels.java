package simpletorch.kernels;

/**
 * Average pooling over NCHW arrays, as {@code torch.nn.AvgPool2d} (floor mode, {@code count_include_pad=True}:
 * every window divides by KH*KW, padding counting as zeros) and {@code torch.nn.AdaptiveAvgPool2d}, whose output
 * cell (oh, ow) averages input rows {@code floor(oh*H/OH) .. ceil((oh+1)*H/OH) - 1}, likewise columns; with
 * output size 1 it is global average pooling. Planes are split across {@link Parallel} workers.
 */
public final class AvgPoolKernels {
    private AvgPoolKernels() {
    }

    /**
     * @param out [N, C, OH, OW], overwritten
     * @param in  [N, C, H, W]
     */
    public static void avgPool2dForward(float[] out, float[] in, PoolGeometry g) {
        int H = g.H(), W = g.W(), OH = g.OH(), OW = g.OW();
        float inv = 1f / (g.KH() * g.KW());
        Parallel.parallelFor(g.N() * g.C(), (worker, from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int inOff = plane * H * W;
                for (int oh = 0; oh < OH; oh++) {
                    int h0 = Math.max(oh * g.strideH() - g.padH(), 0);
                    int h1 = Math.min(oh * g.strideH() - g.padH() + g.KH(), H);
                    for (int ow = 0; ow < OW; ow++) {
                        int w0 = Math.max(ow * g.strideW() - g.padW(), 0);
                        int w1 = Math.min(ow * g.strideW() - g.padW() + g.KW(), W);
                        float sum = 0;
                        for (int ih = h0; ih < h1; ih++) {
                            for (int iw = w0; iw < w1; iw++) {
                                sum += in[inOff + ih * W + iw];
                            }
                        }
                        out[(plane * OH + oh) * OW + ow] = sum * inv;
                    }
                }
            }
        });
    }

    /**
     * din += dout / (KH*KW) over each window.
     *
     * @param din  [N, C, H, W], accumulated into
     * @param dout [N, C, OH, OW]
     */
    public static void avgPool2dBackward(float[] din, float[] dout, PoolGeometry g) {
        int H = g.H(), W = g.W(), OH = g.OH(), OW = g.OW();
        float inv = 1f / (g.KH() * g.KW());
        Parallel.parallelFor(g.N() * g.C(), (worker, from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int inOff = plane * H * W;
                for (int oh = 0; oh < OH; oh++) {
                    int h0 = Math.max(oh * g.strideH() - g.padH(), 0);
                    int h1 = Math.min(oh * g.strideH() - g.padH() + g.KH(), H);
                    for (int ow = 0; ow < OW; ow++) {
                        int w0 = Math.max(ow * g.strideW() - g.padW(), 0);
                        int w1 = Math.min(ow * g.strideW() - g.padW() + g.KW(), W);
                        float d = dout[(plane * OH + oh) * OW + ow] * inv;
                        for (int ih = h0; ih < h1; ih++) {
                            for (int iw = w0; iw < w1; iw++) {
                                din[inOff + ih * W + iw] += d;
                            }
                        }
                    }
                }
            }
        });
    }

    /** The definition, in double: window by window, padded positions read as 0. Writes out. */
    public static void avgPool2dForwardNaive(double[] out, double[] in, PoolGeometry g) {
        int H = g.H(), W = g.W(), OH = g.OH(), OW = g.OW();
        for (int plane = 0; plane < g.N() * g.C(); plane++) {
            for (int oh = 0; oh < OH; oh++) {
                for (int ow = 0; ow < OW; ow++) {
                    double sum = 0;
                    for (int kh = 0; kh < g.KH(); kh++) {
                        for (int kw = 0; kw < g.KW(); kw++) {
                            int ih = oh * g.strideH() - g.padH() + kh, iw = ow * g.strideW() - g.padW() + kw;
                            if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
                                sum += in[plane * H * W + ih * W + iw];
                            }
                        }
                    }
                    out[(plane * OH + oh) * OW + ow] = sum / (g.KH() * g.KW());
                }
            }
        }
    }

    /** The definition of the backward pass, in double; adds into din. */
    public static void avgPool2dBackwardNaive(double[] din, double[] dout, PoolGeometry g) {
        int H = g.H(), W = g.W(), OH = g.OH(), OW = g.OW();
        for (int plane = 0; plane < g.N() * g.C(); plane++) {
            for (int oh = 0; oh < OH; oh++) {
                for (int ow = 0; ow < OW; ow++) {
                    for (int kh = 0; kh < g.KH(); kh++) {
                        for (int kw = 0; kw < g.KW(); kw++) {
                            int ih = oh * g.strideH() - g.padH() + kh, iw = ow * g.strideW() - g.padW() + kw;
                            if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
                                din[plane * H * W + ih * W + iw] += dout[(plane * OH + oh) * OW + ow] / (g.KH() * g.KW());
                            }
                        }
                    }
                }
            }
        }
    }

    /** The first input index of adaptive cell {@code o} of {@code outSize} over {@code inSize}: floor(o*in/out). */
    public static int adaptiveStart(int o, int inSize, int outSize) {
        return (int) ((long) o * inSize / outSize);
    }

    /** One past the last input index of adaptive cell {@code o}: ceil((o+1)*in/out). */
    public static int adaptiveEnd(int o, int inSize, int outSize) {
        return (int) (((long) (o + 1) * inSize + outSize - 1) / outSize);
    }

    /**
     * @param out [P, OH, OW] with P = N*C planes, overwritten
     * @param in  [P, H, W]
     */
    public static void adaptiveAvgPool2dForward(float[] out, float[] in, int P, int H, int W, int OH, int OW) {
        Parallel.parallelFor(P, (worker, from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int inOff = plane * H * W;
                for (int oh = 0; oh < OH; oh++) {
                    int h0 = adaptiveStart(oh, H, OH), h1 = adaptiveEnd(oh, H, OH);
                    for (int ow = 0; ow < OW; ow++) {
                        int w0 = adaptiveStart(ow, W, OW), w1 = adaptiveEnd(ow, W, OW);
                        float sum = 0;
                        for (int ih = h0; ih < h1; ih++) {
                            for (int iw = w0; iw < w1; iw++) {
                                sum += in[inOff + ih * W + iw];
                            }
                        }
                        out[(plane * OH + oh) * OW + ow] = sum / ((h1 - h0) * (w1 - w0));
                    }
                }
            }
        });
    }

    /**
     * din += dout / (cell size) over each cell.
     *
     * @param din  [P, H, W], accumulated into
     * @param dout [P, OH, OW]
     */
    public static void adaptiveAvgPool2dBackward(float[] din, float[] dout, int P, int H, int W, int OH, int OW) {
        Parallel.parallelFor(P, (worker, from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int inOff = plane * H * W;
                for (int oh = 0; oh < OH; oh++) {
                    int h0 = adaptiveStart(oh, H, OH), h1 = adaptiveEnd(oh, H, OH);
                    for (int ow = 0; ow < OW; ow++) {
                        int w0 = adaptiveStart(ow, W, OW), w1 = adaptiveEnd(ow, W, OW);
                        float d = dout[(plane * OH + oh) * OW + ow] / ((h1 - h0) * (w1 - w0));
                        for (int ih = h0; ih < h1; ih++) {
                            for (int iw = w0; iw < w1; iw++) {
                                din[inOff + ih * W + iw] += d;
                            }
                        }
                    }
                }
            }
        });
    }

    /** The definition, in double. Writes out. */
    public static void adaptiveAvgPool2dForwardNaive(double[] out, double[] in, int P, int H, int W, int OH, int OW) {
        for (int plane = 0; plane < P; plane++) {
            for (int oh = 0; oh < OH; oh++) {
                for (int ow = 0; ow < OW; ow++) {
                    double sum = 0;
                    int count = 0;
                    for (int ih = adaptiveStart(oh, H, OH); ih < adaptiveEnd(oh, H, OH); ih++) {
                        for (int iw = adaptiveStart(ow, W, OW); iw < adaptiveEnd(ow, W, OW); iw++) {
                            sum += in[(plane * H + ih) * W + iw];
                            count++;
                        }
                    }
                    out[(plane * OH + oh) * OW + ow] = sum / count;
                }
            }
        }
    }

    /** The definition of the backward pass, in double; adds into din. */
    public static void adaptiveAvgPool2dBackwardNaive(double[] din, double[] dout, int P, int H, int W, int OH, int OW) {
        for (int plane = 0; plane < P; plane++) {
            for (int oh = 0; oh < OH; oh++) {
                for (int ow = 0; ow < OW; ow++) {
                    int h0 = adaptiveStart(oh, H, OH), h1 = adaptiveEnd(oh, H, OH);
                    int w0 = adaptiveStart(ow, W, OW), w1 = adaptiveEnd(ow, W, OW);
                    for (int ih = h0; ih < h1; ih++) {
                        for (int iw = w0; iw < w1; iw++) {
                            din[(plane * H + ih) * W + iw] += dout[(plane * OH + oh) * OW + ow] / ((h1 - h0) * (w1 - w0));
                        }
                    }
                }
            }
        }
    }
}
