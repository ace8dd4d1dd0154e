package simpletorch.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static simpletorch.testing.NumericAssertions.assertClose;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;
import simpletorch.testing.TestData;

/**
 * SGD against PyTorch's documented algorithm (torch.optim.SGD), computed here in double:
 * g += wd * p; buf = g on the first step, else momentum * buf + (1 - dampening) * g;
 * g = nesterov ? g + momentum * buf : buf; p -= lr * g.
 */
class SGDTest {

    static Stream<Arguments> options() {
        return Stream.of(
                Arguments.of("plain", new SGD.Options(0.1, 0, 0, 0, false)),
                Arguments.of("momentum", new SGD.Options(0.1, 0.9, 0, 0, false)),
                Arguments.of("momentum+dampening", new SGD.Options(0.1, 0.9, 0.1, 0, false)),
                Arguments.of("nesterov", new SGD.Options(0.1, 0.9, 0, 0, true)),
                Arguments.of("weight decay", new SGD.Options(0.1, 0, 0, 0.01, false)),
                Arguments.of("weight decay+momentum", new SGD.Options(0.1, 0.9, 0, 0.01, false)));
    }

    /** One scalar parameter p = 1 with gradient 1 on each of three steps, lr 0.1: the values worked out by hand. */
    static Stream<Arguments> handComputed() {
        return Stream.of(
                // plain: p -= 0.1
                Arguments.of(new SGD.Options(0.1, 0, 0, 0, false), new double[] {0.9, 0.8, 0.7}),
                // buf = 1, 1.9, 2.71
                Arguments.of(new SGD.Options(0.1, 0.9, 0, 0, false), new double[] {0.9, 0.71, 0.439}),
                // buf = 1 (no dampening on the first step), 0.9 + 0.9 = 1.8, 1.62 + 0.9 = 2.52
                Arguments.of(new SGD.Options(0.1, 0.9, 0.1, 0, false), new double[] {0.9, 0.72, 0.468}),
                // buf = 1, 1.9, 2.71; step uses g + 0.9 * buf = 1.9, 2.71, 3.439
                Arguments.of(new SGD.Options(0.1, 0.9, 0, 0, true), new double[] {0.81, 0.539, 0.1951}),
                // g = 1 + 0.01 p = 1.01, 1.00899, 1.00798101
                Arguments.of(new SGD.Options(0.1, 0, 0, 0.01, false), new double[] {0.899, 0.798101, 0.697302899}),
                // g as above but with p from this run; buf = 1.01, 1.91799, 2.73326301
                Arguments.of(new SGD.Options(0.1, 0.9, 0, 0.01, false), new double[] {0.899, 0.707201, 0.433874699}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("handComputed")
    void threeStepsOnAScalarMatchTheHandComputedValues(SGD.Options options, double[] expected) {
        Tensor p = Tensor.of(new float[] {1f}, 1).requiresGrad(true);
        SGD sgd = new SGD(List.of(p), options);
        for (int step = 0; step < 3; step++) {
            sgd.zeroGrad();
            p.gradBuffer()[0] = 1f;
            sgd.step();
            assertClose(options + " step " + (step + 1), p.data()[0], expected[step], 1e-6, 1e-6);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("options")
    void threeStepsMatchTheDocumentedAlgorithmInDouble(String name, SGD.Options options) {
        Generator g = new Generator(name.hashCode());
        int[][] shapes = {{4}, {2, 3}};
        Tensor[] params = new Tensor[shapes.length];
        double[][] ref = new double[shapes.length][];
        double[][] buf = new double[shapes.length][];
        for (int k = 0; k < shapes.length; k++) {
            params[k] = Tensor.of(TestData.uniform(g, Tensor.checkedNumel(shapes[k])), shapes[k]).requiresGrad(true);
            ref[k] = TestData.toDouble(params[k].data());
            buf[k] = new double[params[k].numel()];
        }
        SGD sgd = new SGD(List.of(params), options);
        for (int step = 0; step < 3; step++) {
            sgd.zeroGrad();
            for (int k = 0; k < shapes.length; k++) {
                float[] grad = TestData.uniform(g, params[k].numel());
                System.arraycopy(grad, 0, params[k].gradBuffer(), 0, grad.length);
                for (int i = 0; i < grad.length; i++) {
                    double d = grad[i];
                    if (options.weightDecay() != 0) {
                        d += options.weightDecay() * ref[k][i];
                    }
                    if (options.momentum() != 0) {
                        if (step == 0) {
                            buf[k][i] = d; // the buffer starts as the first gradient: no dampening
                        } else {
                            buf[k][i] = options.momentum() * buf[k][i] + (1 - options.dampening()) * d;
                        }
                        d = options.nesterov() ? d + options.momentum() * buf[k][i] : buf[k][i];
                    }
                    ref[k][i] -= options.lr() * d;
                }
            }
            sgd.step();
            for (int k = 0; k < shapes.length; k++) {
                assertClose(name + " step " + (step + 1) + " param " + k, params[k].data(), ref[k], 1e-6, 1e-5);
                if (options.momentum() != 0) {
                    assertClose(name + " momentum buffer " + k, sgd.momentumBuffer(k), buf[k], 1e-6, 1e-5);
                } else {
                    assertThat(sgd.momentumBuffer(k)).isNull();
                }
            }
        }
    }

    @Test
    void parametersWithoutAGradientAreLeftAloneAndTheirBufferStartsAtTheirFirstGradient() {
        Tensor a = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor b = Tensor.of(new float[] {3, 4}, 2).requiresGrad(true);
        SGD sgd = new SGD(List.of(a, b), new SGD.Options(0.5, 0.9, 0.5, 0.1, false));
        a.gradBuffer()[0] = 1f;
        sgd.step();
        assertThat(b.data()).containsExactly(3, 4); // no gradient: even weight decay does not touch it
        assertThat(b.grad()).isNull();
        assertThat(sgd.momentumBuffer(1)).isNull();
        assertThat(a.data()[1]).isCloseTo(2 - 0.5f * 0.1f * 2, org.assertj.core.data.Offset.offset(1e-6f));

        b.gradBuffer()[1] = 2f;
        sgd.step();
        // b's first step: buf = g + wd * p, without dampening, even though a is on its second step
        assertThat(sgd.momentumBuffer(1)).containsExactly(0 + 0.1f * 3, 2 + 0.1f * 4);
    }

    @Test
    void setLrTakesEffectOnTheNextStep() {
        Tensor p = Tensor.of(new float[] {1}, 1).requiresGrad(true);
        SGD sgd = new SGD(List.of(p), 0.1);
        p.gradBuffer()[0] = 1f;
        sgd.setLr(0.25);
        sgd.step();
        assertThat(p.data()[0]).isEqualTo(0.75f);
        assertThat(sgd.lr()).isEqualTo(0.25);
        sgd.zeroGrad();
        assertThat(p.grad()).containsExactly(0f);
    }

    @Test
    void invalidHyperParametersAreRejectedWithTheValue() {
        List<Tensor> params = List.of(Tensor.zeros(1).requiresGrad(true));
        assertThatThrownBy(() -> new SGD(params, -0.1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid learning rate: -0.1");
        assertThatThrownBy(() -> new SGD.Options(0.1, -0.5, 0, 0, false))
                .hasMessage("Invalid momentum value: -0.5");
        assertThatThrownBy(() -> new SGD.Options(0.1, 0, 0, -0.01, false))
                .hasMessage("Invalid weight_decay value: -0.01");
        assertThatThrownBy(() -> new SGD.Options(0.1, 0, 0, 0, true))
                .hasMessageContaining("Nesterov momentum requires a momentum and zero dampening")
                .hasMessageContaining("momentum 0.0");
        assertThatThrownBy(() -> new SGD.Options(0.1, 0.9, 0.1, 0, true))
                .hasMessageContaining("dampening 0.1");
        assertThatThrownBy(() -> new SGD.Options(Double.NaN, 0, 0, 0, false)).hasMessage("Invalid learning rate: NaN");
        assertThatThrownBy(() -> new SGD(List.of(), 0.1)).hasMessageContaining("empty parameter list");
        assertThatThrownBy(() -> new SGD(params, 0.1).setLr(-1)).hasMessage("Invalid learning rate: -1.0");
    }
}
