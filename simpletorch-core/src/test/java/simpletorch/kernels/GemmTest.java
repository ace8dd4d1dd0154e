package simpletorch.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static simpletorch.testing.NumericAssertions.assertClose;

import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import simpletorch.tensor.Generator;
import simpletorch.testing.FiniteDifferences;
import simpletorch.testing.TestData;

/** The three float GEMM layouts against {@link Gemm#gemmNaive}, and the naive GEMM's gradient against finite differences. */
class GemmTest {
    static final double ATOL = 1e-5;
    static final double RTOL = 1e-4;

    @ParameterizedTest(name = "M={0} N={1} K={2}")
    @CsvSource({"1,1,1", "3,5,7", "8,1,13", "1,9,4", "17,11,33", "5,6,130"})
    void gemmNNMatchesNaiveWithOffsetsAndAccumulation(int M, int N, int K) {
        Generator g = new Generator(100 + M * 31 + N * 7 + K);
        int aOff = 3, bOff = 5, cOff = 2;
        float[] a = TestData.uniform(g, aOff + M * K);
        float[] b = TestData.uniform(g, bOff + K * N);
        double[] want = new double[M * N];
        Gemm.gemmNaive(want, slice(a, aOff, M * K), slice(b, bOff, K * N), M, N, K, false, false, false);

        float[] c = TestData.uniform(g, cOff + M * N + 4); // garbage that overwrite must replace
        float[] before = c.clone();
        Gemm.gemmNN(c, cOff, a, aOff, b, bOff, M, N, K, false);
        assertClose("gemmNN overwrite", Arrays.copyOfRange(c, cOff, cOff + M * N), want, ATOL, RTOL);
        assertOutsideUnchanged(c, before, cOff, M * N);

        float[] c0 = c.clone();
        Gemm.gemmNN(c, cOff, a, aOff, b, bOff, M, N, K, true);
        assertClose("gemmNN accumulate", Arrays.copyOfRange(c, cOff, cOff + M * N), plus(slice(c0, cOff, M * N), want),
                ATOL, RTOL);
        assertOutsideUnchanged(c, before, cOff, M * N);
    }

    @ParameterizedTest(name = "M={0} N={1} K={2} lda={3}")
    @CsvSource({"1,1,1,1", "3,5,7,3", "3,5,7,8", "8,9,13,11", "6,4,1,9", "17,11,33,20"})
    void gemmTNMatchesNaiveIncludingLdaLargerThanM(int M, int N, int K, int lda) {
        Generator g = new Generator(200 + M * 31 + N * 7 + K + lda);
        int aOff = 2, bOff = 1, cOff = 3;
        // A is stored as K rows of lda floats; the M columns starting at aOff are the logical A^T.
        float[] a = TestData.uniform(g, aOff + (K - 1) * lda + M);
        float[] b = TestData.uniform(g, bOff + K * N);
        double[] aDense = new double[K * M]; // [K, M]
        for (int k = 0; k < K; k++) {
            for (int i = 0; i < M; i++) {
                aDense[k * M + i] = a[aOff + k * lda + i];
            }
        }
        double[] want = new double[M * N];
        Gemm.gemmNaive(want, aDense, slice(b, bOff, K * N), M, N, K, true, false, false);

        float[] c = TestData.uniform(g, cOff + M * N + 3);
        float[] before = c.clone();
        Gemm.gemmTN(c, cOff, a, aOff, b, bOff, M, N, K, false, lda);
        assertClose("gemmTN overwrite", Arrays.copyOfRange(c, cOff, cOff + M * N), want, ATOL, RTOL);
        assertOutsideUnchanged(c, before, cOff, M * N);

        float[] c0 = c.clone();
        Gemm.gemmTN(c, cOff, a, aOff, b, bOff, M, N, K, true, lda);
        assertClose("gemmTN accumulate", Arrays.copyOfRange(c, cOff, cOff + M * N), plus(slice(c0, cOff, M * N), want),
                ATOL, RTOL);
    }

    @ParameterizedTest(name = "M={0} N={1} K={2}")
    @CsvSource({"1,1,1", "3,5,3", "4,4,4", "7,3,5", "2,9,8", "11,6,131"}) // K below, at and off multiples of 4
    void gemmNTMatchesNaive(int M, int N, int K) {
        Generator g = new Generator(300 + M * 31 + N * 7 + K);
        int aOff = 1, bOff = 4, cOff = 5;
        float[] a = TestData.uniform(g, aOff + M * K);
        float[] b = TestData.uniform(g, bOff + N * K); // stored [N, K]
        double[] want = new double[M * N];
        Gemm.gemmNaive(want, slice(a, aOff, M * K), slice(b, bOff, N * K), M, N, K, false, true, false);

        float[] c = TestData.uniform(g, cOff + M * N + 2);
        float[] before = c.clone();
        Gemm.gemmNT(c, cOff, a, aOff, b, bOff, M, N, K, false);
        assertClose("gemmNT overwrite", Arrays.copyOfRange(c, cOff, cOff + M * N), want, ATOL, RTOL);
        assertOutsideUnchanged(c, before, cOff, M * N);

        float[] c0 = c.clone();
        Gemm.gemmNT(c, cOff, a, aOff, b, bOff, M, N, K, true);
        assertClose("gemmNT accumulate", Arrays.copyOfRange(c, cOff, cOff + M * N), plus(slice(c0, cOff, M * N), want),
                ATOL, RTOL);
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

    static double[] slice(float[] a, int off, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = a[off + i];
        }
        return d;
    }

    private static double[] plus(double[] x, double[] y) {
        double[] s = new double[x.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = x[i] + y[i];
        }
        return s;
    }

    private static void assertOutsideUnchanged(float[] c, float[] before, int off, int n) {
        assertThat(Arrays.copyOfRange(c, 0, off)).as("C before the block").containsExactly(Arrays.copyOfRange(before, 0, off));
        assertThat(Arrays.copyOfRange(c, off + n, c.length)).as("C after the block")
                .containsExactly(Arrays.copyOfRange(before, off + n, before.length));
    }
}
