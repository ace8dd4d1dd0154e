package simpletorch.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import simpletorch.PyTorchFixture;
import simpletorch.tensor.Tensor;

/** Learning rates (and momenta) step by step against torch.optim.lr_scheduler (make_optim_fixtures.py). */
class LRSchedulerPyTorchAgreementTest {
    private static final PyTorchFixture FIXTURE = PyTorchFixture.load("schedules.safetensors");

    /** The I64 values of {@code key} are float64 bit patterns (Python's floats, exactly). */
    private static double[] doubles(String key) {
        return java.util.Arrays.stream(FIXTURE.longs(key)).mapToDouble(Double::longBitsToDouble).toArray();
    }

    private static List<Tensor> params() {
        return List.of(Tensor.zeros(1).requiresGrad(true));
    }

    /** Runs the schedule for as many steps as PyTorch did and compares the rates (and momenta). */
    private static void check(String name, Optimizer opt, Function<Optimizer, LRScheduler> make, double tol) {
        LRScheduler s = make.apply(opt);
        double[] lrs = doubles("lr." + name);
        double[] moms = FIXTURE.has("momentum." + name) ? doubles("momentum." + name) : null;
        double maxDiff = 0;
        for (int k = 0; k < lrs.length; k++) {
            assertThat(opt.lr()).as(name + " lr at step " + k).isCloseTo(lrs[k], org.assertj.core.data.Offset.offset(tol));
            maxDiff = Math.max(maxDiff, Math.abs(opt.lr() - lrs[k]));
            if (moms != null) {
                assertThat(opt.momentum()).as(name + " momentum at step " + k)
                        .isCloseTo(moms[k], org.assertj.core.data.Offset.offset(tol));
            }
            s.step();
        }
        System.out.printf("%-30s %d steps, max lr diff %.3g%n", name, lrs.length, maxDiff);
    }

    @Test
    void stepLRIsBitForBitPyTorchs() {
        check("step_3_0.5", new SGD(params(), 0.1), o -> new StepLR(o, 3, 0.5), 0);
        check("step_1_0.9", new SGD(params(), 0.05), o -> new StepLR(o, 1, 0.9), 0);
    }

    @Test
    void cosineWithWarmupIsHuggingFacesLambdaAndWithoutWarmupCosineAnnealingLR() {
        check("hf_cosine_3_12", new SGD(params(), 0.1), o -> new CosineWithWarmup(o, 3, 12), 1e-15);
        check("cosine_annealing_10", new SGD(params(), 0.1), o -> new CosineWithWarmup(o, 0, 10), 1e-15);
    }

    @Test
    void oneCycleFollowsPyTorchsRateAndMomentum() {
        check("onecycle_sgd_0.1_20", new SGD(params(), new SGD.Options(0.01, 0.9, 0, 0, false)),
                o -> new OneCycleLR(o, OneCycleLR.Options.of(0.1, 20)), 1e-15);
        check("onecycle_adam_0.003_37", new Adam(params(), 0.001),
                o -> new OneCycleLR(o, OneCycleLR.Options.of(0.003, 37)), 1e-15);
        check("onecycle_sgd_nomom_0.5_7", new SGD(params(), 0.01),
                o -> new OneCycleLR(o, new OneCycleLR.Options(0.5, 7, 0.3, 25, 1e4, false, 0.85, 0.95)), 1e-15);
    }

    @Test
    void aRestoredScheduleContinuesExactly() {
        SGD a = new SGD(params(), new SGD.Options(0.01, 0.9, 0, 0, false));
        OneCycleLR sa = new OneCycleLR(a, OneCycleLR.Options.of(0.1, 20));
        SGD b = new SGD(params(), new SGD.Options(0.01, 0.9, 0, 0, false));
        OneCycleLR sb = new OneCycleLR(b, OneCycleLR.Options.of(0.1, 20));
        for (int k = 0; k < 7; k++) {
            sa.step();
        }
        sb.loadState(sa.state());
        for (int k = 0; k < 5; k++) {
            sa.step();
            sb.step();
            assertThat(b.lr()).isEqualTo(a.lr());
            assertThat(b.momentum()).isEqualTo(a.momentum());
        }
        SGD c = new SGD(params(), 0.1), d = new SGD(params(), 0.1);
        StepLR sc = new StepLR(c, 2, 0.3), sd = new StepLR(d, 2, 0.3);
        for (int k = 0; k < 5; k++) {
            sc.step();
        }
        sd.loadState(sc.state());
        for (int k = 0; k < 5; k++) {
            sc.step();
            sd.step();
            assertThat(d.lr()).isEqualTo(c.lr());
        }
    }

    @Test
    void badArgumentsAreRejected() {
        assertThatThrownBy(() -> new StepLR(new SGD(params(), 0.1), 0, 0.5)).hasMessageContaining("step_size must be >= 1, got 0");
        assertThatThrownBy(() -> new CosineWithWarmup(new SGD(params(), 0.1), 5, 3)).hasMessageContaining("totalSteps");
        assertThatThrownBy(() -> OneCycleLR.Options.of(0.1, 0)).hasMessageContaining("total_steps, but got 0");
        OneCycleLR s = new OneCycleLR(new SGD(params(), 0.1), OneCycleLR.Options.of(0.1, 2));
        s.step();
        s.step();
        assertThatThrownBy(s::step).hasMessageContaining("Tried to step 3 times");
    }
}
