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
import simpletorch.kernels.LinearKernels;
import simpletorch.kernels.Parallel;

/**
 * SimpleNet's classifier, fc1: [32, 2048] -> [32, 10] with bias. Its input (the flattened pool output) needs a
 * gradient, so backward computes din, dweight and dbias. Forward is 2*B*IN*OUT = 1,310,720 FLOP, backward twice that.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
public class LinearBench {
    static final int B = 32;
    static final int IN = 2048;
    static final int OUT = 10;

    @Param({"1", "2"})
    public int threads;

    /** false runs the scalar GEMM path (as -Dsimpletorch.vector=false does). */
    @Param({"true"})
    public boolean vector;

    float[] in;      // [B, IN]
    float[] weight;  // [OUT, IN]
    float[] bias;    // [OUT]
    float[] out;     // [B, OUT]
    float[] dout;    // [B, OUT]
    float[] din;     // [B, IN]
    float[] dweight; // [OUT, IN]
    float[] dbias;   // [OUT]

    @Setup
    public void setUp() {
        Parallel.setThreads(threads);
        Gemm.setVectorEnabled(vector);
        Random random = new Random(Inputs.SEED);
        in = Inputs.gaussian(random, B * IN);
        weight = Inputs.gaussian(random, OUT * IN);
        bias = Inputs.gaussian(random, OUT);
        out = new float[B * OUT];
        dout = Inputs.gaussian(random, B * OUT);
        din = new float[B * IN];
        dweight = new float[OUT * IN];
        dbias = new float[OUT];
    }

    @Benchmark
    public float[] forward() {
        LinearKernels.forward(out, in, weight, bias, B, IN, OUT);
        return out;
    }

    @Benchmark
    public float[] backward() {
        LinearKernels.backward(din, dweight, dbias, dout, in, weight, B, IN, OUT);
        return dweight;
    }
}
