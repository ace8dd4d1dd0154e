package simpletorch.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The input gradient of a 3x3, stride-1 convolution with padding 1 (output as large as the input) computed as
 * one GEMM per image over shifted views of the padded output gradient, without the column matrix and col2im:
 *
 * <pre>
 *   din[c][y][x] += sum over oc, kh, kw of  weight[oc][c][kh][kw] * dout[oc][y + 1 - kh][x + 1 - kw]
 *               =  sum over k = (oc, kh, kw) of  A[c][k] * B[k][p]          p = y*Wpad + x
 *   A[c][k] = weight[oc][c][kh][kw],  B[k][p] = dpad[oc][p + (2 - kh)*Wpad + (2 - kw)]
 * </pre>
 *
 * where {@code dpad} is dout with a zero border of one pixel, rows {@code Wpad = W + 1} wide: one zero column
 * between two rows is the right border of the one and the left border of the next (a shifted read past a row's end
 * lands on it). Row k of B is then plane oc of dpad read from a fixed offset, so B is never built:
 * {@link VectorGemm#multiplyGathered} reads its rows where they lie. The product for the border column of each row
 * ({@code x = W}) is computed and dropped, except where W is a multiple of the panel width (each row's panels
 * alone: 16 for a 16x16 layer instead of 17). Each din element is summed over all OC*9 terms in registers and added
 * once; the GEMM + col2im path wrote and re-read a [C*9, H*W] column matrix per image (147 KB for SimpleNet's
 * conv2). Measured on AVX2, conv2's whole backward per image (minimum of 400 calls): 83 against 90 us on one
 * thread, 43 against 46-49 on two. A direct kernel (4 channels x 2 rows of accumulators, weights broadcast) was no
 * faster than the GEMM path: the JIT kept its loop counters and bases on the stack. Only called when
 * {@link Gemm#vectorEnabled()}.
 */
final class VectorConvInputGrad3x3 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorConvInputGrad3x3() {
    }

    static boolean applies(ConvGeometry g) {
        return g.KH() == 3 && g.KW() == 3 && g.strideH() == 1 && g.strideW() == 1 && g.padH() == 1 && g.padW() == 1;
    }

    /**
     * Whether the gathered products of 3x3 "same" layers (this input gradient and {@code VectorConv2d}'s forward)
     * read three shifted copies of each plane with rows W apart ({@link #copyShifted}) instead of one zero-bordered
     * plane with rows W + 1 apart: where the shared border column would cost a tenth or more of the product's
     * columns and {@link VectorGemm#multiplyGathered} has no layout of its own for the width. ResNet-20's 8x8 layers
     * with AVX-512's 32-column panels: 96 columns for 64 pixels, 64 this way (80 and 64 with AVX2's 16). The copies
     * cost three plane copies where the bordered plane cost one. The same products in the same order: the same values
     * bit for bit. {@code -Dsimpletorch.shiftedCopies=false} turns it off, to measure.
     */
    static boolean shiftedCopies(ConvGeometry g) {
        int H = g.H(), W = g.W();
        return SHIFTED_COPIES && applies(g) && !VectorGemm.gatheredRowsAlone(H, W, W + 1)
                && VectorGemm.gatheredColumns(H, W) * 10 <= VectorGemm.gatheredColumns(H, W + 1) * 9;
    }

    private static final boolean SHIFTED_COPIES = !"false".equals(System.getProperty("simpletorch.shiftedCopies"));

    /**
     * Floats per copy of a plane for {@link #copyShifted}: its H rows and a zero row above and below, and enough after
     * them that every gathered row of the last column panel stays inside the copy.
     */
    static int shiftedPlane(ConvGeometry g) {
        int H = g.H(), W = g.W();
        return Math.max((H + 2) * W, 2 * W + VectorGemm.gatheredColumns(H, W));
    }

    /**
     * Three copies of each of {@code planes} [H][W] planes from {@code src[srcOff, ...)}: copy s of plane p starts
     * at {@code dst[(3p + s)*plane]} and holds the plane's row y at {@code (y + 1)*W}, shifted so that its column x
     * is the plane's column x + s - 1. The places that would come from outside the plane (column 0 of copy 0, column
     * W - 1 of copy 2, rows 0 and H + 1, the tail) are never written here: zero them once before the first image.
     * A plane copy at a time, then the H - 1 places that the shifted copies carried over from a neighbouring row set
     * back to zero.
     */
    static void copyShifted(float[] dst, int plane, float[] src, int srcOff, int planes, int H, int W) {
        int n = H * W;
        for (int p = 0; p < planes; p++) {
            int from = srcOff + p * n, to = 3 * p * plane + W;
            System.arraycopy(src, from, dst, to + 1, n - 1);          // copy 0: column x reads x - 1
            System.arraycopy(src, from, dst, to + plane, n);          // copy 1: in place
            System.arraycopy(src, from + 1, dst, to + 2 * plane, n - 1); // copy 2: column x reads x + 1
            for (int y = 1; y < H; y++) {
                dst[to + y * W] = 0f;                   // copy 0, column 0 of row y: was row y - 1's last
                dst[to + 2 * plane + y * W - 1] = 0f;   // copy 2, column W - 1 of row y - 1: was row y's first
            }
        }
    }

    /** Floats of the packed weights. */
    static int weightsSize(ConvGeometry g) {
        return VectorGemm.packedASize(g.C(), g.OC() * 9);
    }

    /**
     * Packs A (see the class comment) into the GEMM's MR-row panels, and writes B's row offsets into
     * {@code bRow[0, OC*9)}, for {@link #addImagesFromPool} if {@code fromPool} (the zero-bordered planes always),
     * else for {@link #addImages}. Both are the same for every image: done once per call by each thread that runs
     * the loop's chunks, into its own buffers ({@link VectorConv2d}).
     */
    static void prepare(float[] weight, ConvGeometry g, boolean fromPool) {
        prepare(threadWeights(g), threadRows(g), weight, g, fromPool);
    }

    /** The calling thread's packed weights ({@link #prepare(float[], ConvGeometry, boolean)} writes them). */
    static float[] threadWeights(ConvGeometry g) {
        return Scratch.get(Scratch.WEIGHTS, weightsSize(g));
    }

    /** The calling thread's B row offsets ({@link #prepare(float[], ConvGeometry, boolean)} writes them). */
    static int[] threadRows(ConvGeometry g) {
        return Scratch.ints(Scratch.ROWS, g.OC() * 9);
    }

    /** {@link #prepare(float[], ConvGeometry, boolean)} into the given arrays. */
    static void prepare(float[] ap, int[] bRow, float[] weight, ConvGeometry g, boolean fromPool) {
        int C = g.C(), OC = g.OC(), K = OC * 9, MR = VectorGemm.MR;
        // ap[panel][k = oc*9 + j][r] = weight[oc][panel*MR + r][j]: each filter's nine taps read in a row (a panel's
        // filters of one output channel are 9*MR contiguous floats) and written MR apart, where packing position by
        // position read every tap 9 floats from the last and divided k by 9 at each (64 -> 64: 21 -> 17 us alone)
        for (int c0 = 0; c0 < C; c0 += MR) {
            int panel = c0 * K;
            for (int oc = 0; oc < OC; oc++) {
                for (int r = 0; r < MR; r++) {
                    int c = c0 + r, dst = panel + oc * 9 * MR + r;
                    if (c < C) {
                        for (int j = 0, src = (oc * C + c) * 9; j < 9; j++) {
                            ap[dst + j * MR] = weight[src + j];
                        }
                    } else {
                        for (int j = 0; j < 9; j++) {
                            ap[dst + j * MR] = 0f;
                        }
                    }
                }
            }
        }
        int W = g.W(), Wpad = W + 1, dPlane = planeSize(g), shifted = shiftedPlane(g);
        boolean copies = !fromPool && shiftedCopies(g);
        for (int k = 0; k < K; k++) {
            int oc = k / 9, kh = k % 9 / 3, kw = k % 3;
            // din[y][x] takes dout[y + 1 - kh][x + 1 - kw]: the copy whose column x is x + 1 - kw, row y + 2 - kh
            bRow[k] = copies ? (3 * oc + 2 - kw) * shifted + (2 - kh) * W
                    : oc * dPlane + (2 - kh) * Wpad + (2 - kw);
        }
    }

    /**
     * din[n] += the input gradient of image n, for n in [from, to) (without {@code accumulate}, din[n] = it: a
     * gradient nothing has written yet); ap and bRow from {@link #prepare}.
     */
    static void addImages(float[] din, boolean accumulate, float[] dout, float[] ap, int[] bRow, int from, int to,
                          ConvGeometry g) {
        addImages(din, accumulate, dout, null, null, ap, bRow, from, to, g);
    }

    /**
     * {@link #addImages} for a convolution followed by ReLU and a 2x2 max-pool: each image's output gradient is the
     * pool's backward ({@link VectorPool}, from the pooled gradient dpool, output and winners), written straight into
     * the zero-bordered buffer that the product reads, so that the convolution's whole output gradient is never
     * written. Needs even output sizes of whole vectors ({@link VectorPool#applies}).
     */
    static void addImagesFromPool(float[] din, float[] dpool, float[] out, int[] argmax, float[] ap, int[] bRow,
                                  int from, int to, ConvGeometry g) {
        addImages(din, true, dpool, out, argmax, ap, bRow, from, to, g);
    }

    /** dout is the convolution's output gradient when argmax is null, else the pool's (see above). */
    private static void addImages(float[] din, boolean accumulate, float[] dout, float[] out, int[] argmax,
                                  float[] ap, int[] bRow, int from, int to, ConvGeometry g) {
        int C = g.C(), H = g.H(), W = g.W(), OC = g.OC();
        boolean shifted = argmax == null && shiftedCopies(g); // the pool's gradient writes the bordered planes
        int Wpad = shifted ? W : W + 1, N = shifted ? VectorGemm.gatheredColumns(H, W) : columns(g);
        int copyPlane = shiftedPlane(g), dPlanes = shifted ? 3 * OC * copyPlane : OC * planeSize(g);
        float[] d = Scratch.get(Scratch.PADDED_OUT, dPlanes); // dout's zero-bordered planes, or their shifted copies
        // Written (not added) rows straight into din where the product computes no border columns or its columns are
        // the pixels (as VectorConv2d's plain forward)
        boolean direct = !accumulate && (shifted ? N == H * W : VectorGemm.gatheredRowsAlone(H, W, Wpad));
        // [C][N]: din's rows Wpad apart, border columns too
        float[] wide = direct ? null : Scratch.get(Scratch.DCOLS, C * N);
        java.util.Arrays.fill(d, 0, dPlanes, 0f); // the border stays zero; each image writes the interior
        int dPlane = planeSize(g);
        for (int n = from; n < to; n++) {
            if (shifted) {
                copyShifted(d, copyPlane, dout, n * OC * H * W, OC, H, W);
            } else if (argmax != null) {
                VectorPool.maxPool2x2Backward(d, Wpad + 1, dPlane, Wpad, dout, out, argmax, n * OC, (n + 1) * OC, H, W);
            } else {
                for (int oc = 0; oc < OC; oc++) {
                    int src = (n * OC + oc) * H * W;
                    for (int y = 0; y < H; y++) {
                        copyRow(dout, src + y * W, d, oc * dPlane + (y + 1) * Wpad + 1, W);
                    }
                }
            }
            if (direct) {
                VectorGemm.multiplyGathered(ap, C, OC * 9, d, bRow, H, W, Wpad, W, din,
                        n * C * H * W, H * W, null);
                continue;
            }
            VectorGemm.multiplyGathered(ap, C, OC * 9, d, bRow, H, W, Wpad, wide, 0, N, null);
            for (int c = 0; c < C; c++) {
                if (shifted) { // rows W apart: the plane in one piece
                    if (accumulate) {
                        addRow(wide, c * N, din, (n * C + c) * H * W, H * W);
                    } else {
                        copyRow(wide, c * N, din, (n * C + c) * H * W, H * W);
                    }
                    continue;
                }
                for (int y = 0; y < H; y++) {
                    if (accumulate) {
                        addRow(wide, c * N + y * Wpad, din, ((n * C + c) * H + y) * W, W);
                    } else {
                        copyRow(wide, c * N + y * Wpad, din, ((n * C + c) * H + y) * W, W);
                    }
                }
            }
        }
    }

    // Rows of a few vectors: the scalar loops ran at ~3 cycles per element (11 of the 42 us per image of
    // SimpleNet's conv2), arraycopy per row costs more than the copy.
    private static void copyRow(float[] src, int from, float[] dst, int to, int n) {
        int x = 0;
        for (; x <= n - L; x += L) {
            FloatVector.fromArray(S, src, from + x).intoArray(dst, to + x);
        }
        for (; x < n; x++) {
            dst[to + x] = src[from + x];
        }
    }

    private static void addRow(float[] src, int from, float[] dst, int to, int n) {
        int x = 0;
        for (; x <= n - L; x += L) {
            FloatVector.fromArray(S, dst, to + x).add(FloatVector.fromArray(S, src, from + x)).intoArray(dst, to + x);
        }
        for (; x < n; x++) {
            dst[to + x] += src[from + x];
        }
    }

    /** The GEMM's columns: the H rows of Wpad pixels, rounded up to whole NR-column panels. */
    private static int columns(ConvGeometry g) {
        return VectorGemm.gatheredColumns(g.H(), g.W() + 1);
    }

    /**
     * Floats per padded plane: the image and its border, and enough after it that every gathered row of the last
     * column panel stays inside the plane (those columns are border or rounding, and dropped).
     */
    private static int planeSize(ConvGeometry g) {
        int Wpad = g.W() + 1;
        return Math.max((g.H() + 2) * Wpad, 2 * Wpad + 2 + columns(g));
    }
}
