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
 * pixels) and its GEMM took 2.4-3x as long as the stride-1 layers for a quarter of their work.
 */
final class VectorPhases {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Lane i takes lane 2i of the pair (this vector, then the next): the even elements of 2L. */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> 2 * i + 1);

    private VectorPhases() {
    }

    /** 3x3, stride 2, padding 1, an even input; {@code -Dsimpletorch.phasedForward=false} turns it off, to measure. */
    static boolean applies(ConvGeometry g) {
        return ENABLED && g.KH() == 3 && g.KW() == 3 && g.strideH() == 2 && g.strideW() == 2 && g.padH() == 1
                && g.padW() == 1 && g.H() % 2 == 0 && g.W() % 2 == 0;
    }

    private static final boolean ENABLED = !"false".equals(System.getProperty("simpletorch.phasedForward"));

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
     * The phase planes of one image ({@code src[srcOff, ...)}, [C][H][W]) into dst, planes {@link #planeSize} apart:
     * row i of a plane at {@code (i + 1)*W/2}. The zero row, column 0 of the shifted planes and the tails are never
     * written here (but for the place after each shifted row, set back to 0): zero dst once before the first image.
     */
    static void split(float[] dst, float[] src, int srcOff, ConvGeometry g) {
        int C = g.C(), H = g.H(), W = g.W(), OW = W / 2, plane = planeSize(g);
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
}
