package simpletorch.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static simpletorch.testing.NumericAssertions.assertClose;

import org.junit.jupiter.api.Test;
import simpletorch.tensor.Tensor;

/** How the autograd graph behaves: accumulation, grad mode, leaf rules, freed intermediate gradients. */
class GraphTest {

    private static Tensor leaf(float... values) {
        return Tensor.of(values, values.length).requiresGrad(true);
    }

    @Test
    void aTensorUsedTwiceInOneOpGetsBothGradients() {
        Tensor x = leaf(1, 2, -3);
        Functional.sum(Functional.mul(x, x)).backward();
        assertThat(x.grad()).containsExactly(2, 4, -6); // d(x^2)/dx = 2x

        Tensor y = leaf(1, 2, -3);
        Functional.sum(Functional.add(y, y)).backward();
        assertThat(y.grad()).containsExactly(2, 2, 2);
    }

    /** y feeds two ops; both contributions must reach y before y's own backward runs (topological order). */
    @Test
    void anIntermediateUsedTwiceAccumulatesBeforePropagating() {
        Tensor x = leaf(0.5f, 2, -1);
        Tensor y = Functional.mul(x, Tensor.of(new float[] {3, 3, 3}, 3)); // y = 3x
        Tensor z = Functional.add(Functional.mul(y, y), y);                // z = y^2 + y
        Functional.sum(z).backward();
        // dz/dx = (2y + 1) * 3
        assertClose("dx", x.grad(), new double[] {(2 * 1.5 + 1) * 3, (2 * 6 + 1) * 3, (2 * -3 + 1) * 3}, 1e-6, 1e-6);
    }

    /**
     * A sum's or difference's first operand takes the output's gradient buffer when nothing has flowed into it yet
     * (a residual connection's add), and the second gets a written copy: the gradients must come out as if every one
     * had been added into zeros, whichever consumer of y runs first, when the output's gradient is kept
     * (retainGrad), and across two backward calls into leaves.
     */
    @Test
    void sumsHandTheirGradientOnAndTheRestStillAdds() {
        float[] c = {0.5f, -2, 3}, d = {1, 4, -1};
        for (boolean subtract : new boolean[] {false, true}) {
            for (boolean keep : new boolean[] {false, true}) {
                Tensor x = leaf(1, 2, -3), b = leaf(4, 5, 6);
                Tensor y = Functional.mul(x, Tensor.of(new float[] {2, 2, 2}, 3));     // y = 2x
                Tensor s = subtract ? Functional.sub(y, b) : Functional.add(y, b);    // s = y +- b
                if (keep) {
                    s.retainGrad();
                }
                Tensor loss = Functional.add(Functional.sum(Functional.mul(s, Tensor.of(c, 3))),
                        Functional.sum(Functional.mul(y, Tensor.of(d, 3))));          // sum(s*c) + sum(y*d)
                loss.backward();
                String what = (subtract ? "y - b" : "y + b") + (keep ? ", kept" : "");
                assertClose(what + ": dx", x.grad(), new double[] {2 * (c[0] + d[0]), 2 * (c[1] + d[1]),
                        2 * (c[2] + d[2])}, 1e-6, 1e-6);
                float sign = subtract ? -1 : 1;
                assertClose(what + ": db", b.grad(), new double[] {sign * c[0], sign * c[1], sign * c[2]}, 1e-6, 1e-6);
                if (keep) {
                    assertClose(what + ": ds", s.grad(), new double[] {c[0], c[1], c[2]}, 1e-6, 1e-6);
                }
            }
        }
        Tensor x = leaf(1, 2, 3), b = leaf(4, 5, 6); // leaves: the handed buffer is x's gradient from then on
        for (int call = 1; call <= 2; call++) {
            Functional.sum(Functional.mul(Functional.add(x, b), Tensor.of(c, 3))).backward();
            assertClose("leaf x after " + call + " calls", x.grad(), new double[] {call * c[0], call * c[1],
                    call * c[2]}, 1e-6, 1e-6);
            assertClose("leaf b after " + call + " calls", b.grad(), new double[] {call * c[0], call * c[1],
                    call * c[2]}, 1e-6, 1e-6);
        }
    }

