package simpletorch.kernels;

/**
 * The fast path of {@link Conv2dKernels}: im2col written straight into the packed panel layout that
 * {@link VectorGemm#multiply} reads, so an image is copied once instead of twice, with the bias added by the
 * micro-kernel's initial accumulators. One image per task, split across {@link Parallel} workers; the weights are
 * packed once per call and shared read-only.
 *
 * <p>Three products per image (P = OH*OW pixels, CKK = C*KH*KW patch size):
 * <pre>
 *   forward   out[OC, P]     = weight[OC, CKK] * cols[CKK, P]        B = cols, packed by packCols
 *   input     dcols[CKK, P]  = weight^T[CKK, OC] * dout[OC, P]       then col2im adds dcols into din
 *   weight    dweight[OC, CKK] += dout[OC, P] * cols^T[P, CKK]       B = cols^T, packed by packRows
 * </pre>
 * Touches the Vector API through {@link VectorGemm}: only called when {@link Gemm#vectorEnabled()}.
 */
final class VectorConv2d {
    private VectorConv2d() {
    }

    static void forward(float[] out, float[] in, float[] weight, float[] bias, ConvGeometry g) {
        int P = g.OH() * g.OW();
        int CKK = g.C() * g.KH() * g.KW();
        int OC = g.OC();
        float[] ap = new float[VectorGemm.packedASize(OC, CKK)];
        VectorGemm.packA(ap, weight, 0, CKK, false, OC, CKK);
        Parallel.parallelFor(g.N(), (worker, from, to) -> {
            float[] bp = Scratch.get(Scratch.PACK_B, VectorGemm.packedBSize(CKK, P));
            for (int n = from; n < to; n++) {
                packCols(bp, in, n * g.inImageSize(), g, VectorGemm.NR);
                VectorGemm.multiply(ap, bp, OC, P, CKK, out, n * OC * P, P, false, bias);
            }
        });
    }

    static void backward(float[] din, float[] dweight, float[] dout, float[] in, float[] weight, ConvGeometry g) {
        int P = g.OH() * g.OW();
        int CKK = g.C() * g.KH() * g.KW();
        int OC = g.OC();
        int N = g.N();
        float[] weightT = null;
        if (din != null) {
            weightT = new float[VectorGemm.packedASize(CKK, OC)];
            VectorGemm.packA(weightT, weight, 0, CKK, true, CKK, OC);
        }
        float[] wt = weightT;
        // Each worker sums its images' weight gradients privately; the partial sums are added in worker order,
        // so the result depends on the thread count but not on scheduling.
        float[][] dweightPart = dweight == null ? null : new float[Math.min(Parallel.threads(), N)][OC * CKK];
        Parallel.parallelFor(N, (worker, from, to) -> {
            for (int n = from; n < to; n++) {
                int inOff = n * g.inImageSize();
                int outOff = n * OC * P;
                if (dweight != null) {
                    float[] ap = Scratch.get(Scratch.PACK_A, VectorGemm.packedASize(OC, P));
                    float[] bp = Scratch.get(Scratch.PACK_B, VectorGemm.packedBSize(P, CKK));
                    VectorGemm.packA(ap, dout, outOff, P, false, OC, P);
                    packRows(bp, in, inOff, g, VectorGemm.NR);
                    VectorGemm.multiply(ap, bp, OC, CKK, P, dweightPart[worker], 0, CKK, true, null);
                }
                if (din != null) {
                    float[] bp = Scratch.get(Scratch.PACK_B, VectorGemm.packedBSize(OC, P));
                    float[] dcols = Scratch.get(Scratch.DCOLS, CKK * P);
                    VectorGemm.packB(bp, dout, outOff, P, false, OC, P);
                    VectorGemm.multiply(wt, bp, CKK, P, OC, dcols, 0, P, false, null);
                    Conv2dKernels.col2imAdd(din, inOff, dcols, g);
                }
            }
        });
        if (dweight != null) {
            for (float[] part : dweightPart) {
                for (int i = 0; i < part.length; i++) {
                    dweight[i] += part[i];
                }
            }
        }
    }

    /**
     * im2col into B panels: bp[p / nr][k][p % nr] = cols[k][p] for k = (c*KH + kh)*KW + kw and pixel p = oh*OW + ow,
     * zero in the padding and in the unused lanes of the last panel. The layout of {@link VectorGemm#packB} for
     * the K x N matrix cols[CKK, P].
     */
    static void packCols(float[] bp, float[] in, int inOff, ConvGeometry g, int nr) {
        int H = g.H(), W = g.W(), OH = g.OH(), OW = g.OW(), SH = g.strideH(), SW = g.strideW();
        int P = OH * OW;
        int K = g.C() * g.KH() * g.KW();
        int panelSize = K * nr;
        int k = 0;
        for (int c = 0; c < g.C(); c++) {
            for (int kh = 0; kh < g.KH(); kh++) {
                for (int kw = 0; kw < g.KW(); kw++, k++) {
                    int base = k * nr; // panel 0, row k
                    int lane = 0;
                    for (int oh = 0; oh < OH; oh++) {
                        int ih = oh * SH - g.padH() + kh;
                        boolean rowInside = ih >= 0 && ih < H;
                        int src = inOff + (c * H + ih) * W;
                        for (int ow = 0; ow < OW; ow++) {
                            int iw = ow * SW - g.padW() + kw;
                            bp[base + lane] = rowInside && iw >= 0 && iw < W ? in[src + iw] : 0f;
                            if (++lane == nr) {
                                lane = 0;
                                base += panelSize;
                            }
                        }
                    }
                    for (; lane != 0 && lane < nr; lane++) {
                        bp[base + lane] = 0f;
                    }
                }
            }
        }
        assert (P + nr - 1) / nr * panelSize <= bp.length;
    }

    /**
     * The transpose of {@link #packCols}: bp[j / nr][p][j % nr] = cols[j][p], the layout of
     * {@link VectorGemm#packB} for the K x N matrix cols^T[P, CKK].
     */
    static void packRows(float[] bp, float[] in, int inOff, ConvGeometry g, int nr) {
        int H = g.H(), W = g.W(), OH = g.OH(), OW = g.OW(), SH = g.strideH(), SW = g.strideW();
        int P = OH * OW;
        int CKK = g.C() * g.KH() * g.KW();
        int panels = (CKK + nr - 1) / nr;
        int panelSize = P * nr;
        if (CKK % nr != 0) { // unused lanes of the last panel
            java.util.Arrays.fill(bp, (panels - 1) * panelSize, panels * panelSize, 0f);
        }
        int p = 0;
        for (int oh = 0; oh < OH; oh++) {
            for (int ow = 0; ow < OW; ow++, p++) {
                int base = p * nr; // panel 0, row p
                int lane = 0;
                for (int c = 0; c < g.C(); c++) {
                    for (int kh = 0; kh < g.KH(); kh++) {
                        int ih = oh * SH - g.padH() + kh;
                        boolean rowInside = ih >= 0 && ih < H;
                        int src = inOff + (c * H + ih) * W;
                        for (int kw = 0; kw < g.KW(); kw++) {
                            int iw = ow * SW - g.padW() + kw;
                            bp[base + lane] = rowInside && iw >= 0 && iw < W ? in[src + iw] : 0f;
                            if (++lane == nr) {
                                lane = 0;
                                base += panelSize;
                            }
                        }
                    }
                }
            }
        }
    }
}
