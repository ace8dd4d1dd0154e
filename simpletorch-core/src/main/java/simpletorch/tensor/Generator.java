package simpletorch.tensor;

/**
 * A seeded pseudo-random number generator whose whole state is one {@code long}, so that it can be saved and
 * restored exactly (for resumable training) — unlike {@link java.util.Random}, whose state is hidden.
 *
 * <p>The algorithm is SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
 * OOPSLA 2014): statistically strong enough for initialisation, shuffling and augmentation, and the same
 * sequence on every JVM. It does not reproduce PyTorch's Mersenne Twister stream; agreement with PyTorch is
 * checked by loading the same weights, not by drawing the same numbers.
 */
public final class Generator {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private static final Generator DEFAULT = new Generator(0x5EED_5EEDL);

    private long state;

    /**
     * The generator layers draw their initial weights from when none is passed, like PyTorch's default
     * generator; {@link #manualSeed(long)} reseeds it.
     */
    public static Generator defaultGenerator() {
        return DEFAULT;
    }

    /** Reseeds the default generator, like {@code torch.manual_seed(seed)}. */
    public static void manualSeed(long seed) {
        DEFAULT.setState(seed);
    }

    public Generator(long seed) {
        this.state = seed;
    }

    /** The full state; {@link #setState(long)} with this value replays the same sequence. */
    public long state() {
        return state;
    }

    public void setState(long state) {
        this.state = state;
    }

    public long nextLong() {
        return mix(state += GOLDEN_GAMMA);
    }

    /**
     * The value the {@code n}-th {@link #nextLong()} call (1-based) returns for a generator whose state is
     * {@code state}, without drawing the ones before it: SplitMix64's state only advances by a constant, so draws
     * can be made out of order and in parallel (the fake data set draws its pixels so).
     */
    public static long nthLong(long state, long n) {
        return mix(state + n * GOLDEN_GAMMA);
    }

    /** The value the {@code n}-th {@link #nextDouble()} call (1-based) returns from {@code state} (see {@link #nthLong}). */
    public static double nthDouble(long state, long n) {
        return (nthLong(state, n) >>> 11) * 0x1.0p-53;
    }

    /** Advances the state as {@code n} calls of {@link #nextLong()} (or of nextDouble, nextFloat) would. */
    public void skip(long n) {
        state += n * GOLDEN_GAMMA;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1) with 24 bits of precision, as a float32 can hold. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform in [0, 1) with 53 bits of precision. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [low, high). */
    public float uniform(float low, float high) {
        return low + (high - low) * nextFloat();
    }

    /** Uniform integer in [0, bound), without modulo bias. */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be > 0, got " + bound);
        }
        // Lemire's multiply-shift with rejection of the biased low range.
        long m = (nextLong() >>> 32) * bound;
        long low = m & 0xFFFFFFFFL;
        if (low < bound) {
            long threshold = (0x1_0000_0000L - bound) % bound;
            while (low < threshold) {
                m = (nextLong() >>> 32) * bound;
                low = m & 0xFFFFFFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    /**
     * Standard normal (mean 0, standard deviation 1), by the Marsaglia polar method. The second value of each
     * pair is dropped so that {@link #state()} stays the generator's whole state.
     */
    public double nextGaussian() {
        double u, v, s;
        do {
            u = 2 * nextDouble() - 1;
            v = 2 * nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        return u * Math.sqrt(-2 * Math.log(s) / s);
    }

    /** A random permutation of 0..n-1 (Fisher-Yates). */
    public int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
