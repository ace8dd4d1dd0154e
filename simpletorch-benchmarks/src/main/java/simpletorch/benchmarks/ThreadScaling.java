package simpletorch.benchmarks;

import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import simpletorch.data.Batch;
import simpletorch.data.DataLoader;
import simpletorch.data.FakeData;
import simpletorch.data.ImageDataset;
import simpletorch.kernels.Parallel;
import simpletorch.models.SimpleNet;
import simpletorch.optim.SGD;
import simpletorch.tensor.Generator;
import simpletorch.train.Trainer;

/**
 * The machine facts behind the two-thread figures in docs/BENCHMARKS.md, measured in one run:
 * <ol>
 *   <li>how often a busy thread loses its core, with one and with two threads busy (a loop that reads the clock
 *       and counts the gaps);</li>
 *   <li>how multiply-add throughput scales from one thread to two when nothing is shared (registers only), and a
 *       memory copy of 2 MB per thread (L2 and L3);</li>
 *   <li>how SimpleNet training scales: one trainer on one thread, one trainer on two threads (the product), and two
 *       independent trainers on one thread each, batch 16 each (nothing shared and nothing to wait for: the most two
 *       threads could give this workload here).</li>
 * </ol>
 * Run it with {@code benchmarks/run simpletorch.benchmarks.ThreadScaling}; it takes about a minute.
 */
public final class ThreadScaling {
    private ThreadScaling() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("Preemption: a thread spinning on the clock for 3 s, gaps over 20 us");
        for (int threads = 1; threads <= 2; threads++) {
            gaps(threads);
        }
        System.out.println("Multiply-add throughput (10 independent scalar chains per thread, registers only)");
        fma(1, 1);
        for (int threads = 1; threads <= 2; threads++) {
            System.out.printf(Locale.ROOT, "  %d thread%s: %.1f G multiply-adds/s%n", threads, threads == 1 ? "" : "s",
                    fma(threads, 300_000_000L));
        }
        System.out.println("Memory copy, 2 MB to 2 MB per thread for 1 s (read + written bytes)");
        for (int threads = 1; threads <= 2; threads++) {
            System.out.printf(Locale.ROOT, "  %d thread%s: %.0f GB/s%n", threads, threads == 1 ? "" : "s", copy(threads));
        }
        System.out.println("SimpleNet training, 800 steps of 32 images a round (rounds: images/s)");
        report("1 trainer, 1 thread     ", () -> trainers(1, 1, 32));
        report("1 trainer, 2 threads    ", () -> trainers(1, 2, 32));
        report("2 trainers x 1 thread, batch 16 each", () -> trainers(2, 1, 16));
    }

    @FunctionalInterface
    private interface Measurement {
        double run() throws Exception;
    }

    private static void report(String label, Measurement m) throws Exception {
        m.run(); // warm-up round
        StringBuilder sb = new StringBuilder();
        for (int round = 0; round < 3; round++) {
            sb.append(String.format(Locale.ROOT, " %.0f", m.run()));
        }
        System.out.println("  " + label + ":" + sb);
    }

    private static void gaps(int threads) throws InterruptedException {
        String[] lines = new String[threads];
        onThreads(threads, id -> {
            long duration = 3_000_000_000L, start = System.nanoTime(), last = start;
            long small = 0, large = 0, lostNanos = 0, max = 0;
            while (last - start < duration) {
                long now = System.nanoTime(), d = now - last;
                if (d > 20_000) {
                    lostNanos += d;
                    max = Math.max(max, d);
                    if (d < 1_000_000) {
                        small++;
                    } else {
                        large++;
                    }
                }
                last = now;
            }
            lines[id] = String.format(Locale.ROOT, "  %d busy, thread %d: %d gaps of 20 us-1 ms, %d of 1 ms or more"
                    + " (longest %.1f ms); %.1f%% of the time lost", threads, id, small, large, max / 1e6,
                    100.0 * lostNanos / duration);
        });
        for (String l : lines) {
            System.out.println(l);
        }
    }

    /** Bytes per second, in billions, that {@code threads} threads copying their own 2 MB arrays move together. */
    private static double copy(int threads) throws InterruptedException {
        double[] rates = new double[threads];
        onThreads(threads, id -> {
            float[] src = new float[1 << 19], dst = new float[1 << 19];
            java.util.Arrays.fill(src, 1f);
            long bytes = 0, start = System.nanoTime();
            while (System.nanoTime() - start < 1_000_000_000L) {
                System.arraycopy(src, 0, dst, 0, src.length);
                bytes += 8L * src.length;
            }
            rates[id] = bytes / ((System.nanoTime() - start) / 1e9) / 1e9;
        });
        double sum = 0;
        for (double r : rates) {
            sum += r;
        }
        return sum;
    }

    /** Multiply-adds per second, in billions, of {@code threads} threads each running {@code iterations} x 10. */
    private static double fma(int threads, long iterations) throws InterruptedException {
        double[] sink = new double[threads];
        long start = System.nanoTime();
        onThreads(threads, id -> sink[id] = chains(iterations));
        double seconds = (System.nanoTime() - start) / 1e9;
        if (Double.isNaN(sink[0])) {
            System.out.println(); // keeps the result alive
        }
        return threads * iterations * 10 / seconds / 1e9;
    }

    private static double chains(long iterations) {
        double a0 = 1, a1 = 2, a2 = 3, a3 = 4, a4 = 5, a5 = 6, a6 = 7, a7 = 8, a8 = 9, a9 = 10;
        double m = 0.999999, c = 1e-7;
        for (long i = 0; i < iterations; i++) {
            a0 = Math.fma(a0, m, c);
            a1 = Math.fma(a1, m, c);
            a2 = Math.fma(a2, m, c);
            a3 = Math.fma(a3, m, c);
            a4 = Math.fma(a4, m, c);
            a5 = Math.fma(a5, m, c);
            a6 = Math.fma(a6, m, c);
            a7 = Math.fma(a7, m, c);
            a8 = Math.fma(a8, m, c);
            a9 = Math.fma(a9, m, c);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9;
    }

    /**
     * Images per second of {@code trainers} SimpleNet trainers run at once, each on its own thread with its own
     * model and data, with {@code threads} worker threads, 800 steps of {@code batch} images each.
     */
    private static double trainers(int trainers, int threads, int batch) throws Exception {
        Parallel.setThreads(threads);
        int steps = 800 * 32 / (trainers * batch);
        CyclicBarrier ready = new CyclicBarrier(trainers + 1);
        Thread[] ts = new Thread[trainers];
        for (int t = 0; t < trainers; t++) {
            ts[t] = new Thread(() -> {
                ImageDataset data = FakeData.create(batch * 40, 3, 32, 32, 10, 7);
                SimpleNet model = new SimpleNet();
                Trainer trainer = new Trainer(model, new SGD(model.parameters(), 0.01));
                DataLoader loader = new DataLoader(data, batch, true, new Generator(1));
                await(ready);
                int done = 0;
                while (done < steps) {
                    for (Batch b : loader) {
                        trainer.step(b.images(), b.labels(), done + 1);
                        b.recycle();
                        if (++done == steps) {
                            break;
                        }
                    }
                }
            });
            ts[t].start();
        }
        await(ready);
        long start = System.nanoTime();
        for (Thread t : ts) {
            t.join();
        }
        return trainers * steps * (double) batch / ((System.nanoTime() - start) / 1e9);
    }

    /** Runs body(0), body(1), ... on that many new threads at once and waits for all of them. */
    private static void onThreads(int threads, java.util.function.IntConsumer body) throws InterruptedException {
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts[t] = new Thread(() -> body.accept(id));
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
