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
 * <p>The products (convolutions, linear layers, matmul) also report their floating-point operations, a multiply-add
 * counting 2: the forward pass's product, and in the backward pass the weight gradient's and the input gradient's,
 * each only where that gradient is computed (a network's first layer computes none for its input). Bias sums,
 * normalisation, activations, pooling and the loss count nothing: a rounding error beside the products. GFLOPS are
 * then these counts over the measured times, per op and in all.
 *
 * <p>Ops are keyed by a label that names the op and its shapes ({@code "conv2d 3->16 k3 s1 p1 @32x32"}), so the
 * layers of a model show up separately. Not thread-safe: ops are issued from one thread (kernels parallelise
 * inside).
 */
public final class Profiler {
    /** Accumulated time of one label. */
    public record Entry(String label, long forwardNanos, long backwardNanos, long calls, long forwardFlops,
                        long backwardFlops) {
        public long totalNanos() {
            return forwardNanos + backwardNanos;
        }

        /** Floating-point operations of the forward and backward passes together; 0 for an op that counts none. */
        public long totalFlops() {
            return forwardFlops + backwardFlops;
        }
    }

    private static boolean enabled;
    // label -> {forward nanos, backward nanos, calls, forward FLOPs, backward FLOPs}
    private static final Map<String, long[]> TIMES = new LinkedHashMap<>();

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
        forward(start, label, 0);
    }

    /** Adds the time since {@code start} to the forward column of {@code label}, and {@code flops} to its count. */
    public static void forward(long start, Supplier<String> label, long flops) {
        if (enabled) {
            long nanos = System.nanoTime() - start; // before the label is built: its string is not the op's time
            add(label.get(), 0, nanos, flops);
        }
    }

    /** Adds the time since {@code start} to the backward column of {@code label}. */
    public static void backward(long start, Supplier<String> label) {
        backward(start, label, 0);
    }

    /** Adds the time since {@code start} to the backward column of {@code label}, and {@code flops} to its count. */
    public static void backward(long start, Supplier<String> label, long flops) {
        if (enabled) {
            long nanos = System.nanoTime() - start;
            add(label.get(), 1, nanos, flops);
        }
    }

    private static void add(String label, int column, long nanos, long flops) {
        long[] t = TIMES.computeIfAbsent(label, k -> new long[5]);
        t[column] += nanos;
        t[3 + column] += flops;
        if (column == 0) {
            t[2]++;
        }
    }

    /** Every label seen since the last reset, in first-seen order. */
    public static List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        TIMES.forEach((label, t) -> out.add(new Entry(label, t[0], t[1], t[2], t[3], t[4])));
        return out;
    }

    /** The floating-point operations of every op since the last reset, forward and backward. */
    public static long totalFlops() {
        long n = 0;
        for (long[] t : TIMES.values()) {
            n += t[3] + t[4];
        }
        return n;
    }
}
