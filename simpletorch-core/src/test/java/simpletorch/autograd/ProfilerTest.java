package simpletorch.autograd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import simpletorch.models.Models;
import simpletorch.nn.CrossEntropyLoss;
import simpletorch.nn.Module;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * The profiler's FLOP counts: each product's forward, and its input and weight gradients only where they are
 * computed; whole models against the accounting written out by hand (docs/BENCHMARKS.md, "FLOP accounting").
 */
class ProfilerTest {
    @AfterEach
    void off() {
        Profiler.setEnabled(false);
        Profiler.reset();
    }

    private static Map<String, Profiler.Entry> profiled(Runnable work) {
        Profiler.reset();
        Profiler.setEnabled(true);
        try {
            work.run();
        } finally {
            Profiler.setEnabled(false);
        }
        return Profiler.entries().stream().collect(Collectors.toMap(Profiler.Entry::label, e -> e));
    }

    @Test
    void aConvolutionCountsItsProductForwardAndEachGradientItComputes() {
        Generator g = new Generator(3);
        // 2 images, 3 -> 4 channels, 3x5 kernel, stride 2, padding 1 on 9x11: output 5x5
        long product = 2L * 2 * 4 * 3 * 3 * 5 * 5 * 5;
        Tensor x = Tensor.randn(g, 2, 3, 9, 11).requiresGrad(true);
        Tensor w = Tensor.randn(g, 4, 3, 3, 5).requiresGrad(true);
        Map<String, Profiler.Entry> both = profiled(() ->
                Functional.sum(Functional.conv2d(x, w, null, 2, 2, 1, 1)).backward());
        Profiler.Entry conv = both.get("conv2d 3->4 k3x5 s2 p1 @9x11");
        assertThat(conv.forwardFlops()).isEqualTo(product);
        assertThat(conv.backwardFlops()).as("input and weight gradients").isEqualTo(2 * product);
        assertThat(conv.totalFlops()).isEqualTo(3 * product);
        assertThat(both).containsOnlyKeys("conv2d 3->4 k3x5 s2 p1 @9x11", "sum [2, 4, 5, 5]");
        assertThat(both.get("sum [2, 4, 5, 5]").totalFlops()).as("a reduction counts none").isZero();
        assertThat(both.get("sum [2, 4, 5, 5]").calls()).isEqualTo(1);

        Tensor data = Tensor.randn(g, 2, 3, 9, 11); // an input that needs no gradient, as a network's first layer's
        Map<String, Profiler.Entry> weightOnly = profiled(() ->
                Functional.sum(Functional.conv2d(data, w, null, 2, 2, 1, 1)).backward());
        assertThat(weightOnly.get("conv2d 3->4 k3x5 s2 p1 @9x11").backwardFlops()).isEqualTo(product);
    }

    @Test
    void theFusedConvolutionCountsAsTheConvolution() {
        Generator g = new Generator(4);
        Tensor x = Tensor.randn(g, 3, 16, 16, 16).requiresGrad(true);
        Tensor w = Tensor.randn(g, 32, 16, 3, 3).requiresGrad(true);
        Tensor b = Tensor.randn(g, 32).requiresGrad(true);
        Map<String, Profiler.Entry> entries = profiled(() ->
                Functional.sum(Functional.conv2dReluMaxPool2d(x, w, b, 1, 1)).backward());
        long product = 2L * 3 * 32 * 16 * 9 * 16 * 16;
        long counted = entries.values().stream().mapToLong(Profiler.Entry::totalFlops).sum();
        assertThat(counted).isEqualTo(3 * product);
        assertThat(Profiler.totalFlops()).isEqualTo(counted);
    }

    @Test
    void linearAndMatmulCountTheirProducts() {
        Generator g = new Generator(5);
        Tensor x = Tensor.randn(g, 6, 20).requiresGrad(true);
        Tensor w = Tensor.randn(g, 7, 20).requiresGrad(true);
        Tensor b = Tensor.randn(g, 7).requiresGrad(true);
        Map<String, Profiler.Entry> linear = profiled(() -> Functional.sum(Functional.linear(x, w, b)).backward());
        assertThat(linear.get("linear 20->7").forwardFlops()).isEqualTo(2L * 6 * 20 * 7);
        assertThat(linear.get("linear 20->7").backwardFlops()).isEqualTo(2 * 2L * 6 * 20 * 7);

        Tensor a = Tensor.randn(g, 4, 5);
        Tensor m = Tensor.randn(g, 5, 3).requiresGrad(true);
        Map<String, Profiler.Entry> matmul = profiled(() -> Functional.sum(Functional.matmul(a, m)).backward());
        Profiler.Entry e = matmul.get("matmul [4, 5] x [5, 3]");
        assertThat(e.forwardFlops()).isEqualTo(2L * 4 * 5 * 3);
        assertThat(e.backwardFlops()).as("only b's gradient").isEqualTo(2L * 4 * 5 * 3);
        assertThat(e.calls()).isEqualTo(1);
    }

