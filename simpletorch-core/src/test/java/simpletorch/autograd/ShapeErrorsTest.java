package simpletorch.autograd;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import simpletorch.tensor.Tensor;

/** Bad shapes are rejected at the op, with the offending shapes and values in the message. */
class ShapeErrorsTest {

    @Test
    void conv2dChannelMismatchNamesBothShapes() {
        assertThatThrownBy(() -> Functional.conv2d(Tensor.zeros(32, 1, 28, 28), Tensor.zeros(16, 3, 3, 3), null, 1, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[16, 3, 3, 3]")
                .hasMessageContaining("[32, 1, 28, 28]")
                .hasMessageContaining("[N, 3, H, W]");
        assertThatThrownBy(() -> Functional.conv2d(Tensor.zeros(1, 3, 8, 8), Tensor.zeros(16, 3, 3, 3), Tensor.zeros(8), 1, 1))
                .hasMessage("conv2d bias must have shape [16], got [8]");
        assertThatThrownBy(() -> Functional.conv2d(Tensor.zeros(1, 3, 8, 8), Tensor.zeros(16, 3, 3), null, 1, 1))
                .hasMessageContaining("[16, 3, 3]");
    }

    @Test
    void linearNamesTheExpectedAndActualInput() {
        assertThatThrownBy(() -> Functional.linear(Tensor.zeros(2, 4), Tensor.zeros(3, 5), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("linear expected input of shape [B, 5], got [2, 4]");
        assertThatThrownBy(() -> Functional.linear(Tensor.zeros(2, 5), Tensor.zeros(3, 5), Tensor.zeros(4)))
                .hasMessage("linear bias must have shape [3], got [4]");
    }

    @Test
    void matmulNamesBothShapes() {
        assertThatThrownBy(() -> Functional.matmul(Tensor.zeros(2, 3), Tensor.zeros(4, 5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("matmul expects [M, K] x [K, N], got [2, 3] x [4, 5]");
    }

    @Test
    void broadcastFailureNamesTheShapesAndTheDimension() {
        assertThatThrownBy(() -> Functional.add(Tensor.zeros(2, 3), Tensor.zeros(4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("add: shapes [2, 3] and [4] cannot be broadcast together (dimension 1: 3 vs 4)");
        assertThatThrownBy(() -> Functional.mul(Tensor.zeros(5, 2, 3), Tensor.zeros(4, 1)))
                .hasMessage("mul: shapes [5, 2, 3] and [4, 1] cannot be broadcast together (dimension 1: 2 vs 4)");
    }

    @Test
    void invalidReshapeNamesTheShapes() {
        assertThatThrownBy(() -> Functional.reshape(Tensor.zeros(2, 3), 4, 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("reshape: shape [4, 5] is invalid for input of shape [2, 3] (6 elements)");
        assertThatThrownBy(() -> Functional.reshape(Tensor.zeros(2, 3), 4, -1))
                .hasMessage("reshape: shape [4, -1] is invalid for 6 elements");
        assertThatThrownBy(() -> Functional.reshape(Tensor.zeros(2, 3), -1, -1))
                .hasMessageContaining("only one dimension can be -1");
        assertThatThrownBy(() -> Functional.reshape(Tensor.zeros(2, 3), -2, -3))
                .hasMessageContaining("invalid size -2");
    }

    @Test
    void crossEntropyTargetOutOfRangeNamesTheIndexAndTheValue() {
        assertThatThrownBy(() -> Functional.crossEntropy(Tensor.zeros(3, 5), new int[] {0, 7, 1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("target 7 at index 1 is out of bounds for 5 classes");
        assertThatThrownBy(() -> Functional.nllLoss(Tensor.zeros(3, 5), new int[] {0, 1, -2}))
                .hasMessage("target -2 at index 2 is out of bounds for 5 classes");
        assertThatThrownBy(() -> Functional.crossEntropy(Tensor.zeros(5), new int[] {0}))
                .hasMessage("cross_entropy expects [batch, classes], got [5]");
    }

    @Test
    void poolingNeedsFourDimensionsAndAValidWindow() {
        assertThatThrownBy(() -> Functional.maxPool2d(Tensor.zeros(3, 8, 8), 2, 2, 0))
                .hasMessage("max_pool2d expected input of shape [N, C, H, W], got [3, 8, 8]");
        assertThatThrownBy(() -> Functional.maxPool2d(Tensor.zeros(1, 1, 8, 8), 2, 2, 2))
                .hasMessageContaining("padding must be between 0 and half the kernel");
    }
}
