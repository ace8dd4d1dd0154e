package simpletorch.kernels;

/**
 * Element-wise activations beyond ReLU: LeakyReLU, GELU (the exact erf form, PyTorch's default) and SiLU (Swish),
 * and dropout's multiplication by a mask.
 * Each value is computed in double and rounded once, so the float kernels are correctly rounded up to the
 * last-bit rounding of the double formula; the naive twins are the same formulas in double throughout.
 * Backward kernels add into {@code din}.
 */
public final class ActivationKernels {
    private static final double SQRT1_2 = Math.sqrt(0.5);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

    private ActivationKernels() {
    }

    /**
     * The error function, accurate to about 1e-15 (relative) in double: Java's Math has none. For |x| < 6 the
     * series erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n (2x^2)^n x / (1*3*...*(2n+1)) (Abramowitz and Stegun
     * 7.1.6), whose terms are all positive so nothing cancels; beyond, erf(x) rounds to +-1 in double
     * (erfc(6) = 2e-17).
     */
    public static double erf(double x) {
        if (x != x) {
            return x;
        }
        double z = Math.abs(x);
        if (z >= 6) {
            return Math.copySign(1.0, x);
        }
        double z2 = 2 * z * z;
        double term = z, sum = z;
        for (int n = 1; term > sum * 1e-17; n++) {
            term *= z2 / (2 * n + 1);
            sum += term;
        }
        return Math.copySign(Math.min(TWO_OVER_SQRT_PI * Math.exp(-z * z) * sum, 1.0), x);
    }

    // ---- LeakyReLU: x > 0 ? x : slope * x ------------------------------------------------------------------

    /** out = x > 0 ? x : slope * x. Writes out; arrays have n elements. */
    public static void leakyReluForward(float[] out, float[] in, float slope, int n) {
        for (int i = 0; i < n; i++) {
            out[i] = in[i] > 0 ? in[i] : in[i] * slope;
        }
    }

    /** din += x > 0 ? dout : slope * dout (at exactly 0 the slope, as PyTorch). */
    public static void leakyReluBackward(float[] din, float[] dout, float[] in, float slope, int n) {
        for (int i = 0; i < n; i++) {
            din[i] += in[i] > 0 ? dout[i] : dout[i] * slope;
        }
    }

    public static void leakyReluForwardNaive(double[] out, double[] in, double slope, int n) {
        for (int i = 0; i < n; i++) {
            out[i] = in[i] > 0 ? in[i] : in[i] * slope;
        }
    }

    public static void leakyReluBackwardNaive(double[] din, double[] dout, double[] in, double slope, int n) {
        for (int i = 0; i < n; i++) {
            din[i] += in[i] > 0 ? dout[i] : dout[i] * slope;
        }
    }

    // ---- GELU: x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2 -----------------------------------------------

    /** out = x * Phi(x), the standard normal CDF Phi, as {@code F.gelu(x)} (approximate='none'). */
    public static void geluForward(float[] out, float[] in, int n) {
        for (int i = 0; i < n; i++) {
            out[i] = (float) gelu(in[i]);
        }
    }

    /** din += dout * (Phi(x) + x * phi(x)), phi the standard normal density. */
    public static void geluBackward(float[] din, float[] dout, float[] in, int n) {
        for (int i = 0; i < n; i++) {
            din[i] += (float) (dout[i] * geluDerivative(in[i]));
        }
    }

    public static void geluForwardNaive(double[] out, double[] in, int n) {
        for (int i = 0; i < n; i++) {
            out[i] = gelu(in[i]);
        }
    }

    public static void geluBackwardNaive(double[] din, double[] dout, double[] in, int n) {
        for (int i = 0; i < n; i++) {
            din[i] += dout[i] * geluDerivative(in[i]);
        }
    }

    private static double gelu(double x) {
        return 0.5 * x * (1 + erf(x * SQRT1_2));
    }

    private static double geluDerivative(double x) {
        return 0.5 * (1 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    }

    // ---- SiLU (Swish): x * sigmoid(x) -----------------------------------------------------------------------

    /** out = x / (1 + exp(-x)), as {@code F.silu}. */
    public static void siluForward(float[] out, float[] in, int n) {
        for (int i = 0; i < n; i++) {
            double x = in[i];
            out[i] = (float) (x / (1 + Math.exp(-x)));
        }
    }

    /** din += dout * s * (1 + x * (1 - s)) with s = sigmoid(x). */
    public static void siluBackward(float[] din, float[] dout, float[] in, int n) {
        for (int i = 0; i < n; i++) {
            double x = in[i];
            double s = 1 / (1 + Math.exp(-x));
            din[i] += (float) (dout[i] * s * (1 + x * (1 - s)));
        }
    }

    public static void siluForwardNaive(double[] out, double[] in, int n) {
        for (int i = 0; i < n; i++) {
            out[i] = in[i] / (1 + Math.exp(-in[i]));
        }
    }

    public static void siluBackwardNaive(double[] din, double[] dout, double[] in, int n) {
        for (int i = 0; i < n; i++) {
            double s = 1 / (1 + Math.exp(-in[i]));
            din[i] += dout[i] * s * (1 + in[i] * (1 - s));
        }
    }

    // ---- dropout: multiplication by a fixed mask ------------------------------------------------------------

    /**
     * Whether {@link #dropoutMask} draws on the vector path ({@link VectorRandom}); otherwise the caller draws the
     * mask itself, one draw per element.
     */
    public static boolean vectorDropoutMask() {
        return Gemm.vectorEnabled() && VectorRandom.applies();
    }

    /**
     * mask[i] = 0 where draw i + 1 of a SplitMix64 generator in {@code state}, as a double in [0, 1), is below p, else
     * keep, for i in [0, m), split over the threads; only where {@link #vectorDropoutMask}.
     */
    public static void dropoutMask(float[] mask, int m, long state, double p, float keep) {
        long threshold = VectorRandom.threshold(p);
        Parallel.parallelFor(m, (worker, from, to) -> VectorRandom.dropoutMask(mask, from, to, state, threshold, keep));
    }

    /**
     * out[i] = in[i] * mask[i / group]: {@code group} = 1 for Dropout (one mask value per element), H*W for
     * Dropout2d (one per channel plane). The mask holds 0 or 1/(1-p); it is drawn by the caller.
     */
    public static void maskForward(float[] out, float[] in, float[] mask, int group, int n) {
        if (n == 0) {
            return; // an empty tensor (Dropout2d's group H*W may then be 0)
        }
        Parallel.parallelFor(n / group, (worker, from, to) -> {
            if (group == 1) { // a plain product, which the JIT vectorises (no division per element)
                for (int i = from; i < to; i++) {
                    out[i] = in[i] * mask[i];
                }
                return;
            }
            for (int k = from; k < to; k++) {
                float s = mask[k];
                for (int i = k * group, end = i + group; i < end; i++) {
                    out[i] = in[i] * s;
                }
            }
        });
    }

    /** din[i] += dout[i] * mask[i / group]. */
    public static void maskBackward(float[] din, float[] dout, float[] mask, int group, int n) {
        if (n == 0) {
            return;
        }
        Parallel.parallelFor(n / group, (worker, from, to) -> {
            if (group == 1) {
                for (int i = from; i < to; i++) {
                    din[i] += dout[i] * mask[i];
                }
                return;
            }
            for (int k = from; k < to; k++) {
                float s = mask[k];
                for (int i = k * group, end = i + group; i < end; i++) {
                    din[i] += dout[i] * s;
                }
            }
        });
    }
}
