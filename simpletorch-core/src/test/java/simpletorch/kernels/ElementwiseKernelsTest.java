package simpletorch.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ReLU on the scalar path and (where the JVM has it) the Vector API path: whole vectors, tails, parallel chunks. */
class ElementwiseKernelsTest {

    @ParameterizedTest(name = "vector={0}")
    @ValueSource(booleans = {false, true})
    void reluBackwardPassesTheGradientExactlyWhereTheOutputIsPositive(boolean vector) {
        org.junit.jupiter.api.Assumptions.assumeTrue(!vector || Gemm.VECTOR_AVAILABLE, "no Vector API here");
        Conv2dKernelsTest.run(1, vector, () -> checkSpecialValues());
    }

    private static void checkSpecialValues() {
        float[] special = {-2f, -0f, 0f, Float.MIN_VALUE, 1e-30f, 3f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.NaN, -Float.MIN_VALUE, Float.MAX_VALUE};
        float[] in = new float[special.length * 7]; // 77: whole vectors and a tail
        for (int i = 0; i < in.length; i++) {
            in[i] = special[i % special.length];
        }
        float[] out = new float[in.length];
        ElementwiseKernels.reluForward(out, in, in.length);
        float[] dout = new float[in.length];
        float[] din = new float[in.length];
        for (int i = 0; i < in.length; i++) {
            dout[i] = i + 1.5f;
            din[i] = 100f; // backward adds
        }
        ElementwiseKernels.reluBackward(din, dout, out, in.length);
        for (int i = 0; i < in.length; i++) {
            float expected = 100f + (out[i] > 0f ? dout[i] : 0f);
            assertThat(din[i]).as("input %s (output %s)", in[i], out[i]).isEqualTo(expected);
        }
        assertThat(out[1]).as("relu(-0.0) is +0.0").isEqualTo(0f);
        assertThat(Float.floatToRawIntBits(out[1])).isZero();
    }

    @ParameterizedTest(name = "vector={0}")
    @ValueSource(booleans = {false, true})
    void reluBackwardMatchesTheObviousLoopOnRandomData(boolean vector) {
        org.junit.jupiter.api.Assumptions.assumeTrue(!vector || Gemm.VECTOR_AVAILABLE, "no Vector API here");
        Conv2dKernelsTest.run(2, vector, () -> {
            checkRandom(1000);
            checkRandom(70_001); // above the parallel threshold, odd: chunks end mid-vector
        });
    }

    private static void checkRandom(int n) {
        java.util.Random r = new java.util.Random(3);
        float[] in = new float[n], out = new float[n], dout = new float[n], din = new float[n];
        for (int i = 0; i < n; i++) {
            in[i] = (float) r.nextGaussian();
            dout[i] = (float) r.nextGaussian();
        }
        ElementwiseKernels.reluForward(out, in, n);
        ElementwiseKernels.reluBackward(din, dout, out, n);
        for (int i = 0; i < n; i++) {
            assertThat(din[i]).isEqualTo(in[i] > 0 ? dout[i] : 0f);
        }
        float[] added = din.clone();
        ElementwiseKernels.reluBackward(added, dout, out, n, true);
        float[] overwritten = dout.clone(); // garbage: every element must be written
        ElementwiseKernels.reluBackward(overwritten, dout, out, n, false);
        for (int i = 0; i < n; i++) {
            assertThat(added[i]).isEqualTo(2 * din[i]);
            assertThat(overwritten[i]).isEqualTo(din[i]);
        }
    }
}