    /** addRelu against relu(add): the same output and gradients, with the first operand also used elsewhere. */
    @Test
    void addReluIsReluOfTheSum() {
        float[] c = {0.5f, -2, 3, 1};
        Tensor[] grads = new Tensor[4];
        float[][] outs = new float[2][];
        for (int fused = 0; fused < 2; fused++) {
            Tensor x = leaf(1, -2, 0.5f, -0.25f), y = leaf(-1.5f, 5, -2, 0.75f);
            Tensor a = Functional.mul(x, Tensor.of(new float[] {2, 2, 2, 2}, 4));           // a = 2x
            Tensor z = fused == 1 ? Functional.addRelu(a, y) : Functional.relu(Functional.add(a, y));
            outs[fused] = z.data().clone();
            Tensor loss = Functional.add(Functional.sum(Functional.mul(z, Tensor.of(c, 4))), Functional.sum(a));
            loss.backward();
            grads[2 * fused] = Tensor.of(x.grad(), 4);
            grads[2 * fused + 1] = Tensor.of(y.grad(), 4);
        }
        assertThat(outs[1]).containsExactly(outs[0]);
        assertThat(grads[2].data()).containsExactly(grads[0].data());
        assertThat(grads[3].data()).containsExactly(grads[1].data());
        assertThat(grads[3].data()).containsExactly(0.5f, -2f, 0f, 1f); // c where 2x + y (0.5, 1, -1, 0.25) > 0
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilZeroGrad() {
        Tensor x = leaf(1, 2, 3);
        Tensor c = Tensor.of(new float[] {4, 5, 6}, 3);
        Functional.sum(Functional.mul(x, c)).backward();
        assertThat(x.grad()).containsExactly(4, 5, 6);
        Functional.sum(Functional.mul(x, c)).backward();
        assertThat(x.grad()).containsExactly(8, 10, 12);
        x.zeroGrad();
        assertThat(x.grad()).containsExactly(0, 0, 0);
        Functional.sum(Functional.mul(x, c)).backward();
        assertThat(x.grad()).containsExactly(4, 5, 6);
    }

    @Test
    void onlyTensorsThatRequireAGradientGetOne() {
        Tensor x = leaf(1, 2);
        Tensor w = Tensor.of(new float[] {3, 4}, 2);
        Functional.sum(Functional.mul(x, w)).backward();
        assertThat(x.grad()).containsExactly(3, 4);
        assertThat(w.grad()).isNull();
        assertThat(w.requiresGrad()).isFalse();
    }

    @Test
    void noGradRecordsNothingAndRestoresThePreviousMode() {
        Tensor x = leaf(1, 2, 3);
        try (var outer = GradMode.noGrad()) {
            Tensor y = Functional.relu(Functional.mul(x, x));
            assertThat(y.requiresGrad()).isFalse();
            assertThat(y.gradFn()).isNull();
            try (var inner = GradMode.noGrad()) {
                assertThat(GradMode.isEnabled()).isFalse();
            }
            assertThat(GradMode.isEnabled()).as("closing a nested guard keeps the outer one's mode").isFalse();
            assertThatThrownBy(() -> y.backward(new float[3])).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("does not require a gradient");
        }
        assertThat(GradMode.isEnabled()).isTrue();
        Tensor z = Functional.mul(x, x);
        assertThat(z.requiresGrad()).isTrue();
        assertThat(z.gradFn().op()).isEqualTo("mul");
    }

    @Test
    void requiresGradOnANonLeafThrowsNamingTheOp() {
        Tensor y = Functional.relu(leaf(1, -1));
        assertThat(y.isLeaf()).isFalse();
        assertThatThrownBy(() -> y.requiresGrad(true))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("leaf")
                .hasMessageContaining("relu");
        assertThat(y.detach().requiresGrad(true).requiresGrad()).isTrue(); // the way out the message suggests
    }

    @Test
    void backwardOnANonScalarWithoutAGradientThrowsClearly() {
        Tensor x = Tensor.of(new float[6], 2, 3).requiresGrad(true);
        Tensor y = Functional.mul(x, x);
        assertThatThrownBy(y::backward)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("needs a scalar")
                .hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> y.backward(new float[5]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("gradient has 5 elements, tensor has 6");
    }

    @Test
    void backwardWithAnExplicitGradientOnANonScalar() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
        Tensor y = Functional.mul(x, x);
        y.backward(new float[] {1, 10, 100, 1000});
        assertThat(x.grad()).containsExactly(2, 40, 600, 8000);
    }

    @Test
    void intermediateGradientsAreFreedUnlessRetained() {
        Tensor x = leaf(1, 2, 3);
        Tensor c = Tensor.of(new float[] {4, 5, 6}, 3);
        Tensor y = Functional.mul(x, c);
        Tensor loss = Functional.sum(y);
        loss.backward();
        assertThat(y.grad()).isNull();
        assertThat(loss.grad()).isNull();
        assertThat(x.grad()).containsExactly(4, 5, 6); // leaves keep theirs

        Tensor x2 = leaf(1, 2, 3);
        Tensor y2 = Functional.mul(x2, c).retainGrad();
        Tensor r = Functional.relu(y2);
        Functional.sum(Functional.mul(r, Tensor.of(new float[] {7, 8, 9}, 3))).backward();
        assertThat(y2.grad()).containsExactly(7, 8, 9);
        assertThat(r.grad()).isNull();
    }
}
