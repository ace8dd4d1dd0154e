package simpletorch.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static simpletorch.PyTorchFixture.assertClose;

import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import simpletorch.PyTorchFixture;
import simpletorch.autograd.Functional;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * The layers of issue 6 against PyTorch 1.13: forward values and the gradients of {@code sum(out * r)}, in training
 * and evaluation mode, BatchNorm's running statistics after each of three training steps included
 * ({@code fixtures/layers.safetensors}, from {@code src/test/python/make_layer_fixtures.py}).
 */
class NewLayersPyTorchAgreementTest {
    /** As SimpleNetPyTorchAgreementTest: float32 results summed in different orders; see PyTorchFixture. */
    static final double RTOL = 1e-5;

    static final PyTorchFixture FX = PyTorchFixture.load("layers.safetensors");

    /** Runs the layer on prefix.input, back-propagates sum(out * prefix.r), compares out and grad.input. */
    static Tensor forwardBackward(String prefix, Function<Tensor, Tensor> layer) {
        Tensor x = FX.tensor(prefix + "input").copy().requiresGrad(true);
        Tensor out = layer.apply(x);
        Functional.sum(Functional.mul(out, FX.tensor(prefix + "r"))).backward();
        assertClose(prefix + "out", out, FX.tensor(prefix + "out"), RTOL);
        assertClose(prefix + "grad.input", x.gradTensor(), FX.tensor(prefix + "grad.input"), RTOL);
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"bn2d., 2d, 3", "bn1d., 1d, 4", "bn1d3., 1d, 3"})
    void batchNormOverThreeTrainingStepsThenEvaluation(String prefix, String kind, int channels) {
        BatchNormBase bn = kind.equals("2d") ? new BatchNorm2d(channels) : new BatchNorm1d(channels);
        System.arraycopy(FX.tensor(prefix + "weight").data(), 0, bn.weight.data(), 0, channels);
        System.arraycopy(FX.tensor(prefix + "bias").data(), 0, bn.bias.data(), 0, channels);
        bn.train();
        for (int step = 0; step < 3; step++) {
            String p = prefix + "step" + step + ".";
            bn.zeroGrad();
            forwardBackward(p, bn::forward);
            assertClose(p + "grad.weight", bn.weight.gradTensor(), FX.tensor(p + "grad.weight"), RTOL);
            assertClose(p + "grad.bias", bn.bias.gradTensor(), FX.tensor(p + "grad.bias"), RTOL);
            assertClose(p + "running_mean", bn.runningMean, FX.tensor(p + "running_mean"), RTOL);
            assertClose(p + "running_var", bn.runningVar, FX.tensor(p + "running_var"), RTOL);
            assertThat((long) bn.numBatchesTracked.item()).isEqualTo(FX.longs(p + "num_batches_tracked")[0]);
        }
        bn.eval();
        bn.zeroGrad();
        String p = prefix + "eval.";
        forwardBackward(p, bn::forward);
        assertClose(p + "grad.weight", bn.weight.gradTensor(), FX.tensor(p + "grad.weight"), RTOL);
        assertClose(p + "grad.bias", bn.bias.gradTensor(), FX.tensor(p + "grad.bias"), RTOL);
        assertThat(bn.numBatchesTracked.item()).as("evaluation does not count batches").isEqualTo(3f);
    }

    @Test
    void activations() {
        forwardBackward("leaky_relu.", new LeakyReLU(0.2f)::forward);
        forwardBackward("gelu.", new GELU()::forward);
        forwardBackward("silu.", new SiLU()::forward);
    }

    @Test
    void averagePooling() {
        for (int i = 0; i < 3; i++) {
            long[] c = FX.longs("avg_pool." + i + ".config");
            forwardBackward("avg_pool." + i + ".", new AvgPool2d((int) c[0], (int) c[1], (int) c[2])::forward);
        }
        for (int i = 0; i < 4; i++) {
            long[] size = FX.longs("adaptive_avg_pool." + i + ".size");
            forwardBackward("adaptive_avg_pool." + i + ".", new AdaptiveAvgPool2d((int) size[0], (int) size[1])::forward);
        }
    }

    /**
     * Masks are random in both engines, so the check is on their form: PyTorch's kept values equal our scale
     * 1/(1-p) in float32 exactly, the gradient is the mask, and both drop about p of the elements (planes).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"dropout, 1", "dropout2d, 9"})
    void dropoutMasksHaveTheFormOfPyTorchs(String name, int group) {
        float[] theirs = FX.tensor(name + ".out").data();
        float[] theirGrad = FX.tensor(name + ".grad.input").data();
        float[] r = FX.tensor(name + ".r").data();
        Tensor x = FX.tensor(name + ".input").copy().requiresGrad(true);
        Module layer = name.equals("dropout") ? new Dropout(0.3, new Generator(1)) : new Dropout2d(0.3, new Generator(1));
        Tensor ours = layer.forward(x);
        Functional.sum(ours).backward();
        float scale = 0;
        int theirZeros = 0, ourZeros = 0;
        for (int i = 0; i < theirs.length; i++) {
            if (theirs[i] != 0) {
                scale = theirs[i];
            }
            assertThat(theirGrad[i]).isEqualTo(theirs[i] * r[i]); // input is ones: out = mask, grad = mask * r
            theirZeros += theirs[i] == 0 ? 1 : 0;
            ourZeros += ours.data()[i] == 0 ? 1 : 0;
            assertThat(x.grad()[i]).isEqualTo(ours.data()[i]);
        }
        assertThat(ours.data()).containsOnly(0f, scale);
        assertThat(theirs).containsOnly(0f, scale);
        double units = theirs.length / (double) group;
        double sigma = Math.sqrt(units * 0.3 * 0.7);
        assertThat(theirZeros / group).isBetween((int) (0.3 * units - 4 * sigma), (int) (0.3 * units + 4 * sigma));
        assertThat(ourZeros / group).isBetween((int) (0.3 * units - 4 * sigma), (int) (0.3 * units + 4 * sigma));
        layer.eval();
        assertThat(layer.forward(x)).isSameAs(x);
    }
}
