package simpletorch.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static simpletorch.autograd.FunctionalGradientTest.check;
import static simpletorch.autograd.FunctionalGradientTest.rand;

import org.junit.jupiter.api.Test;
import simpletorch.kernels.ActivationKernels;
import simpletorch.kernels.AvgPoolKernels;
import simpletorch.kernels.NormKernels;
import simpletorch.kernels.PoolGeometry;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;
import simpletorch.testing.TestData;
import simpletorch.testing.Threads;

/**
 * The ops of issue 6 (batch_norm, dropout, leaky_relu, gelu, silu, avg_pool2d, adaptive_avg_pool2d) through
 * {@link Functional} in float32 against finite differences of their double twins, as {@link FunctionalGradientTest}.
 */
class NewOpsGradientTest {

    @Test
    void batchNormTrainingAndEvaluation() {
        Generator g = new Generator(61);
        for (int[] s : new int[][] {{4, 3, 5, 5}, {8, 4}, {4, 3, 6}}) {
            int N = s[0], C = s[1], S = Tensor.checkedNumel(s) / (N * C);
            float[] rm = TestData.uniform(g, C), rv = TestData.uniform(g, C, 0.5f, 2f);
            for (boolean training : new boolean[] {true, false}) {
                check("batch_norm " + java.util.Arrays.toString(s) + (training ? " training" : " eval"),
                        t -> Functional.batchNorm(t[0], Tensor.of(rm, C), Tensor.of(rv, C), t[1], t[2], training, 0.1, 1e-5),
                        x -> {
                            double[] out = new double[x[0].length];
                            NormKernels.batchNormForwardNaive(out, x[0], x[1], x[2], TestData.toDouble(rm),
                                    TestData.toDouble(rv), training, 1e-5, N, C, S);
                            return out;
                        },
                        new float[][] {TestData.uniform(g, N * C * S, -2f, 3f), TestData.uniform(g, C, 0.5f, 1.5f),
                                rand(g, new int[] {C})}, new int[][] {s, {C}, {C}}, g.nextLong());
            }
        }
    }

    @Test
    void batchNormUpdatesRunningStatisticsAsPyTorch() {
        // One channel, values 1, 2, 3, 6: mean 3, biased var 3.5, unbiased var 14/3.
        Tensor x = Tensor.of(new float[] {1, 2, 3, 6}, 4, 1);
        Tensor rm = Tensor.zeros(1), rv = Tensor.ones(1);
        Tensor out = Functional.batchNorm(x, rm, rv, null, null, true, 0.1, 1e-5);
        assertThat(rm.item()).isEqualTo((float) (0.1 * 3));
        assertThat(rv.item()).isEqualTo((float) (0.9 + 0.1 * 14.0 / 3));
        assertThat(out.get(3, 0)).isCloseTo((float) (3 / Math.sqrt(3.5 + 1e-5)), org.assertj.core.data.Offset.offset(1e-6f));
        assertThatThrownBy(() -> Functional.batchNorm(Tensor.zeros(1, 3), null, null, null, null, true, 0.1, 1e-5))
                .hasMessageContaining("Expected more than 1 value per channel when training");
        assertThatThrownBy(() -> Functional.batchNorm(Tensor.zeros(2, 3), Tensor.zeros(4), Tensor.ones(4), null, null,
                false, 0.1, 1e-5)).hasMessageContaining("[3]").hasMessageContaining("[4]");
    }

    @Test
    void activations() {
        Generator g = new Generator(62);
        int[] s = {2, 3, 4, 5};
        float[] v = TestData.awayFromZero(g, 120, 1e-3f);
        for (int i = 0; i < v.length; i++) {
            v[i] *= 4;
        }
        check("leaky_relu", t -> Functional.leakyRelu(t[0], 0.2f), x -> {
            double[] o = new double[x[0].length];
            ActivationKernels.leakyReluForwardNaive(o, x[0], 0.2f, o.length);
            return o;
        }, new float[][] {v}, new int[][] {s}, 1);
        check("gelu", t -> Functional.gelu(t[0]), x -> {
            double[] o = new double[x[0].length];
            ActivationKernels.geluForwardNaive(o, x[0], o.length);
            return o;
        }, new float[][] {v}, new int[][] {s}, 2);
        check("silu", t -> Functional.silu(t[0]), x -> {
            double[] o = new double[x[0].length];
            ActivationKernels.siluForwardNaive(o, x[0], o.length);
            return o;
        }, new float[][] {v}, new int[][] {s}, 3);
    }

