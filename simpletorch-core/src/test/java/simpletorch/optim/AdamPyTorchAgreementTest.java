package simpletorch.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import simpletorch.PyTorchFixture;
import simpletorch.tensor.Tensor;

/** Adam and AdamW against torch.optim (fixtures from src/test/python/make_optim_fixtures.py). */
class AdamPyTorchAgreementTest {
    private static final PyTorchFixture FIXTURE = PyTorchFixture.load("adam_steps.safetensors");
    private static final int STEPS = 6;

    static Optimizer make(String variant, List<Tensor> params) {
        return switch (variant) {
            case "adam" -> new Adam(params, 0.01);
            case "adam_wd" -> new Adam(params, new Adam.Options(0.005, 0.8, 0.99, 1e-6, 0.1));
            case "adamw" -> new AdamW(params, 0.01);
            case "adamw_wd" -> new AdamW(params, new Adam.Options(0.02, 0.85, 0.95, 1e-7, 0.3));
            default -> throw new IllegalArgumentException(variant);
        };
    }

    private static void feed(Tensor p, Tensor grad) {
        p.zeroGrad();
        System.arraycopy(grad.data(), 0, p.gradBuffer(), 0, grad.numel());
    }

    @ParameterizedTest
    @ValueSource(strings = {"adam", "adam_wd", "adamw", "adamw_wd"})
    void everyStepFollowsPyTorch(String variant) {
        Tensor p0 = FIXTURE.tensor(variant + ".initial.p0").copy().requiresGrad(true);
        Tensor p1 = FIXTURE.tensor(variant + ".initial.p1").copy().requiresGrad(true);
        Optimizer opt = make(variant, List.of(p0, p1));
        for (int k = 0; k < STEPS; k++) {
            feed(p0, FIXTURE.tensor(variant + ".grad" + k + ".p0"));
            feed(p1, FIXTURE.tensor(variant + ".grad" + k + ".p1"));
            opt.step();
            PyTorchFixture.assertClose(variant + " step " + (k + 1) + " p0", p0, FIXTURE.tensor(variant + ".after" + k + ".p0"), 1e-6);
            PyTorchFixture.assertClose(variant + " step " + (k + 1) + " p1", p1, FIXTURE.tensor(variant + ".after" + k + ".p1"), 1e-6);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"adam", "adamw_wd"})
    void stateExportedAfterThreeStepsResumesBitForBit(String variant) {
        Tensor a0 = FIXTURE.tensor(variant + ".initial.p0").copy().requiresGrad(true);
        Tensor a1 = FIXTURE.tensor(variant + ".initial.p1").copy().requiresGrad(true);
        Optimizer straight = make(variant, List.of(a0, a1));
        Tensor b0 = a0.copy().requiresGrad(true);
        Tensor b1 = a1.copy().requiresGrad(true);
        Optimizer first = make(variant, List.of(b0, b1));
        Optimizer second = null;
        for (int k = 0; k < STEPS; k++) {
            feed(a0, FIXTURE.tensor(variant + ".grad" + k + ".p0"));
            feed(a1, FIXTURE.tensor(variant + ".grad" + k + ".p1"));
            straight.step();
            if (k == 3) { // a fresh optimiser continues from the state the first one exported
                second = make(variant, List.of(b0, b1));
                second.loadState(first.state());
            }
            Optimizer current = k < 3 ? first : second;
            feed(b0, FIXTURE.tensor(variant + ".grad" + k + ".p0"));
            feed(b1, FIXTURE.tensor(variant + ".grad" + k + ".p1"));
            current.step();
        }
        assertThat(b0.data()).isEqualTo(a0.data());
        assertThat(b1.data()).isEqualTo(a1.data());
        assertThat(second.state().counters()).containsEntry("0.step", 6L).containsEntry("1.step", 6L);
    }

    @Test
    void aStateThatDoesNotFitIsRejectedAndChangesNothing() {
        Tensor p = Tensor.zeros(3).requiresGrad(true);
        Adam adam = new Adam(List.of(p), 0.1);
        feed(p, Tensor.of(new float[] {1, 2, 3}, 3));
        adam.step();
        OptimizerState good = adam.state();

        OptimizerState wrongLength = new OptimizerState(java.util.Map.of("0.exp_avg", new float[2], "0.exp_avg_sq",
                new float[3]), java.util.Map.of("0.step", 1L));
        assertThatThrownBy(() -> adam.loadState(wrongLength)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("buffer 0.exp_avg has 2 values, parameter 0 has 3");
        OptimizerState unknown = new OptimizerState(java.util.Map.of("1.exp_avg", new float[3]), java.util.Map.of());
        assertThatThrownBy(() -> adam.loadState(unknown)).hasMessageContaining("unexpected key 1.exp_avg");
        OptimizerState sgdState = new OptimizerState(java.util.Map.of("0.momentum_buffer", new float[3]), java.util.Map.of());
        assertThatThrownBy(() -> adam.loadState(sgdState)).hasMessageContaining("unexpected key 0.momentum_buffer");
        assertThat(adam.state().buffers().get("0.exp_avg")).isEqualTo(good.buffers().get("0.exp_avg"));
        assertThat(adam.step(0)).isEqualTo(1);
    }

    @Test
    void badHyperParametersNameTheValue() {
        List<Tensor> ps = List.of(Tensor.zeros(1).requiresGrad(true));
        assertThatThrownBy(() -> new Adam(ps, new Adam.Options(0.1, 1.0, 0.999, 1e-8, 0)))
                .hasMessage("Invalid beta parameter at index 0: 1.0");
        assertThatThrownBy(() -> new Adam(ps, new Adam.Options(0.1, 0.9, -0.1, 1e-8, 0)))
                .hasMessage("Invalid beta parameter at index 1: -0.1");
        assertThatThrownBy(() -> new AdamW(ps, new Adam.Options(-1, 0.9, 0.999, 1e-8, 0)))
                .hasMessage("Invalid learning rate: -1.0");
    }
}
