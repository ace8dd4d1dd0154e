package simpletorch.benchmarks;

import java.util.Arrays;
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
import simpletorch.kernels.NormKernels;
import simpletorch.kernels.Parallel;

/**
 * BatchNorm2d in training at ResNet-20's three stage shapes, batch 32: the batch statistics, the normalisation and
 * the backward pass (all three gradients). {@code -p vector=false} runs the scalar loops.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
public class NormBench {
    /** N, C, S = H*W of an activation. */
    public enum Shape {
        STAGE1(32, 16, 32 * 32), STAGE2(32, 32, 16 * 16), STAGE3(32, 64, 8 * 8);

        final int n, c, s;

        Shape(int n, int c, int s) {
            this.n = n;
            this.c = c;
            this.s = s;
        }
    }

    @Param
    public Shape shape;

    @Param({"1", "2"})
    public int threads;

    @Param({"true"})
    public boolean vector;

    float[] in, out, dout, din;
    float[] mean, var, invstd, weight, bias, dweight, dbias;

    @Setup
    public void setUp() {
        Parallel.setThreads(threads);
        Gemm.setVectorEnabled(vector);
        Random random = new Random(Inputs.SEED);
        int size = shape.n * shape.c * shape.s;
        in = Inputs.gaussian(random, size);
        dout = Inputs.gaussian(random, size);
        out = new float[size];
        din = new float[size];
        mean = new float[shape.c];
        var = new float[shape.c];
        invstd = new float[shape.c];
        weight = new float[shape.c];
        bias = new float[shape.c];
        dweight = new float[shape.c];
        dbias = new float[shape.c];
        Arrays.fill(weight, 1f);
        NormKernels.batchStats(mean, var, in, shape.n, shape.c, shape.s);
        for (int c = 0; c < shape.c; c++) {
            invstd[c] = (float) (1 / Math.sqrt(var[c] + 1e-5));
        }
    }

    @Benchmark
    public float[] stats() {
        NormKernels.batchStats(mean, var, in, shape.n, shape.c, shape.s);
        return var;
    }

    @Benchmark
    public float[] normalize() {
        NormKernels.batchNormForward(out, in, mean, invstd, weight, bias, shape.n, shape.c, shape.s);
        return out;
    }

    @Benchmark
    public float[] backward() {
        NormKernels.batchNormBackward(din, dweight, dbias, dout, in, mean, invstd, weight, true, shape.n, shape.c,
                shape.s);
        return din;
    }
}
