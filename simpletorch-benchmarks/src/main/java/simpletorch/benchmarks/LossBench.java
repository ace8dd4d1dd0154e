package simpletorch.benchmarks;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import simpletorch.kernels.LossKernels;

/** Cross-entropy over a batch of 32 logits of 10 classes, without label smoothing. Single-threaded kernels. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
public class LossBench {
    static final int B = 32;
    static final int C = 10;

    float[] logits;  // [B, C]
    int[] targets;   // [B]
    float[] probs;   // [B, C], the softmax
    float[] dlogits; // [B, C]

    @Setup
    public void setUp() {
        Random random = new Random(Inputs.SEED);
        logits = Inputs.gaussian(random, B * C);
        targets = Inputs.labels(random, B, C);
        probs = new float[B * C];
        LossKernels.crossEntropyForward(probs, logits, targets, B, C); // the backward pass reads the softmax
        dlogits = new float[B * C];
    }

    @Benchmark
    public double crossEntropyForward() {
        return LossKernels.crossEntropyForward(probs, logits, targets, B, C);
    }

    @Benchmark
    public float[] crossEntropyBackward() {
        LossKernels.crossEntropyBackward(dlogits, probs, targets, 1f, B, C);
        return dlogits;
    }
}
