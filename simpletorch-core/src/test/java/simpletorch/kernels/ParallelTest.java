package simpletorch.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import simpletorch.testing.Threads;

class ParallelTest {

    @Test
    void chunksCoverTheRangeOnceInDeterministicContiguousPieces() {
        for (int threads = 1; threads <= 3; threads++) {
            for (int n : new int[] {0, 1, 2, 5, 7, 32, 100, 256}) {
                int t = threads;
                Threads.with(threads, () -> {
                    AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                    List<int[]> chunks = Collections.synchronizedList(new ArrayList<>());
                    int used = Parallel.parallelFor(n, (worker, from, to) -> {
                        chunks.add(new int[] {worker, from, to});
                        for (int i = from; i < to; i++) {
                            hits.incrementAndGet(i);
                        }
                    });
                    int perThread = Math.max(1, Math.min(Parallel.CHUNKS_PER_THREAD, n / (t * Parallel.MIN_CHUNK)));
                    int expected = Math.min(n, t == 1 ? 1 : t * perThread);
                    assertThat(used).as("chunks for n=%d threads=%d", n, t).isEqualTo(expected)
                            .isEqualTo(Parallel.chunks(n));
                    for (int i = 0; i < n; i++) {
                        assertThat(hits.get(i)).as("index %d of %d with %d threads", i, n, t).isEqualTo(1);
                    }
                    chunks.sort(java.util.Comparator.comparingInt(c -> c[0]));
                    int end = 0;
                    for (int[] c : chunks) { // in index order, each starting where the one before ends
                        assertThat(c[1]).as("chunk %d of n=%d threads=%d", c[0], n, t).isEqualTo(end)
                                .isEqualTo(Parallel.start(n, c[0], used, t));
                        assertThat(c[2]).isGreaterThan(c[1]).isEqualTo(Parallel.start(n, c[0] + 1, used, t));
                        end = c[2];
                    }
                    assertThat(end).isEqualTo(n);
                });
            }
        }
    }

    /**
     * Each thread's run of chunks covers an equal share of the range, its chunks shrinking towards the end (the ones
     * another thread takes, and the ones a thread finishes the loop with).
     */
    @Test
    void aThreadsRunOfChunksShrinksTowardsItsEnd() {
        assertThat(sizes(32, 8, 2)).containsExactly(7, 5, 3, 1, 7, 5, 3, 1);
        assertThat(sizes(256, 8, 2)).containsExactly(56, 40, 24, 8, 56, 40, 24, 8);
        assertThat(sizes(24, 6, 2)).containsExactly(7, 4, 1, 7, 4, 1);
        assertThat(sizes(12, 6, 3)).containsExactly(3, 1, 3, 1, 3, 1);
        assertThat(sizes(12, 4, 2)).containsExactly(5, 1, 5, 1);
        // too short for shrinking chunks (each would not keep an item), or one thread: even chunks
        assertThat(sizes(6, 4, 2)).containsExactly(1, 2, 1, 2);
        assertThat(sizes(10, 10, 2)).containsOnly(1);
        assertThat(sizes(5, 1, 1)).containsExactly(5);
    }

    private static List<Integer> sizes(int n, int chunks, int threads) {
        List<Integer> sizes = new ArrayList<>();
        for (int k = 0; k < chunks; k++) {
            sizes.add(Parallel.start(n, k + 1, chunks, threads) - Parallel.start(n, k, chunks, threads));
        }
        return sizes;
    }

    @Test
    void aTrainingBatchIsCutIntoChunksOfFourImagesAndAnEvaluationBatchIntoFourChunksPerThread() {
        Threads.with(2, () -> {
            assertThat(Parallel.chunks(32)).isEqualTo(8);
            assertThat(Parallel.chunks(256)).isEqualTo(8);
            assertThat(Parallel.chunks(12)).isEqualTo(2); // fewer than 4 items a chunk: one chunk per thread
            assertThat(Parallel.chunks(1)).isEqualTo(1);
        });
        Threads.with(1, () -> assertThat(Parallel.chunks(32)).isEqualTo(1));
    }

