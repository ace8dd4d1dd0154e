import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Arrays;

/**
 * Two builds of the engine in one JVM, each through a class loader of its own, timed in alternating blocks of
 * training steps: the machine's phases (tens of percent from minute to minute here) then fall on both alike, where
 * separate processes a minute apart compare phases more than code. Run by benchmarks/ab_commits.sh.
 *
 * <p>Arguments: the new build's classes, the base build's classes, this harness's classes, model, threads, rounds,
 * steps per block. Threads is both sides' count, or {@code NEW:BASE}; the two sides may be the same build (its
 * classes loaded twice, each copy with its own workers): {@code 2:1} then times two threads against one with no pool
 * restarted between blocks. Prints each side's median milliseconds per step, the median of the rounds' base/new
 * ratios with its quartiles, and in how many rounds the new side was faster.
 */
public final class CommitAB {
    private CommitAB() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: CommitAB NEW_CLASSES BASE_CLASSES HARNESS_CLASSES MODEL THREADS ROUNDS STEPS");
            System.exit(2);
        }
        if (!args[4].matches("[1-9][0-9]*(:[1-9][0-9]*)?")) {
            System.err.println("THREADS is N or NEW:BASE (positive counts), got " + args[4]);
            System.exit(2);
        }
        URL harness = new File(args[2]).toURI().toURL();
        Method[] steps = new Method[2];
        for (int k = 0; k < 2; k++) {
            URLClassLoader loader = new URLClassLoader(new URL[] {new File(args[k]).toURI().toURL(), harness},
                    ClassLoader.getPlatformClassLoader());
            steps[k] = loader.loadClass("AbSteps").getMethod("steps", String.class, int.class, int.class);
        }
        String model = args[3];
        String[] counts = args[4].split(":");
        int[] threads = {Integer.parseInt(counts[0]), Integer.parseInt(counts[counts.length - 1])};
        int rounds = Integer.parseInt(args[5]), block = Integer.parseInt(args[6]);
        for (int w = 0; w < 4; w++) { // both builds compiled and their buffers grown before anything is timed
            for (int k = 0; k < 2; k++) {
                steps[k].invoke(null, model, threads[k], 15);
            }
        }
        double[] fresh = new double[rounds], base = new double[rounds], ratio = new double[rounds];
        int wins = 0;
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < 2; i++) { // which build goes first alternates
                int k = (r + i) % 2;
                double ms = (double) steps[k].invoke(null, model, threads[k], block);
                if (k == 0) {
                    fresh[r] = ms;
                } else {
                    base[r] = ms;
                }
            }
            ratio[r] = base[r] / fresh[r];
            wins += fresh[r] < base[r] ? 1 : 0;
        }
        Arrays.sort(fresh);
        Arrays.sort(base);
        Arrays.sort(ratio);
        String on = threads[0] == threads[1] ? threads[0] + " threads"
                : "new on " + threads[0] + " threads, base on " + threads[1];
        System.out.printf("%s, %s, %d rounds of %d steps: new %.2f ms a step, base %.2f (medians); base/new "
                        + "%.3f (quartiles %.3f-%.3f); new faster in %d of %d rounds%n", model, on, rounds, block,
                fresh[rounds / 2], base[rounds / 2], ratio[rounds / 2], ratio[rounds / 4], ratio[3 * rounds / 4],
                wins, rounds);
    }
}
