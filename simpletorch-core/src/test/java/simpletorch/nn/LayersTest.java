package simpletorch.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/** Conv2d and Linear: PyTorch's default initialisation, argument validation, and forward = the functional op. */
class LayersTest {

    /**
     * PyTorch's default for both layers: weight from kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(fan_in),
     * 1/sqrt(fan_in)); bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
     */
    @Test
    void conv2dDefaultInitIsUniformWithinOneOverSqrtFanIn() {
        Conv2d conv = new Conv2d(16, 32, 3, 1, 1, true, new Generator(42));
        double bound = 1 / Math.sqrt(16 * 9);
        assertUniform("conv weight", conv.weight.data(), bound);
        assertWithin("conv bias", conv.bias.data(), bound);
    }

    @Test
    void linearDefaultInitIsUniformWithinOneOverSqrtFanIn() {
        Linear fc = new Linear(300, 200, true, new Generator(43));
        double bound = 1 / Math.sqrt(300);
        assertUniform("linear weight", fc.weight.data(), bound);
        assertWithin("linear bias", fc.bias.data(), bound);
        assertThat(fc.weight.shape()).containsExactly(200, 300);
        assertThat(fc.bias.shape()).containsExactly(200);
    }

    @Test
    void sameGeneratorSeedGivesSameWeightsAndLayersWithoutBiasHaveNone() {
        Conv2d a = new Conv2d(3, 4, 5, 1, 2, false, new Generator(5));
        Conv2d b = new Conv2d(3, 4, 5, 1, 2, false, new Generator(5));
        assertThat(a.weight.data()).containsExactly(b.weight.data());
        assertThat(a.bias).isNull();
        assertThat(a.stateDict().keySet()).containsExactly("weight");
        assertThat(new Linear(3, 4, false, new Generator(1)).stateDict().keySet()).containsExactly("weight");
        assertThat(a.weight.requiresGrad()).isTrue();
    }

    @Test
    void constructorsRejectBadArgumentsNamingTheValue() {
        assertThatThrownBy(() -> new Conv2d(0, 16, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("inChannels must be > 0, got 0");
        assertThatThrownBy(() -> new Conv2d(3, -2, 3)).hasMessage("outChannels must be > 0, got -2");
        assertThatThrownBy(() -> new Conv2d(3, 16, 0)).hasMessage("kernelSize must be > 0, got 0");
        assertThatThrownBy(() -> new Conv2d(3, 16, 3, 0, 1)).hasMessage("stride must be > 0, got 0");
        assertThatThrownBy(() -> new Conv2d(3, 16, 3, 1, -1)).hasMessage("padding must be >= 0, got -1");
        assertThatThrownBy(() -> new Linear(0, 10)).hasMessage("inFeatures must be > 0, got 0");
        assertThatThrownBy(() -> new Linear(10, -5)).hasMessage("outFeatures must be > 0, got -5");
        assertThatThrownBy(() -> new MaxPool2d(0)).hasMessage("kernelSize must be > 0, got 0");
        assertThatThrownBy(() -> new MaxPool2d(2, -1)).hasMessage("stride must be > 0, got -1");
        assertThatThrownBy(() -> new MaxPool2d(2, 2, 2)).hasMessageContaining("got 2");
    }

    @Test
    void layersForwardThroughTheirParameters() {
        Conv2d conv = new Conv2d(2, 3, 3, 2, 1, true, new Generator(6));
        Tensor y = conv.forward(Tensor.randn(new Generator(7), 1, 2, 7, 7));
        assertThat(y.shape()).containsExactly(1, 3, 4, 4); // (7 + 2 - 3) / 2 + 1
        assertThat(y.gradFn().op()).isEqualTo("conv2d");
        assertThat(new MaxPool2d(3, 2, 1).forward(Tensor.zeros(1, 1, 7, 7)).shape()).containsExactly(1, 1, 4, 4);
        assertThat(new Flatten().forward(Tensor.zeros(2, 3, 4, 5)).shape()).containsExactly(2, 60);
        Tensor z = new Linear(60, 4, true, new Generator(8)).forward(Tensor.zeros(2, 60));
        assertThat(z.shape()).containsExactly(2, 4);
        assertThat(new ReLU().forward(Tensor.of(new float[] {-1, 2}, 2)).data()).containsExactly(0, 2);
    }

    /** Inside the bound, reaching both ends, mean 0, std bound/sqrt(3) and a flat 10-bin histogram. */
    private static void assertUniform(String what, float[] w, double bound) {
        assertWithin(what, w, bound);
        double sum = 0, sumSq = 0, min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
        int[] bins = new int[10];
        for (float v : w) {
            sum += v;
            sumSq += (double) v * v;
            min = Math.min(min, v);
            max = Math.max(max, v);
            bins[Math.min(9, (int) ((v + bound) / (2 * bound) * 10))]++;
        }
        int n = w.length;
        double mean = sum / n;
        double std = Math.sqrt(sumSq / n - mean * mean);
        assertThat(mean).as("%s mean", what).isCloseTo(0, Offset.offset(0.03 * bound));
        assertThat(std).as("%s std vs bound/sqrt(3) = %s", what, bound / Math.sqrt(3))
                .isCloseTo(bound / Math.sqrt(3), Offset.offset(0.03 * bound / Math.sqrt(3)));
        assertThat(max).as("%s max", what).isGreaterThan(0.99 * bound);
        assertThat(min).as("%s min", what).isLessThan(-0.99 * bound);
        for (int b = 0; b < 10; b++) {
            assertThat((double) bins[b]).as("%s histogram bin %d of %s", what, b, java.util.Arrays.toString(bins))
                    .isCloseTo(n / 10.0, Offset.offset(0.15 * n / 10.0));
        }
    }

    private static void assertWithin(String what, float[] w, double bound) {
        boolean anyNonZero = false;
        for (int i = 0; i < w.length; i++) {
            assertThat((double) w[i]).as("%s[%d]", what, i).isBetween(-bound, bound);
            anyNonZero |= w[i] != 0;
        }
        assertThat(anyNonZero).as("%s is initialised", what).isTrue();
    }
}
