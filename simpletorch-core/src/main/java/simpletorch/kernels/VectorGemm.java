package simpletorch.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast single-precision GEMM: {@code C (+)= op(A) * op(B)} with the JDK's Vector API.
 *
 * <p>Both operands are first packed into panels (A into MR-row panels stored column by column, B into NR-column
 * panels stored row by row, zero-padded at the edges), so that the micro-kernel reads both with unit stride and
 * never needs a masked load. The micro-kernel keeps an MR x NR tile of C in vector registers (8 rows x 2 vectors,
 * 16 registers, where the machine has 32 of them (6 rows before JDK 25); 4 rows x 2 vectors, 8 registers, where it
 * has 16: see {@link VectorRegisters}) and runs one flat loop over K: one broadcast of A and two FMAs per row and
 * step. Those are the rules that keep the JIT from boxing vectors on JDK 17 (../shared/research/performance.md).
 *
 * <p>This class links against {@code jdk.incubator.vector}; it is only touched when {@link Gemm} found that
 * module at run time.
 */
final class VectorGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /**
     * Rows of the register tile: 8 with 32 vector registers, 4 with 16 (a 6-row tile spills there). JDK 17's JIT
     * compiled the 8-row kernel without its allocating fallback when run alone but not after other work (in the test
     * suite: 171 MB allocated per SimpleNet step, SteadyStateAllocationTest); where {@link VectorPool#jitReady} says
     * no (before JDK 25), the tile is 6 rows, as it was.
     */
    static final int MR = VectorRegisters.COUNT >= 32 ? (VectorPool.jitReady() ? 8 : 6) : 4;
    static final int NR = 2 * L;

    private VectorGemm() {
    }

    /** See {@link Gemm#sgemm}. */
    static void sgemm(boolean transA, boolean transB, int M, int N, int K,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float[] c, int cOff, int ldc, boolean accumulate) {
        float[] ap = Scratch.get(Scratch.PACK_A, packedASize(M, K));
        float[] bp = Scratch.get(Scratch.PACK_B, packedBSize(K, N));
        packA(ap, a, aOff, lda, transA, M, K);
        packB(bp, b, bOff, ldb, transB, K, N);
        multiply(ap, bp, M, N, K, c, cOff, ldc, accumulate, null);
    }

    /**
     * Floats to leave between the rows of a B that the caller lays out to be read in place: one cache line, so
     * that rows of a power-of-two length do not all fall into the same few sets of the L1 cache.
     */
    static final int ROW_GAP = 16;

    /** Whether a plain row-major B with N columns can be read in place (whole NR-column slices) instead of packed. */
    static boolean readsInPlace(int N) {
        return N % NR == 0;
    }

    /** Floats in A packed for an M x K product: whole panels of MR rows. */
    static int packedASize(int M, int K) {
        return (M + MR - 1) / MR * MR * K;
    }

    /** Floats in B packed for a K x N product: whole panels of NR columns. */
    static int packedBSize(int K, int N) {
        return (N + NR - 1) / NR * NR * K;
    }

    /**
     * C[M,N] (+)= A * B from packed operands (see {@link #packA}, {@link #packB}, and the convolution packers that
     * write the same layout). With {@code rowBias} and no accumulation, row i of C starts from rowBias[i].
     */
    static void multiply(float[] ap, float[] bp, int M, int N, int K, float[] c, int cOff, int ldc,
                         boolean accumulate, float[] rowBias) {
        multiply(ap, bp, 0, -1, M, N, K, c, cOff, ldc, accumulate, rowBias);
    }

    /**
     * As {@link #multiply(float[], float[], int, int, int, float[], int, int, boolean, float[])}, with B either
     * packed ({@code ldb} -1) or a plain row-major [K, N] matrix from {@code bOff} with rows {@code ldb} apart, read
     * in place: its NR-column slices are already what the micro-kernel reads. N must then be a multiple of NR.
     */
    static void multiply(float[] ap, float[] bp, int bOff, int ldb, int M, int N, int K, float[] c, int cOff, int ldc,
                         boolean accumulate, float[] rowBias) {
        boolean packed = ldb < 0;
        if (!packed && !readsInPlace(N)) {
            throw new IllegalArgumentException("unpacked B needs N a multiple of " + NR + ", got " + N);
        }
        int bStride = packed ? NR : ldb;
        int mPanels = (M + MR - 1) / MR;
        int nPanels = (N + NR - 1) / NR;
        float[] tile = Scratch.get(Scratch.TILE, MR * NR);
        float[] bias = Scratch.get(Scratch.BIAS, MR);
        for (int jp = 0; jp < nPanels; jp++) {
            int j0 = jp * NR;
            int cols = Math.min(NR, N - j0);
            for (int ip = 0; ip < mPanels; ip++) {
                int i0 = ip * MR;
                int rows = Math.min(MR, M - i0);
                panelBias(bias, accumulate ? null : rowBias, i0, rows);
                int bPanel = packed ? jp * NR * K : bOff + j0;
                if (rows == MR && cols == NR) {
                    kernel(ap, ip * MR * K, bp, bPanel, bStride, K, c, cOff + i0 * ldc + j0, ldc, accumulate, bias);
                } else {
                    kernel(ap, ip * MR * K, bp, bPanel, bStride, K, tile, 0, NR, false, bias);
                    for (int r = 0; r < rows; r++) {
                        int dst = cOff + (i0 + r) * ldc + j0;
                        for (int j = 0; j < cols; j++) {
                            c[dst + j] = accumulate ? c[dst + j] + tile[r * NR + j] : tile[r * NR + j];
                        }
                    }
                }
            }
        }
    }

    /**
     * Columns of C that {@link #multiplyGathered} may write for an image of H rows laid rowStride apart: the first
     * H*rowStride columns, in whole NR-column panels. The caller's C rows and B planes must hold that many.
     */
    /**
     * Whether {@link #multiplyGathered} computes an image of H rows of W pixels, rowStride apart, without its border
     * columns: each row by its own panels, or two rows a panel.
     */
    static boolean gatheredRowsAlone(int H, int W, int rowStride) {
        return W % NR == 0 || MR == 8 && W == L && rowStride == L + 1 && H % 2 == 0;
    }

    static int gatheredColumns(int H, int rowStride) {
        return (H * rowStride + NR - 1) / NR * NR;
    }

    /**
     * C = A * B from a packed A, with B's rows gathered: row k of B is {@code b[bRow[k] + j]}. The rows may overlap
     * (shifted views of one image, as in {@link VectorConvInputGrad3x3}). The columns are an image's H rows of W
     * pixels, pixel (y, x) at {@code j = y*rowStride + x}, with {@code rowStride - W} border columns between rows.
     * Where W is a multiple of NR, each row's panels are computed and the border columns skipped (SimpleNet's 16x16
     * layers with 8 lanes: 16 panels instead of 17); where W is one vector (L) and H even, in rows L + 1 apart, a
     * panel is two rows where the tile has 8 ({@link #gatheredPairs}: SimpleNet's conv2 with 16 lanes, 8 panels
     * instead of 9); otherwise every column of {@link #gatheredColumns}, border columns included.
     * Overwrites the columns it computes, whose rows past M are not written; with {@code rowBias}, row i of C starts
     * from rowBias[i].
     */
    static void multiplyGathered(float[] ap, int M, int K, float[] b, int[] bRow, int H, int W, int rowStride,
                                 float[] c, int cOff, int ldc, float[] rowBias) {
        multiplyGathered(ap, M, K, b, bRow, H, W, rowStride, rowStride, c, cOff, ldc, rowBias);
    }

    /**
     * {@link #multiplyGathered(float[], int, int, float[], int[], int, int, int, float[], int, int, float[])} with C's
     * pixel (y, x) at column {@code y*outStride + x} instead of B's {@code y*rowStride + x}: with {@code outStride = W}
     * a convolution's output rows written in place, without the border columns between them, where
     * {@link #gatheredRowsAlone} (the other layouts compute the border columns too and need C's rows as B's).
     */
    static void multiplyGathered(float[] ap, int M, int K, float[] b, int[] bRow, int H, int W, int rowStride,
                                 int outStride, float[] c, int cOff, int ldc, float[] rowBias) {
        if (outStride != rowStride && (outStride < W || !gatheredRowsAlone(H, W, rowStride))) {
            throw new IllegalArgumentException("output rows " + outStride + " apart need rows of whole panels, got "
                    + W + " pixels " + rowStride + " apart");
        }
        if (rowStride < W) {
            throw new IllegalArgumentException("gathered rows of " + W + " pixels need a row stride of at least " + W
                    + ", got " + rowStride);
        }
        boolean rowPanels = W % NR == 0;
        boolean rowPairs = MR == 8 && !rowPanels && W == L && rowStride == L + 1 && H % 2 == 0; // gatheredPairs
        int rows = rowPanels ? H : rowPairs ? H / 2 : 1;
        int width = rowPanels ? W : rowPairs ? NR : gatheredColumns(H, rowStride);
        int mPanels = (M + MR - 1) / MR;
        float[] tile = Scratch.get(Scratch.TILE, MR * (NR + 1));
        float[] bias = Scratch.get(Scratch.BIAS, MR);
        for (int y = 0; y < rows; y++) {
            for (int x0 = 0; x0 < width; x0 += NR) {
                int j0 = (rowPairs ? 2 * y : y) * rowStride + x0; // B's column
                int cj = (rowPairs ? 2 * y : y) * outStride + x0; // C's
                for (int ip = 0; ip < mPanels; ip++) {
                    int i0 = ip * MR;
                    int panelRows = Math.min(MR, M - i0);
                    panelBias(bias, rowBias, i0, panelRows);
                    if (panelRows == MR && rowPairs) {
                        gatheredPairs(ap, ip * MR * K, b, bRow, j0, K, c, cOff + i0 * ldc + cj, ldc, outStride, bias);
                    } else if (panelRows == MR) {
                        gatheredKernel(ap, ip * MR * K, b, bRow, j0, K, c, cOff + i0 * ldc + cj, ldc, bias);
                    } else if (rowPairs) { // the tile's rows NR + 1 apart, as the image's two rows are L + 1
                        gatheredPairs(ap, ip * MR * K, b, bRow, j0, K, tile, 0, NR + 1, L + 1, bias);
                        for (int r = 0; r < panelRows; r++) { // the two rows, not the border column between
                            int dst = cOff + (i0 + r) * ldc + cj;
                            System.arraycopy(tile, r * (NR + 1), c, dst, L);
                            System.arraycopy(tile, r * (NR + 1) + L + 1, c, dst + outStride, L);
                        }
                    } else {
                        gatheredKernel(ap, ip * MR * K, b, bRow, j0, K, tile, 0, NR, bias);
                        for (int r = 0; r < panelRows; r++) {
                            System.arraycopy(tile, r * NR, c, cOff + (i0 + r) * ldc + cj, NR);
                        }
                    }
                }
            }
        }
    }

    /** bias[r] = rowBias[i0 + r] for the panel's rows, 0 past them or without a rowBias: where its tile starts. */
    private static void panelBias(float[] bias, float[] rowBias, int i0, int rows) {
        for (int r = 0; r < MR; r++) {
            bias[r] = rowBias != null && r < rows ? rowBias[i0 + r] : 0f;
        }
    }

    /** ap[panel][k][r] = op(A)[panel*MR + r][k], zero past row M. */
    static void packA(float[] ap, float[] a, int aOff, int lda, boolean transA, int M, int K) {
        int dst = 0;
        for (int i0 = 0; i0 < M; i0 += MR) {
            int rows = Math.min(MR, M - i0);
            if (!transA) {
                // Row by row: each row of A read in order and written MR apart, where reading the panel's MR rows
                // in step wrote in order (a convolution's weights, 64 x 576: 11.9 -> 6.3 us alone; the same array)
                for (int r = 0; r < MR; r++) {
                    int d = dst + r;
                    if (r < rows) {
                        for (int k = 0, src = aOff + (i0 + r) * lda; k < K; k++, d += MR) {
                            ap[d] = a[src + k];
                        }
                    } else {
                        for (int k = 0; k < K; k++, d += MR) {
                            ap[d] = 0f;
                        }
                    }
                }
                dst += K * MR;
                continue;
            }
            for (int k = 0; k < K; k++) { // transposed: the panel's rows are contiguous in A's row k
                for (int r = 0; r < MR; r++) {
                    ap[dst++] = r >= rows ? 0f : a[aOff + k * lda + i0 + r];
                }
            }
        }
    }

    /** bp[panel][k][j] = op(B)[k][panel*NR + j], zero past column N. */
    static void packB(float[] bp, float[] b, int bOff, int ldb, boolean transB, int K, int N) {
        int dst = 0;
        for (int j0 = 0; j0 < N; j0 += NR) {
            int cols = Math.min(NR, N - j0);
            if (transB) {
                if (cols < NR) {
                    java.util.Arrays.fill(bp, dst, dst + K * NR, 0f);
                }
                // A transpose: blocks of 64 k keep the written panel rows in L1 while each source row streams.
                for (int k0 = 0; k0 < K; k0 += 64) {
                    int k1 = Math.min(K, k0 + 64);
                    for (int j = 0; j < cols; j++) {
                        int src = bOff + (j0 + j) * ldb;
                        for (int k = k0; k < k1; k++) {
                            bp[dst + k * NR + j] = b[src + k];
                        }
                    }
                }
                dst += K * NR;
                continue;
            }
            for (int k = 0; k < K; k++, dst += NR) {
                System.arraycopy(b, bOff + k * ldb + j0, bp, dst, cols);
                for (int j = cols; j < NR; j++) {
                    bp[dst + j] = 0f;
                }
            }
        }
    }

    /**
     * C[MR, NR] (+)= Apanel[MR, K] * Bpanel[K, NR]; B rows are bStride apart, C rows ldc apart. Without
     * accumulation the accumulators start from bias[r] (zeros when there is no bias), which adds a bias for free.
     */
    private static void kernel(float[] ap, int apOff, float[] bp, int bpOff, int bStride, int K,
                               float[] c, int cOff, int ldc, boolean accumulate, float[] bias) {
        if (MR == 8) {
            kernel8(ap, apOff, bp, bpOff, bStride, K, c, cOff, ldc, accumulate, bias);
        } else if (MR == 6) {
            kernel6(ap, apOff, bp, bpOff, bStride, K, c, cOff, ldc, accumulate, bias);
        } else {
            kernel4(ap, apOff, bp, bpOff, bStride, K, c, cOff, ldc, accumulate, bias);
        }
    }

    /**
     * {@link #kernel} with 8 rows: 16 accumulators, for machines with 32 vector registers. 8 rows rather than 6: the
     * layers' output channels (16, 32, 64, ...) fill whole panels, where 6-row panels computed 18 rows for conv1's 16
     * and 36 for conv2's 32, and each step of K loads 10 values for 16 multiply-adds instead of 8 for 12. Measured on
     * AVX-512 (one thread, SimpleNet's fused forward at batch 32, minima of 30 x 400 calls, three JVMs each way
     * alternating): conv1 8.2-9.0 -> 6.9-7.5 us per image, conv2 16.4-16.7 -> 14.4-15.4; the same sums bit for bit
     * (each element's products are added in the same order whatever the tile).
     */
    private static void kernel8(float[] ap, int apOff, float[] bp, int bpOff, int bStride, int K,
                                float[] c, int cOff, int ldc, boolean accumulate, float[] bias) {
        FloatVector c00 = FloatVector.broadcast(S, bias[0]), c01 = c00;
        FloatVector c10 = FloatVector.broadcast(S, bias[1]), c11 = c10;
        FloatVector c20 = FloatVector.broadcast(S, bias[2]), c21 = c20;
        FloatVector c30 = FloatVector.broadcast(S, bias[3]), c31 = c30;
        FloatVector c40 = FloatVector.broadcast(S, bias[4]), c41 = c40;
        FloatVector c50 = FloatVector.broadcast(S, bias[5]), c51 = c50;
        FloatVector c60 = FloatVector.broadcast(S, bias[6]), c61 = c60;
        FloatVector c70 = FloatVector.broadcast(S, bias[7]), c71 = c70;
        for (int k = 0; k < K; k++) {
            int bi = bpOff + k * bStride;
            int ai = apOff + k * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
        }
        // Stored here rather than by store(): with eight calls the JIT did not always inline it, and a call that is
        // not inlined receives its vectors as objects (JDK 17, after other tests had run: 120 MB allocated per
        // SimpleNet step, SteadyStateAllocationTest)
        if (accumulate) {
            c00 = c00.add(FloatVector.fromArray(S, c, cOff));
            c01 = c01.add(FloatVector.fromArray(S, c, cOff + L));
            c10 = c10.add(FloatVector.fromArray(S, c, cOff + ldc));
            c11 = c11.add(FloatVector.fromArray(S, c, cOff + ldc + L));
            c20 = c20.add(FloatVector.fromArray(S, c, cOff + 2 * ldc));
            c21 = c21.add(FloatVector.fromArray(S, c, cOff + 2 * ldc + L));
            c30 = c30.add(FloatVector.fromArray(S, c, cOff + 3 * ldc));
            c31 = c31.add(FloatVector.fromArray(S, c, cOff + 3 * ldc + L));
            c40 = c40.add(FloatVector.fromArray(S, c, cOff + 4 * ldc));
            c41 = c41.add(FloatVector.fromArray(S, c, cOff + 4 * ldc + L));
            c50 = c50.add(FloatVector.fromArray(S, c, cOff + 5 * ldc));
            c51 = c51.add(FloatVector.fromArray(S, c, cOff + 5 * ldc + L));
            c60 = c60.add(FloatVector.fromArray(S, c, cOff + 6 * ldc));
            c61 = c61.add(FloatVector.fromArray(S, c, cOff + 6 * ldc + L));
            c70 = c70.add(FloatVector.fromArray(S, c, cOff + 7 * ldc));
            c71 = c71.add(FloatVector.fromArray(S, c, cOff + 7 * ldc + L));
        }
        c00.intoArray(c, cOff);
        c01.intoArray(c, cOff + L);
        c10.intoArray(c, cOff + ldc);
        c11.intoArray(c, cOff + ldc + L);
        c20.intoArray(c, cOff + 2 * ldc);
        c21.intoArray(c, cOff + 2 * ldc + L);
        c30.intoArray(c, cOff + 3 * ldc);
        c31.intoArray(c, cOff + 3 * ldc + L);
        c40.intoArray(c, cOff + 4 * ldc);
        c41.intoArray(c, cOff + 4 * ldc + L);
        c50.intoArray(c, cOff + 5 * ldc);
        c51.intoArray(c, cOff + 5 * ldc + L);
        c60.intoArray(c, cOff + 6 * ldc);
        c61.intoArray(c, cOff + 6 * ldc + L);
        c70.intoArray(c, cOff + 7 * ldc);
        c71.intoArray(c, cOff + 7 * ldc + L);
    }

    /** {@link #kernel} with 6 rows: 12 accumulators, for machines with 32 vector registers on JDKs before 25. */
    private static void kernel6(float[] ap, int apOff, float[] bp, int bpOff, int bStride, int K,
                                float[] c, int cOff, int ldc, boolean accumulate, float[] bias) {
        FloatVector c00 = FloatVector.broadcast(S, bias[0]), c01 = c00;
        FloatVector c10 = FloatVector.broadcast(S, bias[1]), c11 = c10;
        FloatVector c20 = FloatVector.broadcast(S, bias[2]), c21 = c20;
        FloatVector c30 = FloatVector.broadcast(S, bias[3]), c31 = c30;
        FloatVector c40 = FloatVector.broadcast(S, bias[4]), c41 = c40;
        FloatVector c50 = FloatVector.broadcast(S, bias[5]), c51 = c50;
        for (int k = 0; k < K; k++) {
            int bi = bpOff + k * bStride;
            int ai = apOff + k * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        store(c00, c01, c, cOff, accumulate);
        store(c10, c11, c, cOff + ldc, accumulate);
        store(c20, c21, c, cOff + 2 * ldc, accumulate);
        store(c30, c31, c, cOff + 3 * ldc, accumulate);
        store(c40, c41, c, cOff + 4 * ldc, accumulate);
        store(c50, c51, c, cOff + 5 * ldc, accumulate);
    }

    /** {@link #kernel} with 4 rows: 8 accumulators, for machines with 16 vector registers. */
    private static void kernel4(float[] ap, int apOff, float[] bp, int bpOff, int bStride, int K,
                                float[] c, int cOff, int ldc, boolean accumulate, float[] bias) {
        FloatVector c00 = FloatVector.broadcast(S, bias[0]), c01 = c00;
        FloatVector c10 = FloatVector.broadcast(S, bias[1]), c11 = c10;
        FloatVector c20 = FloatVector.broadcast(S, bias[2]), c21 = c20;
        FloatVector c30 = FloatVector.broadcast(S, bias[3]), c31 = c30;
        // Indices stepped, not recomputed as bpOff + k*bStride: the JIT kept the multiply in the loop (measured, AVX2,
        // one thread, minima of 2,000 calls: conv2's product 32x144x256 40.5 -> 36.8 us, conv1's 16x27x1024 17.6 ->
        // 16.9 us; the same sums)
        for (int k = 0, bi = bpOff, ai = apOff; k < K; k++, bi += bStride, ai += 4) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        store(c00, c01, c, cOff, accumulate);
        store(c10, c11, c, cOff + ldc, accumulate);
        store(c20, c21, c, cOff + 2 * ldc, accumulate);
        store(c30, c31, c, cOff + 3 * ldc, accumulate);
    }

    /**
     * {@link #kernel} over gathered B rows (see {@link #multiplyGathered}), overwriting C. A copy of the strided
     * kernels with the row address read from a table: the strided ones are kept free of that load (the main GEMM
     * path), and the alternative without a table, nine strided GEMMs accumulating into C (one per kernel offset),
     * took 42 against 35 us per image of SimpleNet's conv2 input gradient on AVX2.
     */
    private static void gatheredKernel(float[] ap, int apOff, float[] b, int[] bRow, int j0, int K,
                                       float[] c, int cOff, int ldc, float[] bias) {
        if (MR == 8) {
            gatheredKernel8(ap, apOff, b, bRow, j0, K, c, cOff, ldc, bias);
        } else if (MR == 6) {
            gatheredKernel6(ap, apOff, b, bRow, j0, K, c, cOff, ldc, bias);
        } else {
            gatheredKernel4(ap, apOff, b, bRow, j0, K, c, cOff, ldc, bias);
        }
    }

    private static void gatheredKernel8(float[] ap, int apOff, float[] b, int[] bRow, int j0, int K,
                                        float[] c, int cOff, int ldc, float[] bias) {
        FloatVector c00 = FloatVector.broadcast(S, bias[0]), c01 = c00;
        FloatVector c10 = FloatVector.broadcast(S, bias[1]), c11 = c10;
        FloatVector c20 = FloatVector.broadcast(S, bias[2]), c21 = c20;
        FloatVector c30 = FloatVector.broadcast(S, bias[3]), c31 = c30;
        FloatVector c40 = FloatVector.broadcast(S, bias[4]), c41 = c40;
        FloatVector c50 = FloatVector.broadcast(S, bias[5]), c51 = c50;
        FloatVector c60 = FloatVector.broadcast(S, bias[6]), c61 = c60;
        FloatVector c70 = FloatVector.broadcast(S, bias[7]), c71 = c70;
        for (int k = 0; k < K; k++) {
            int bi = bRow[k] + j0;
            int ai = apOff + k * MR;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
        }
        // Stored here rather than by store(), as in kernel8
        c00.intoArray(c, cOff);
        c01.intoArray(c, cOff + L);
        c10.intoArray(c, cOff + ldc);
        c11.intoArray(c, cOff + ldc + L);
        c20.intoArray(c, cOff + 2 * ldc);
        c21.intoArray(c, cOff + 2 * ldc + L);
        c30.intoArray(c, cOff + 3 * ldc);
        c31.intoArray(c, cOff + 3 * ldc + L);
        c40.intoArray(c, cOff + 4 * ldc);
        c41.intoArray(c, cOff + 4 * ldc + L);
        c50.intoArray(c, cOff + 5 * ldc);
        c51.intoArray(c, cOff + 5 * ldc + L);
        c60.intoArray(c, cOff + 6 * ldc);
        c61.intoArray(c, cOff + 6 * ldc + L);
        c70.intoArray(c, cOff + 7 * ldc);
        c71.intoArray(c, cOff + 7 * ldc + L);
    }

    private static void gatheredKernel6(float[] ap, int apOff, float[] b, int[] bRow, int j0, int K,
                                        float[] c, int cOff, int ldc, float[] bias) {
        FloatVector c00 = FloatVector.broadcast(S, bias[0]), c01 = c00;
        FloatVector c10 = FloatVector.broadcast(S, bias[1]), c11 = c10;
        FloatVector c20 = FloatVector.broadcast(S, bias[2]), c21 = c20;
        FloatVector c30 = FloatVector.broadcast(S, bias[3]), c31 = c30;
        FloatVector c40 = FloatVector.broadcast(S, bias[4]), c41 = c40;
        FloatVector c50 = FloatVector.broadcast(S, bias[5]), c51 = c50;
        for (int k = 0; k < K; k++) {
            int bi = bRow[k] + j0;
            int ai = apOff + k * MR;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        store(c00, c01, c, cOff, false);
        store(c10, c11, c, cOff + ldc, false);
        store(c20, c21, c, cOff + 2 * ldc, false);
        store(c30, c31, c, cOff + 3 * ldc, false);
        store(c40, c41, c, cOff + 4 * ldc, false);
        store(c50, c51, c, cOff + 5 * ldc, false);
    }

    private static void gatheredKernel4(float[] ap, int apOff, float[] b, int[] bRow, int j0, int K,
                                        float[] c, int cOff, int ldc, float[] bias) {
        FloatVector c00 = FloatVector.broadcast(S, bias[0]), c01 = c00;
        FloatVector c10 = FloatVector.broadcast(S, bias[1]), c11 = c10;
        FloatVector c20 = FloatVector.broadcast(S, bias[2]), c21 = c20;
        FloatVector c30 = FloatVector.broadcast(S, bias[3]), c31 = c30;
        for (int k = 0; k < K; k++) {
            int bi = bRow[k] + j0;
            int ai = apOff + k * MR;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        store(c00, c01, c, cOff, false);
        store(c10, c11, c, cOff + ldc, false);
        store(c20, c21, c, cOff + 2 * ldc, false);
        store(c30, c31, c, cOff + 3 * ldc, false);
    }

    /**
     * {@link #gatheredKernel} for a panel of two image rows of L pixels, L + 1 apart (a border column between them,
     * which is neither read as a column nor written): B's second vector is the next row's, at L + 1, a constant, so
     * that the JIT checks the loads at fixed distances once (a variable distance cost conv2 its gain); C's is
     * {@code second} after the first (L + 1 as in B, or L where the output's rows are written without a border).
     * Measured on AVX-512 (one thread, SimpleNet's conv2 fused forward, 32 images, minima of 30 x 400 calls, three
     * JVMs each way): 14.2-14.8 -> 12.9-13.3 us per image; the same sums bit for bit. The 8-row tile only (AVX-512
     * with JDK 25+), where it was measured.
     */
    private static void gatheredPairs(float[] ap, int apOff, float[] b, int[] bRow, int j0, int K,
                                      float[] c, int cOff, int ldc, int second, float[] bias) {
        FloatVector c00 = FloatVector.broadcast(S, bias[0]), c01 = c00;
        FloatVector c10 = FloatVector.broadcast(S, bias[1]), c11 = c10;
        FloatVector c20 = FloatVector.broadcast(S, bias[2]), c21 = c20;
        FloatVector c30 = FloatVector.broadcast(S, bias[3]), c31 = c30;
        FloatVector c40 = FloatVector.broadcast(S, bias[4]), c41 = c40;
        FloatVector c50 = FloatVector.broadcast(S, bias[5]), c51 = c50;
        FloatVector c60 = FloatVector.broadcast(S, bias[6]), c61 = c60;
        FloatVector c70 = FloatVector.broadcast(S, bias[7]), c71 = c70;
        for (int k = 0; k < K; k++) {
            int bi = bRow[k] + j0;
            int ai = apOff + k * MR;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + L + 1);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
        }
        c00.intoArray(c, cOff);
        c01.intoArray(c, cOff + second);
        c10.intoArray(c, cOff + ldc);
        c11.intoArray(c, cOff + ldc + second);
        c20.intoArray(c, cOff + 2 * ldc);
        c21.intoArray(c, cOff + 2 * ldc + second);
        c30.intoArray(c, cOff + 3 * ldc);
        c31.intoArray(c, cOff + 3 * ldc + second);
        c40.intoArray(c, cOff + 4 * ldc);
        c41.intoArray(c, cOff + 4 * ldc + second);
        c50.intoArray(c, cOff + 5 * ldc);
        c51.intoArray(c, cOff + 5 * ldc + second);
        c60.intoArray(c, cOff + 6 * ldc);
        c61.intoArray(c, cOff + 6 * ldc + second);
        c70.intoArray(c, cOff + 7 * ldc);
        c71.intoArray(c, cOff + 7 * ldc + second);
    }

    private static void store(FloatVector v0, FloatVector v1, float[] c, int off, boolean accumulate) {
        if (accumulate) {
            v0 = v0.add(FloatVector.fromArray(S, c, off));
            v1 = v1.add(FloatVector.fromArray(S, c, off + L));
        }
        v0.intoArray(c, off);
        v1.intoArray(c, off + L);
    }
}
