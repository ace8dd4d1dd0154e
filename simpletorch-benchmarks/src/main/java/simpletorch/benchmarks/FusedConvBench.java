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
import simpletorch.kernels.Conv2dKernels;
import simpletorch.kernels.ConvGeometry;
import simpletorch.kernels.Parallel;

/**
 * The fused {@code conv2d -> relu -> max_pool2d} as SimpleNet's training step runs it, at batch 32:
 * {@link Conv2dKernels#forwardReluMaxPool2x2} and {@link Conv2dKernels#backwardReluMaxPool2x2} (from the pool's
 * winners where {@link Conv2dKernels#pooledWeightGrad} says so). Where no fused kernel takes the shape (JDK 17, or no
 * Vector API), the setup fails and says so: the three ops are {@link ConvBench} and {@link PoolBench}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
public class FusedConvBench {
    /** SimpleNet's two blocks, on CIFAR's 3x32x32 images and on Fashion-MNIST's 1x28x28. */
    public enum Shape {
        /** conv1 3 -> 16 at 32x32: the image needs no gradient. */
        CIFAR_CONV1(new ConvGeometry(32, 3, 32, 32, 16, 3, 3, 1, 1, 1, 1), false),
        /** conv2 16 -> 32 at 16x16. */
        CIFAR_CONV2(new ConvGeometry(32, 16, 16, 16, 32, 3, 3, 1, 1, 1, 1), true),
        /** conv1 1 -> 16 at 28x28: rows that are not whole vectors (the scalar pool). */
        FASHION_CONV1(new ConvGeometry(32, 1, 28, 28, 16, 3, 3, 1, 1, 1, 1), false),
        /** conv2 16 -> 32 at 14x14. */
        FASHION_CONV2(new ConvGeometry(32, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1), true);

        final ConvGeometry g;
        final boolean inputGrad;

        Shape(ConvGeometry g, boolean inputGrad) {
            this.g = g;
            this.inputGrad = inputGrad;
        }
    }

    @Param
    public Shape shape;

    @Param({"1", "2"})
    public int threads;

    float[] in;      // [N, C, H, W]
    float[] weight;  // [OC, C, 3, 3]
    float[] bias;    // [OC]
    float[] out;     // [N, OC, OH/2, OW/2]
    int[] argmax;    // [N, OC, OH/2, OW/2]
    float[] dpool;   // [N, OC, OH/2, OW/2]
    float[] dconv;   // [N, OC, OH, OW]: scratch of the dense backward, where that one runs
    float[] din;     // [N, C, H, W], or null
    float[] dweight; // [OC, C, 3, 3]
    float[] dbias;   // [OC]

    @Setup
    public void setUp() {
        ConvGeometry g = shape.g;
        if (!Conv2dKernels.fusesReluMaxPool2x2(g)) {
            throw new IllegalStateException("no fused conv2d + relu + max_pool2d for " + g
                    + " here (it needs the Vector API on JDK 25 or later)");
        }
        Parallel.setThreads(threads);
        Random random = new Random(Inputs.SEED);
        int pooled = g.N() * g.OC() * (g.OH() / 2) * (g.OW() / 2);
        in = Inputs.gaussian(random, g.N() * g.inImageSize());
        weight = Inputs.gaussian(random, g.OC() * g.C() * 9);
        bias = Inputs.gaussian(random, g.OC());
        out = new float[pooled];
        argmax = new int[pooled];
        dpool = Inputs.gaussian(random, pooled);
        dconv = Conv2dKernels.pooledWeightGrad(g) ? null : new float[g.N() * g.outImageSize()];
        // The gradients accumulate across calls, as they would without zeroGrad; that does not change the work.
        din = shape.inputGrad ? new float[in.length] : null;
        dweight = new float[weight.length];
        dbias = new float[g.OC()];
        Conv2dKernels.forwardReluMaxPool2x2(out, argmax, in, weight, bias, g); // winners for the backward
    }

    @Benchmark
    public float[] forward() {
        Conv2dKernels.forwardReluMaxPool2x2(out, argmax, in, weight, bias, shape.g);
        return out;
    }

    @Benchmark
    public float[] backward() {
        Conv2dKernels.backwardReluMaxPool2x2(din, dweight, dbias, dconv, dpool, out, argmax, in, weight, shape.g);
        return dweight;
    }
}
