package simpletorch.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

class SgdStateTest {
    private static void feed(Tensor p, Generator g) {
        p.zeroGrad();
        float[] grad = p.gradBuffer();
        for (int i = 0; i < grad.length; i++) {
            grad[i] = (float) g.nextGaussian();
        }
    }

    @Test
    void momentumBuffersExportAndResumeBitForBit() {
        SGD.Options options = new SGD.Options(0.1, 0.9, 0, 1e-4, true);
        Tensor a = Tensor.rand(new Generator(1), 7).requiresGrad(true);
        Tensor b = a.copy().requiresGrad(true);
        SGD straight = new SGD(List.of(a), options);
        SGD first = new SGD(List.of(b), options);
        Generator ga = new Generator(9), gb = new Generator(9);
        for (int k = 0; k < 3; k++) {
            feed(a, ga);
            straight.step();
            feed(b, gb);
            first.step();
        }
        assertThat(first.state().buffers()).containsOnlyKeys("0.momentum_buffer");
        SGD second = new SGD(List.of(b), options);
        second.loadState(first.state());
        for (int k = 0; k < 3; k++) {
            feed(a, ga);
            straight.step();
            feed(b, gb);
            second.step();
        }
        assertThat(b.data()).isEqualTo(a.data());
        assertThatThrownBy(() -> second.loadState(new OptimizerState(Map.of("0.exp_avg", new float[7]), Map.of())))
                .hasMessageContaining("unexpected key 0.exp_avg");
    }

    @Test
    void plainSgdHasNoState() {
        SGD sgd = new SGD(List.of(Tensor.zeros(2).requiresGrad(true)), 0.1);
        assertThat(sgd.state().buffers()).isEmpty();
    }
}
