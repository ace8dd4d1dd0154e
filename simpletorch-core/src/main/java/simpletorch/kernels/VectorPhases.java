package simpletorch.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 3x3 convolution of stride 2 with padding 1 over an even input as a gathered product, as the stride-1 layers'
 * ({@link VectorGemm#multiplyGathered}), over each input channel's phase planes: its even and odd rows by its even
 * and odd columns, [H/2][W/2] each. Output pixel (y, x) reads input (2y + kh - 1, 2x + kw - 1): tap kh = 1 the even
 * rows at y, kh = 2 the odd rows at y, kh = 0 the odd rows at y - 1; likewise the columns. So each tap is one phase
 * plane read at a fixed offset from the output pixel, with a zero row above each plane for y - 1 and a copy of the
 * odd-column planes shifted one column right (its column 0 zero) for x - 1: six planes per channel, rows W/2 apart,
 * and the product's columns are the output's pixels, none wasted. im2col's column matrix (9C rows of the output's
 * pixels) and its GEMM took 2.4-3x as long as the stride-1 layers for a quarter of their work. The input gradient
 * splits the other way ({@link #inputGrad}): din's four phases are each a gathered product over the taps that reach
 * them, reading the output gradient's planes (as they are, and shifted one column) in place of the column matrix
 * and col2im. Measured in docs/BENCHMARKS.md ("Fourth Zen 5 session").
 *
 * <p>A 1x1 convolution of stride 2 without padding (a residual block's down-sampling shortcut) reads only the even
 * rows by even columns: {@link #evenPhase} gathers that phase as its column matrix and {@link #addEvenPhase} adds
 * the column gradient back into it, a vector at a time, where im2col and col2im moved one float at a time.
 */
final class VectorPhases {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Lane i takes lane 2i of the pair (this vector, then the next): the even elements of 2L. */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> 2 * i + 1);

    /** Lanes 0..L-1 of the interleaving of two vectors (e0, o0, e1, o1, ...), and lanes L..2L-1. */
    private static final VectorShuffle<Float> ZIP_LO = VectorShuffle.fromOp(S, i -> i % 2 == 0 ? i / 2 : L + i / 2);
    private static final VectorShuffle<Float> ZIP_HI =
            VectorShuffle.fromOp(S, i -> i % 2 == 0 ? L / 2 + i / 2 : L + L / 2 + i / 2);
    /**
     * The taps (kh, kw) that reach each phase of the input, phase 2a + b holding din's rows 2i + a and columns 2j + b:
     * (2i + a + 1 - kh) and (2j + b + 1 - kw) even. Row a = 1 reads dout's row i + 1 for kh = 0 and row i for kh = 2;
     * likewise the columns.
     */
    private static final int[][] TAPS = {{1, 1}, {1, 0, 1, 2}, {0, 1, 2, 1}, {0, 0, 0, 2, 2, 0, 2, 2}};

    private VectorPhases() {
    }

    /** 3x3, stride 2, padding 1, an even input; {@code -Dsimpletorch.phasedForward=false} turns it off, to measure. */
    static boolean applies(ConvGeometry g) {
        return ENABLED && g.KH() == 3 && g.KW() == 3 && g.strideH() == 2 && g.strideW() == 2 && g.padH() == 1
                && g.padW() == 1 && g.H() % 2 == 0 && g.W() % 2 == 0;
    }

    private static final boolean ENABLED = !"false".equals(System.getProperty("simpletorch.phasedForward"));

    /**
     * 1x1, stride 2, no padding, an even input, and output rows of whole vectors or of half a vector in pairs (an
     * even number of them); {@code -Dsimpletorch.pointwisePhase=false} turns it off, to measure.
     */
    static boolean appliesToPointwise(ConvGeometry g) {
        return POINTWISE && g.KH() == 1 && g.KW() == 1 && g.strideH() == 2 && g.strideW() == 2 && g.padH() == 0
                && g.padW() == 0 && g.H() % 2 == 0 && g.W() % 2 == 0
                && (g.OW() % L == 0 || 2 * g.OW() == L && g.OH() % 2 == 0);
    }

    private static final boolean POINTWISE = !"false".equals(System.getProperty("simpletorch.pointwisePhase"));

    /**
     * im2col for {@link #appliesToPointwise}: {@code cols[c*ld + i*OW + j] = in[inOff + (c*H + 2i)*W + 2j]}, the
     * even elements of each pair of input vectors; rows of half a vector two at a time (input rows 2i and 2i + 2).
     */
    static void evenPhase(float[] cols, int ld, float[] in, int inOff, ConvGeometry g) {
        int C = g.C(), H = g.H(), W = g.W(), OH = g.OH(), OW = g.OW();
        boolean pairs = OW % L != 0;
        for (int c = 0; c < C; c++) {
            int dst = c * ld, src = inOff + c * H * W;
            for (int i = 0; i < OH; i += pairs ? 2 : 1) {
                int row = src + 2 * i * W, at = dst + i * OW;
                if (pairs) { // W = L: the pair of rows is one vector of each
                    FloatVector.fromArray(S, in, row).rearrange(EVEN, FloatVector.fromArray(S, in, row + 2 * W))
                            .intoArray(cols, at);
                    continue;
                }
                for (int j = 0; j < OW; j += L) {
                    FloatVector v0 = FloatVector.fromArray(S, in, row + 2 * j);
                    v0.rearrange(EVEN, FloatVector.fromArray(S, in, row + 2 * j + L)).intoArray(cols, at + j);
                }
            }
        }
    }

    /**
     * col2im's add for {@link #appliesToPointwise}: {@code din[dinOff + (c*H + 2i)*W + 2j] += dcols[c*P + i*OW + j]},
     * the other elements left as they are, so the same bits as col2im: dcols is interleaved with -0, which any float
     * plus -0 is, bit for bit (with +0, a -0 would turn into +0). One loop over the plane's vectors: with a loop over
     * each row's vectors inside a loop over the rows, a 16-wide layer's input gradient ran 0.70-0.91x as fast as with
     * col2im (a masked add or this one), though the scatter alone was faster; as one loop, 1.6-1.9x.
     */
    static void addEvenPhase(float[] din, int dinOff, float[] dcols, ConvGeometry g) {
        int C = g.C(), H = g.H(), W = g.W(), OW = g.OW(), P = g.OH() * OW;
        int second = OW % L != 0 ? 2 * W : L; // a vector's second half: row 2i + 2 (pairs of rows), or on along 2i
        FloatVector minusZero = FloatVector.broadcast(S, -0f); // x + -0 is x, bit for bit, -0 and NaN included
        for (int c = 0; c < C; c++) {
            int src = c * P, dst = dinOff + c * H * W;
            for (int k = 0; k < P; k += L) { // dcols' vectors in order: row i = k / OW, column j
                int i = k / OW, row = dst + 2 * i * W + 2 * (k - i * OW);
                FloatVector v = FloatVector.fromArray(S, dcols, src + k);
                addEven(din, row, v.rearrange(ZIP_LO, minusZero));
                addEven(din, row + second, v.rearrange(ZIP_HI, minusZero));
            }
        }
    }

    /** din[x + k] += v's lane k, v's odd lanes -0: the odd elements of din keep their bits. */
    private static void addEven(float[] din, int x, FloatVector v) {
        FloatVector.fromArray(S, din, x).add(v).intoArray(din, x);
    }

    /**
     * Floats per phase plane: a zero row, the H/2 rows of W/2, and enough after them that every gathered row of the
     * last column panel stays inside the plane (and one more, which {@link #split} writes 0 into).
     */
    static int planeSize(ConvGeometry g) {
        int OH = g.H() / 2, OW = g.W() / 2;
        return Math.max((OH + 1) * OW + 1, OW + VectorGemm.gatheredColumns(OH, OW));
    }

    /**
     * B's row offsets for the product: tap (c, kh, kw) reads plane 6c + 3a + q, a = 0 for the even rows (kh = 1),
     * 1 for the odd; q = 0 for the even columns (kw = 1), 1 for the odd (kw = 2), 2 for the odd shifted (kw = 0);
     * from the zero row for kh = 0 (row y - 1), else from row 1.
     */
    static void rows(int[] bRow, ConvGeometry g) {
        int plane = planeSize(g), OW = g.W() / 2;
        for (int k = 0; k < g.C() * 9; k++) {
            int c = k / 9, kh = k % 9 / 3, kw = k % 3;
            int a = kh == 1 ? 0 : 1, q = kw == 1 ? 0 : kw == 2 ? 1 : 2;
            bRow[k] = (6 * c + 3 * a + q) * plane + (kh == 0 ? 0 : OW);
        }
    }

    /**
     * Whether the input gradient of this layer goes by phases ({@link #inputGrad}): as {@link #applies};
     * {@code -Dsimpletorch.phasedInputGrad=false} turns it off, to measure.
     */
    static boolean appliesToInputGrad(ConvGeometry g) {
        return INPUT_GRAD && applies(g);
    }

    private static final boolean INPUT_GRAD = !"false".equals(System.getProperty("simpletorch.phasedInputGrad"));

    /**
     * Floats per copy of an output gradient plane for {@link #inputGrad}: its H/2 rows of W/2 and a zero row after
     * them, and enough that every gathered row of the last column panel stays inside.
     */
    static int gradPlaneSize(ConvGeometry g) {
        int OH = g.OH(), OW = g.OW();
        return Math.max((OH + 1) * OW, OW + VectorGemm.gatheredColumns(OH, OW));
    }

    /**
     * Packs each phase's weights (A: din's C channels by the phase's taps of every output channel, k = oc*taps + t)
     * into {@code ap[p]} and its B row offsets into {@code bRow[p]}: tap (oc, kh, kw) reads output gradient plane oc,
     * as it is (kw != 0) or shifted one column left (kw = 0, column j + 1), from row 1 (kh = 0, row i + 1) or 0.
     */
    static void prepareInputGrad(float[][] ap, int[][] bRow, float[] weight, ConvGeometry g) {
        int C = g.C(), OC = g.OC(), OW = g.OW(), MR = VectorGemm.MR, plane = gradPlaneSize(g);
        for (int p = 0; p < 4; p++) {
            int[] taps = TAPS[p];
            int T = taps.length / 2, K = OC * T, dst = 0;
            for (int c0 = 0; c0 < C; c0 += MR) {
                for (int k = 0; k < K; k++) {
                    int oc = k / T, kh = taps[2 * (k % T)], kw = taps[2 * (k % T) + 1];
                    for (int r = 0; r < MR; r++) {
                        int c = c0 + r;
                        ap[p][dst++] = c < C ? weight[((oc * C + c) * 3 + kh) * 3 + kw] : 0f;
                    }
                }
            }
            for (int k = 0; k < K; k++) {
                int oc = k / T, kh = taps[2 * (k % T)], kw = taps[2 * (k % T) + 1];
                bRow[p][k] = (2 * oc + (kw == 0 ? 1 : 0)) * plane + (kh == 0 ? OW : 0);
            }
        }
    }

    /** Taps of phase p: the product's K is OC times this. */
    static int taps(int p) {
        return TAPS[p].length / 2;
    }

    /**
     * din[n] (+)= the input gradient of images [from, to): each image's output gradient copied as it is and shifted
     * one column left (each plane's column j holding j + 1, the last 0; a zero row after the last), then the four
     * phases' gathered products ({@link #prepareInputGrad}), each phase's rows interleaved with the other of its row
     * parity into din's rows (two-vector rearranges). Without {@code accumulate} din is written (a gradient nothing
     * has written yet). The same terms as the column matrix's product and col2im, summed in another order.
     */
    static void inputGrad(float[] din, boolean accumulate, float[] dout, float[][] ap, int[][] bRow, int from, int to,
                          ConvGeometry g) {
        int C = g.C(), OC = g.OC(), H = g.H(), W = g.W(), OH = g.OH(), OW = g.OW(), P = OH * OW;
        int plane = gradPlaneSize(g), columns = VectorGemm.gatheredColumns(OH, OW), planes = 2 * OC * plane;
        float[] d = Scratch.get(Scratch.PADDED_OUT, planes);
        java.util.Arrays.fill(d, 0, planes, 0f); // the zero rows and the tails stay zero
        int size = C * columns; // each phase's product, [C][columns]
        float[] wide0 = Scratch.get(Scratch.PHASE_OUT, size), wide1 = Scratch.get(Scratch.PHASE_OUT + 1, size);
        float[] wide2 = Scratch.get(Scratch.PHASE_OUT + 2, size), wide3 = Scratch.get(Scratch.PHASE_OUT + 3, size);
        boolean pairs = 2 * OW == L && OH % 2 == 0; // rows of half a vector, two to a vector
        for (int n = from; n < to; n++) {
            for (int oc = 0; oc < OC; oc++) {
                int src = (n * OC + oc) * P, same = 2 * oc * plane, left = same + plane;
                System.arraycopy(dout, src, d, same, P);
                System.arraycopy(dout, src + 1, d, left, P - 1);
                for (int i = 0; i < OH; i++) {
                    d[left + i * OW + OW - 1] = 0f; // was the next row's first column (or, last, nothing)
                }
            }
            VectorGemm.multiplyGathered(ap[0], C, OC, d, bRow[0], OH, OW, OW, wide0, 0, columns, null);
            VectorGemm.multiplyGathered(ap[1], C, 2 * OC, d, bRow[1], OH, OW, OW, wide1, 0, columns, null);
            VectorGemm.multiplyGathered(ap[2], C, 2 * OC, d, bRow[2], OH, OW, OW, wide2, 0, columns, null);
            VectorGemm.multiplyGathered(ap[3], C, 4 * OC, d, bRow[3], OH, OW, OW, wide3, 0, columns, null);
            for (int c = 0; c < C; c++) {
                for (int i = 0; i < OH; i += pairs ? 2 : 1) {
                    int at = c * columns + i * OW, row = ((n * C + c) * H + 2 * i) * W;
                    if (pairs) { // the phases' rows i and i + 1 in one vector: din's rows 2i, 2i + 2 and 2i + 1, 2i + 3
                        interleavePair(din, accumulate, row, 2 * W, wide0, wide1, at);
                        interleavePair(din, accumulate, row + W, 2 * W, wide2, wide3, at);
                        continue;
                    }
                    interleave(din, accumulate, row, wide0, wide1, at, OW);     // din's row 2i
                    interleave(din, accumulate, row + W, wide2, wide3, at, OW); // din's row 2i + 1
                }
            }
        }
    }

    /**
     * {@link #interleave} for rows of half a vector (2 OW = L), two at a time: the vectors at {@code at} hold rows i
     * and i + 1 of each phase; their interleaving's first half is din's row at {@code to}, its second half the row
     * {@code apart} after it.
     */
    private static void interleavePair(float[] din, boolean accumulate, int to, int apart, float[] even, float[] odd,
                                       int at) {
        FloatVector e = FloatVector.fromArray(S, even, at), o = FloatVector.fromArray(S, odd, at);
        FloatVector lo = e.rearrange(ZIP_LO, o), hi = e.rearrange(ZIP_HI, o);
        if (accumulate) {
            lo = lo.add(FloatVector.fromArray(S, din, to));
            hi = hi.add(FloatVector.fromArray(S, din, to + apart));
        }
        lo.intoArray(din, to);
        hi.intoArray(din, to + apart);
    }

    /** din[to + 2j] (+)= even[at + j], din[to + 2j + 1] (+)= odd[at + j] for j < OW. */
    private static void interleave(float[] din, boolean accumulate, int to, float[] even, float[] odd, int at,
                                   int OW) {
        int j = 0;
        for (; j + L <= OW; j += L) {
            FloatVector e = FloatVector.fromArray(S, even, at + j), o = FloatVector.fromArray(S, odd, at + j);
            FloatVector lo = e.rearrange(ZIP_LO, o), hi = e.rearrange(ZIP_HI, o);
            int x = to + 2 * j;
            if (accumulate) {
                lo = lo.add(FloatVector.fromArray(S, din, x));
                hi = hi.add(FloatVector.fromArray(S, din, x + L));
            }
            lo.intoArray(din, x);
            hi.intoArray(din, x + L);
        }
        for (; j < OW; j++) {
            int x = to + 2 * j;
            din[x] = accumulate ? din[x] + even[at + j] : even[at + j];
            din[x + 1] = accumulate ? din[x + 1] + odd[at + j] : odd[at + j];
        }
    }

    /**
     * The phase planes of one image ({@code src[srcOff, ...)}, [C][H][W]) into dst, planes {@link #planeSize} apart:
     * row i of a plane at {@code (i + 1)*W/2}. The zero row, column 0 of the shifted planes and the tails are never
     * written here (but for the place after each shifted row, set back to 0): zero dst once before the first image.
     */
    static void split(float[] dst, float[] src, int srcOff, ConvGeometry g) {
        int C = g.C(), H = g.H(), W = g.W(), OW = W / 2, plane = planeSize(g);
        if (W == L && H % 4 == 0) {
            splitPairs(dst, src, srcOff, g);
            return;
        }
        for (int c = 0; c < C; c++) {
            for (int r = 0; r < H; r++) { // input row r: phase a = r % 2, its row r / 2
                int s = srcOff + (c * H + r) * W;
                int even = (6 * c + 3 * (r % 2)) * plane + (r / 2 + 1) * OW, odd = even + plane, shifted = odd + plane;
                int j = 0;
                for (; j + L <= OW; j += L) {
                    FloatVector v0 = FloatVector.fromArray(S, src, s + 2 * j);
                    FloatVector v1 = FloatVector.fromArray(S, src, s + 2 * j + L);
                    v0.rearrange(EVEN, v1).intoArray(dst, even + j);
                    FloatVector o = v0.rearrange(ODD, v1);
                    o.intoArray(dst, odd + j);
                    o.intoArray(dst, shifted + j + 1);
                }
                for (; j < OW; j++) {
                    dst[even + j] = src[s + 2 * j];
                    dst[odd + j] = src[s + 2 * j + 1];
                    dst[shifted + j + 1] = src[s + 2 * j + 1];
                }
                dst[shifted + OW] = 0f; // the next row's column 0 (or the plane's tail): the last odd column spilled
            }
        }
    }

    /**
     * {@link #split} for rows of one vector (W = L), whose phase rows are half a vector: input rows r and r + 2 (the
     * same parity) split together, one vector of each plane holding the phase's rows r/2 and r/2 + 1; the shifted
     * plane's column 0 of the rows after them set back to 0 (each holds the last odd element of the row before).
     */
    private static void splitPairs(float[] dst, float[] src, int srcOff, ConvGeometry g) {
        int C = g.C(), H = g.H(), W = g.W(), OW = W / 2, plane = planeSize(g);
        for (int c = 0; c < C; c++) {
            for (int q = 0; q < H; q += 4) {
                for (int a = 0; a < 2; a++) { // rows q + a and q + a + 2: phase a, its rows q/2 and q/2 + 1
                    int s = srcOff + (c * H + q + a) * W;
                    int even = (6 * c + 3 * a) * plane + (q / 2 + 1) * OW, odd = even + plane, shifted = odd + plane;
                    FloatVector v0 = FloatVector.fromArray(S, src, s), v1 = FloatVector.fromArray(S, src, s + 2 * W);
                    v0.rearrange(EVEN, v1).intoArray(dst, even);
                    FloatVector o = v0.rearrange(ODD, v1);
                    o.intoArray(dst, odd);
                    o.intoArray(dst, shifted + 1);
                    dst[shifted + OW] = 0f;
                    dst[shifted + 2 * OW] = 0f;
                }
            }
        }
    }
}
