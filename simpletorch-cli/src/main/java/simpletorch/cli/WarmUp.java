package simpletorch.cli;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * When {@code bench}'s untimed warm-up may stop: after a fixed number of images, or (the default) once the JIT has
 * finished. C2 keeps compiling the step's methods for the first several hundred steps of a run; on a machine with as
 * many cores as training threads the compiler threads take a core from the training while they do, which costs two
 * threads more than one (the Zen 5 machine, SimpleNet at batch 32: compiler time still growing at step 750-1,850,
 * `bench` 1.37-1.53x two threads against one after the old fixed 3,200 images, 1.56-1.74x after 25,600;
 * docs/BENCHMARKS.md). So by default the warm-up runs until the compilers have been idle for {@link #QUIET_STEPS}
 * steps (compiling for at most {@link #QUIET_SHARE} of their time), at least {@link #MIN_IMAGES} images and at most
 * {@link #MAX_IMAGES} images or {@link #MAX_NANOS} nanoseconds.
 */
final class WarmUp {
    /** Images the automatic warm-up runs at least: the old fixed default. */
    static final int MIN_IMAGES = 3_200;
    /** Images the automatic warm-up runs at most (20x the minimum: SimpleNet's steps were steady after ~25,600). */
    static final int MAX_IMAGES = 64_000;
    /** Wall time the automatic warm-up runs at most, for the slower models. */
    static final long MAX_NANOS = 60_000_000_000L;
    /** Steps over which the compilers must have been idle. */
    static final int QUIET_STEPS = 100;
    /**
     * Compiler time that still counts as idle over {@link #QUIET_STEPS} steps, as a share of their wall time (and at
     * least {@link #QUIET_MIN_MILLIS}): a step's rarely called methods reach their thresholds for a long while, each a
     * millisecond or two. A share, so that the rule means the same for steps of 32 training images (~1 ms each here)
     * and of 256 inference images (~4 ms).
     */
    static final double QUIET_SHARE = 0.02;
    /** The compilers report whole milliseconds. */
    static final long QUIET_MIN_MILLIS = 1;

    private final Integer fixedImages;
    private final LongSupplier compileMillis;
    private final LongSupplier nanoTime;
    private final long[] history = new long[QUIET_STEPS + 1]; // compile time (ms) after step k, in a ring
    private final long[] times = new long[QUIET_STEPS + 1]; // the clock (ns) after step k, in a ring
    private long start = -1;
    private int steps;
    private int images;
    private String reason = "";

    private WarmUp(Integer fixedImages, LongSupplier compileMillis, LongSupplier nanoTime) {
        this.fixedImages = fixedImages;
        this.compileMillis = compileMillis;
        this.nanoTime = nanoTime;
    }

    /** Exactly {@code images} images (0: none). */
    static WarmUp fixed(int images) {
        return new WarmUp(images, () -> 0, System::nanoTime);
    }

    /**
     * Until the JIT is idle (see the class comment); where the JVM does not report compile time, {@link #MIN_IMAGES}
     * images.
     */
    static WarmUp untilCompiled() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return fixed(MIN_IMAGES);
        }
        return new WarmUp(null, jit::getTotalCompilationTime, System::nanoTime);
    }

    /** For tests: the automatic rule over the given clocks. */
    static WarmUp untilCompiled(LongSupplier compileMillis, LongSupplier nanoTime) {
        return new WarmUp(null, compileMillis, nanoTime);
    }

    /** Whether no step should run at all. */
    boolean none() {
        return fixedImages != null && fixedImages == 0;
    }

    /** Records a step of {@code batch} images and says whether the warm-up is over. */
    boolean stepDone(int batch) {
        if (start < 0) {
            start = nanoTime.getAsLong();
        }
        images += batch;
        steps++;
        if (fixedImages != null) {
            reason = "as asked";
            return images >= fixedImages;
        }
        long now = compileMillis.getAsLong(), clock = nanoTime.getAsLong();
        history[steps % history.length] = now;
        times[steps % times.length] = clock;
        if (images >= MAX_IMAGES) {
            reason = "the limit of " + MAX_IMAGES + " images, the JIT still compiling";
            return true;
        }
        if (clock - start >= MAX_NANOS) {
            reason = "the limit of " + MAX_NANOS / 1_000_000_000L + " s, the JIT still compiling";
            return true;
        }
        if (images < MIN_IMAGES || steps <= QUIET_STEPS) {
            return false;
        }
        int then = (steps - QUIET_STEPS) % history.length;
        double allowed = Math.max(QUIET_MIN_MILLIS, QUIET_SHARE * (clock - times[then]) / 1e6);
        if (now - history[then] <= allowed) {
            reason = "until the JIT compilers had been idle for " + QUIET_STEPS + " steps";
            return true;
        }
        return false;
    }

    int images() {
        return images;
    }

    /** Why the warm-up stopped, for the report. */
    String reason() {
        return reason;
    }

    /** Seconds since the first step. */
    double seconds() {
        return start < 0 ? 0 : (nanoTime.getAsLong() - start) / 1e9;
    }
}
