package simpletorch.kernels;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * The one place where kernels go parallel: {@link #parallelFor} splits a range into contiguous chunks, one per
 * worker, on a fixed pool of daemon threads. The thread count defaults to the number of processors and is set
 * once by the application ({@code --threads}).
 *
 * <p>Chunks are split deterministically by index, so the same thread count gives the same result bit for bit.
 */
public final class Parallel {
    /** Work on the half-open range [from, to) of a parallel loop; {@code worker} is the chunk's index. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int worker, int from, int to);
    }

    private static int threads = Runtime.getRuntime().availableProcessors();
    private static ExecutorService pool;

    private Parallel() {
    }

    public static synchronized int threads() {
        return threads;
    }

    /** Sets the number of worker threads (1 runs everything on the calling thread). */
    public static synchronized void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + n);
        }
        if (n != threads && pool != null) {
            pool.shutdown();
            pool = null;
        }
        threads = n;
    }

    private static synchronized ExecutorService pool() {
        if (pool == null) {
            ThreadFactory factory = r -> {
                Thread t = new Thread(r, "simpletorch-worker");
                t.setDaemon(true);
                return t;
            };
            pool = Executors.newFixedThreadPool(threads, factory);
        }
        return pool;
    }

    /**
     * Runs {@code body} over [0, n) in at most {@link #threads()} contiguous chunks and waits for all of them.
     * Chunk {@code k} always covers the same indices for a given n and thread count.
     *
     * @return the number of chunks used (callers size per-worker scratch with {@link #threads()})
     */
    public static int parallelFor(int n, RangeBody body) {
        int chunks = Math.min(threads(), n);
        if (chunks <= 1) {
            if (n > 0) {
                body.run(0, 0, n);
            }
            return Math.max(chunks, 0);
        }
        List<Future<?>> futures = new ArrayList<>(chunks - 1);
        ExecutorService p = pool();
        for (int k = 1; k < chunks; k++) {
            int worker = k;
            int from = (int) ((long) n * k / chunks);
            int to = (int) ((long) n * (k + 1) / chunks);
            futures.add(p.submit(() -> body.run(worker, from, to)));
        }
        body.run(0, 0, (int) ((long) n / chunks)); // the caller does the first chunk itself
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for workers", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException(cause);
            }
        }
        return chunks;
    }
}
