package simpletorch.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static simpletorch.testing.NumericAssertions.assertClose;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import simpletorch.tensor.Generator;
import simpletorch.testing.FiniteDifferences;
import simpletorch.testing.TestData;

/** {@link Gemm#sgemm} in every layout, on both paths, against {@link Gemm#gemmNaive}; the naive GEMM's gradient against finite differences. */
class GemmTest {
    static final double ATOL = 1e-5;
    static final double RTOL = 1e-4;

    /**
     * Every layout of {@link Gemm#sgemm} on both paths (Vector API and scalar) against the naive GEMM, with
     * offsets, leading dimensions wider than the matrices, overwrite and accumulate. The sizes straddle the
     * vector kernel's tile (6 or 4 rows, 2 vectors of 8 or 16 floats) so full tiles, edge tiles and single elements
     * all occur.
     */
    @ParameterizedTest(name = "M={0} N={1} K={2} transA={3} transB={4} vector={5}")
    @MethodSource("sgemmCases")
    void sgemmMatchesNaive(int M, int N, int K, boolean transA, boolean transB, boolean vector) {
        boolean previous = Gemm.vectorEnabled();
        Gemm.setVectorEnabled(vector);
        try {
            Generator g = new Generator(100 + M * 31 + N * 7 + K + (transA ? 1000 : 0) + (transB ? 2000 : 0));
            int aOff = 3, bOff = 5, cOff = 2;
            int aRows = transA ? K : M, aCols = transA ? M : K;
            int bRows = transB ? N : K, bCols = transB ? K : N;
            int lda = aCols + 2, ldb = bCols + 1, ldc = N + 3;
            float[] a = TestData.uniform(g, aOff + aRows * lda);
            float[] b = TestData.uniform(g, bOff + bRows * ldb);
            double[] want = new double[M * N];
            Gemm.gemmNaive(want, dense(a, aOff, aRows, aCols, lda), dense(b, bOff, bRows, bCols, ldb), M, N, K,
                    transA, transB, false);

            float[] c = TestData.uniform(g, cOff + M * ldc + 4); // garbage that overwrite must replace
            float[] before = c.clone();
            Gemm.sgemm(transA, transB, M, N, K, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, false);
            assertClose("sgemm overwrite", dense(c, cOff, M, N, ldc), want, ATOL, RTOL);
            assertOnlyBlockChanged(c, before, cOff, M, N, ldc);

            double[] c0 = dense(c, cOff, M, N, ldc);
            Gemm.sgemm(transA, transB, M, N, K, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, true);
            assertClose("sgemm accumulate", dense(c, cOff, M, N, ldc), plus(c0, want), ATOL, RTOL);
            assertOnlyBlockChanged(c, before, cOff, M, N, ldc);
        } finally {
            Gemm.setVectorEnabled(previous);
        }
    }

