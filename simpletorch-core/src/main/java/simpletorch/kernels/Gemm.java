package simpletorch.kernels;

/**
 * Single-precision matrix multiply, {@code C (+)= op(A) * op(B)}, over row-major arrays with offsets, in the three
 * layouts the layers need. Logical sizes: op(A) is M x K, op(B) is K x N, C is M x N.
 *
 * <p>The loops are ordered so that the innermost one runs over contiguous memory and the JIT can vectorise it:
 * {@code i-k-j} for NN, {@code k-i-j} for TN (A stored K x M), and unrolled dot products for NT (B stored N x K).
 * {@link #gemmNaive} is the double-precision oracle the tests compare against.
 */
public final class Gemm {
    private Gemm() {
    }

    /**
     * C[M,N] (+)= A[M,K] * B[K,N]. Writes C; reads A and B.
     *
     * @param accumulate add into C instead of overwriting it
     */
    public static void gemmNN(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff,
                              int M, int N, int K, boolean accumulate) {
        for (int i = 0; i < M; i++) {
            int cRow = cOff + i * N;
            if (!accumulate) {
                java.util.Arrays.fill(c, cRow, cRow + N, 0f);
            }
            int aRow = aOff + i * K;
            for (int k = 0; k < K; k++) {
                float aik = a[aRow + k];
                int bRow = bOff + k * N;
                for (int j = 0; j < N; j++) {
                    c[cRow + j] += aik * b[bRow + j];
                }
            }
        }
    }

    /**
     * C[M,N] (+)= A^T * B[K,N] where A is stored as K rows of {@code lda} elements, of which the M starting at
     * {@code aOff} are used (lda = M for a whole matrix). Writes C; reads A and B.
     */
    public static void gemmTN(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff,
                              int M, int N, int K, boolean accumulate, int lda) {
        if (!accumulate) {
            java.util.Arrays.fill(c, cOff, cOff + M * N, 0f);
        }
        for (int k = 0; k < K; k++) {
            int aRow = aOff + k * lda;
            int bRow = bOff + k * N;
            for (int i = 0; i < M; i++) {
                float aki = a[aRow + i];
                int cRow = cOff + i * N;
                for (int j = 0; j < N; j++) {
                    c[cRow + j] += aki * b[bRow + j];
                }
            }
        }
    }

    /**
     * C[M,N] (+)= A[M,K] * B^T where B is stored as [N,K]. Writes C; reads A and B.
     */
    public static void gemmNT(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff,
                              int M, int N, int K, boolean accumulate) {
        int K4 = K & ~3;
        for (int i = 0; i < M; i++) {
            int aRow = aOff + i * K;
            for (int j = 0; j < N; j++) {
                int bRow = bOff + j * K;
                // Four partial sums break the dependency chain of one running sum.
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int k = 0;
                for (; k < K4; k += 4) {
                    s0 += a[aRow + k] * b[bRow + k];
                    s1 += a[aRow + k + 1] * b[bRow + k + 1];
                    s2 += a[aRow + k + 2] * b[bRow + k + 2];
                    s3 += a[aRow + k + 3] * b[bRow + k + 3];
                }
                for (; k < K; k++) {
                    s0 += a[aRow + k] * b[bRow + k];
                }
                float s = (s0 + s1) + (s2 + s3);
                int ci = cOff + i * N + j;
                c[ci] = accumulate ? c[ci] + s : s;
            }
        }
    }

    /**
     * The oracle: C[M,N] (+)= op(A) * op(B) in double, with A stored [K,M] when {@code transA} and B stored [N,K]
     * when {@code transB}.
     */
    public static void gemmNaive(double[] c, double[] a, double[] b, int M, int N, int K,
                                 boolean transA, boolean transB, boolean accumulate) {
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < K; k++) {
                    double aik = transA ? a[k * M + i] : a[i * K + k];
                    double bkj = transB ? b[j * K + k] : b[k * N + j];
                    s += aik * bkj;
                }
                c[i * N + j] = accumulate ? c[i * N + j] + s : s;
            }
        }
    }
}
