package simpletorch.testing;

import simpletorch.tensor.Generator;

/** Seeded random inputs for tests. Float arrays convert to double exactly, so a naive kernel sees the same input. */
public final class TestData {
    private TestData() {
    }

    /** Uniform in [-1, 1). */
    public static float[] uniform(Generator g, int n) {
        return uniform(g, n, -1f, 1f);
    }

    public static float[] uniform(Generator g, int n, float low, float high) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = g.uniform(low, high);
        }
        return a;
    }

    /** Uniform in [-1, 1), but at least {@code gap} away from zero (for ReLU, whose derivative jumps there). */
    public static float[] awayFromZero(Generator g, int n, float gap) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            float v;
            do {
                v = g.uniform(-1f, 1f);
            } while (Math.abs(v) < gap);
            a[i] = v;
        }
        return a;
    }

    /**
     * n distinct values, at least 0.01 apart, in random order, so that no max-pooling window has a tie or a
     * near-tie that a finite-difference step could flip.
     */
    public static float[] distinct(Generator g, int n) {
        int[] p = g.permutation(n);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (p[i] - n / 2f) * 0.02f + g.uniform(0f, 0.005f);
        }
        return a;
    }

    /** Class indices in [0, C). */
    public static int[] targets(Generator g, int B, int C) {
        int[] t = new int[B];
        for (int i = 0; i < B; i++) {
            t[i] = g.nextInt(C);
        }
        return t;
    }

    public static double[] toDouble(float[] a) {
        return NumericAssertions.toDouble(a);
    }

    public static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }
}
