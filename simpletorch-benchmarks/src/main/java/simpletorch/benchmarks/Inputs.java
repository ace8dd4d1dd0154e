package simpletorch.benchmarks;

import java.util.Random;

/** Seeded random inputs, so that every run of a benchmark sees the same data. */
final class Inputs {
    static final long SEED = 42;

    private Inputs() {
    }

    /** n floats drawn from N(0, 1). */
    static float[] gaussian(Random random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextGaussian();
        }
        return a;
    }

    /** n class indices, uniform in [0, classes). */
    static int[] labels(Random random, int n, int classes) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = random.nextInt(classes);
        }
        return t;
    }
}
