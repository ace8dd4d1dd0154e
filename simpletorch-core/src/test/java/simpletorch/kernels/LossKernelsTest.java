package simpletorch.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static simpletorch.testing.NumericAssertions.assertClose;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import simpletorch.tensor.Generator;
import simpletorch.testing.FiniteDifferences;
import simpletorch.testing.TestData;

/** Log-softmax, NLL and cross-entropy against their naive twins, including logits whose exp overflows. */
class LossKernelsTest {
    static final double ATOL = 1e-5;
    static final double RTOL = 1e-4;

    @ParameterizedTest(name = "B={0} C={1}")
    @CsvSource({"1,1", "1,10", "4,7", "9,3", "3,130"})
    void logSoftmaxForwardAndBackwardMatchNaive(int B, int C) {
        Generator g = new Generator(1100 + B * 1000 + C);
        float[] in = TestData.uniform(g, B * C, -4f, 4f);
        double[] want = new double[B * C];
        LossKernels.logSoftmaxNaive(want, TestData.toDouble(in), B, C);
        float[] out = new float[B * C];
        LossKernels.logSoftmaxForward(out, in, B, C);
        assertClose("log_softmax", out, want, ATOL, RTOL);

        float[] dout = TestData.uniform(g, B * C);
        float[] din0 = TestData.uniform(g, B * C);
        double[] din = TestData.toDouble(din0);
        LossKernels.logSoftmaxBackwardNaive(din, TestData.toDouble(dout), TestData.toDouble(in), B, C);
        float[] fdin = din0.clone();
        LossKernels.logSoftmaxBackward(fdin, dout, out, B, C);
        assertClose("log_softmax din (added to a prefilled gradient)", fdin, din, ATOL, RTOL);
    }

    @ParameterizedTest(name = "B={0} C={1}")
    @CsvSource({"1,1", "1,10", "4,7", "9,3", "3,130"})
    void crossEntropyForwardAndBackwardMatchNaive(int B, int C) {
        Generator g = new Generator(1200 + B * 1000 + C);
        float[] logits = TestData.uniform(g, B * C, -4f, 4f);
        int[] targets = TestData.targets(g, B, C);
        double want = LossKernels.crossEntropyNaive(TestData.toDouble(logits), targets, B, C);
        float[] probs = new float[B * C];
        double loss = LossKernels.crossEntropyForward(probs, logits, targets, B, C);
        assertClose("cross_entropy loss", loss, want, ATOL, RTOL);

        float dloss = 0.75f;
        float[] d0 = TestData.uniform(g, B * C);
        double[] dWant = TestData.toDouble(d0);
        LossKernels.crossEntropyBackwardNaive(dWant, TestData.toDouble(logits), targets, dloss, B, C);
        float[] d = d0.clone();
        LossKernels.crossEntropyBackward(d, probs, targets, dloss, B, C);
        assertClose("cross_entropy dlogits (added to a prefilled gradient)", d, dWant, ATOL, RTOL);
    }

    @Test
    void nllLossIsMinusTheMeanTargetLogProbAndItsGradientAddsMinusDlossOverB() {
        int B = 4, C = 5;
        Generator g = new Generator(13);
        float[] logProbs = TestData.uniform(g, B * C, -3f, 0f);
        int[] targets = {4, 0, 2, 2};
        double want = -(logProbs[4] + logProbs[5] + logProbs[12] + logProbs[17]) / 4.0;
        assertClose("nll_loss", LossKernels.nllLossForward(logProbs, targets, B, C), want, 1e-7, 1e-7);

        float[] d = new float[B * C];
        d[0] = 1f;
        LossKernels.nllLossBackward(d, targets, 2f, B, C);
        double[] dWant = new double[B * C];
        dWant[0] = 1;
        dWant[4] = dWant[5] = dWant[12] = dWant[17] = -0.5; // -dloss / B
        assertClose("nll_loss dlogProbs", d, dWant, 0, 0);
    }

    /**
     * exp(1000) overflows even in double, so the naive twins are applied to each row shifted by its maximum
     * (log-softmax and cross-entropy are invariant under that shift, and the shift is exact in double).
     */
    @Test
    void largeLogitsStayFiniteAndAccurate() {
        int B = 5, C = 6;
        Generator g = new Generator(14);
        float[] logits = new float[B * C];
        for (int j = 0; j < C; j++) {
            logits[j] = 1000f + g.uniform(-5f, 5f);          // all large
            logits[C + j] = -1000f + g.uniform(-5f, 5f);     // all very negative
            logits[2 * C + j] = 1000f;                       // all equal: softmax is uniform
            logits[3 * C + j] = g.uniform(-1000f, 1000f);    // widely spread: one class takes everything
            logits[4 * C + j] = 88f + g.uniform(-2f, 2f);    // exp overflows float32 here
        }
        int[] targets = {2, 5, 0, 1, 3};
        double[] shifted = shiftByRowMax(logits, B, C);

        double[] want = new double[B * C];
        LossKernels.logSoftmaxNaive(want, shifted, B, C);
        float[] out = new float[B * C];
        LossKernels.logSoftmaxForward(out, logits, B, C);
        assertFinite(out);
        assertClose("log_softmax of large logits", out, want, ATOL, RTOL);

        float[] dout = TestData.uniform(g, B * C);
        double[] din = new double[B * C];
        LossKernels.logSoftmaxBackwardNaive(din, TestData.toDouble(dout), shifted, B, C);
        float[] fdin = new float[B * C];
        LossKernels.logSoftmaxBackward(fdin, dout, out, B, C);
        assertClose("log_softmax din of large logits", fdin, din, ATOL, RTOL);

        float[] probs = new float[B * C];
        double loss = LossKernels.crossEntropyForward(probs, logits, targets, B, C);
        assertThat(Double.isFinite(loss)).as("loss %s is finite", loss).isTrue();
        assertClose("cross_entropy of large logits", loss, LossKernels.crossEntropyNaive(shifted, targets, B, C), ATOL, RTOL);
        double[] dWant = new double[B * C];
        LossKernels.crossEntropyBackwardNaive(dWant, shifted, targets, 1, B, C);
        float[] d = new float[B * C];
        LossKernels.crossEntropyBackward(d, probs, targets, 1f, B, C);
        assertClose("cross_entropy dlogits of large logits", d, dWant, ATOL, RTOL);
    }

