package simpletorch.autograd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Wall-clock time per operation, forward and backward, for {@code train --profile} and {@code bench}: the
 * tutorial's "performance analysis tools". Off by default, and then each op pays one boolean check.
 *
 * <p>Ops are keyed by a label that names the op and its shapes ({@code "conv2d 3->16 k3 s1 p1 @32x32"}), so the
 * layers of a model show up separately. Not thread-safe: ops are issued from one thread (kernels parallelise
 * inside).
 */
public final class Profiler {
    /** Accumulated time of one label. */
    public record Entry(String label, long forwardNanos, long backwardNanos, long calls) {
        public long totalNanos() {
            return forwardNanos + backwardNanos;
        }
    }

    private static boolean enabled;
    private static final Map<String, long[]> TIMES = new LinkedHashMap<>(); // label -> {forward, backward, calls}

    private Profiler() {
    }

    public static boolean enabled() {
        return enabled;
    }

    public static void setEnabled(boolean on) {
        enabled = on;
    }

    public static void reset() {
        TIMES.clear();
    }

    /** A start time to pass to {@link #forward} or {@link #backward}; 0 when profiling is off. */
    public static long start() {
        return enabled ? System.nanoTime() : 0;
    }

    /** Adds the time since {@code start} to the forward column of {@code label}. */
    public static void forward(long start, Supplier<String> label) {
        if (enabled) {
            add(label.get(), 0, System.nanoTime() - start);
        }
    }

    /** Adds the time since {@code start} to the backward column of {@code label}. */
    public static void backward(long start, Supplier<String> label) {
        if (enabled) {
            add(label.get(), 1, System.nanoTime() - start);
        }
    }

    private static void add(String label, int column, long nanos) {
        long[] t = TIMES.computeIfAbsent(label, k -> new long[3]);
        t[column] += nanos;
        if (column == 0) {
            t[2]++;
        }
    }

    /** Every label seen since the last reset, in first-seen order. */
    public static List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        TIMES.forEach((label, t) -> out.add(new Entry(label, t[0], t[1], t[2])));
        return out;
    }
}
