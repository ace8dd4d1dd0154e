package simpletorch.benchmarks;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import simpletorch.kernels.Gemm;

/**
 * {@link Gemm#sgemm} (the Vector API kernel, VectorGemm, when enabled), C[M,N] = A[M,K] * B[K,N], no transposes.
 * One call runs on one thread. GFLOPS = 2*M*N*K / time.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
public class GemmBench {
    /**
     * "MxNxK". 512x512x512 is the textbook square; 32x256x144 is SimpleNet conv2's forward product for one
     * image (OC x OH*OW x C*KH*KW); 16x1024x27 is conv1's. Any other size: {@code -p mnk=1024x1024x1024}.
     */
    @Param({"512x512x512", "32x256x144", "16x1024x27"})
    public String mnk;

    /** false runs the scalar loops (as -Dsimpletorch.vector=false does). */
    @Param({"true"})
    public boolean vector;

    int M;
    int N;
    int K;
    float[] a; // [M, K]
    float[] b; // [K, N]
    float[] c; // [M, N]

    @Setup
    public void setUp() {
        Gemm.setVectorEnabled(vector);
        String[] sizes = mnk.split("x");
        if (sizes.length != 3) {
            throw new IllegalArgumentException("mnk must be MxNxK, got " + mnk);
        }
        M = Integer.parseInt(sizes[0]);
        N = Integer.parseInt(sizes[1]);
        K = Integer.parseInt(sizes[2]);
        Random random = new Random(Inputs.SEED);
        a = Inputs.gaussian(random, M * K);
        b = Inputs.gaussian(random, K * N);
        c = new float[M * N];
    }

    @Benchmark
    public float[] sgemm() {
        Gemm.sgemm(false, false, M, N, K, a, 0, K, b, 0, N, c, 0, N, false);
        return c;
    }
}