    @Test
    void forEachRunsEveryIndexOnceAsAChunkOfItsOwnOrAllAsOneOnOneThread() {
        for (int threads = 1; threads <= 3; threads++) {
            for (int n : new int[] {0, 1, 2, 5, 8, 9}) {
                int t = threads;
                Threads.with(threads, () -> {
                    AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                    List<int[]> chunks = Collections.synchronizedList(new ArrayList<>());
                    Parallel.parallelForEach(n, (chunk, from, to) -> {
                        chunks.add(new int[] {chunk, from, to});
                        for (int i = from; i < to; i++) {
                            hits.incrementAndGet(i);
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        assertThat(hits.get(i)).as("index %d of %d with %d threads", i, n, t).isEqualTo(1);
                    }
                    if (t == 1) {
                        assertThat(chunks).hasSize(Math.min(n, 1));
                    } else {
                        assertThat(chunks).hasSize(n).allSatisfy(c -> assertThat(new int[] {c[1], c[2]})
                                .containsExactly(c[0], c[0] + 1));
                    }
                });
            }
        }
    }

    @Test
    void aWorkersExceptionReachesTheCaller() {
        Threads.with(3, () -> assertThatThrownBy(() -> Parallel.parallelFor(9, (worker, from, to) -> {
            if (worker == 2) {
                throw new IllegalStateException("boom in worker 2");
            }
        })).isInstanceOf(IllegalStateException.class).hasMessage("boom in worker 2"));
    }

    /**
     * A thread runs its own chunks first, in order, and then every chunk nobody has taken, from the end of each
     * other thread's run; a chunk runs once, and a thread that comes late finds nothing left (as when the machine
     * did not schedule a worker in time).
     */
    @Test
    void aThreadRunsItsOwnChunksThenTakesTheOthersFromTheirEnd() {
        List<int[]> runs = new ArrayList<>();
        // 6 chunks of [0, 12) for 3 threads: thread 0 owns chunks 0-1 ([0, 3) and [3, 4)), thread 1 chunks 2-3,
        // thread 2 chunks 4-5
        Parallel.Job job = new Parallel.Job(null, (chunk, from, to) -> runs.add(new int[] {chunk, from, to}), 12, 6, 3);
        job.runChunks(1);
        assertThat(runs).extracting(r -> r[0]).containsExactly(2, 3, 5, 4, 1, 0);
        assertThat(runs).extracting(r -> r[1] + "-" + r[2]).containsExactly("4-7", "7-8", "11-12", "8-11", "3-4", "0-3");
        assertThat(job.done.get()).isEqualTo(6);
        job.runChunks(0);
        assertThat(runs).hasSize(6);

        // Fewer chunks than threads: a thread that owns none only takes others' chunks.
        List<Integer> small = new ArrayList<>();
        Parallel.Job two = new Parallel.Job(null, (chunk, from, to) -> small.add(chunk), 2, 2, 3);
        assertThat(two.first(0)).isEqualTo(0);
        assertThat(two.first(1)).isEqualTo(1);
        assertThat(two.first(2)).isEqualTo(2);
        assertThat(two.first(3)).isEqualTo(2);
        two.runChunks(2);
        assertThat(small).containsExactly(0, 1);
    }

    /**
     * Once the other thread has started its run, a thread that is done takes that run's first chunk not yet taken
     * (the next one the other would reach, the larger of those left), not its last: 8 chunks of 32 images for 2
     * threads, runs of 7, 5, 3 and 1 images; the worker is in its first chunk (taken, not done) when the caller ends
     * its own run.
     */
    @Test
    void aThreadThatIsAheadTakesTheNextChunkOfAStartedRun() {
        List<Integer> order = new ArrayList<>();
        Parallel.Job job = new Parallel.Job(null, (chunk, from, to) -> order.add(chunk), 32, 8, 2);
        assertThat(job.taken.compareAndSet(4, 0, 1)).isTrue(); // the worker took chunk 4 and is running it
        job.runChunks(0);
        assertThat(order).containsExactly(0, 1, 2, 3, 5, 6, 7);
        assertThat(job.done.get()).isEqualTo(7);
    }

    /**
     * A loop's prepare runs on each thread that takes a chunk, once, before its first: a thread that takes no chunk
     * does not run it, and one that comes late to take the others' chunks runs it then.
     */
    @Test
    void prepareRunsOnceOnEachThreadBeforeItsFirstChunk() {
        List<String> events = new ArrayList<>();
        Parallel.Job job = new Parallel.Job(() -> events.add("prepare"),
                (chunk, from, to) -> events.add("chunk " + chunk), 32, 8, 2);
        assertThat(job.taken.compareAndSet(4, 0, 1)).isTrue(); // the worker took chunk 4 and is running it
        job.runChunks(0);
        assertThat(events).containsExactly("prepare", "chunk 0", "chunk 1", "chunk 2", "chunk 3", "chunk 5", "chunk 6",
                "chunk 7");
        events.clear();
        job.runChunks(1); // nothing left: no prepare
        assertThat(events).isEmpty();

        Parallel.Job late = new Parallel.Job(() -> events.add("prepare"),
                (chunk, from, to) -> events.add("chunk " + chunk), 32, 8, 2);
        for (int k = 0; k < 7; k++) {
            assertThat(late.taken.compareAndSet(k, 0, 1)).isTrue();
        }
        late.runChunks(1); // only the last chunk is left
        assertThat(events).containsExactly("prepare", "chunk 7");
    }

    /** Through the pool, on 1 to 3 threads, a nested loop (run on the calling thread) and one of a single chunk. */
    @Test
    void everyThreadThatRunsChunksHasPreparedFirst() {
        for (int threads = 1; threads <= 3; threads++) {
            Threads.with(threads, () -> {
                ThreadLocal<Integer> prepared = ThreadLocal.withInitial(() -> 0);
                java.util.Set<Thread> ran = java.util.concurrent.ConcurrentHashMap.newKeySet();
                java.util.concurrent.atomic.AtomicInteger prepares = new java.util.concurrent.atomic.AtomicInteger();
                Parallel.parallelFor(64, () -> {
                    prepared.set(prepared.get() + 1);
                    prepares.incrementAndGet();
                }, (worker, from, to) -> {
                    assertThat(prepared.get()).as("prepared once before this chunk").isEqualTo(1);
                    ran.add(Thread.currentThread());
                    Parallel.parallelFor(3, () -> prepared.set(prepared.get() + 10), (w, f, t) -> { }); // nested
                    prepared.set(1);
                });
                assertThat(prepares.get()).as("one prepare per thread that ran chunks").isEqualTo(ran.size());
                int[] single = {0};
                Parallel.parallelFor(1, () -> single[0]++, (worker, from, to) -> assertThat(single[0]).isEqualTo(1));
                assertThat(single[0]).isEqualTo(1);
            });
        }
    }

    /**
     * A worker idle for longer than {@link Parallel#SPIN_NANOS} parks, and the next loop wakes it (the caller unparks
     * only parked workers): its chunks, each long enough for the caller not to take them all first, are then shared.
     */
    @Test
    void aParkedWorkerIsWokenByTheNextLoop() throws InterruptedException {
        Threads.with(2, () -> {
            for (int round = 0; round < 3; round++) {
                try {
                    Thread.sleep(Parallel.SPIN_NANOS / 1_000_000 * 5); // the worker parks
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                List<String> threads = Collections.synchronizedList(new ArrayList<>());
                Parallel.parallelForEach(8, (chunk, from, to) -> { // 8 chunks of one index
                    threads.add(Thread.currentThread().getName());
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                });
                assertThat(threads).as("round %d", round).hasSize(8).contains("simpletorch-worker-1");
            }
        });
    }

    @Test
    void threadCountMustBePositive() {
        assertThatThrownBy(() -> Parallel.setThreads(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("threads must be >= 1, got 0");
    }
}
