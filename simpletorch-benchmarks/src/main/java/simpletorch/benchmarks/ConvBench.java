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
import simpletorch.kernels.Gemm;
import simpletorch.kernels.Parallel;

/**
 * {@link Conv2dKernels#forward} and {@link Conv2dKernels#backward} at batch 32, for the convolutions of the
 * tutorial's SimpleNet and five of ResNet-20's ({@code -jvmArgsAppend -Dsimpletorch.channelWeightGrad=false}
 * runs the 3x3 weight gradients with vectors along the rows instead). GFLOPS = {@link Shape#forwardFlops()} (or
 * backwardFlops) / time.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
public class ConvBench {
    /** A layer as the training step calls it: its sizes, whether it has a bias, whether its input needs a gradient. */
    public enum Shape {
        /** SimpleNet conv1: 3 -> 16, 3x3, pad 1, 32x32. The image needs no gradient, so backward skips din. */
        CONV1(new ConvGeometry(32, 3, 32, 32, 16, 3, 3, 1, 1, 1, 1), true, false),
        /** SimpleNet conv2: 16 -> 32, 3x3, pad 1, 16x16 (after the first 2x2 max pool). */
        CONV2(new ConvGeometry(32, 16, 16, 16, 32, 3, 3, 1, 1, 1, 1), true, true),
        /** ResNet-20's shortcut projection into stage 2: 16 -> 32, 1x1, stride 2, 32x32 -> 16x16, no bias. */
        DOWNSAMPLE_1X1(new ConvGeometry(32, 16, 32, 32, 32, 1, 1, 2, 2, 0, 0), false, true),
        /** ResNet-20's first conv of stage 2: 16 -> 32, 3x3, stride 2, pad 1, 32x32 -> 16x16, no bias. */
        STRIDE2(new ConvGeometry(32, 16, 32, 32, 32, 3, 3, 2, 2, 1, 1), false, true),
        /** ResNet-20's stage 1 convs: 16 -> 16, 3x3, pad 1, 32x32, no bias. */
        RESNET_16(new ConvGeometry(32, 16, 32, 32, 16, 3, 3, 1, 1, 1, 1), false, true),
        /** ResNet-20's stage 2 convs: 32 -> 32, 3x3, pad 1, 16x16, no bias. */
        RESNET_32(new ConvGeometry(32, 32, 16, 16, 32, 3, 3, 1, 1, 1, 1), false, true),
        /** ResNet-20's stage 3 convs: 64 -> 64, 3x3, pad 1, 8x8, no bias. */
        RESNET_64(new ConvGeometry(32, 64, 8, 8, 64, 3, 3, 1, 1, 1, 1), false, true);

        final ConvGeometry g;
        final boolean bias;
        final boolean inputGrad;

        Shape(ConvGeometry g, boolean bias, boolean inputGrad) {
            this.g = g;
            this.bias = bias;
            this.inputGrad = inputGrad;
        }

        /** Multiply-adds of one forward call, counted as 2 FLOP: 2 * N * OC * OH * OW * C * KH * KW. */
        public long forwardFlops() {
            return 2L * g.N() * g.OC() * g.OH() * g.OW() * g.C() * g.KH() * g.KW();
        }

        /** The weight gradient costs one forward's FLOP, the input gradient (when taken) another. */
        public long backwardFlops() {
            return (inputGrad ? 2 : 1) * forwardFlops();
        }
    }

    @Param
    public Shape shape;

    @Param({"1", "2"})
    public int threads;

    /** false runs the scalar GEMM path (as -Dsimpletorch.vector=false does). */
    @Param({"true"})
    public boolean vector;

    float[] in;      // [N, C, H, W]
    float[] weight;  // [OC, C, KH, KW]
    float[] bias;    // [OC], or null
    float[] out;     // [N, OC, OH, OW]
    float[] dout;    // [N, OC, OH, OW]
    float[] din;     // [N, C, H, W], or null
    float[] dweight; // [OC, C, KH, KW]
    float[] dbias;   // [OC], or null

    @Setup
    public void setUp() {
        Parallel.setThreads(threads);
        Gemm.setVectorEnabled(vector);
        ConvGeometry g = shape.g;
        Random random = new Random(Inputs.SEED);
        int weights = g.OC() * g.C() * g.KH() * g.KW();
        int outs = g.N() * g.outImageSize();
        in = Inputs.gaussian(random, g.N() * g.inImageSize());
        weight = Inputs.gaussian(random, weights);
        bias = shape.bias ? Inputs.gaussian(random, g.OC()) : null;
        out = new float[outs];
        dout = Inputs.gaussian(random, outs);
        // The gradients accumulate across calls, as they would without zeroGrad; that does not change the work.
        din = shape.inputGrad ? new float[in.length] : null;
        dweight = new float[weights];
        dbias = shape.bias ? new float[g.OC()] : null;
    }

    @Benchmark
    public float[] forward() {
        Conv2dKernels.forward(out, in, weight, bias, shape.g);
        return out;
    }

    @Benchmark
    public float[] backward() {
        Conv2dKernels.backward(din, dweight, dbias, dout, in, weight, shape.g);
        return dweight;
    }
}
