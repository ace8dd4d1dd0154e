package simpletorch.kernels;

/**
 * 2-d convolution (cross-correlation, as PyTorch computes it) over NCHW arrays.
 *
 * <p>With the Vector API, {@link VectorConv2d} does the work. Otherwise each image is lowered to a column matrix
 * (im2col) and multiplied with the weight matrix by the scalar GEMM, one image per task, split across
 * {@link Parallel} workers; a 1x1 stride-1 unpadded convolution skips im2col, since the image already is that
 * matrix. {@link #forwardNaive} and {@link #backwardNaive} are the direct seven-loop
 * definitions in double precision: the oracle for tests.
 */
public final class Conv2dKernels {
    private Conv2dKernels() {
    }

    /**
     * out = conv2d(in, weight) + bias. Writes out.
     *
     * @param out    [N, OC, OH, OW], overwritten
     * @param in     [N, C, H, W]
     * @param weight [OC, C, KH, KW]
     * @param bias   [OC], or null for none
     */
    public static void forward(float[] out, float[] in, float[] weight, float[] bias, ConvGeometry g) {
        if (Gemm.vectorEnabled()) {
            VectorConv2d.forward(out, in, weight, bias, g);
            return;
        }
        int P = g.OH() * g.OW();
        int CKK = g.C() * g.KH() * g.KW();
        int OC = g.OC();
        boolean direct = isDirect(g);
        Parallel.parallelFor(g.N(), (worker, from, to) -> {
            float[] cols = direct ? null : Scratch.get(Scratch.IM2COL, CKK * P);
            for (int n = from; n < to; n++) {
                int outOff = n * OC * P;
                if (direct) { // out[OC, P] = weight[OC, C] * in[C, P]
                    Gemm.sgemm(false, false, OC, P, CKK, weight, 0, CKK, in, n * g.inImageSize(), P, out, outOff, P, false);
                } else { // out[OC, P] = weight[OC, CKK] * cols[CKK, P]
                    im2col(cols, in, n * g.inImageSize(), g);
                    Gemm.sgemm(false, false, OC, P, CKK, weight, 0, CKK, cols, 0, P, out, outOff, P, false);
                }
                if (bias != null) {
                    for (int oc = 0; oc < OC; oc++) {
                        float b = bias[oc];
                        int row = outOff + oc * P;
                        for (int p = 0; p < P; p++) {
                            out[row + p] += b;
                        }
                    }
                }
            }
        });
    }

    /**
     * Whether {@link #forwardReluMaxPool2x2} has a fused path for this convolution (the Vector API on, output rows
     * of whole GEMM panels, an even output of whole vectors for the 2x2 pool); otherwise run the three ops.
     */
    public static boolean fusesReluMaxPool2x2(ConvGeometry g) {
        return Gemm.vectorEnabled() && VectorConv2d.fusesReluMaxPool2x2(g);
    }

    /**
     * {@code max_pool2d(relu(conv2d(in)), kernel 2, stride 2)}, image by image, without writing the convolution's
     * output for the whole batch: the values and winners of {@link #forward} then
     * {@link PoolKernels#maxPool2dReluForward}, bit for bit. Only where {@link #fusesReluMaxPool2x2}.
     *
     * @param out    [N, OC, OH/2, OW/2]
     * @param argmax [N, OC, OH/2, OW/2], overwritten with each winner's index within its [OH, OW] plane
     */
    public static void forwardReluMaxPool2x2(float[] out, int[] argmax, float[] in, float[] weight, float[] bias,
                                             ConvGeometry g) {
        if (!fusesReluMaxPool2x2(g)) {
            throw new IllegalArgumentException("no fused conv2d + relu + max_pool2d path for " + g);
        }
        VectorConv2d.forwardReluMaxPool2x2(out, argmax, in, weight, bias, g);
    }

    /**
     * The backward pass of {@link #forwardReluMaxPool2x2}, adding into each gradient that is not null. Where
     * {@link #pooledWeightGrad} says so, straight from the pool's gradient and winners in one loop (the weight and
     * input gradients summed from the winners: a quarter of the work, equal to the dense sums to rounding; see
     * {@code VectorConv2d.backwardReluMaxPool2x2}); otherwise the pool's backward writes the convolution's output
     * gradient into {@code dconv} and {@link #backward} takes it.
     *
     * @param dconv  [N, OC, OH, OW], scratch, overwritten; may be null where {@link #pooledWeightGrad}
     * @param dpool  [N, OC, OH/2, OW/2], the gradient of the pooled output
     * @param out    [N, OC, OH/2, OW/2], the pooled output
     * @param argmax [N, OC, OH/2, OW/2], the forward pass's winners
     */
    public static void backwardReluMaxPool2x2(float[] din, float[] dweight, float[] dbias, float[] dconv, float[] dpool,
                                              float[] out, int[] argmax, float[] in, float[] weight, ConvGeometry g) {
        backwardReluMaxPool2x2(din, true, dweight, dbias, dconv, dpool, out, argmax, in, weight, g);
    }

