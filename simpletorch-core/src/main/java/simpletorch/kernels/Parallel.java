package simpletorch.kernels;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The one place where kernels go parallel: {@link #parallelFor} splits a range into contiguous chunks, one or a
 * few per thread ({@link #chunks}). The thread count defaults to the number of processors and is set once by the
 * application ({@code --threads}). Each thread normally runs its own run of chunks, but a chunk goes to whichever
 * thread takes it first, so a thread that the machine has not scheduled does not hold the loop up (see
 * {@link Job#runChunks}).
 *
 * <p>The workers are persistent and, after a job, spin for a short while ({@link #SPIN_NANOS}) before they park:
 * a training step issues dozens of parallel loops of a few hundred microseconds each, and waking a parked thread
 * costs tens of microseconds on a virtual machine (measured here: an empty parallel loop took 32 us through an
 * executor, and two threads gained 1.2x instead of 2x). Chunks are split deterministically by index, and a chunk
 * computes the same whichever thread runs it, so the same thread count gives the same result bit for bit. A loop
 * started while another is running (from another thread, or from inside a worker) runs on its caller alone.
 */
public final class Parallel {
    /** Work on the half-open range [from, to) of a parallel loop; {@code worker} is the chunk's index. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int worker, int from, int to);
    }

    /** How long an idle worker keeps polling for the next loop before it parks (the first 1% busy-waiting, then yielding). */
    static final long SPIN_NANOS = 2_000_000;

    private static int threads = Runtime.getRuntime().availableProcessors();
    private static Pool pool;

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

    private static synchronized Pool pool() {
        if (pool == null) {
            pool = new Pool(threads);
        }
        return pool;
    }

    /**
     * Runs {@code body} over [0, n) in {@link #chunks chunks(n)} contiguous chunks and waits for all of them.
     * Chunk {@code k} always covers the same indices for a given n and thread count.
     *
     * @return the number of chunks used (callers size per-chunk partial sums with {@link #chunks})
     */
    public static int parallelFor(int n, RangeBody body) {
        return parallelFor(n, chunks(n), null, body);
    }

    /**
     * {@link #parallelFor(int, RangeBody)} with {@code prepare} run once on each thread that takes a chunk, before
     * its first: for what each thread needs of its own, made where it is read (a layer's packed weights, in the
     * thread's scratch buffers, where one packing on the caller had every worker read it from the caller's core).
     */
    public static int parallelFor(int n, Runnable prepare, RangeBody body) {
        return parallelFor(n, chunks(n), prepare, body);
    }

    /**
     * Runs {@code body} over [0, n) with each index a chunk of its own (on one thread, one chunk of all): for a few
     * items of work each, where a thread that falls behind should leave the rest to the other. The caller must make
     * each item's result independent of which chunk holds it.
     */
    public static void parallelForEach(int n, RangeBody body) {
        parallelForEach(n, null, body);
    }

    /** {@link #parallelForEach(int, RangeBody)} with a prepare as {@link #parallelFor(int, Runnable, RangeBody)}'s. */
    public static void parallelForEach(int n, Runnable prepare, RangeBody body) {
        parallelFor(n, threads() == 1 ? Math.min(n, 1) : n, prepare, body);
    }

    private static int parallelFor(int n, int chunks, Runnable prepare, RangeBody body) {
        if (chunks <= 1) {
            if (n > 0) {
                if (prepare != null) {
                    prepare.run();
                }
                body.run(0, 0, n);
            }
            return Math.max(chunks, 0);
        }
        Pool p = pool();
        if (!p.busy.compareAndSet(false, true)) {
            int t = threads();
            if (prepare != null) {
                prepare.run();
            }
            for (int k = 0; k < chunks; k++) { // the same chunks, one after another
                body.run(k, start(n, k, chunks, t), start(n, k + 1, chunks, t));
            }
            return chunks;
        }
        try {
            p.run(n, chunks, prepare, body);
        } finally {
            p.busy.set(false);
        }
        return chunks;
    }

    /**
     * How many chunks {@link #parallelFor} cuts [0, n) into: up to {@link #CHUNKS_PER_THREAD} per thread, as long as
     * each thread's share holds at least {@link #MIN_CHUNK} items a chunk (a training batch of 32 images on 2 threads:
     * 8 chunks; an evaluation batch of 256: 8), and one per thread for a smaller range; their sizes shrink along each
     * thread's run ({@link #start}). Depends on n and the thread count only, so the chunks, and the results, do too.
     */
    public static int chunks(int n) {
        int t = threads();
        if (t == 1) {
            return Math.min(n, 1);
        }
        int perThread = Math.max(1, Math.min(CHUNKS_PER_THREAD, n / (t * MIN_CHUNK)));
        return Math.min(n, t * perThread);
    }

    /**
     * Chunks per thread for a large range. Each thread runs a contiguous run of them, so its items stay on its core
     * from one loop to the next; a thread that finishes early takes the last chunks of one that has not reached
     * them. Measured (AVX2 machine, inference at batch 256, 3 alternating pairs): 4 per thread 17,069 / 15,292 /
     * 14,988 images/s against 14,029 / 13,799 / 13,749 with one.
     */
    static final int CHUNKS_PER_THREAD = 4;
    /**
     * The fewest items a chunk of a split range holds on average (see {@link #chunks}). A training step at batch 32 on
     * 2 threads runs 8 chunks in each loop: when the other core is taken from a thread in the middle of its run,
     * the caller takes over what is left of it, a few images, instead of waiting for half the batch. Measured (AVX2,
     * 2 threads, one JVM alternating blocks of 50 steps, 24 blocks each, 3 runs): 7.07 / 6.73 / 6.48 s with 16 (2
     * chunks) against 6.61 / 6.41 / 5.93 s with 4 (8 chunks); an earlier check with 2 per thread (chunks of 8) had
     * made no difference.
     */
    static final int MIN_CHUNK = 4;

    /**
     * Where chunk {@code chunk} of [0, n) starts, for {@code threads} threads. Each thread's run of chunks (see
     * {@link Job#first}) covers an equal share of the range, and within a run the chunks shrink: a run of m chunks
     * over s items has its j-th boundary at {@code s*(1 - (1 - j/m)^2)}, rounded (a training batch of 32 images on 2
     * threads: 7, 5, 3 and 1 images, twice). A thread that is done takes what is left of the other's run
     * ({@link Job#nextToTake}), so the loop ends on small chunks and waits only for the one the other is in, usually a
     * small one too: with chunks of 4 images each, the caller waited ~7% of its time for the last chunk of a loop
     * (JFR, `bench`, AVX2). Measured on AVX2 (2 threads, one JVM alternating blocks of 40 training steps, 80 blocks
     * each way, three runs): medians 104.9 -> 102.5, 113.9 -> 113.6 and 120.5 -> 118.4 ms per block; shorter in 46,
     * 42 and 49 of 80 block pairs. Ranges too short for every chunk to keep an item ({@code n < chunks*m}), and one
     * thread, are cut evenly ({@code n*chunk/chunks}). Depends on n, chunks and threads only: the same thread count
     * gives the same chunks, and the same results.
     */
    static int start(int n, int chunk, int chunks, int threads) {
        int m = chunks / threads; // chunks per run
        if (threads <= 1 || m < 2 || chunks % threads != 0 || n < chunks * m) {
            return (int) ((long) n * chunk / chunks);
        }
        int run = chunk / m, j = chunk - run * m;
        int r0 = (int) ((long) n * run / threads), r1 = (int) ((long) n * (run + 1) / threads);
        if (j == 0) {
            return r0;
        }
        double left = 1 - (double) j / m;
        return r0 + (int) Math.round((r1 - r0) * (1 - left * left));
    }

    /** One parallel loop: its chunks, which of them are taken, how many are done. A new one per loop. */
    static final class Job {
        final RangeBody body;
        final Runnable prepare;
        final int n;
        final int chunks;
        final int threads;
        final AtomicIntegerArray taken;
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(Runnable prepare, RangeBody body, int n, int chunks, int threads) {
            this.prepare = prepare;
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.threads = threads;
            this.taken = new AtomicIntegerArray(chunks);
        }

        /** The first chunk of thread t's own run: thread t owns chunks [first(t), first(t + 1)). */
        int first(int t) {
            return (int) (((long) t * chunks + threads - 1) / threads);
        }

        /**
         * Runs thread {@code own}'s chunks in order, then every chunk not yet taken of each other thread's run
         * ({@link #nextToTake}). A chunk runs once, whoever runs it, and computes the same thing.
         */
        void runChunks(int own) {
            boolean prepared = prepare == null; // this thread's prepare, before its first chunk
            for (int k = first(own); k < first(own + 1); k++) {
                prepared = tryRun(k, prepared);
            }
            for (int i = 1; i < threads; i++) {
                int t = (own + i) % threads, lo = first(t), hi = first(t + 1);
                for (int k = nextToTake(lo, hi); k >= 0; k = nextToTake(lo, hi)) {
                    prepared = tryRun(k, prepared);
                }
            }
        }

        /**
         * The chunk to take next from another thread's run [lo, hi), or -1 when none is left. While that thread has
         * not started its run (a worker the machine has not scheduled), the last one not taken: the small chunks it
         * would have reached last, leaving it the large first one should it come. Once it has, the first one not
         * taken after those it took: the thread that is ahead takes the larger chunks that are left and the one behind
         * ends on the small last ones. (Taking from the end while the other thread was one large chunk behind, on a
         * vCPU running 1.4x slower in some minutes here, left the caller waiting for that chunk at the loop's end.)
         */
        private int nextToTake(int lo, int hi) {
            if (lo >= hi) {
                return -1;
            }
            if (taken.get(lo) == 0) {
                for (int k = hi - 1; k >= lo; k--) {
                    if (taken.get(k) == 0) {
                        return k;
                    }
                }
                return -1;
            }
            for (int k = lo + 1; k < hi; k++) {
                if (taken.get(k) == 0) {
                    return k;
                }
            }
            return -1;
        }

        /** Runs chunk k if no thread has taken it, after this thread's prepare if not yet run; returns whether it has. */
        private boolean tryRun(int k, boolean prepared) {
            if (taken.get(k) != 0 || !taken.compareAndSet(k, 0, 1)) {
                return prepared;
            }
            try {
                if (!prepared) {
                    prepared = true; // once, even if it throws: the failure is the loop's
                    prepare.run();
                }
                body.run(k, start(n, k, chunks, threads), start(n, k + 1, chunks, threads));
            } catch (Throwable t) {
                if (failure == null) {
                    failure = t;
                }
            } finally {
                done.incrementAndGet();
            }
            return prepared;
        }
    }

    /**
     * Persistent workers 1..threads-1 beside the caller. Each loop's chunks are taken, not assigned: a worker that
     * the machine has not scheduled yet (on this VM a busy vCPU loses its core for 0.5-5 ms some 30 times a second)
     * leaves its chunk to the caller instead of making the caller wait for it.
     */
    private static final class Pool {
        final AtomicBoolean busy = new AtomicBoolean();
        private final Thread[] workers;
        /**
         * 1 where worker i + 1 is parked or about to park: the caller unparks only those. An unpark takes a lock and
         * signals even a thread that is spinning: 0.7% of the caller's samples in a two-thread training step (JFR);
         * a loop of 20 us of work on two threads 24.0-24.4 -> 23.5-23.8 us with 5 us between loops (Zen 5). The
         * worker sets its flag before it looks at {@link #job} a last time and the caller reads the flags after it
         * set the job (both volatile), so that one of them sees the other; a worker that slept through a loop would
         * only leave its chunks to the caller.
         */
        private final AtomicIntegerArray parked;
        private volatile Job job;
        private volatile boolean stopped;

        Pool(int threads) {
            workers = new Thread[threads - 1];
            parked = new AtomicIntegerArray(threads - 1);
            for (int i = 0; i < workers.length; i++) {
                int own = i + 1;
                workers[i] = new Thread(() -> work(own), "simpletorch-worker-" + own);
                workers[i].setDaemon(true);
                workers[i].start();
            }
        }

        void run(int n, int chunks, Runnable prepare, RangeBody body) {
            Job j = new Job(prepare, body, n, chunks, workers.length + 1);
            job = j;
            for (int i = 0; i < workers.length; i++) {
                if (parked.get(i) != 0) {
                    LockSupport.unpark(workers[i]);
                }
            }
            j.runChunks(0);
            while (j.done.get() < chunks) {
                Thread.onSpinWait();
            }
            job = null; // let the body go
            Throwable t = j.failure;
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error err) {
                throw err;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        }

        private void work(int own) {
            Job seen = null;
            while (true) {
                long idleSince = System.nanoTime();
                Job j;
                while (((j = job) == null || j == seen) && !stopped) {
                    long idle = System.nanoTime() - idleSince;
                    if (idle < SPIN_NANOS / 100) {
                        Thread.onSpinWait();
                    } else if (idle < SPIN_NANOS) {
                        Thread.yield(); // stays awake, but lets a runnable thread (the data loader) have the core
                    } else {
                        parked.set(own - 1, 1);
                        Job last = job;
                        if ((last == null || last == seen) && !stopped) { // else a job came meanwhile: no park
                            LockSupport.park(this);
                        }
                        parked.set(own - 1, 0);
                    }
                }
                if (stopped) {
                    return;
                }
                seen = j;
                j.runChunks(own);
            }
        }

        void shutdown() {
            stopped = true;
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
        }
    }
}
