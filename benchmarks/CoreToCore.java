/**
 * How long a cache line takes to go from one core to another and back: two threads hand a counter to each other
 * through two volatile fields, a million times, and the mean round trip is printed in nanoseconds (the best of three
 * rounds). On the 2-vCPU Zen 5 machine the figure moves between ~60-85 ns (both vCPUs under one L3 cache) and
 * ~420-460 ns (not), from one minute to the next, as the host places them; what two training threads share costs
 * accordingly (docs/BENCHMARKS.md, ninth Zen 5 session). {@code benchmarks/thread_pairs.py} prints it with each pair.
 *
 * <pre>java benchmarks/CoreToCore.java</pre>
 */
public class CoreToCore {
    static volatile long ping;
    static volatile long pong;

    public static void main(String[] args) throws InterruptedException {
        int n = 1_000_000, rounds = 3;
        Thread other = new Thread(() -> {
            for (long i = 1; i <= (long) n * rounds; i++) {
                while (ping != i) {
                    Thread.onSpinWait();
                }
                pong = i;
            }
        });
        other.setDaemon(true);
        other.start();
        double best = Double.MAX_VALUE;
        for (int r = 0; r < rounds; r++) {
            long base = (long) r * n, t0 = System.nanoTime();
            for (long i = base + 1; i <= base + n; i++) {
                ping = i;
                while (pong != i) {
                    Thread.onSpinWait();
                }
            }
            best = Math.min(best, (System.nanoTime() - t0) / (double) n);
        }
        System.out.printf("core-to-core round trip %.0f ns%n", best);
    }
}
