package simpletorch.testing;

import java.util.function.ToDoubleFunction;

/** Central finite differences in double precision, the reference that analytic gradients are checked against. */
public final class FiniteDifferences {
    /** PyTorch gradcheck's default step. */
    public static final double EPS = 1e-6;

    private FiniteDifferences() {
    }

    /**
     * dL/dx[i] ~ (L(x + eps e_i) - L(x - eps e_i)) / (2 eps) for every i. {@code x} is perturbed in place and
     * restored, so {@code loss} may read it (or arrays aliasing it) directly.
     */
    public static double[] gradient(ToDoubleFunction<double[]> loss, double[] x) {
        double[] grad = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double saved = x[i];
            x[i] = saved + EPS;
            double plus = loss.applyAsDouble(x);
            x[i] = saved - EPS;
            double minus = loss.applyAsDouble(x);
            x[i] = saved;
            grad[i] = (plus - minus) / (2 * EPS);
        }
        return grad;
    }

    /** sum_i a[i] * b[i]: turns an array output into the scalar L = sum(out * R) whose gradient is checked. */
    public static double dot(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
        }
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
