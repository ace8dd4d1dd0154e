package simpletorch.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import simpletorch.nn.CrossEntropyLoss;
import simpletorch.optim.SGD;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

class SimpleNetTest {

    @Test
    void parameterCountsMatchTheTutorial() {
        SimpleNet net = new SimpleNet();
        assertThat(net.conv1.numParameters()).isEqualTo(448);
        assertThat(net.conv2.numParameters()).isEqualTo(4_640);
        assertThat(net.fc1.numParameters()).isEqualTo(20_490);
        assertThat(net.numParameters()).isEqualTo(25_578);
        assertThat(net.stateDict().keySet()).containsExactly(
                "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias");
        assertThat(new SimpleNet(1, 28, 28, 10).fc1.inFeatures).isEqualTo(1568);
    }

    @Test
    void rejectsInputOfTheWrongShapeWithBothShapesInTheMessage() {
        SimpleNet net = new SimpleNet();
        assertThatThrownBy(() -> net.forward(Tensor.zeros(32, 1, 28, 28)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("SimpleNet expected input of shape [N, 3, 32, 32], got [32, 1, 28, 28]");
    }

    @Test
    void repeatedStepsOnOneBatchDriveTheLossDown() {
        Generator g = new Generator(3);
        Generator.manualSeed(3);
        SimpleNet net = new SimpleNet();
        Tensor x = Tensor.randn(g, 8, 3, 32, 32);
        int[] y = {0, 1, 2, 3, 4, 5, 6, 7};
        CrossEntropyLoss criterion = new CrossEntropyLoss();
        SGD optimizer = new SGD(net.parameters(), 0.05);
        float first = 0, last = 0;
        for (int step = 0; step < 30; step++) {
            optimizer.zeroGrad();
            Tensor loss = criterion.forward(net.forward(x), y);
            loss.backward();
            optimizer.step();
            if (step == 0) {
                first = loss.item();
            }
            last = loss.item();
        }
        assertThat(first).isBetween(1.8f, 2.8f); // about ln(10) at initialisation
        assertThat(last).isLessThan(first * 0.3f);
    }
}
