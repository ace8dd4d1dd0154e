package simpletorch.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import simpletorch.models.SimpleNet;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/** State dict naming and loading, train/eval propagation and PyTorch-style repr. */
class ModuleTest {

    /** conv, relu, conv, (flatten, linear): parameters at indices 0, 2 and 3.1, as PyTorch numbers them. */
    private static Sequential nested(long seed) {
        Generator g = new Generator(seed);
        return new Sequential(
                new Conv2d(3, 5, 3, 1, 0, true, g),
                new ReLU(),
                new Conv2d(5, 4, 3, 2, 1, false, g),
                new Sequential(new Flatten(), new Linear(4 * 2 * 2, 10, true, g)));
    }

    /** A module with its own parameter and buffer as well as a child, to pin down the order within one level. */
    private static final class WithBuffer extends Module {
        final Tensor scale = registerParameter("scale", Tensor.ones(3));
        final Tensor runningMean = registerBuffer("running_mean", Tensor.zeros(3));
        final Linear head = registerModule("head", new Linear(3, 2, true, new Generator(1)));

        @Override
        public Tensor forward(Tensor input) {
            return head.forward(input);
        }
    }

    @Test
    void stateDictNamesAndOrderMatchPyTorchForNestedSequential() {
        Sequential model = nested(1);
        assertThat(model.stateDict().keySet()).containsExactly(
                "0.weight", "0.bias", "2.weight", "3.1.weight", "3.1.bias");
        assertThat(model.namedParameters().keySet()).containsExactly(
                "0.weight", "0.bias", "2.weight", "3.1.weight", "3.1.bias");
        assertThat(model.stateDict().get("2.weight").shape()).containsExactly(4, 5, 3, 3);
        assertThat(model.stateDict().get("3.1.weight")).isSameAs(((Linear) ((Sequential) model.get(3)).get(1)).weight);
        assertThat(model.numParameters()).isEqualTo(5 * 3 * 9 + 5 + 4 * 5 * 9 + 16 * 10 + 10);
    }

    @Test
    void ownParametersAndBuffersComeBeforeChildrenAndBuffersAreNotParameters() {
        WithBuffer m = new WithBuffer();
        assertThat(m.stateDict().keySet()).containsExactly("scale", "running_mean", "head.weight", "head.bias");
        assertThat(m.namedParameters().keySet()).containsExactly("scale", "head.weight", "head.bias");
        assertThat(m.runningMean.requiresGrad()).isFalse();
    }

    @Test
    void strictLoadCopiesEveryValueWithoutAliasing() {
        Sequential source = nested(1), target = nested(2);
        assertThat(target.stateDict().get("0.weight").data()).isNotEqualTo(source.stateDict().get("0.weight").data());
        target.loadStateDict(source.stateDict(), true);
        source.stateDict().forEach((k, t) -> assertThat(target.stateDict().get(k).data()).as(k).containsExactly(t.data()));
        source.stateDict().get("0.bias").data()[0] = 99f;
        assertThat(target.stateDict().get("0.bias").data()[0]).isNotEqualTo(99f);
    }

