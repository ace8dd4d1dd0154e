package simpletorch.autograd;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import simpletorch.nn.MaxPool2d;
import simpletorch.nn.ReLU;
import simpletorch.nn.Sequential;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;
import simpletorch.testing.Threads;

/**
 * The fused {@code relu -> max_pool2d} (pooling first, ReLU on the pooled values) gives exactly what the two ops
 * give one after the other, values and gradients, on inputs with ties, all-negative windows, zeros and -0.0.
 */
class ReluMaxPoolFusionTest {

    /** Values from a small set (many ties), about half of them negative or zero. */
    private static float[] awkward(Generator g, int n) {
        float[] choices = {-2f, -1f, -0f, 0f, 0f, 1f, 1f, 2f, 3f};
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = choices[(int) (g.nextFloat() * choices.length)];
        }
        return x;
    }

    /** Asserts the two tensors hold the same values bit for bit (signs of zero, NaNs); returns how many are NaN. */
    static int assertSameBits(Tensor got, Tensor want) {
        assertThat(got.shape()).isEqualTo(want.shape());
        int nans = 0;
        for (int i = 0; i < got.numel(); i++) {
            assertThat(Float.floatToRawIntBits(got.data()[i]))
                    .as("value %d", i).isEqualTo(Float.floatToRawIntBits(want.data()[i]));
            nans += Float.isNaN(got.data()[i]) ? 1 : 0;
        }
        return nans;
    }

    @ParameterizedTest(name = "k={0} stride={1} pad={2} threads={3}")
    @CsvSource({"2,2,0,1", "2,2,0,2", "3,2,1,2", "3,1,1,3", "2,1,0,2"})
    void fusedEqualsReluThenPool(int k, int stride, int pad, int threads) {
        Threads.with(threads, () -> {
            Generator g = new Generator(50 + k * 7 + stride * 3 + pad);
            int[] shape = {3, 4, 9, 8};
            float[] values = awkward(g, 3 * 4 * 9 * 8);
            Tensor x1 = Tensor.of(values, shape).requiresGrad(true);
            Tensor x2 = Tensor.of(values, shape).requiresGrad(true);

            Tensor unfused = Functional.maxPool2d(Functional.relu(x1), k, k, stride, stride, pad, pad);
            Tensor fused = Functional.reluMaxPool2d(x2, k, k, stride, stride, pad, pad);
            assertSameBits(fused, unfused);

            float[] r = awkward(g, fused.numel()); // a weighted sum as the loss: any gradient of the output
            Functional.sum(Functional.mul(unfused, Tensor.of(r, unfused.shape()))).backward();
            Functional.sum(Functional.mul(fused, Tensor.of(r, fused.shape()))).backward();
            assertThat(x2.grad()).containsExactly(x1.grad());
        });
    }

    /**
     * Rows of whole vectors take the Vector API kernel (on JDK 25+), which applies the ReLU as it stores the maxima:
     * still bit for bit ReLU then pooling, with NaNs (their windows redone by the scalar code), infinities and both
     * zeros among the values.
     */
    @ParameterizedTest(name = "threads={0}")
    @CsvSource({"1", "2"})
    void fusedEqualsReluThenPoolOnWholeVectorRowsWithNaNs(int threads) {
        Threads.with(threads, () -> {
            Generator g = new Generator(71);
            int[] shape = {2, 3, 8, 32};
            float[] values = awkward(g, 2 * 3 * 8 * 32);
            float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f};
            for (int i = 0; i < values.length; i += 37) {
                values[i] = specials[(i / 37) % specials.length];
            }
            Tensor unfused = Functional.maxPool2d(Functional.relu(Tensor.of(values, shape)), 2, 2, 2, 2, 0, 0);
            Tensor fused = Functional.reluMaxPool2d(Tensor.of(values, shape), 2, 2, 2, 2, 0, 0);
            assertThat(assertSameBits(fused, unfused)).as("pooled NaNs").isPositive();
        });
    }

    @ParameterizedTest(name = "threads={0}")
    @CsvSource({"1", "2"})
    void sequentialFusesReluFollowedByMaxPool(int threads) {
        Threads.with(threads, () -> {
            Generator g = new Generator(9);
            float[] values = awkward(g, 2 * 3 * 8 * 8);
            Tensor x1 = Tensor.of(values, 2, 3, 8, 8).requiresGrad(true);
            Tensor x2 = Tensor.of(values, 2, 3, 8, 8).requiresGrad(true);
            Tensor viaSequential = new Sequential(new ReLU(), new MaxPool2d(2)).forward(x1);
            Tensor direct = new MaxPool2d(2).forward(Functional.relu(x2));
            assertThat(viaSequential.gradFn().op()).isEqualTo("relu_max_pool2d");
            assertThat(viaSequential.data()).containsExactly(direct.data());
            Functional.sum(viaSequential).backward();
            Functional.sum(direct).backward();
            assertThat(x1.grad()).containsExactly(x2.grad());
        });
    }
}
