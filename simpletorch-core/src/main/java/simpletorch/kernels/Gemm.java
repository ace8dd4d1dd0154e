package simpletorch.kernels;

/**
 * Single-precision matrix multiply, {@code C (+)= op(A) * op(B)}, over row-major arrays with offsets and leading
 * dimensions. Logical sizes: op(A) is M x K, op(B) is K x N, C is M x N.
 *
 * <p>{@link #sgemm} runs the Vector API kernel ({@code VectorGemm}) when the JVM has the
 * {@code jdk.incubator.vector} module, and plain loops otherwise. {@link #gemmNaive} is the double-precision
 * oracle the tests compare both against.
 */
public final class Gemm {
    /** True when the JVM was started with {@code --add-modules jdk.incubator.vector}. */
    public static final boolean VECTOR_AVAILABLE =
            ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    // Off with -Dsimpletorch.vector=false, to compare against or work around the Vector API path.
    private static boolean vectorEnabled = VECTOR_AVAILABLE && !"false".equals(System.getProperty("simpletorch.vector"));

    private Gemm() {
    }

    /** Whether {@link #sgemm} uses the Vector API kernel. */
    public static boolean vectorEnabled() {
        return vectorEnabled;
    }

    /**
     * Turns the Vector API kernel on or off (tests run both paths).
     *
     * @throws IllegalStateException when turning it on in a JVM without the jdk.incubator.vector module
     */
    public static void setVectorEnabled(boolean enabled) {
        if (enabled && !VECTOR_AVAILABLE) {
            throw new IllegalStateException("the JVM was started without --add-modules jdk.incubator.vector");
        }
        vectorEnabled = enabled;
    }

    /**
     * General matrix multiply in BLAS's terms: C (+)= op(A) * op(B), op(A) M x K, op(B) K x N, C M x N, all
     * row-major with leading dimensions (row strides) lda, ldb, ldc. op(A) is A stored K x M when transA,
     * likewise B. Writes C; reads A and B. Uses the Vector API kernel when enabled, else the scalar loops.
     *
     * @param accumulate add into C instead of overwriting it
     */
    public static void sgemm(boolean transA, boolean transB, int M, int N, int K,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc, boolean accumulate) {
        if (M == 0 || N == 0) {
            return;
        }
        if (vectorEnabled) {
            VectorGemm.sgemm(transA, transB, M, N, K, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        } else {
            sgemmScalar(transA, transB, M, N, K, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
    }

    /** The portable fallback of {@link #sgemm}: i-k-j loops whose inner loop runs over contiguous C and B rows. */
    static void sgemmScalar(boolean transA, boolean transB, int M, int N, int K,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                            float[] c, int cOff, int ldc, boolean accumulate) {
        for (int i = 0; i < M; i++) {
            int cRow = cOff + i * ldc;
            if (!accumulate) {
                java.util.Arrays.fill(c, cRow, cRow + N, 0f);
            }
            if (transB) { // dot products: B's rows are C's columns
                for (int j = 0; j < N; j++) {
                    float s = 0;
                    for (int k = 0; k < K; k++) {
                        s += (transA ? a[aOff + k * lda + i] : a[aOff + i * lda + k]) * b[bOff + j * ldb + k];
                    }
                    c[cRow + j] += s;
                }
            } else {
                for (int k = 0; k < K; k++) {
                    float aik = transA ? a[aOff + k * lda + i] : a[aOff + i * lda + k];
                    int bRow = bOff + k * ldb;
                    for (int j = 0; j < N; j++) {
                        c[cRow + j] += aik * b[bRow + j];
                    }
                }
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
