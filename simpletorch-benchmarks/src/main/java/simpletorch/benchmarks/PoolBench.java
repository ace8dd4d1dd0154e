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
import simpletorch.kernels.Parallel;
import simpletorch.kernels.PoolGeometry;
import simpletorch.kernels.PoolKernels;

/** SimpleNet's first max pool: 2x2, stride 2, [32, 16, 32, 32] -> [32, 16, 16, 16]. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
public class PoolBench {
    static final PoolGeometry G = new PoolGeometry(32, 16, 32, 32, 2, 2, 2, 2, 0, 0);

    @Param({"1", "2"})
    public int threads;

    float[] in;     // [N, C, H, W]
    float[] out;    // [N, C, OH, OW]
    int[] argmax;   // [N, C, OH, OW]
    float[] dout;   // [N, C, OH, OW]
    float[] din;    // [N, C, H, W]

    @Setup
    public void setUp() {
        Parallel.setThreads(threads);
        Random random = new Random(Inputs.SEED);
        int outs = G.N() * G.C() * G.OH() * G.OW();
        in = Inputs.gaussian(random, G.N() * G.C() * G.H() * G.W());
        out = new float[outs];
        argmax = new int[outs];
        PoolKernels.maxPool2dForward(out, argmax, in, G); // the backward pass routes through these winners
        dout = Inputs.gaussian(random, outs);
        din = new float[in.length];
    }

    @Benchmark
    public float[] maxPool2dForward() {
        PoolKernels.maxPool2dForward(out, argmax, in, G);
        return out;
    }

    @Benchmark
    public float[] maxPool2dBackward() {
        PoolKernels.maxPool2dBackward(din, dout, argmax, G);
        return din;
    }
}
