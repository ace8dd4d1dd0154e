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
            for (int n : new int[] {0, 1, 2, 5, 7, 100}) {
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
                    assertThat(used).as("chunks for n=%d threads=%d", n, t).isEqualTo(Math.min(n, t));
                    for (int i = 0; i < n; i++) {
                        assertThat(hits.get(i)).as("index %d of %d with %d threads", i, n, t).isEqualTo(1);
                    }
                    for (int[] c : chunks) { // chunk k is [n*k/chunks, n*(k+1)/chunks)
                        assertThat(c[1]).isEqualTo((int) ((long) n * c[0] / used));
                        assertThat(c[2]).isEqualTo((int) ((long) n * (c[0] + 1) / used));
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
     * A thread runs its own chunk first and then every chunk nobody has taken, in order; a chunk runs once, and a
     * thread that comes late finds nothing left (as when the machine did not schedule a worker in time).
     */
    @Test
    void aThreadTakesItsOwnChunkThenTheOnesNobodyTook() {
        List<int[]> runs = new ArrayList<>();
        Parallel.Job job = new Parallel.Job((chunk, from, to) -> runs.add(new int[] {chunk, from, to}), 10, 3);
        job.runChunks(1);
        assertThat(runs).extracting(r -> r[0]).containsExactly(1, 2, 0);
        assertThat(runs).extracting(r -> r[1] + "-" + r[2]).containsExactly("3-6", "6-10", "0-3");
        assertThat(job.done.get()).isEqualTo(3);
        job.runChunks(0);
        assertThat(runs).hasSize(3);
    }

    @Test
    void threadCountMustBePositive() {
        assertThatThrownBy(() -> Parallel.setThreads(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("threads must be >= 1, got 0");
    }
}
