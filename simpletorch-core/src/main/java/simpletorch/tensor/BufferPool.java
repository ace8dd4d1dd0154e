package simpletorch.tensor;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Float arrays handed back by {@link Tensor#releaseGraph()} and handed out again for the next step's activations
 * and gradients, so that steady-state training allocates (and the collector reclaims) almost nothing: one step of
 * SimpleNet otherwise allocates about 18 MB of arrays.
 *
 * <p>Arrays are kept by exact length; a step of a fixed model asks for the same lengths every time. The pool is
 * bounded ({@link #MAX_BYTES}) so that a changing workload cannot make it grow without end. Thread-safe; ops are
 * issued from one thread, so the lock is uncontended.
 *
 * <p>Index arrays (max-pooling's winners) have a pool of their own, {@link #takeInts}; their owner, a graph
 * {@link Node}, gives them back when its graph is released.
 */
public final class BufferPool {
    static final long MAX_BYTES = 1L << 30;

    private static final Map<Integer, ArrayDeque<float[]>> FREE = new HashMap<>();
    private static final Map<Integer, ArrayDeque<int[]>> FREE_INTS = new HashMap<>();
    private static long pooledBytes;

    private BufferPool() {
    }

    /** An array of length n with arbitrary contents. */
    public static synchronized float[] take(int n) {
        ArrayDeque<float[]> free = FREE.get(n);
        if (free != null && !free.isEmpty()) {
            pooledBytes -= 4L * n;
            return free.pop();
        }
        return new float[n];
    }

    /** Gives an array back; the caller must not use it again. */
    public static synchronized void give(float[] array) {
        if (array.length == 0 || pooledBytes + 4L * array.length > MAX_BYTES) {
            return; // left to the garbage collector
        }
        FREE.computeIfAbsent(array.length, k -> new ArrayDeque<>()).push(array);
        pooledBytes += 4L * array.length;
    }

    /** An int array of length n with arbitrary contents. */
    public static synchronized int[] takeInts(int n) {
        ArrayDeque<int[]> free = FREE_INTS.get(n);
        if (free != null && !free.isEmpty()) {
            pooledBytes -= 4L * n;
            return free.pop();
        }
        return new int[n];
    }

    /** Gives an int array back; the caller must not use it again. */
    public static synchronized void giveInts(int[] array) {
        if (array.length == 0 || pooledBytes + 4L * array.length > MAX_BYTES) {
            return;
        }
        FREE_INTS.computeIfAbsent(array.length, k -> new ArrayDeque<>()).push(array);
        pooledBytes += 4L * array.length;
    }

    /** Bytes currently held for reuse. */
    static synchronized long pooledBytes() {
        return pooledBytes;
    }
}