    /**
     * As {@link #backwardReluMaxPool2x2(float[], float[], float[], float[], float[], float[], int[], float[], float[],
     * ConvGeometry)}; with {@code accumulateDin} false din is overwritten instead of added into (a gradient nothing has
     * written yet, whose contents are arbitrary), so that the caller need not zero it first.
     */
    public static void backwardReluMaxPool2x2(float[] din, boolean accumulateDin, float[] dweight, float[] dbias,
                                              float[] dconv, float[] dpool, float[] out, int[] argmax, float[] in,
                                              float[] weight, ConvGeometry g) {
        if (pooledWeightGrad(g)) {
            VectorConv2d.backwardReluMaxPool2x2(din, accumulateDin, dweight, dbias, dpool, out, argmax, in, weight, g);
            return;
        }
        if (din != null && !accumulateDin) {
            ElementwiseKernels.fillZero(din, g.N() * g.C() * g.H() * g.W());
        }
        PoolGeometry pg = new PoolGeometry(g.N(), g.OC(), g.OH(), g.OW(), 2, 2, 2, 2, 0, 0);
        PoolKernels.maxPool2dReluBackward(dconv, dpool, out, argmax, pg, false);
        backward(din, dweight, dbias, dconv, in, weight, g);
    }

    /**
     * Whether {@link #backwardReluMaxPool2x2} runs from the pool's winners: a fused layer (see
     * {@link #fusesReluMaxPool2x2}) with a 3x3 "same" convolution whose channels {@link VectorPooledConvWeightGrad3x3}
     * takes (SimpleNet's two layers). {@code -Dsimpletorch.pooledWeightGrad=false} turns it off, to measure;
     * {@code -Dsimpletorch.pooledInputGrad=false} keeps it but takes the input gradient from the dense product.
     */
    public static boolean pooledWeightGrad(ConvGeometry g) {
        return POOLED_WEIGHT_GRAD && fusesReluMaxPool2x2(g) && VectorPooledConvWeightGrad3x3.applies(g);
    }

    private static final boolean POOLED_WEIGHT_GRAD =
            !"false".equals(System.getProperty("simpletorch.pooledWeightGrad"));

    /**
     * Back-propagates dout through the convolution, adding into each gradient that is not null.
     *
     * @param din     [N, C, H, W], += dL/din, or null
     * @param dweight [OC, C, KH, KW], += dL/dweight, or null
     * @param dbias   [OC], += dL/dbias, or null
     * @param dout    [N, OC, OH, OW]
     * @param in      [N, C, H, W], the forward input
     * @param weight  [OC, C, KH, KW]
     */
    public static void backward(float[] din, float[] dweight, float[] dbias, float[] dout, float[] in,
                                float[] weight, ConvGeometry g) {
        backward(din, true, dweight, dbias, dout, in, weight, g);
    }