    /** Every op of the models is timed, so that "other" in the reports is what lies between the ops. */
    @Test
    void everyOpOfTheModelsIsTimed() {
        Generator g = new Generator(9);
        Tensor x = Tensor.randn(g, 2, 3, 8, 8).requiresGrad(true);
        Map<String, Profiler.Entry> entries = profiled(() -> {
            Tensor y = Functional.adaptiveAvgPool2d(Functional.avgPool2d(Functional.silu(Functional.leakyRelu(
                    Functional.dropout(x, 0.5, true, new Generator(1)), 0.1f)), 2, 2, 0), 1, 1);
            Tensor logits = Functional.flatten(y, 1);
            Functional.add(Functional.nllLoss(Functional.logSoftmax(logits), new int[] {0, 2}),
                    Functional.mean(logits)).backward();
        });
        assertThat(entries).containsKeys("dropout [2, 3, 8, 8]", "leaky_relu [2, 3, 8, 8]", "silu [2, 3, 8, 8]",
                "avg_pool2d k2 s2 p0 @8x8 x3", "adaptive_avg_pool2d [2, 3, 4, 4] -> 1x1", "log_softmax [2, 3]",
                "nll_loss", "mean [2, 3]");
        for (Profiler.Entry e : entries.values()) {
            assertThat(e.calls()).as(e.label()).isEqualTo(1);
            assertThat(e.backwardNanos()).as(e.label() + " backward timed").isPositive();
            assertThat(e.totalFlops()).as(e.label()).isZero();
        }
    }

    @Test
    void nothingIsCountedWhileTheProfilerIsOff() {
        Profiler.reset();
        Generator g = new Generator(6);
        Functional.sum(Functional.linear(Tensor.randn(g, 2, 3).requiresGrad(true), Tensor.randn(g, 4, 3), null))
                .backward();
        assertThat(Profiler.entries()).isEmpty();
        assertThat(Profiler.totalFlops()).isZero();
    }

    /**
     * SimpleNet per 3x32x32 training image: conv1 forward and weight gradient (its input, the data, needs no
     * gradient), conv2 and fc1 forward and both gradients: 8.97 MFLOP.
     */
    @Test
    void simpleNetTrainingStepCountsTheHandWrittenFlops() {
        long conv1 = 2L * 16 * 3 * 9 * 32 * 32;
        long conv2 = 2L * 32 * 16 * 9 * 16 * 16;
        long fc1 = 2L * 32 * 8 * 8 * 10;
        assertThat(trainingStepFlops("simplenet", 4)).isEqualTo(4 * (2 * conv1 + 3 * conv2 + 3 * fc1));
        assertThat(2 * conv1 + 3 * conv2 + 3 * fc1).isEqualTo(8_970_240);
    }

    /**
     * ResNet-20 (projection shortcuts) per 3x32x32 training image: 81.6 MFLOP forward, three times that for training
     * less the first layer's input gradient: 243.99 MFLOP.
     */
    @Test
    void resNet20TrainingStepCountsTheHandWrittenFlops() {
        long stem = conv(3, 16, 3, 32);
        long stage1 = 6 * conv(16, 16, 3, 32);
        long stage2 = conv(16, 32, 3, 16) + 5 * conv(32, 32, 3, 16) + conv(16, 32, 1, 16); // + the 1x1 shortcut
        long stage3 = conv(32, 64, 3, 8) + 5 * conv(64, 64, 3, 8) + conv(32, 64, 1, 8);
        long fc = 2L * 64 * 10;
        long forward = stem + stage1 + stage2 + stage3 + fc;
        assertThat(forward).isEqualTo(81_626_368);
        assertThat(trainingStepFlops("resnet20", 2)).isEqualTo(2 * (3 * forward - stem));
    }

    /** A convolution's FLOPs per image with OUT x OUT outputs: 2 per weight per output pixel. */
    private static long conv(int in, int out, int k, int outSize) {
        return 2L * out * in * k * k * outSize * outSize;
    }

    private static long trainingStepFlops(String model, int batch) {
        Generator.manualSeed(7);
        Module net = Models.create(model, 3, 32, 32, 10);
        net.train();
        Tensor images = Tensor.randn(new Generator(8), batch, 3, 32, 32);
        int[] labels = new int[batch];
        profiled(() -> new CrossEntropyLoss().forward(net.forward(images), labels).backward());
        return Profiler.totalFlops();
    }
}
