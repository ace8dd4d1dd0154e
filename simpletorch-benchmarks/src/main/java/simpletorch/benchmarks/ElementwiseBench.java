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
import simpletorch.kernels.ElementwiseKernels;
import simpletorch.kernels.Parallel;

/**
 * ReLU on SimpleNet conv1's output, [32, 16, 32, 32] = 524,288 floats, half of them negative (so the sign is a
 * coin flip, as after a real convolution).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
public class ElementwiseBench {
    static final int N = 32 * 16 * 32 * 32;

    @Param({"1", "2"})
    public int threads;

    float[] in;   // [N]
    float[] out;  // [N], relu(in)
    float[] dout; // [N]
    float[] din;  // [N]

    @Setup
    public void setUp() {
        Parallel.setThreads(threads);
        Random random = new Random(Inputs.SEED);
        in = Inputs.gaussian(random, N);
        out = new float[N];
        ElementwiseKernels.reluForward(out, in, N); // the backward pass reads the forward output
        dout = Inputs.gaussian(random, N);
        din = new float[N];
    }

    @Benchmark
    public float[] reluForward() {
        ElementwiseKernels.reluForward(out, in, N);
        return out;
    }

    @Benchmark
    public float[] reluBackward() {
        ElementwiseKernels.reluBackward(din, dout, out, N);
        return din;
    }
}