    /**
     * As {@link #backward(float[], float[], float[], float[], float[], float[], ConvGeometry)}; with
     * {@code accumulateDin} false din is overwritten instead of added into (a gradient nothing has written yet, whose
     * contents are arbitrary), so that the caller need not zero it first.
     */
    public static void backward(float[] din, boolean accumulateDin, float[] dweight, float[] dbias, float[] dout,
                                float[] in, float[] weight, ConvGeometry g) {
        if (Gemm.vectorEnabled()) {
            VectorConv2d.backward(din, accumulateDin, dweight, dbias, dout, in, weight, g);
            return;
        }
        if (din != null && !accumulateDin) {
            ElementwiseKernels.fillZero(din, g.N() * g.inImageSize());
        }
        int P = g.OH() * g.OW();
        int CKK = g.C() * g.KH() * g.KW();
        int OC = g.OC();
        int N = g.N();
        boolean direct = isDirect(g);
        // Each worker sums its images' weight gradients privately; the partial sums are added in worker order,
        // so the result depends on the thread count but not on scheduling.
        int workers = Parallel.chunks(N); // partial sums per chunk
        float[] parts = dweight == null ? null : Scratch.get(Scratch.PARTS, workers * OC * CKK);
        if (parts != null) {
            java.util.Arrays.fill(parts, 0, workers * OC * CKK, 0f);
        }
        double[] biasParts = dbias == null ? null : Scratch.zeroedDoubles(workers * OC);
        Parallel.parallelFor(N, (worker, from, to) -> {
            float[] cols = direct || dweight == null ? null : Scratch.get(Scratch.IM2COL, CKK * P);
            float[] dcols = direct || din == null ? null : Scratch.get(Scratch.DCOLS, CKK * P);
            for (int n = from; n < to; n++) {
                int inOff = n * g.inImageSize();
                int outOff = n * OC * P;
                if (dbias != null) {
                    sumRows(biasParts, worker * OC, dout, outOff, OC, P);
                }
                if (dweight != null) { // dweight[OC, CKK] += dout[OC, P] * cols[CKK, P]^T
                    float[] src = in;
                    int srcOff = inOff;
                    if (!direct) {
                        im2col(cols, in, inOff, g);
                        src = cols;
                        srcOff = 0;
                    }
                    Gemm.sgemm(false, true, OC, CKK, P, dout, outOff, P, src, srcOff, P, parts, worker * OC * CKK, CKK, true);
                }
                if (din != null) { // dcols[CKK, P] = weight[OC, CKK]^T * dout[OC, P], then scattered back
                    if (direct) {
                        Gemm.sgemm(true, false, CKK, P, OC, weight, 0, CKK, dout, outOff, P, din, inOff, P, true);
                    } else {
                        Gemm.sgemm(true, false, CKK, P, OC, weight, 0, CKK, dout, outOff, P, dcols, 0, P, false);
                        col2imAdd(din, inOff, dcols, g);
                    }
                }
            }
        });
        if (dweight != null) {
            for (int w = 0; w < workers; w++) {
                for (int i = 0, off = w * OC * CKK; i < OC * CKK; i++) {
                    dweight[i] += parts[off + i];
                }
            }
        }
        if (dbias != null) {
            addPartialSums(dbias, biasParts, workers);
        }
    }

    /**
     * acc[accOff + oc] += the sum of dout[off + oc*P .. off + (oc+1)*P), in double: one image's bias gradient, summed per
     * worker so that a sum over thousands of terms keeps its precision and runs in parallel.
     */
    static void sumRows(double[] acc, int accOff, float[] dout, int off, int OC, int P) {
        for (int oc = 0; oc < OC; oc++) {
            int row = off + oc * P;
            double s = 0;
            for (int p = 0; p < P; p++) {
                s += dout[row + p];
            }
            acc[accOff + oc] += s;
        }
    }

    /**
     * dbias[oc] += the workers' partial sums (worker w's at parts[w*OC + oc]), added in worker order
     * (deterministic for a thread count).
     */
    static void addPartialSums(float[] dbias, double[] parts, int workers) {
        int OC = dbias.length;
        for (int oc = 0; oc < OC; oc++) {
            double s = 0;
            for (int w = 0; w < workers; w++) {
                s += parts[w * OC + oc];
            }
            dbias[oc] += (float) s;
        }
    }

    /** A 1x1, stride-1, unpadded convolution: the input image is already the column matrix. */
    private static boolean isDirect(ConvGeometry g) {
        return g.KH() == 1 && g.KW() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.padH() == 0 && g.padW() == 0;
    }

    /**
     * Lowers one image to columns: cols[(c*KH + kh)*KW + kw][oh*OW + ow] = in[c][oh*SH - PH + kh][ow*SW - PW + kw],
     * zero where that falls in the padding. Writes cols [C*KH*KW, OH*OW].
     *
     * <p>For each kernel offset the output columns that read inside the image form one range [owLo, owHi), worked
     * out once, so the inner loop is a plain copy (an arraycopy at stride 1) with no per-element bounds test.
     */
    static void im2col(float[] cols, float[] in, int inOff, ConvGeometry g) {
        im2col(cols, g.OH() * g.OW(), in, inOff, g);
    }

    /**
     * {@link #im2col} with the rows of cols {@code ld} floats apart ({@code ld >= OH*OW}; the gap is not written).
     * A GEMM that reads cols in place runs faster when its rows are not a multiple of 4 KB apart: rows that far
     * apart fall into the same few sets of the L1 cache and evict each other (measured on AVX2: conv1's product,
     * rows 4 KB apart, 28 us per image; 64 bytes more between rows, 14 us).
     */
    static void im2col(float[] cols, int ld, float[] in, int inOff, ConvGeometry g) {
        if (g.strideH() == 1 && g.strideW() == 1 && g.OW() == g.W()) {
            im2colSameWidth(cols, ld, in, inOff, g);
        } else {
            im2colByRows(cols, ld, in, inOff, g);
        }
    }

