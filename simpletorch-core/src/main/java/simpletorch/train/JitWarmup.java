package simpletorch.train;

import java.util.Arrays;
import java.util.function.BooleanSupplier;
import simpletorch.nn.Module;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * Warms the JIT up by training a throwaway model on random data, so that the real run starts with compiled kernels.
 *
 * <p>Why: the Vector API kernels run an interpreted, allocating fallback until HotSpot's optimising compiler (C2)
 * has compiled them. In a cold JVM the first SimpleNet step takes about 0.9 s instead of 3 ms, and the first
 * twenty steps about 2 s (docs/BENCHMARKS.md). The time a data set takes to load is idle time for the second core:
 * {@code simpletorch train} loads on one thread and calls {@link #run} on the other until loading is done, so the
 * compilation happens while the data loads instead of during the first epoch.
 *
 * <p>The throwaway model must be a separate instance of the same architecture (its own weights, its own optimiser),
 * and the warm-up must run before the real run seeds the default generator (building the throwaway model and its
 * dropout masks draw from it): then nothing of the real run is touched, and its results are the same bit for bit
 * with or without a warm-up ({@code JitWarmupTest}). Random images of the real shape and batch size take the same
 * code paths as the real data (the kernels choose their paths by shape).
 */
public final class JitWarmup {
    /** Steps after which a cold JVM is within a few percent of its steady speed on SimpleNet (measured: ~20). */
    public static final int DEFAULT_MAX_STEPS = 30;

    /** What a warm-up did. */
    public record Result(int steps, double seconds) {
    }

    private JitWarmup() {
    }

    /**
     * Runs training steps of {@code trainer} (which must hold a throwaway model) on random images of shape
     * {@code [batchSize, imageShape...]} with random labels, until {@code stop} is true (checked before every step)
     * or {@code maxSteps} steps are done. A step that fails (for example a model that does not fit the shape) ends
     * the warm-up quietly: the real run will meet and report the same problem.
     */
    public static Result run(Trainer trainer, int batchSize, int[] imageShape, int numClasses, int maxSteps,
                             BooleanSupplier stop) {
        if (batchSize < 1 || numClasses < 1 || imageShape.length == 0) {
            throw new IllegalArgumentException("warm-up needs a batch size, classes and an image shape, got batch "
                    + batchSize + ", " + numClasses + " classes, shape " + Arrays.toString(imageShape));
        }
        long start = System.nanoTime();
        int steps = 0;
        if (!stop.getAsBoolean() && maxSteps > 0) {
            Generator g = new Generator(0x3A11_5EEDL); // its own stream: the default generator is the real run's
            int[] shape = new int[imageShape.length + 1];
            shape[0] = batchSize;
            System.arraycopy(imageShape, 0, shape, 1, imageShape.length);
            Tensor images = Tensor.randn(g, shape);
            int[] labels = new int[batchSize];
            for (int i = 0; i < batchSize; i++) {
                labels[i] = g.nextInt(numClasses);
            }
            trainer.model().train();
            try {
                while (steps < maxSteps && !stop.getAsBoolean()) {
                    trainer.step(images, labels, steps + 1);
                    steps++;
                }
            } catch (RuntimeException e) {
                // Not this class's to report; see the method's comment.
            }
        }
        return new Result(steps, (System.nanoTime() - start) / 1e9);
    }
}
