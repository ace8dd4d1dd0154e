package simpletorch.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.junit.jupiter.api.Test;
import simpletorch.autograd.Functional;
import simpletorch.autograd.GradMode;

class BufferReuseTest {

    @Test
    void aGradientIsPassedOnOnlyToATensorWithoutOneOfTheSameSizeAndNotWhenRetained() {
        Tensor a = Tensor.zeros(2, 3);
        float[] buffer = a.gradBuffer();
        buffer[4] = 5f;
        Tensor b = Tensor.zeros(6);
        assertThat(a.passGradTo(b)).isTrue();
        assertThat(b.grad()).isSameAs(buffer);
        assertThat(a.grad()).isNull();
        assertThat(a.passGradTo(Tensor.zeros(6))).as("nothing left to pass").isFalse();

        Tensor c = Tensor.zeros(6);
        c.gradBuffer();
        assertThat(b.passGradTo(c)).as("target already has a gradient").isFalse();
        assertThat(b.passGradTo(Tensor.zeros(5))).as("another size").isFalse();
        assertThat(b.grad()).isSameAs(buffer);
    }

    @Test
    void reshapesBackwardHandsItsGradientOnUnlessItIsRetained() {
        Generator g = new Generator(3);
        float[] values = {1f, 2f, 3f, 4f, 5f, 6f};
        // The reshape's backward step run by hand, so that the arrays can be compared before the walk recycles them.
        Tensor y = Functional.mul(Tensor.randn(g, 2, 3).requiresGrad(true), Tensor.full(2f, 2, 3));
        Tensor flat = Functional.reshape(y, 6);
        float[] passed = flat.gradBuffer();
        System.arraycopy(values, 0, passed, 0, 6);
        flat.gradFn().backward().run();
        assertThat(y.grad()).as("passed on, not copied").isSameAs(passed).containsExactly(values);
        assertThat(flat.grad()).isNull();

        Tensor y2 = Functional.mul(Tensor.randn(g, 2, 3).requiresGrad(true), Tensor.full(2f, 2, 3));
        Tensor flat2 = Functional.reshape(y2, 6).retainGrad();
        float[] kept = flat2.gradBuffer();
        System.arraycopy(values, 0, kept, 0, 6);
        flat2.gradFn().backward().run();
        assertThat(flat2.grad()).as("retained: kept").isSameAs(kept).containsExactly(values);
        assertThat(y2.grad()).as("and copied").isNotSameAs(kept).containsExactly(values);

        Tensor x3 = Tensor.randn(g, 2, 3).requiresGrad(true); // the whole walk: the same gradient either way
        Functional.sum(Functional.reshape(Functional.mul(x3, Tensor.full(3f, 2, 3)), 6)).backward();
        assertThat(x3.grad()).containsOnly(3f);
    }

    @Test
    void releaseGraphRecyclesIntermediatesButNotLeavesAndTheNextStepGetsTheSameArrays() {
        Generator g = new Generator(1);
        Tensor w = Tensor.randn(g, 4, 3).requiresGrad(true);
        Tensor x = Tensor.randn(g, 2, 4);
        float[] wBefore = w.data().clone();

        Tensor product = Functional.matmul(x, w);
        Tensor hidden = Functional.relu(product);
        Tensor loss = Functional.sum(hidden);
        float value = loss.item();
        loss.backward();
        Set<float[]> firstStep = identities(product.data(), hidden.data());
        loss.releaseGraph();

        assertThatThrownBy(hidden::data).isInstanceOf(IllegalStateException.class).hasMessageContaining("released");
        assertThatThrownBy(loss::item).isInstanceOf(IllegalStateException.class);
        assertThat(w.data()).containsExactly(wBefore); // a leaf keeps its storage and its gradient
        assertThat(w.grad()).isNotNull();
        assertThat(x.data()).hasSize(8);

        // The same computation again takes the recycled arrays, and computes the same value in them.
        Tensor product2 = Functional.matmul(x, w);
        Tensor hidden2 = Functional.relu(product2);
        Tensor loss2 = Functional.sum(hidden2);
        assertThat(identities(product2.data(), hidden2.data())).isEqualTo(firstStep);
        assertThat(loss2.item()).isEqualTo(value);
    }

    private static Set<float[]> identities(float[]... arrays) {
        Set<float[]> set = Collections.newSetFromMap(new IdentityHashMap<>());
        set.addAll(java.util.Arrays.asList(arrays));
        return set;
    }

    @Test
    void aScopeReleasesWhatOpsCreatedInsideItOnly() {
        Generator g = new Generator(2);
        Tensor x = Tensor.randn(g, 3, 5);
        Tensor outside = Functional.relu(x);
        Tensor inside;
        Tensor nestedInside;
        try (var noGrad = GradMode.noGrad(); var scope = TensorScope.open()) {
            inside = Functional.relu(x);
            try (var nested = TensorScope.open()) {
                nestedInside = Functional.relu(inside);
            }
            assertThatThrownBy(nestedInside::data).isInstanceOf(IllegalStateException.class);
            assertThat(inside.data()).hasSize(15); // still open
        }
        assertThatThrownBy(inside::data).isInstanceOf(IllegalStateException.class);
        assertThat(outside.data()).hasSize(15);
        assertThat(x.data()).hasSize(15);
    }

    @Test
    void aViewSharesStorageAndIsNeverHandedBackTwice() {
        Tensor x = Tensor.randn(new Generator(3), 2, 6).requiresGrad(true);
        Tensor y = Functional.relu(x);
        Tensor v = Functional.reshape(y, 3, 4);
        assertThat(v.data()).isSameAs(y.data());
        Tensor loss = Functional.sum(v);
        loss.backward();
        loss.releaseGraph();
        // Two fresh [2, 6] arrays now must be distinct: a double hand-back would give the same array twice.
        Tensor a = Tensor.empty(2, 6);
        Tensor b = Tensor.empty(2, 6);
        assertThat(a.data()).isNotSameAs(b.data());
    }
}