    /** {@link #im2col} for any geometry, one output row at a time. */
    static void im2colByRows(float[] cols, int ld, float[] in, int inOff, ConvGeometry g) {
        int H = g.H(), W = g.W(), OH = g.OH(), OW = g.OW();
        int SH = g.strideH(), SW = g.strideW(), PH = g.padH(), PW = g.padW();
        int row = 0;
        for (int c = 0; c < g.C(); c++) {
            for (int kh = 0; kh < g.KH(); kh++) {
                for (int kw = 0; kw < g.KW(); kw++, row += ld) {
                    int owLo = firstInside(PW - kw, SW, OW);
                    int owHi = Math.max(owLo, lastInside(W - 1 + PW - kw, SW, OW));
                    int dst = row;
                    for (int oh = 0; oh < OH; oh++, dst += OW) {
                        int ih = oh * SH - PH + kh;
                        if (ih < 0 || ih >= H) {
                            java.util.Arrays.fill(cols, dst, dst + OW, 0f);
                            continue;
                        }
                        java.util.Arrays.fill(cols, dst, dst + owLo, 0f);
                        int src = inOff + (c * H + ih) * W + owLo * SW - PW + kw;
                        if (SW == 1) {
                            System.arraycopy(in, src, cols, dst + owLo, owHi - owLo);
                        } else {
                            for (int ow = owLo; ow < owHi; ow++, src += SW) {
                                cols[dst + ow] = in[src];
                            }
                        }
                        java.util.Arrays.fill(cols, dst + owHi, dst + OW, 0f);
                    }
                }
            }
        }
    }

    /**
     * {@link #im2col} for stride 1 when the output rows are as wide as the input's ("same" padding across, as a 3x3
     * convolution with padding 1, or a 1x1 without): then a column row's valid output rows are the input plane
     * shifted by {@code kw - PW} elements, so they are one arraycopy instead of one per output row (measured: 5.4
     * and 13.8 us per image for SimpleNet's conv1 and conv2 with a copy per row). The elements that the shift carried
     * across a row's edge, {@code |kw - PW|} at the start or end of every row, are then set to zero, and so are the
     * output rows that read above or below the image.
     */
    static void im2colSameWidth(float[] cols, int ld, float[] in, int inOff, ConvGeometry g) {
        int H = g.H(), W = g.W(), OH = g.OH(), PH = g.padH(), PW = g.padW();
        int dst = 0;
        for (int c = 0; c < g.C(); c++) {
            int plane = inOff + c * H * W, planeEnd = plane + H * W;
            for (int kh = 0; kh < g.KH(); kh++) {
                int ohLo = Math.min(OH, Math.max(0, PH - kh)); // rows reading inside the image: 0 <= oh - PH + kh < H
                int ohHi = Math.max(ohLo, Math.min(OH, H + PH - kh));
                for (int kw = 0; kw < g.KW(); kw++, dst += ld) {
                    int shift = kw - PW;
                    java.util.Arrays.fill(cols, dst, dst + ohLo * W, 0f);
                    java.util.Arrays.fill(cols, dst + ohHi * W, dst + OH * W, 0f);
                    if (ohLo == ohHi) {
                        continue;
                    }
                    // cols[dst + oh*W + ow] = in[plane + (oh - PH + kh)*W + ow + shift] for oh in [ohLo, ohHi)
                    int from = dst + ohLo * W, to = dst + ohHi * W;
                    int src = plane + (ohLo - PH + kh) * W + shift;
                    int skip = Math.max(0, plane - src), over = Math.max(0, src + (to - from) - planeEnd);
                    System.arraycopy(in, src + skip, cols, from + skip, to - from - skip - over);
                    // The first -shift outputs of each row read left of the image, the last shift ones right of it.
                    int edge = shift < 0 ? 0 : Math.max(0, W - shift), width = Math.min(Math.abs(shift), W);
                    for (int row = from + edge; row < to; row += W) {
                        for (int e = 0; e < width; e++) {
                            cols[row + e] = 0f;
                        }
                    }
                }
            }
        }
    }