    @Test
    void strictLoadListsMissingUnexpectedAndMisShapedKeysAndCopiesNothing() {
        Sequential target = nested(2);
        Map<String, float[]> before = snapshot(target);
        Map<String, Tensor> bad = new LinkedHashMap<>(nested(1).stateDict());
        bad.remove("0.bias");
        bad.remove("3.1.bias");
        bad.put("extra.weight", Tensor.zeros(2));
        bad.put("2.weight", Tensor.zeros(4, 5, 1, 1));

        assertThatThrownBy(() -> target.loadStateDict(bad, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Error(s) in loading state_dict for Sequential")
                .hasMessageContaining("Missing key(s) in state_dict: 0.bias, 3.1.bias")
                .hasMessageContaining("Unexpected key(s) in state_dict: extra.weight")
                .hasMessageContaining("size mismatch for 2.weight: copying a param with shape [4, 5, 1, 1] from checkpoint,"
                        + " the shape in current model is [4, 5, 3, 3]");
        assertUnchanged(target, before);
    }

    @Test
    void aSingleSizeMismatchAlsoCopiesNothing() {
        Sequential target = nested(2);
        Map<String, float[]> before = snapshot(target);
        Map<String, Tensor> bad = new LinkedHashMap<>(nested(1).stateDict());
        bad.put("3.1.bias", Tensor.zeros(11)); // the last key: everything before it would be copied by a naive loader
        assertThatThrownBy(() -> target.loadStateDict(bad, true))
                .hasMessageContaining("size mismatch for 3.1.bias")
                .hasMessageNotContaining("Missing")
                .hasMessageNotContaining("Unexpected");
        assertThatThrownBy(() -> target.loadStateDict(bad, false)).hasMessageContaining("size mismatch for 3.1.bias");
        assertUnchanged(target, before);
    }

    @Test
    void nonStrictLoadIgnoresExtraAndMissingKeys() {
        Sequential source = nested(1), target = nested(2);
        Map<String, float[]> before = snapshot(target);
        Map<String, Tensor> partial = new LinkedHashMap<>(source.stateDict());
        partial.remove("2.weight");
        partial.put("something.else", Tensor.zeros(7));
        target.loadStateDict(partial, false);
        assertThat(target.stateDict().get("0.weight").data()).containsExactly(source.stateDict().get("0.weight").data());
        assertThat(target.stateDict().get("3.1.bias").data()).containsExactly(source.stateDict().get("3.1.bias").data());
        assertThat(target.stateDict().get("2.weight").data()).containsExactly(before.get("2.weight"));
    }

    @Test
    void trainAndEvalPropagateToEveryDescendant() {
        Sequential model = nested(1);
        Sequential inner = (Sequential) model.get(3);
        assertThat(model.isTraining()).isTrue();
        assertThat(model.eval()).isSameAs(model);
        assertThat(model.isTraining()).isFalse();
        assertThat(model.get(0).isTraining()).isFalse();
        assertThat(inner.isTraining()).isFalse();
        assertThat(inner.get(1).isTraining()).isFalse();
        model.train();
        assertThat(inner.get(1).isTraining()).isTrue();
        assertThat(model.get(2).isTraining()).isTrue();
    }

    @Test
    void zeroGradZeroesEveryParametersGradient() {
        Sequential model = nested(1);
        for (Tensor p : model.parameters()) {
            p.gradBuffer()[0] = 5f;
        }
        model.zeroGrad();
        for (Tensor p : model.parameters()) {
            assertThat(p.grad()).containsOnly(0f);
        }
    }

    @Test
    void reprMatchesPyTorchs() {
        assertThat(new SimpleNet().toString()).isEqualTo("""
                SimpleNet(
                  (conv1): Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                  (conv2): Conv2d(16, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
                  (pool): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
                  (fc1): Linear(in_features=2048, out_features=10, bias=True)
                )""");
        assertThat(nested(1).toString()).isEqualTo("""
                Sequential(
                  (0): Conv2d(3, 5, kernel_size=(3, 3), stride=(1, 1))
                  (1): ReLU()
                  (2): Conv2d(5, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)
                  (3): Sequential(
                    (0): Flatten(start_dim=1, end_dim=-1)
                    (1): Linear(in_features=16, out_features=10, bias=True)
                  )
                )""");
        assertThat(new CrossEntropyLoss().toString()).isEqualTo("CrossEntropyLoss()");
    }

    @Test
    void registrationRejectsDottedAndDuplicateNames() {
        class Bad extends Module {
            Bad(String first, String second) {
                registerParameter(first, Tensor.zeros(1));
                registerParameter(second, Tensor.zeros(1));
            }

            @Override
            public Tensor forward(Tensor input) {
                return input;
            }
        }
        assertThatThrownBy(() -> new Bad("w", "w")).hasMessageContaining("'w' is already registered");
        assertThatThrownBy(() -> new Bad("w", "a.b")).hasMessageContaining("got 'a.b'");
    }

    private static Map<String, float[]> snapshot(Module m) {
        Map<String, float[]> s = new LinkedHashMap<>();
        m.stateDict().forEach((k, t) -> s.put(k, t.data().clone()));
        return s;
    }

    private static void assertUnchanged(Module m, Map<String, float[]> before) {
        m.stateDict().forEach((k, t) -> assertThat(t.data()).as("%s after a failed load", k).containsExactly(before.get(k)));
    }
}