    @Test
    void pooling() {
        Generator g = new Generator(63);
        int[] s = {2, 3, 7, 6};
        PoolGeometry geo = new PoolGeometry(2, 3, 7, 6, 3, 3, 2, 2, 1, 1);
        check("avg_pool2d", t -> Functional.avgPool2d(t[0], 3, 2, 1), x -> {
            double[] o = new double[2 * 3 * geo.OH() * geo.OW()];
            AvgPoolKernels.avgPool2dForwardNaive(o, x[0], geo);
            return o;
        }, new float[][] {rand(g, s)}, new int[][] {s}, 4);
        for (int[] size : new int[][] {{1, 1}, {3, 2}, {4, 4}}) {
            check("adaptive_avg_pool2d " + size[0] + "x" + size[1], t -> Functional.adaptiveAvgPool2d(t[0], size[0], size[1]),
                    x -> {
                        double[] o = new double[6 * size[0] * size[1]];
                        AvgPoolKernels.adaptiveAvgPool2dForwardNaive(o, x[0], 6, 7, 6, size[0], size[1]);
                        return o;
                    }, new float[][] {rand(g, s)}, new int[][] {s}, 5);
        }
    }

    @Test
    void dropoutIsMultiplicationByAScaledMask() {
        Tensor x = Tensor.of(TestData.uniform(new Generator(64), 2000, 0.5f, 1.5f), 20, 100).requiresGrad(true);
        Tensor y = Functional.dropout(x, 0.3, true, new Generator(65));
        Functional.sum(y).backward();
        float keep = (float) (1 / 0.7);
        int zeros = 0;
        for (int i = 0; i < x.numel(); i++) {
            float m = x.grad()[i];
            assertThat(m).isIn(0f, keep);
            assertThat(y.data()[i]).isEqualTo(x.data()[i] * m);
            zeros += m == 0 ? 1 : 0;
        }
        assertThat(zeros).isBetween(600 - 90, 600 + 90); // 3 sigma of Binomial(2000, 0.3)
        // the same generator state gives the same mask; evaluation and p = 0 are the identity
        assertThat(Functional.dropout(x, 0.3, true, new Generator(65)).data()).containsExactly(y.data());
        assertThat(Functional.dropout(x, 0.3, false, null)).isSameAs(x);
        assertThat(Functional.dropout(x, 0, true, null)).isSameAs(x);
        assertThat(Functional.dropout(x, 1, true, null).data()).containsOnly(0f);
        assertThatThrownBy(() -> Functional.dropout(x, 1.5, true, null))
                .hasMessage("dropout probability has to be between 0 and 1, but got 1.5");
    }

    /**
     * The mask is drawn by index on every thread: element i's is the generator's (i+1)-th nextDouble, as drawn one by
     * one, on any thread count, and the generator ends where the draws one by one leave it.
     */
    @Test
    void dropoutMaskIsTheGeneratorsDrawsInOrderOnAnyThreadCount() {
        Tensor x = Tensor.ones(33, 1000);
        Generator sequential = new Generator(67);
        float keep = (float) (1 / 0.6);
        float[] expected = new float[x.numel()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = sequential.nextDouble() < 0.4 ? 0f : keep;
        }
        for (int threads : new int[] {1, 2, 3}) {
            Generator g = new Generator(67);
            float[][] got = new float[1][];
            Threads.with(threads, () -> got[0] = Functional.dropout(x, 0.4, true, g).data());
            assertThat(got[0]).as("%d threads", threads).containsExactly(expected);
            assertThat(g.state()).isEqualTo(sequential.state());
        }
    }

    @Test
    void dropout2dZeroesWholePlanes() {
        Tensor x = Tensor.ones(10, 20, 3, 3);
        Tensor y = Functional.dropout2d(x, 0.5, true, new Generator(66));
        int zeroPlanes = 0;
        for (int p = 0; p < 200; p++) {
            float first = y.data()[p * 9];
            for (int i = 1; i < 9; i++) {
                assertThat(y.data()[p * 9 + i]).isEqualTo(first);
            }
            assertThat(first).isIn(0f, 2f);
            zeroPlanes += first == 0 ? 1 : 0;
        }
        assertThat(zeroPlanes).isBetween(100 - 22, 100 + 22);
        // planes of no pixels: an empty output, its gradient empty too
        Tensor empty = Tensor.ones(2, 3, 0, 4).requiresGrad(true);
        Tensor e = Functional.dropout2d(empty, 0.5, true, new Generator(68));
        assertThat(e.shape()).containsExactly(2, 3, 0, 4);
        Functional.sum(e).backward();
        assertThat(empty.grad()).isEmpty();
    }
}