    /** The adjoint of {@link #im2col}: din[c][ih][iw] += every column entry that was read from there. */
    static void col2imAdd(float[] din, int dinOff, float[] dcols, ConvGeometry g) {
        int H = g.H(), W = g.W(), OH = g.OH(), OW = g.OW();
        int SH = g.strideH(), SW = g.strideW(), PH = g.padH(), PW = g.padW();
        int src = 0;
        for (int c = 0; c < g.C(); c++) {
            for (int kh = 0; kh < g.KH(); kh++) {
                for (int kw = 0; kw < g.KW(); kw++) {
                    int owLo = firstInside(PW - kw, SW, OW);
                    int owHi = Math.max(owLo, lastInside(W - 1 + PW - kw, SW, OW));
                    for (int oh = 0; oh < OH; oh++, src += OW) {
                        int ih = oh * SH - PH + kh;
                        if (ih < 0 || ih >= H) {
                            continue;
                        }
                        int dst = dinOff + (c * H + ih) * W + owLo * SW - PW + kw;
                        if (SW == 1) {
                            int n = owHi - owLo;
                            int from = src + owLo;
                            for (int i = 0; i < n; i++) {
                                din[dst + i] += dcols[from + i];
                            }
                        } else {
                            for (int ow = owLo; ow < owHi; ow++, dst += SW) {
                                din[dst] += dcols[src + ow];
                            }
                        }
                    }
                }
            }
        }
    }

    /** The first output index o in [0, limit] with o*stride >= offset, i.e. whose input index is not negative. */
    private static int firstInside(int offset, int stride, int limit) {
        return Math.min(limit, Math.max(0, -Math.floorDiv(-offset, stride)));
    }

    /** One past the last output index o with o*stride <= offset, i.e. whose input index is below the size; in [0, limit]. */
    private static int lastInside(int offset, int stride, int limit) {
        return offset < 0 ? 0 : Math.min(limit, offset / stride + 1);
    }

    /** The definition, in double: out[n][oc][oh][ow] = bias[oc] + sum over c, kh, kw. Writes out. */
    public static void forwardNaive(double[] out, double[] in, double[] weight, double[] bias, ConvGeometry g) {
        int C = g.C(), H = g.H(), W = g.W(), OC = g.OC(), KH = g.KH(), KW = g.KW(), OH = g.OH(), OW = g.OW();
        for (int n = 0; n < g.N(); n++) {
            for (int oc = 0; oc < OC; oc++) {
                for (int oh = 0; oh < OH; oh++) {
                    for (int ow = 0; ow < OW; ow++) {
                        double s = bias == null ? 0 : bias[oc];
                        for (int c = 0; c < C; c++) {
                            for (int kh = 0; kh < KH; kh++) {
                                for (int kw = 0; kw < KW; kw++) {
                                    int ih = oh * g.strideH() - g.padH() + kh;
                                    int iw = ow * g.strideW() - g.padW() + kw;
                                    if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
                                        s += in[((n * C + c) * H + ih) * W + iw] * weight[((oc * C + c) * KH + kh) * KW + kw];
                                    }
                                }
                            }
                        }
                        out[((n * OC + oc) * OH + oh) * OW + ow] = s;
                    }
                }
            }
        }
    }

    /** The definition of the backward pass, in double; adds into each gradient that is not null. */
    public static void backwardNaive(double[] din, double[] dweight, double[] dbias, double[] dout, double[] in,
                                     double[] weight, ConvGeometry g) {
        int C = g.C(), H = g.H(), W = g.W(), OC = g.OC(), KH = g.KH(), KW = g.KW(), OH = g.OH(), OW = g.OW();
        for (int n = 0; n < g.N(); n++) {
            for (int oc = 0; oc < OC; oc++) {
                for (int oh = 0; oh < OH; oh++) {
                    for (int ow = 0; ow < OW; ow++) {
                        double d = dout[((n * OC + oc) * OH + oh) * OW + ow];
                        if (dbias != null) {
                            dbias[oc] += d;
                        }
                        for (int c = 0; c < C; c++) {
                            for (int kh = 0; kh < KH; kh++) {
                                for (int kw = 0; kw < KW; kw++) {
                                    int ih = oh * g.strideH() - g.padH() + kh;
                                    int iw = ow * g.strideW() - g.padW() + kw;
                                    if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
                                        int ii = ((n * C + c) * H + ih) * W + iw;
                                        int wi = ((oc * C + c) * KH + kh) * KW + kw;
                                        if (din != null) {
                                            din[ii] += d * weight[wi];
                                        }
                                        if (dweight != null) {
                                            dweight[wi] += d * in[ii];
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
