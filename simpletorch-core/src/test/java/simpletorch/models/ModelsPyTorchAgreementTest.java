package simpletorch.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static simpletorch.PyTorchFixture.assertClose;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import simpletorch.PyTorchFixture;
import simpletorch.autograd.Functional;
import simpletorch.autograd.GradMode;
import simpletorch.nn.Dropout;
import simpletorch.nn.Module;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * The models of {@link Models} against the same architectures written in PyTorch
 * ({@code src/test/python/make_layer_fixtures.py}, {@code fixtures/models.safetensors}): state-dict names, order
 * and shapes and parameter counts for two input shapes, and, from the same weights and batch, the training-mode
 * logits, loss, gradients and updated BatchNorm buffers and the evaluation-mode logits.
 */
class ModelsPyTorchAgreementTest {
    /**
     * Deeper nets sum more float32 terms in different orders; BatchNorm in training divides by batch standard
     * deviations, which amplifies relative differences a little. 1e-4 of the tensor's scale is still far below
     * what a wrong index or a missing term would move (1e-2 or more). Measured: at most 0.04 of it (resnet20's
     * layer3 weight gradients), logits within 1e-6 absolute.
     */
    static final double RTOL = 1e-4;

    static final PyTorchFixture FX = PyTorchFixture.load("models.safetensors");

    @Test
    void stateDictNamesShapesAndParameterCountsMatchPyTorch() {
        StringJoiner all = new StringJoiner(", ", "{", "}");
        for (String name : Models.names()) {
            for (int[] shape : new int[][] {{1, 28, 28}, {3, 32, 32}}) {
                Module m = Models.create(name, shape[0], shape[1], shape[2], 10);
                StringJoiner entries = new StringJoiner(", ", "[", "]");
                m.stateDict().forEach((k, t) -> {
                    StringJoiner dims = new StringJoiner(", ", "[", "]");
                    for (int d : t.shape()) {
                        dims.add(Integer.toString(d));
                    }
                    entries.add("[\"" + k + "\", " + dims + "]");
                });
                all.add("\"" + name + "@" + shape[0] + "x" + shape[1] + "x" + shape[2] + "\": {\"state_dict\": " + entries
                        + ", \"parameters\": " + m.numParameters() + "}");
                assertThat(Models.parameterCount(name, shape[0], shape[1], shape[2], 10)).isEqualTo(m.numParameters());
            }
        }
        // The fixture's metadata is json.dumps of the same structure, so the texts must be equal.
        assertThat(all.toString()).isEqualTo(FX.metadata().get("state_dicts"));
    }

    @Test
    void parameterCountsAsDocumented() {
        assertThat(Models.parameterCount("simplenet", 3, 32, 32, 10)).isEqualTo(25_578);
        assertThat(Models.parameterCount("simplenet-bn", 1, 28, 28, 10)).isEqualTo(20_538);
        assertThat(Models.parameterCount("vgg-small", 1, 28, 28, 10)).isEqualTo(65_834);
        assertThat(Models.parameterCount("resnet20", 3, 32, 32, 10)).isEqualTo(272_474);
        long state = Generator.defaultGenerator().state();
        Models.parameterCount("resnet20", 1, 28, 28, 10);
        assertThat(Generator.defaultGenerator().state()).as("counting draws nothing").isEqualTo(state);
        assertThat(Models.get("ResNet20").name()).isEqualTo("resnet20");
        assertThatThrownBy(() -> Models.get("resnet18")).hasMessageContaining("simplenet, simplenet-bn, vgg-small, resnet20");
        assertThatThrownBy(() -> Models.create("resnet20", 3, 32, 32, 10).forward(Tensor.zeros(1, 1, 28, 28)))
                .hasMessageContaining("ResNet20 expected input of shape [N, 3, 32, 32], got [1, 1, 28, 28]");
    }

    @ParameterizedTest(name = "{0} {1}x{2}x{3}")
    @CsvSource({"simplenet-bn, 1, 28, 28", "vgg-small, 3, 32, 32", "resnet20, 3, 32, 32"})
    void trainingAndEvaluationMatchPyTorch(String name, int c, int h, int w) {
        String p = name + ".";
        Module model = Models.create(name, c, h, w, 10);
        Map<String, Tensor> state = model.stateDict();
        List<String> keys = new ArrayList<>(state.keySet());
        model.loadStateDict(FX.stateDict(p + "init.", keys.toArray(String[]::new)), true);

        model.train();
        dropouts(model).forEach(Module::eval); // as the fixture: Dropout's mask is random
        Tensor x = FX.tensor(p + "input").copy().requiresGrad(true);
        Tensor logits = model.forward(x);
        Tensor loss = Functional.crossEntropy(logits, FX.ints(p + "target"));
        loss.backward();
        assertClose(p + "train.logits", logits, FX.tensor(p + "train.logits"), RTOL);
        assertClose(p + "train.loss", loss, FX.tensor(p + "train.loss"), RTOL);
        for (var e : model.namedParameters().entrySet()) {
            assertClose(p + "grad." + e.getKey(), e.getValue().gradTensor(), FX.tensor(p + "grad." + e.getKey()), RTOL);
        }
        assertClose(p + "grad.input", x.gradTensor(), FX.tensor(p + "grad.input"), RTOL);
        for (String k : keys) {
            if (!model.namedParameters().containsKey(k)) { // a buffer: running statistics after the forward pass
                assertClose(p + "after." + k, state.get(k), FX.tensor(p + "after." + k), RTOL);
            }
        }

        model.eval();
        try (var ignored = GradMode.noGrad()) {
            assertClose(p + "eval.logits", model.forward(FX.tensor(p + "input")), FX.tensor(p + "eval.logits"), RTOL);
        }
    }

    static List<Module> dropouts(Module m) {
        List<Module> out = new ArrayList<>();
        if (m instanceof Dropout) {
            out.add(m);
        }
        m.children().values().forEach(child -> out.addAll(dropouts(child)));
        return out;
    }
}