    /**
     * Log-probabilities near 0 of logits near 1000 must keep float32's precision: shifting by the row max before
     * subtracting log(sum) (as PyTorch does) keeps the error near one ulp of the result, while rounding
     * max + log(sum) to float first costs up to half an ulp of 1000 (3e-5).
     */
    @Test
    void logSoftmaxOfLargeLogitsKeepsPrecisionForLogProbsNearZero() {
        int B = 200, C = 6;
        Generator g = new Generator(16);
        float[] logits = TestData.uniform(g, B * C, 995f, 1005f);
        double[] want = new double[B * C];
        LossKernels.logSoftmaxNaive(want, shiftByRowMax(logits, B, C), B, C);
        float[] out = new float[B * C];
        LossKernels.logSoftmaxForward(out, logits, B, C);
        assertClose("log_softmax of logits in [995, 1005)", out, want, ATOL, RTOL);
    }

    @Test
    void backwardKernelsAccumulate() {
        int B = 3, C = 4;
        Generator g = new Generator(15);
        float[] logits = TestData.uniform(g, B * C);
        int[] targets = {1, 3, 0};
        float[] out = new float[B * C];
        LossKernels.logSoftmaxForward(out, logits, B, C);
        float[] dout = TestData.uniform(g, B * C);
        float[] probs = new float[B * C];
        LossKernels.crossEntropyForward(probs, logits, targets, B, C);

        float[] a = new float[B * C], b = new float[B * C], c = new float[B * C];
        LossKernels.logSoftmaxBackward(a, dout, out, B, C);
        LossKernels.crossEntropyBackward(b, probs, targets, 1f, B, C);
        LossKernels.nllLossBackward(c, targets, 1f, B, C);
        float[] a1 = a.clone(), b1 = b.clone(), c1 = c.clone();
        LossKernels.logSoftmaxBackward(a, dout, out, B, C);
        LossKernels.crossEntropyBackward(b, probs, targets, 1f, B, C);
        LossKernels.nllLossBackward(c, targets, 1f, B, C);
        assertClose("log_softmax din twice", a, Conv2dKernelsTest.times2(a1), 1e-6, 1e-6);
        assertClose("cross_entropy dlogits twice", b, Conv2dKernelsTest.times2(b1), 1e-6, 1e-6);
        assertClose("nll dlogProbs twice", c, Conv2dKernelsTest.times2(c1), 1e-6, 1e-6);
    }

    @Test
    void targetsOutOfRangeNameTheIndexAndTheValue() {
        float[] logits = new float[2 * 3];
        assertThatThrownBy(() -> LossKernels.crossEntropyForward(new float[6], logits, new int[] {0, 3}, 2, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("target 3 at index 1 is out of bounds for 3 classes");
        assertThatThrownBy(() -> LossKernels.nllLossForward(logits, new int[] {-1, 0}, 2, 3))
                .hasMessage("target -1 at index 0 is out of bounds for 3 classes");
        assertThatThrownBy(() -> LossKernels.nllLossForward(logits, new int[] {0}, 2, 3))
                .hasMessage("expected 2 targets, one per row, got 1");
    }

    @ParameterizedTest(name = "B={0} C={1}")
    @CsvSource({"1,1", "1,5", "3,4"})
    void naiveBackwardsMatchFiniteDifferences(int B, int C) {
        Generator g = new Generator(1300 + B * 10 + C);
        double[] x = TestData.toDouble(TestData.uniform(g, B * C, -3f, 3f));
        double[] r = TestData.toDouble(TestData.uniform(g, B * C));
        int[] targets = TestData.targets(g, B, C);

        double[] din = new double[B * C];
        LossKernels.logSoftmaxBackwardNaive(din, r, x, B, C);
        double[] fd = FiniteDifferences.gradient(v -> {
            double[] o = new double[B * C];
            LossKernels.logSoftmaxNaive(o, v, B, C);
            return FiniteDifferences.dot(o, r);
        }, x);
        assertClose("log_softmax din", din, fd, 1e-5, 1e-3);

        double dloss = 0.7;
        double[] dlogits = new double[B * C];
        LossKernels.crossEntropyBackwardNaive(dlogits, x, targets, dloss, B, C);
        double[] fdCe = FiniteDifferences.gradient(v -> dloss * LossKernels.crossEntropyNaive(v, targets, B, C), x);
        assertClose("cross_entropy dlogits", dlogits, fdCe, 1e-5, 1e-3);
    }

    private static double[] shiftByRowMax(float[] logits, int B, int C) {
        double[] s = new double[B * C];
        for (int b = 0; b < B; b++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < C; j++) {
                max = Math.max(max, logits[b * C + j]);
            }
            for (int j = 0; j < C; j++) {
                s[b * C + j] = logits[b * C + j] - max;
            }
        }
        return s;
    }

    private static void assertFinite(float[] a) {
        for (int i = 0; i < a.length; i++) {
            assertThat(Float.isFinite(a[i])).as("element %d = %s is finite", i, a[i]).isTrue();
        }
    }
}
