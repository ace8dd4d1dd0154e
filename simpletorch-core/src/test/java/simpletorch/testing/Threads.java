package simpletorch.testing;

import simpletorch.kernels.Parallel;

/** Runs a block with a given {@link Parallel} thread count and always restores the previous one. */
public final class Threads {
    private Threads() {
    }

    public static void with(int threads, Runnable body) {
        int previous = Parallel.threads();
        Parallel.setThreads(threads);
        try {
            body.run();
        } finally {
            Parallel.setThreads(previous);
        }
    }
}
