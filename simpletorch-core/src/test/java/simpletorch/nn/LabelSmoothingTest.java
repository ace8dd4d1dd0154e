package simpletorch.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import simpletorch.PyTorchFixture;
import simpletorch.kernels.LossKernels;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/** CrossEntropyLoss(labelSmoothing) against F.cross_entropy(label_smoothing=eps) and its double-precision twin. */
class LabelSmoothingTest {
    private static final PyTorchFixture FIXTURE = PyTorchFixture.load("label_smoothing.safetensors");

    @ParameterizedTest
    @ValueSource(strings = {"0.0", "0.1", "0.3"})
    void lossAndGradientMatchPyTorch(String eps) {
        Tensor logits = FIXTURE.tensor("logits").copy().requiresGrad(true);
        int[] targets = FIXTURE.ints("targets");
        Tensor loss = new CrossEntropyLoss(Float.parseFloat(eps)).forward(logits, targets);
        loss.backward();
        PyTorchFixture.assertClose("loss eps " + eps, new float[] {loss.item()},
                FIXTURE.tensor("eps" + eps + ".loss").data(), 1e-6);
        PyTorchFixture.assertClose("dlogits eps " + eps, logits.grad(), FIXTURE.tensor("eps" + eps + ".grad").data(), 1e-6);
    }

    @Test
    void fastKernelAgreesWithTheNaiveTwinOnRandomShapes() {
        Generator g = new Generator(17);
        double maxDiff = 0;
        for (int trial = 0; trial < 50; trial++) {
            int B = 1 + g.nextInt(9), C = 1 + g.nextInt(12);
            float eps = g.nextFloat();
            float[] logits = new float[B * C];
            double[] logitsD = new double[B * C];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) (4 * g.nextGaussian());
                logitsD[i] = logits[i];
            }
            int[] targets = new int[B];
            for (int b = 0; b < B; b++) {
                targets[b] = g.nextInt(C);
            }
            float[] probs = new float[B * C];
            double fast = LossKernels.crossEntropyForward(probs, logits, targets, eps, B, C);
            double naive = LossKernels.crossEntropyNaive(logitsD, targets, eps, B, C);
            assertThat(fast).as("loss B=%d C=%d eps=%f", B, C, eps).isCloseTo(naive, offset(1e-5 * (1 + Math.abs(naive))));
            float[] dlogits = new float[B * C];
            double[] dlogitsD = new double[B * C];
            LossKernels.crossEntropyBackward(dlogits, probs, targets, eps, 0.7f, B, C);
            LossKernels.crossEntropyBackwardNaive(dlogitsD, logitsD, targets, eps, 0.7, B, C);
            for (int i = 0; i < dlogits.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(dlogits[i] - dlogitsD[i]));
                assertThat((double) dlogits[i]).as("dlogits[%d] B=%d C=%d", i, B, C).isCloseTo(dlogitsD[i], offset(1e-6));
            }
        }
        System.out.printf("label smoothing: fast vs naive gradient, max abs diff %.3g%n", maxDiff);
    }

    @Test
    void theNaiveGradientIsTheFiniteDifferenceOfTheNaiveLoss() {
        double[] logits = {0.3, -1.2, 2.0, 0.5, 0.1, -0.4};
        int[] targets = {2, 0};
        double eps = 0.25, h = 1e-6;
        double[] grad = new double[6];
        LossKernels.crossEntropyBackwardNaive(grad, logits, targets, eps, 1.0, 2, 3);
        for (int i = 0; i < 6; i++) {
            double[] up = logits.clone(), down = logits.clone();
            up[i] += h;
            down[i] -= h;
            double fd = (LossKernels.crossEntropyNaive(up, targets, eps, 2, 3) - LossKernels.crossEntropyNaive(down, targets, eps, 2, 3)) / (2 * h);
            assertThat(grad[i]).as("d/dlogits[%d]", i).isCloseTo(fd, offset(1e-8));
        }
    }

    @Test
    void outOfRangeSmoothingIsRejected() {
        assertThatThrownBy(() -> new CrossEntropyLoss(1.5f)).hasMessage("label_smoothing must be between 0.0 and 1.0. Got: 1.5");
        assertThat(new CrossEntropyLoss(0.1f).toString()).isEqualTo("CrossEntropyLoss(label_smoothing=0.1)");
    }
}