    /**
     * The micro-kernel reading B in place (rows of whole NR-column slices, as the forward convolution's columns)
     * gives exactly what it gives from packed B: the same multiply-adds in the same order. With an offset, a row
     * stride wider than N, a bias, edge panels of A, and accumulation.
     */
    @Test
    void unpackedBGivesTheSameBitsAsPackedB() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Gemm.VECTOR_AVAILABLE, "needs the Vector API module");
        Generator g = new Generator(777);
        for (int[] s : new int[][] {{16, 1, 27}, {32, 2, 144}, {7, 3, 5}, {1, 1, 1}}) {
            int M = s[0], N = s[1] * VectorGemm.NR, K = s[2], bOff = 3, ldb = N + 5;
            float[] a = TestData.uniform(g, M * K), b = TestData.uniform(g, bOff + K * ldb), bias = TestData.uniform(g, M);
            float[] ap = new float[VectorGemm.packedASize(M, K)], bp = new float[VectorGemm.packedBSize(K, N)];
            VectorGemm.packA(ap, a, 0, K, false, M, K);
            VectorGemm.packB(bp, b, bOff, ldb, false, K, N);
            for (boolean accumulate : new boolean[] {false, true}) {
                float[] want = TestData.uniform(g, M * N), got = want.clone();
                VectorGemm.multiply(ap, bp, M, N, K, want, 0, N, accumulate, bias);
                VectorGemm.multiply(ap, b, bOff, ldb, M, N, K, got, 0, N, accumulate, bias);
                assertThat(got).as("M=%d N=%d K=%d accumulate=%s", M, N, K, accumulate).containsExactly(want);
            }
        }
        assertThatThrownBy(() -> VectorGemm.multiply(new float[VectorGemm.packedASize(1, 1)], new float[8], 0, 8, 1, 8,
                1, new float[8], 0, 8, false, null)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * The register tile follows {@code -Dsimpletorch.vectorRegisters} (the build runs this class once with each
     * value), and otherwise the machine: 8 rows with 32 vector registers (6 before JDK 25), 4 with 16.
     */
    @Test
    void theTileFollowsTheVectorRegisters() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Gemm.VECTOR_AVAILABLE, "needs the Vector API module");
        String forced = System.getProperty("simpletorch.vectorRegisters");
        if (forced != null) {
            assertThat(VectorRegisters.COUNT).isEqualTo(Integer.parseInt(forced));
        }
        assertThat(VectorRegisters.COUNT).isIn(16, 32);
        int wide = VectorPool.jitReady() ? 8 : 6;
        assertThat(VectorGemm.MR).isEqualTo(VectorRegisters.COUNT == 32 ? wide : 4);
    }

    static Stream<Arguments> sgemmCases() {
        int[][] fixed = {{1, 1, 1}, {3, 5, 7}, {6, 16, 4}, {6, 32, 9}, {7, 17, 13}, {13, 33, 27}, {17, 65, 130}, {2, 9, 1},
                {4, 16, 5}, {5, 33, 8}, {8, 48, 3}};
        // and 12 seeded random ones: M 1-40, N 1-100 (half of them whole panels of 32 or 16), K 1-150
        java.util.Random r = new java.util.Random(20261207);
        int[][] shapes = java.util.Arrays.copyOf(fixed, fixed.length + 12);
        for (int i = fixed.length; i < shapes.length; i++) {
            shapes[i] = new int[] {1 + r.nextInt(40), r.nextBoolean() ? 16 * (1 + r.nextInt(6)) : 1 + r.nextInt(100),
                    1 + r.nextInt(150)};
        }
        Stream.Builder<Arguments> cases = Stream.builder();
        for (int[] s : shapes) {
            for (boolean transA : new boolean[] {false, true}) {
                for (boolean transB : new boolean[] {false, true}) {
                    cases.add(Arguments.of(s[0], s[1], s[2], transA, transB, false));
                    if (Gemm.VECTOR_AVAILABLE) {
                        cases.add(Arguments.of(s[0], s[1], s[2], transA, transB, true));
                    }
                }
            }
        }
        return cases.build();
    }

    /** The rows x cols block at off with row stride ld, as a dense double array. */
    private static double[] dense(float[] x, int off, int rows, int cols, int ld) {
        double[] d = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                d[r * cols + j] = x[off + r * ld + j];
            }
        }
        return d;
    }

    private static void assertOnlyBlockChanged(float[] c, float[] before, int off, int M, int N, int ldc) {
        for (int i = 0; i < c.length; i++) {
            int rel = i - off;
            boolean inBlock = rel >= 0 && rel / ldc < M && rel % ldc < N;
            if (!inBlock) {
                assertThat(c[i]).as("C[%d], outside the %dx%d block", i, M, N).isEqualTo(before[i]);
            }
        }
    }

    /** For L = sum(R * (A B)): dL/dA = R B^T and dL/dB = A^T R, computed with the naive GEMM's transposed layouts. */
    @ParameterizedTest(name = "M={0} N={1} K={2}")
    @CsvSource({"1,1,1", "3,4,5", "6,2,7"})
    void naiveGemmGradientsMatchFiniteDifferences(int M, int N, int K) {
        Generator g = new Generator(400 + M + N + K);
        double[] a = TestData.toDouble(TestData.uniform(g, M * K));
        double[] b = TestData.toDouble(TestData.uniform(g, K * N));
        double[] r = TestData.toDouble(TestData.uniform(g, M * N));
        double[] da = new double[M * K];
        Gemm.gemmNaive(da, r, b, M, K, N, false, true, false); // [M,N] x [K,N]^T
        double[] db = new double[K * N];
        Gemm.gemmNaive(db, a, r, K, N, M, true, false, false); // [M,K]^T x [M,N]

        double[] fdA = FiniteDifferences.gradient(x -> loss(x, b, r, M, N, K), a);
        double[] fdB = FiniteDifferences.gradient(x -> loss(a, x, r, M, N, K), b);
        assertClose("dA", da, fdA, 1e-5, 1e-3);
        assertClose("dB", db, fdB, 1e-5, 1e-3);
    }

    private static double loss(double[] a, double[] b, double[] r, int M, int N, int K) {
        double[] c = new double[M * N];
        Gemm.gemmNaive(c, a, b, M, N, K, false, false, false);
        return FiniteDifferences.dot(c, r);
    }

    private static double[] plus(double[] x, double[] y) {
        double[] s = new double[x.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = x[i] + y[i];
        }
        return s;
    }

}
