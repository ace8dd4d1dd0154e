package simpletorch.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The input gradient of {@code max_pool2d(relu(conv2d(x)), 2)} for a 3x3, stride-1, padding-1 convolution, taken
 * from the pool's winners instead of from the convolution's whole output gradient: the twin of
 * {@link VectorPooledConvWeightGrad3x3}.
 *
 * <p>Each pooled position {@code q} of image {@code n} and output channel {@code oc} passes its gradient
 * {@code g = dpool[n][oc][q]} (0 where the pooled value was not positive) to one pixel, its winner {@code (y, x)}, and
 * that pixel's gradient reaches the input through the 3x3 window around it:
 *
 * <pre>
 *   din[n][c][y - 1 + kh][x - 1 + kw] += g * weight[oc][c][kh][kw]        (dropped outside the image)
 * </pre>
 *
 * A quarter of the dense product's multiply-adds. The vectors run along the input channels: the weights are packed
 * {@code [OC][C'/L][3][3][L]} (C' = C rounded up to whole vectors of L lanes, zeros past C) and each image's gradient
 * is summed into a zero-bordered, channels-last buffer {@code [H + 2][W + 2][C']} in the worker's scratch (in L1),
 * then added into din by gathers. Both the packed weights and the buffer start at {@link Scratch#ALIGN} of an
 * {@link Scratch#aligned} buffer, so that their vectors are whole cache lines.
 *
 * <p>Adding each winner's nine vectors into that buffer one after another is slow: the windows overlap, and each
 * load waits for the store before it. Instead the output channels of one pooling window are grouped by where their
 * winner lies (one of its four pixels), as bit masks made for the whole image by vector compares; the channels of a
 * group share one 3x3 window, and the two groups of a row one 3x4 window, summed in twelve vector registers from
 * zero and then added into the buffer. The sums group differently from the dense product's, so the two agree to
 * rounding, not bit for bit. Every winner's {@code g} is multiplied, zero or not, so a NaN weight reaches the input
 * through the winners' windows (the dense product spreads it over the whole plane; the forward pass is NaN either
 * way). Measured in docs/BENCHMARKS.md. Only called when {@link Gemm#vectorEnabled()}, for the fused layer (JDK 25+).
 */
final class VectorPooledConvInputGrad3x3 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorPooledConvInputGrad3x3() {
    }

    /** A 3x3 "same" convolution (stride 1, padding 1) with an even output: every pixel belongs to one window. */
    static boolean applies(ConvGeometry g) {
        return I.length() == L && g.KH() == 3 && g.KW() == 3 && g.strideH() == 1 && g.strideW() == 1
                && g.padH() == 1 && g.padW() == 1 && g.OH() % 2 == 0 && g.OW() % 2 == 0;
    }

    /** C rounded up to whole vectors: the channels of the packed weights and of the channels-last buffer. */
    static int paddedChannels(ConvGeometry g) {
        return (g.C() + L - 1) / L * L;
    }

    /** Floats of the packed weights, from index 0 ({@link Scratch#ALIGN} of them unused). */
    static int weightsSize(ConvGeometry g) {
        return Scratch.ALIGN + g.OC() * 9 * paddedChannels(g);
    }

    /**
     * Packs {@code wt[ALIGN + ((oc*C'/L + c/L)*9 + kh*3 + kw)*L + c%L] = weight[oc][c][kh][kw]} (0 for c >= C): the
     * nine vectors of a channel block lie one after another, at fixed distances the JIT checks once. Done once per
     * call by each thread that runs its chunks, into its own buffer. Each filter's nine taps are read in a row and
     * written L apart (a block's filters are 9L contiguous floats), where writing in order read each tap 9 floats
     * from the last (as {@link VectorConvInputGrad3x3#prepare}: the same floats, half the time).
     */
    static void prepare(float[] weight, ConvGeometry g) {
        prepare(threadWeights(g), weight, g);
    }

    /** The calling thread's packed weights ({@link #prepare(float[], ConvGeometry)} writes them), cache-aligned. */
    static float[] threadWeights(ConvGeometry g) {
        return Scratch.aligned(Scratch.WEIGHTS, weightsSize(g));
    }

    /** {@link #prepare(float[], ConvGeometry)} into the given array. */
    static void prepare(float[] wt, float[] weight, ConvGeometry g) {
        int C = g.C(), OC = g.OC(), blocks = paddedChannels(g) / L;
        for (int oc = 0; oc < OC; oc++) {
            for (int b = 0; b < blocks; b++) {
                int base = Scratch.ALIGN + (oc * blocks + b) * 9 * L, lanes = Math.min(L, C - b * L);
                for (int i = 0; i < L; i++) {
                    int src = (oc * C + b * L + i) * 9;
                    for (int s = 0; s < 9; s++) {
                        wt[base + s * L + i] = i < lanes ? weight[src + s] : 0f;
                    }
                }
            }
        }
    }

    /**
     * din[n] += the input gradient of image n, for n in [from, to); with {@code accumulate} false, din[n] = it
     * (a gradient nothing has written yet: its old contents are never read).
     *
     * @param din    [N, C, H, W], added into or overwritten
     * @param dpool  [N, OC, OH/2, OW/2], the gradient of the pooled output
     * @param out    [N, OC, OH/2, OW/2], the pooled output (after ReLU)
     * @param argmax [N, OC, OH/2, OW/2], each winner's index within its [OH, OW] plane
     * @param wt     the packed weights ({@link #prepare})
     */
    static void addImages(float[] din, boolean accumulate, float[] dpool, float[] out, int[] argmax, float[] wt,
                          int from, int to, ConvGeometry g) {
        int C = g.C(), H = g.H(), W = g.W(), OC = g.OC(), Cp = paddedChannels(g);
        int Wp = W + 2, row = Wp * Cp, Q = g.OW() / 2, PQ = (g.OH() / 2) * Q;
        int words = (OC + 31) / 32; // 32 output channels a mask
        int base = Scratch.ALIGN;
        float[] d = Scratch.aligned(Scratch.PADDED_DIN, base + (H + 2) * row);
        float[] passed = Scratch.get(Scratch.PASSED_GRADS, OC * PQ); // [OC][PQ]: dpool where the pooled value > 0
        // [words][PQ] masks of the channels whose winner is in its window's right column, then of those in the
        // bottom row (see groups); then each window's top-left pixel in its [H, W] plane; then the gather's lane
        // offsets
        int corner = 2 * words * PQ, lanes = corner + PQ;
        int[] tables = Scratch.ints(Scratch.GROUPS, lanes + L);
        for (int p = 0; p < PQ; p++) {
            tables[corner + p] = 2 * (p / Q) * W + 2 * (p % Q);
        }
        for (int i = 0; i < L; i++) {
            tables[lanes + i] = i * Cp;
        }
        for (int n = from; n < to; n++) {
            java.util.Arrays.fill(d, 0, base + (H + 2) * row, 0f);
            java.util.Arrays.fill(tables, 0, corner, 0);
            groups(tables, passed, dpool, out, argmax, n, OC, PQ, W);
            addWindows(d, base, tables, passed, wt, OC, PQ, Q, Wp, Cp);
            addInterior(din, accumulate, n * C * H * W, d, base, tables, lanes, C, H, W, Cp);
        }
    }

    /*
     * One image's work is split into a method per loop, each called once per image: called often, the JIT compiles
     * each as a whole method early in the first epoch. As one method called once per chunk, its four loops had been
     * compiled one by one on the stack (on-stack replacement) and then again as a whole: five compiles of ~0.2 s of
     * compiler time in the first seconds of a run, on two cores (JFR, AVX2).
     */

    /**
     * For image n: {@code passed[oc][p]} (dpool where the pooled value is positive, else 0), and the bit masks of the
     * channels whose winner lies in its window's right column ({@code tables[word*PQ + p]}) and bottom row
     * ({@code tables[(words + word)*PQ + p]}), which must be zero on entry; each window's top-left pixel is at
     * {@code tables[2*words*PQ + p]}.
     */
    private static void groups(int[] tables, float[] passed, float[] dpool, float[] out, int[] argmax, int n, int OC,
                               int PQ, int W) {
        int words = (OC + 31) / 32;
        int right = 0, bottom = words * PQ, corner = 2 * words * PQ;
        int bound = I.loopBound(PQ);
        FloatVector zero = FloatVector.zero(S);
        IntVector zeroI = IntVector.zero(I);
        for (int oc = 0; oc < OC; oc++) {
            int o0 = (n * OC + oc) * PQ, word = oc >> 5, bit = 1 << (oc & 31);
            int r = right + word * PQ, b = bottom + word * PQ;
            int p = 0;
            for (; p < bound; p += L) {
                FloatVector gv = FloatVector.fromArray(S, dpool, o0 + p);
                zero.blend(gv, FloatVector.fromArray(S, out, o0 + p).compare(VectorOperators.GT, zero))
                        .intoArray(passed, oc * PQ + p);
                IntVector rel = IntVector.fromArray(I, argmax, o0 + p).sub(IntVector.fromArray(I, tables, corner + p));
                IntVector.fromArray(I, tables, r + p).or(rel.and(1).mul(bit)).intoArray(tables, r + p);
                IntVector.fromArray(I, tables, b + p)
                        .or(zeroI.blend(bit, rel.compare(VectorOperators.GE, W))).intoArray(tables, b + p);
            }
            for (; p < PQ; p++) {
                passed[oc * PQ + p] = out[o0 + p] > 0 ? dpool[o0 + p] : 0f;
                int rel = argmax[o0 + p] - tables[corner + p];
                tables[r + p] |= (rel & 1) * bit;
                tables[b + p] |= rel >= W ? bit : 0;
            }
        }
    }

    /**
     * Every pooling window's groups (see {@link #groups}) into the channels-last buffer d, two rows at a time, one
     * block of L input channels after the other: a block's weights (9 KB of SimpleNet's conv2's 18) stay in L1 for
     * the whole image. Measured on AVX2 against the blocks inside the loop over the windows (SimpleNet's conv2, one
     * thread, 32 images, minima of 400 calls, five JVMs each way alternating): 19.2-22.4 -> 18.5-21.7 us per image
     * (one JVM at 26.8); the same sums bit for bit (each block's sums are independent of the other's).
     */
    private static void addWindows(float[] d, int base, int[] tables, float[] passed, float[] wt, int OC, int PQ, int Q,
                                   int Wp, int Cp) {
        int words = (OC + 31) / 32, row = Wp * Cp;
        int right = 0, bottom = words * PQ;
        for (int c0 = 0; c0 < Cp; c0 += L) {
            int w0 = Scratch.ALIGN + 9 * c0; // the block's weights, as prepare packs them
            for (int p = 0; p < PQ; p++) {
                int oh = p / Q, ow = p - oh * Q;
                int at = base + (2 * oh * Wp + 2 * ow) * Cp + c0; // the top-left winner's window in the buffer
                for (int word = 0; word < words; word++) {
                    int rightBits = tables[right + word * PQ + p], bottomBits = tables[bottom + word * PQ + p];
                    int channels = Math.min(32, OC - 32 * word);
                    int all = channels == 32 ? -1 : (1 << channels) - 1;
                    addRow(d, at, row, Cp, wt, w0, passed, p, PQ, 32 * word, ~rightBits & ~bottomBits & all,
                            rightBits & ~bottomBits);
                    addRow(d, at + row, row, Cp, wt, w0, passed, p, PQ, 32 * word, ~rightBits & bottomBits,
                            rightBits & bottomBits);
                }
            }
        }
    }

    /**
     * The two groups of one row of a pooling window into the 3x4 window of vectors at {@code d[at]} (rows {@code row}
     * apart, pixels Cp apart): the output channels {@code ocBase + i} for the set bits i of {@code left} (winner in
     * the left column: the 3x3 window's columns 0-2) and of {@code right} (columns 1-3), each adding its passed
     * gradient at pooled position p times its nine weight vectors (from {@code w0} within its block), summed from zero
     * in twelve accumulators, then added into the buffer. Summed from zero and added at the end rather than loaded
     * first: the next group's sums then wait on none of these (the windows overlap). Added in place, not by a helper
     * taking the vectors (see VectorPooledConvWeightGrad3x3.addImage). Measured on AVX2, SimpleNet's conv2, one thread,
     * 16 images, three runs of 600 calls alternating in one JVM: 23.9-25.3 us per image with the four groups in four
     * 3x3 windows of nine accumulators, 22.2-22.8 with the two groups of a row sharing twelve.
     */
    private static void addRow(float[] d, int at, int row, int Cp, float[] wt, int w0, float[] passed, int p, int PQ,
                               int ocBase, int left, int right) {
        if ((left | right) == 0) {
            return;
        }
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        int ocStride = 9 * Cp;
        for (int m = left; m != 0; m &= m - 1) {
            int oc = ocBase + Integer.numberOfTrailingZeros(m);
            FloatVector gv = FloatVector.broadcast(S, passed[oc * PQ + p]);
            int w = oc * ocStride + w0;
            a00 = gv.fma(FloatVector.fromArray(S, wt, w), a00);
            a01 = gv.fma(FloatVector.fromArray(S, wt, w + 1 * L), a01);
            a02 = gv.fma(FloatVector.fromArray(S, wt, w + 2 * L), a02);
            a10 = gv.fma(FloatVector.fromArray(S, wt, w + 3 * L), a10);
            a11 = gv.fma(FloatVector.fromArray(S, wt, w + 4 * L), a11);
            a12 = gv.fma(FloatVector.fromArray(S, wt, w + 5 * L), a12);
            a20 = gv.fma(FloatVector.fromArray(S, wt, w + 6 * L), a20);
            a21 = gv.fma(FloatVector.fromArray(S, wt, w + 7 * L), a21);
            a22 = gv.fma(FloatVector.fromArray(S, wt, w + 8 * L), a22);
        }
        for (int m = right; m != 0; m &= m - 1) {
            int oc = ocBase + Integer.numberOfTrailingZeros(m);
            FloatVector gv = FloatVector.broadcast(S, passed[oc * PQ + p]);
            int w = oc * ocStride + w0;
            a01 = gv.fma(FloatVector.fromArray(S, wt, w), a01);
            a02 = gv.fma(FloatVector.fromArray(S, wt, w + 1 * L), a02);
            a03 = gv.fma(FloatVector.fromArray(S, wt, w + 2 * L), a03);
            a11 = gv.fma(FloatVector.fromArray(S, wt, w + 3 * L), a11);
            a12 = gv.fma(FloatVector.fromArray(S, wt, w + 4 * L), a12);
            a13 = gv.fma(FloatVector.fromArray(S, wt, w + 5 * L), a13);
            a21 = gv.fma(FloatVector.fromArray(S, wt, w + 6 * L), a21);
            a22 = gv.fma(FloatVector.fromArray(S, wt, w + 7 * L), a22);
            a23 = gv.fma(FloatVector.fromArray(S, wt, w + 8 * L), a23);
        }
        int r1 = at + row, r2 = at + 2 * row;
        FloatVector.fromArray(S, d, at).add(a00).intoArray(d, at);
        FloatVector.fromArray(S, d, at + Cp).add(a01).intoArray(d, at + Cp);
        FloatVector.fromArray(S, d, at + 2 * Cp).add(a02).intoArray(d, at + 2 * Cp);
        FloatVector.fromArray(S, d, at + 3 * Cp).add(a03).intoArray(d, at + 3 * Cp);
        FloatVector.fromArray(S, d, r1).add(a10).intoArray(d, r1);
        FloatVector.fromArray(S, d, r1 + Cp).add(a11).intoArray(d, r1 + Cp);
        FloatVector.fromArray(S, d, r1 + 2 * Cp).add(a12).intoArray(d, r1 + 2 * Cp);
        FloatVector.fromArray(S, d, r1 + 3 * Cp).add(a13).intoArray(d, r1 + 3 * Cp);
        FloatVector.fromArray(S, d, r2).add(a20).intoArray(d, r2);
        FloatVector.fromArray(S, d, r2 + Cp).add(a21).intoArray(d, r2 + Cp);
        FloatVector.fromArray(S, d, r2 + 2 * Cp).add(a22).intoArray(d, r2 + 2 * Cp);
        FloatVector.fromArray(S, d, r2 + 3 * Cp).add(a23).intoArray(d, r2 + 3 * Cp);
    }

    /**
     * din[dinOff + (c*H + y)*W + x] += d[base + ((y + 1)*(W + 2) + x + 1)*Cp + c] (= without {@code accumulate}): by
     * {@link VectorTranspose} where one vector of channels meets rows of whole vectors (C = Cp = L = 16), else L
     * pixels at a time by a gather (lane i at {@code tables[lanes + i]} = i*Cp) and the rest of a row one by one.
     * Written is the same as added to zeros, bit for bit: d's sums start from +0 and so are never -0.
     */
    private static void addInterior(float[] din, boolean accumulate, int dinOff, float[] d, int base, int[] tables,
                                    int lanes, int C, int H, int W, int Cp) {
        int Wp = W + 2, bound = S.loopBound(W);
        if (C == L && Cp == L && W % L == 0 && VectorTranspose.applies()) { // one 16 x 16 transpose per 16 pixels
            for (int y = 0; y < H; y++) {
                for (int x0 = 0; x0 < W; x0 += L) {
                    VectorTranspose.transpose(d, base + ((y + 1) * Wp + x0 + 1) * Cp, Cp, din,
                            dinOff + y * W + x0, H * W, accumulate);
                }
            }
            return;
        }
        for (int c = 0; c < C; c++) {
            for (int y = 0; y < H; y++) {
                int dst = dinOff + (c * H + y) * W, src = base + ((y + 1) * Wp + 1) * Cp + c;
                int x = 0;
                for (; x < bound; x += L, dst += L, src += L * Cp) {
                    FloatVector v = FloatVector.fromArray(S, d, src, tables, lanes);
                    (accumulate ? FloatVector.fromArray(S, din, dst).add(v) : v).intoArray(din, dst);
                }
                for (; x < W; x++, dst++, src += Cp) {
                    din[dst] = accumulate ? din[dst] + d[src] : d[src];
                }
            }
        }
    }
}
