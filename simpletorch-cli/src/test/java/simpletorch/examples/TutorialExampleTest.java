package simpletorch.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import simpletorch.data.ImageDataset;
import simpletorch.data.Normalize;
import simpletorch.tensor.Generator;

class TutorialExampleTest {

    /** Noisy 16x16 images whose class k is a bright horizontal band at rows k..k+2: learnable in one epoch. */
    static ImageDataset stripes(int n, long seed) {
        Generator g = new Generator(seed);
        int H = 16, W = 16;
        byte[] pixels = new byte[n * H * W];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = g.nextInt(10);
            for (int h = 0; h < H; h++) {
                for (int w = 0; w < W; w++) {
                    boolean band = h >= labels[i] && h < labels[i] + 3;
                    pixels[(i * H + h) * W + w] = (byte) ((band ? 160 : 0) + g.nextInt(96));
                }
            }
        }
        List<String> classes = new ArrayList<>();
        for (int c = 0; c < 10; c++) {
            classes.add("band" + c);
        }
        return new ImageDataset("stripes", pixels, labels, 1, H, W, classes, Normalize.tutorial(1));
    }

    @Test
    void theTutorialProgramLearnsAnEasyProblem() {
        double accuracy = TutorialExample.run(stripes(3200, 1), stripes(500, 2), 50);
        assertThat(accuracy).isGreaterThan(0.5); // chance is 0.1
    }

    @Test
    void itsModelHasTheTutorialsParameterNamesAndCount() {
        TutorialExample.SimpleNet net = new TutorialExample.SimpleNet(3, 32, 10);
        assertThat(net.numParameters()).isEqualTo(25_578);
        assertThat(net.stateDict().keySet()).containsExactly(
                "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias");
    }
}
