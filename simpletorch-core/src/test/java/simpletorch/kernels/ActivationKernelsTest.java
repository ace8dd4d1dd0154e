package simpletorch.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static simpletorch.testing.NumericAssertions.assertClose;

import org.junit.jupiter.api.Test;
import simpletorch.tensor.Generator;
import simpletorch.testing.FiniteDifferences;
import simpletorch.testing.TestData;

/** erf against reference values, the float activations against their double twins, the twins against FD. */
class ActivationKernelsTest {

    @Test
    void erfMatchesReferenceValues() {
        // Reference values: CPython's math.erf (the C library's erf).
        double[][] cases = {
                {0, 0}, {1e-10, 1.1283791670955126e-10}, {0.1, 0.1124629160182849}, {0.5, 0.5204998778130465},
                {1, 0.8427007929497149}, {1.5, 0.9661051464753108}, {2, 0.9953222650189527},
                {3, 0.9999779095030014}, {4, 0.9999999845827421}, {5.5, 0.9999999999999927}, {7, 1}, {-0.7, -0.6778011938374184},
        };
        for (double[] c : cases) {
            assertClose("erf(" + c[0] + ")", ActivationKernels.erf(c[0]), c[1], 1e-16, 2e-15);
        }
        assertThat(ActivationKernels.erf(Double.NaN)).isNaN();
        assertThat(ActivationKernels.erf(Double.NEGATIVE_INFINITY)).isEqualTo(-1.0);
    }

    interface FloatKernel {
        void run(float[] out, float[] in, int n);
    }

    interface DoubleKernel {
        void run(double[] out, double[] in, int n);
    }

    interface FloatBackward {
        void run(float[] din, float[] dout, float[] in, int n);
    }

    interface DoubleBackward {
        void run(double[] din, double[] dout, double[] in, int n);
    }

    static void check(String name, FloatKernel f, DoubleKernel fNaive, FloatBackward b, DoubleBackward bNaive, float[] in) {
        int n = in.length;
        Generator g = new Generator(name.hashCode());
        double[] want = new double[n];
        fNaive.run(want, TestData.toDouble(in), n);
        float[] out = new float[n];
        f.run(out, in, n);
        assertClose(name + " forward", out, want, 1e-7, 1e-6);

        float[] dout = TestData.uniform(g, n);
        float[] din = TestData.uniform(g, n);
        double[] wantDin = TestData.toDouble(din);
        bNaive.run(wantDin, TestData.toDouble(dout), TestData.toDouble(in), n);
        b.run(din, dout, in, n);
        assertClose(name + " backward", din, wantDin, 1e-7, 1e-6);

        double[] d = TestData.toDouble(in);
        double[] r = TestData.toDouble(dout);
        double[] analytic = new double[n];
        bNaive.run(analytic, r, d, n);
        double[] fd = FiniteDifferences.gradient(x -> {
            double[] o = new double[n];
            fNaive.run(o, x, n);
            return FiniteDifferences.dot(o, r);
        }, d.clone());
        assertClose(name + " naive backward vs FD", analytic, fd, 1e-8, 1e-6);
    }

    /** Values over the interesting range, none within 1e-3 of 0 (LeakyReLU's kink) plus the far tails. */
    static float[] inputs() {
        float[] a = TestData.awayFromZero(new Generator(31), 300, 1e-3f);
        for (int i = 0; i < a.length; i++) {
            a[i] *= 6;
        }
        a[0] = -9.5f;
        a[1] = 9.5f;
        return a;
    }

    @Test
    void leakyRelu() {
        check("leaky_relu", (o, i, n) -> ActivationKernels.leakyReluForward(o, i, 0.2f, n),
                (o, i, n) -> ActivationKernels.leakyReluForwardNaive(o, i, 0.2f, n),
                (di, d, i, n) -> ActivationKernels.leakyReluBackward(di, d, i, 0.2f, n),
                (di, d, i, n) -> ActivationKernels.leakyReluBackwardNaive(di, d, i, 0.2f, n), inputs());
    }

    @Test
    void gelu() {
        check("gelu", ActivationKernels::geluForward, ActivationKernels::geluForwardNaive, ActivationKernels::geluBackward,
                ActivationKernels::geluBackwardNaive, inputs());
    }

    @Test
    void silu() {
        check("silu", ActivationKernels::siluForward, ActivationKernels::siluForwardNaive, ActivationKernels::siluBackward,
                ActivationKernels::siluBackwardNaive, inputs());
    }

    @Test
    void maskScalesByGroup() {
        float[] in = {1, 2, 3, 4, 5, 6};
        float[] mask = {0f, 2f};
        float[] out = new float[6];
        ActivationKernels.maskForward(out, in, mask, 3, 6);
        assertThat(out).containsExactly(0, 0, 0, 8, 10, 12);
        float[] din = {1, 1, 1, 1, 1, 1};
        ActivationKernels.maskBackward(din, new float[] {1, 1, 1, 1, 1, 1}, mask, 3, 6);
        assertThat(din).containsExactly(1, 1, 1, 3, 3, 3);
    }
}
