package simpletorch.autograd;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import simpletorch.tensor.Tensor;

/** The tutorial's hand-computed examples, exactly. (Its parameter counts are checked in models.SimpleNetTest.) */
class WorkedExamplesTest {

    private static final float[] CONV_INPUT = {
            1, 2, 3, 0,
            0, 1, 2, 3,
            3, 0, 1, 2,
            2, 3, 0, 1};
    private static final float[] CONV_KERNEL = {
            2, 0, 1,
            0, 1, 2,
            1, 0, 2};

    @Test
    void convolvingTheFourByFourInputGivesTheTutorialsTwoByTwoOutput() {
        Tensor x = Tensor.of(CONV_INPUT, 1, 1, 4, 4);
        Tensor w = Tensor.of(CONV_KERNEL, 1, 1, 3, 3);
        Tensor out = Functional.conv2d(x, w, null, 1, 0);
        assertThat(out.shape()).containsExactly(1, 1, 2, 2);
        assertThat(out.data()).containsExactly(15, 16, 6, 15);
    }

    /** With dL/dout = 1 everywhere, dL/dweight[i][j] is the sum of the 2x2 block of inputs each weight touches. */
    @Test
    void itsWeightGradientIsTheSumOfEachWeightsInputs() {
        Tensor x = Tensor.of(CONV_INPUT, 1, 1, 4, 4);
        Tensor w = Tensor.of(CONV_KERNEL, 1, 1, 3, 3).requiresGrad(true);
        Functional.sum(Functional.conv2d(x, w, null, 1, 0)).backward();
        assertThat(w.grad()).containsExactly(
                4, 8, 8,
                4, 4, 8,
                8, 4, 4);
    }

    @Test
    void twoByTwoMaxPoolingPicksEachBlocksMaximumAndRoutesTheGradientThere() {
        Tensor x = Tensor.of(new float[] {
                1, 3, 2, 4,
                5, 6, 8, 7,
                9, 10, 12, 11,
                13, 15, 14, 16}, 1, 1, 4, 4).requiresGrad(true);
        Tensor out = Functional.maxPool2d(x, 2, 2, 0);
        assertThat(out.shape()).containsExactly(1, 1, 2, 2);
        assertThat(out.data()).containsExactly(6, 8, 15, 16);

        out.backward(new float[] {1, 2, 3, 4});
        assertThat(x.grad()).containsExactly(
                0, 0, 0, 0,
                0, 1, 2, 0,
                0, 0, 0, 0,
                0, 3, 0, 4);
    }
}
