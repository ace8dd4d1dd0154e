package simpletorch.testing;

/**
 * Element-wise closeness checks in the style of {@code torch.testing.assert_close}: element i passes when
 * {@code |actual[i] - expected[i]| <= atol + rtol * |expected[i]|}. On failure the message names what was
 * compared, how many elements failed, and the maximum absolute and relative differences with their indices, so a
 * red test says by how much it missed.
 */
public final class NumericAssertions {
    private NumericAssertions() {
    }

    public static void assertClose(String what, float[] actual, double[] expected, double atol, double rtol) {
        assertClose(what, toDouble(actual), expected, atol, rtol);
    }

    public static void assertClose(String what, float[] actual, float[] expected, double atol, double rtol) {
        assertClose(what, toDouble(actual), toDouble(expected), atol, rtol);
    }

    public static void assertClose(String what, double actual, double expected, double atol, double rtol) {
        assertClose(what, new double[] {actual}, new double[] {expected}, atol, rtol);
    }

    /**
     * Bit for bit: the same length and each element's raw bits equal (so -0 differs from 0, and each NaN from any
     * other payload); the message names how many differ and the first of them.
     */
    public static void assertSameBits(String what, float[] actual, float[] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError(what + ": expected " + expected.length + " elements, got " + actual.length);
        }
        int differ = 0, first = -1;
        for (int i = 0; i < actual.length; i++) {
            if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
                differ++;
                first = first < 0 ? i : first;
            }
        }
        if (differ > 0) {
            throw new AssertionError(what + ": " + differ + " of " + actual.length + " elements differ in their bits, the"
                    + " first at " + first + ": " + actual[first] + " where " + expected[first] + " was expected");
        }
    }

    /** The check itself; both arrays must have the same length. Equal infinities pass, NaN never does. */
    public static void assertClose(String what, double[] actual, double[] expected, double atol, double rtol) {
        if (actual.length != expected.length) {
            throw new AssertionError(what + ": expected " + expected.length + " elements, got " + actual.length);
        }
        int failures = 0, firstFailure = -1, maxAbsAt = -1, maxRelAt = -1;
        double maxAbs = 0, maxRel = 0;
        for (int i = 0; i < actual.length; i++) {
            double a = actual[i], e = expected[i];
            boolean ok;
            double abs;
            if (Double.isInfinite(a) && a == e) {
                ok = true;
                abs = 0;
            } else {
                abs = Math.abs(a - e);
                ok = abs <= atol + rtol * Math.abs(e); // false for NaN
                if (Double.isNaN(abs)) {
                    abs = Double.POSITIVE_INFINITY;
                }
            }
            double rel = abs == 0 ? 0 : abs / Math.abs(e);
            if (abs > maxAbs || maxAbsAt < 0) {
                maxAbs = abs;
                maxAbsAt = i;
            }
            if (rel > maxRel || maxRelAt < 0) {
                maxRel = rel;
                maxRelAt = i;
            }
            if (!ok) {
                failures++;
                if (firstFailure < 0) {
                    firstFailure = i;
                }
            }
        }
        if (failures > 0) {
            throw new AssertionError(String.format(
                    "%s: %d of %d elements differ beyond atol=%.1e + rtol=%.1e*|expected|;"
                            + " max abs diff %.3e at [%d] (actual %s, expected %s);"
                            + " max rel diff %.3e at [%d] (actual %s, expected %s);"
                            + " first failure at [%d] (actual %s, expected %s)",
                    what, failures, actual.length, atol, rtol,
                    maxAbs, maxAbsAt, actual[maxAbsAt], expected[maxAbsAt],
                    maxRel, maxRelAt, actual[maxRelAt], expected[maxRelAt],
                    firstFailure, actual[firstFailure], expected[firstFailure]));
        }
    }

    /** The largest |actual - expected|, for tests that want to report or bound it themselves. */
    public static double maxAbsDiff(double[] actual, double[] expected) {
        double m = 0;
        for (int i = 0; i < actual.length; i++) {
            m = Math.max(m, Math.abs(actual[i] - expected[i]));
        }
        return m;
    }

    public static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
