package simpletorch.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static simpletorch.testing.NumericAssertions.assertClose;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import simpletorch.kernels.Conv2dKernels;
import simpletorch.kernels.ConvGeometry;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;
import simpletorch.testing.Threads;

/**
 * The fused {@code conv2d -> relu -> max_pool2d} gives exactly what the three ops give one after the other: the
 * values, and the gradients of the input, the weight and the bias. Even outputs of 3x3 "same" layers take the fused
 * kernel where it exists (JDK 25+: SimpleNet's layers on CIFAR's and on Fashion-MNIST's shapes); the other shapes
 * run the three ops inside the fused call. The exception: where the backward pass runs from the pool's winners
 * ({@link Conv2dKernels#pooledWeightGrad}), the input, weight and bias gradients group their sums differently, and
 * agree to rounding.
 */
class ConvReluPoolFusionTest {

    @ParameterizedTest(name = "N={0} C={1} HxW={2}x{3} OC={4} threads={5}")
    @CsvSource({
            "5, 3, 32, 32, 16, 1", "5, 3, 32, 32, 16, 2", // SimpleNet's conv1: the fused kernel
            "4, 16, 16, 16, 32, 2", "3, 16, 16, 16, 32, 3", // SimpleNet's conv2
            "7, 8, 4, 16, 5, 3",    // from the pool's winners with 8 lanes: 7 images on 3 threads, 5 output channels
            "2, 3, 8, 48, 4, 2",    // RGB rows too wide for the weight gradient from the winners: the dense one
            "3, 1, 8, 16, 5, 2",    // one channel and four: the forward's gathered product over padded planes
            "2, 4, 16, 8, 6, 3",
            "2, 1, 28, 28, 16, 2",  // Fashion-MNIST's conv1: 28x28 rows are not whole vectors, the scalar pool
            "3, 16, 14, 14, 32, 2", // and its conv2
            "3, 2, 6, 10, 5, 2",    // a small shape: the scalar pool
            "2, 2, 7, 10, 3, 2"})   // an odd output: the three ops
    @org.junit.jupiter.params.provider.MethodSource("randomShapes")
    void fusedEqualsConvThenReluThenPool(int N, int C, int H, int W, int OC, int threads) {
        Threads.with(threads, () -> {
            Generator g = new Generator(900 + N * 31 + C * 7 + H + OC);
            int[] shape = {N, C, H, W};
            Tensor x = Tensor.randn(g, shape);
            Tensor weight = Tensor.randn(g, OC, C, 3, 3);
            Tensor bias = Tensor.randn(g, OC);
            Tensor x1 = x.copy().requiresGrad(true), w1 = weight.copy().requiresGrad(true), b1 = bias.copy().requiresGrad(true);
            Tensor x2 = x.copy().requiresGrad(true), w2 = weight.copy().requiresGrad(true), b2 = bias.copy().requiresGrad(true);

            Tensor unfused = Functional.maxPool2d(Functional.relu(Functional.conv2d(x1, w1, b1, 1, 1)), 2, 2, 2, 2, 0, 0);
            Tensor fused = Functional.conv2dReluMaxPool2d(x2, w2, b2, 1, 1);
            ReluMaxPoolFusionTest.assertSameBits(fused, unfused);

            Tensor r = Tensor.randn(g, unfused.shape()); // a weighted sum as the loss: any gradient of the output
            Functional.sum(Functional.mul(unfused, r)).backward();
            Functional.sum(Functional.mul(fused, r)).backward();
            if (Conv2dKernels.pooledWeightGrad(new ConvGeometry(N, C, H, W, OC, 3, 3, 1, 1, 1, 1))) {
                assertClose("input gradient from the pool's winners", x2.grad(), x1.grad(), 1e-4, 1e-4);
                assertClose("weight gradient from the pool's winners", w2.grad(), w1.grad(), 1e-4, 1e-4);
                assertClose("bias gradient from the pooled gradient", b2.grad(), b1.grad(), 1e-5, 1e-5);
            } else {
                assertThat(x2.grad()).as("input gradient").containsExactly(x1.grad());
                assertThat(w2.grad()).as("weight gradient").containsExactly(w1.grad());
                assertThat(b2.grad()).as("bias gradient").containsExactly(b1.grad());
            }
        });
    }

    /**
     * {@code Sequential(Conv2d, ReLU, MaxPool2d)} runs the fused op where one fuses the shape (a 3x3 "same" layer and
     * a 2x2 pool: SimpleNet's blocks built from modules), else the three ops (a stride-2 or 5x5 convolution, a 3x3
     * pool): the values of the three modules run one by one, bit for bit, and their gradients (to rounding where
     * taken from the pool's winners).
     */
    @ParameterizedTest(name = "C={0} HxW={1}x{1} OC={2} k={3} stride={4} pool={5} threads={6}")
    @CsvSource({
            "3, 32, 16, 3, 1, 2, 1", "3, 32, 16, 3, 1, 2, 2", // SimpleNet's conv1 block
            "16, 16, 32, 3, 1, 2, 2",                        // and its conv2 block
            "4, 12, 6, 3, 2, 2, 2",                          // a stride-2 convolution: not fused
            "4, 12, 6, 5, 1, 2, 1",                          // a 5x5 convolution
            "4, 12, 6, 3, 1, 3, 2"})                         // a 3x3 pool: the ReLU and pool fused only
    void sequentialFusesAConvolutionWithItsReluAndPool(int C, int HW, int OC, int k, int stride, int pool,
                                                        int threads) {
        Threads.with(threads, () -> {
            Tensor x = Tensor.randn(new Generator(77 + C + HW), 3, C, HW, HW);
            simpletorch.nn.Conv2d conv1 = new simpletorch.nn.Conv2d(C, OC, k, stride, k / 2, true, new Generator(5));
            simpletorch.nn.Conv2d conv2 = new simpletorch.nn.Conv2d(C, OC, k, stride, k / 2, true, new Generator(5));
            simpletorch.nn.Sequential block = new simpletorch.nn.Sequential(conv1, new simpletorch.nn.ReLU(),
                    new simpletorch.nn.MaxPool2d(pool));
            Tensor x1 = x.copy().requiresGrad(true), x2 = x.copy().requiresGrad(true);
            Tensor viaSequential = block.forward(x1);
            Tensor oneByOne = new simpletorch.nn.MaxPool2d(pool).forward(Functional.relu(conv2.forward(x2)));
            ConvGeometry g = new ConvGeometry(3, C, HW, HW, OC, k, k, stride, stride, k / 2, k / 2);
            // a 2x2 pool after a shape the fused kernel takes (JDK 25+: JDK 17 runs the three ops inside it)
            boolean fuses = pool == 2 && Conv2dKernels.fusesReluMaxPool2x2(g);
            assertThat(fuses).as("the cases meant to fuse, where the fused kernel exists")
                    .isEqualTo(k == 3 && stride == 1 && pool == 2 && Conv2dKernels.fusesReluMaxPool2x2(g));
            assertThat(viaSequential.gradFn().op()).isEqualTo(fuses ? "conv2d_relu_max_pool2d" : "relu_max_pool2d");
            ReluMaxPoolFusionTest.assertSameBits(viaSequential, oneByOne);

            Tensor r = Tensor.randn(new Generator(3), oneByOne.shape());
            Functional.sum(Functional.mul(viaSequential, r)).backward();
            Functional.sum(Functional.mul(oneByOne, r)).backward();
            if (fuses && Conv2dKernels.pooledWeightGrad(g)) {
                assertClose("input gradient", x1.grad(), x2.grad(), 1e-4, 1e-4);
                assertClose("weight gradient", conv1.weight.grad(), conv2.weight.grad(), 1e-4, 1e-4);
                assertClose("bias gradient", conv1.bias.grad(), conv2.bias.grad(), 1e-5, 1e-5);
            } else {
                assertThat(x1.grad()).as("input gradient").containsExactly(x2.grad());
                assertThat(conv1.weight.grad()).as("weight gradient").containsExactly(conv2.weight.grad());
                assertThat(conv1.bias.grad()).as("bias gradient").containsExactly(conv2.bias.grad());
            }
        });
    }

    /**
     * 16 seeded random shapes: batches 1-6, 1-20 input and 1-40 output channels (half of them whole vectors of 16),
     * sides 2-20 or (half the time) 8, 14, 16, 28 and 32, 1-3 threads.
     */
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> randomShapes() {
        java.util.Random r = new java.util.Random(20261207);
        java.util.List<org.junit.jupiter.params.provider.Arguments> out = new java.util.ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int h = r.nextBoolean() ? new int[] {8, 14, 16, 28, 32}[r.nextInt(5)] : 2 + r.nextInt(19);
            int w = r.nextBoolean() ? new int[] {8, 14, 16, 28, 32}[r.nextInt(5)] : 2 + r.nextInt(19);
            int oc = r.nextBoolean() ? 16 * (1 + r.nextInt(2)) : 1 + r.nextInt(40);
            out.add(org.junit.jupiter.params.provider.Arguments.of(1 + r.nextInt(6), 1 + r.nextInt(20), h, w, oc,
                    1 + r.nextInt(3)));
        }
        return out.stream();
    }

    /**
     * The input's first gradient is written into a recycled buffer, not added to a zeroed one, and a second is added:
     * x feeding two fused layers gets exactly twice one layer's gradient. The pool holds buffers of NaNs, so that an
     * element the backward pass failed to write would show.
     */
    @ParameterizedTest(name = "N={0} C={1} HxW={2}x{3} OC={4} threads={5}")
    @CsvSource({
            "4, 16, 16, 16, 32, 2", // SimpleNet's conv2: the pooled input gradient, 16 x 16 transposes with 16 lanes
            "3, 16, 14, 14, 32, 1", // rows of part vectors: gathers and a scalar tail
            "7, 8, 4, 16, 5, 3",    // 8 channels
            "2, 3, 8, 48, 4, 2",    // the dense backward after the pool's
            "2, 2, 7, 10, 3, 2"})   // an odd output: the three ops
    void theFirstInputGradientIsWrittenAndTheNextAdded(int N, int C, int H, int W, int OC, int threads) {
        Threads.with(threads, () -> {
            Generator g = new Generator(1201 + N * 31 + C * 7 + H + OC);
            Tensor x = Tensor.randn(g, N, C, H, W);
            Tensor weight = Tensor.randn(g, OC, C, 3, 3);
            Tensor bias = Tensor.randn(g, OC);
            for (int k = 0; k < 4; k++) { // recycled buffers of the gradient's size, full of NaNs
                float[] junk = new float[N * C * H * W];
                java.util.Arrays.fill(junk, Float.NaN);
                simpletorch.tensor.BufferPool.give(junk);
            }
            Tensor once = x.copy().requiresGrad(true), twice = x.copy().requiresGrad(true);
            Tensor r = Tensor.randn(g, Functional.conv2dReluMaxPool2d(x, weight, bias, 1, 1).shape());
            Functional.sum(Functional.mul(Functional.conv2dReluMaxPool2d(once, weight, bias, 1, 1), r)).backward();
            Tensor a = Functional.conv2dReluMaxPool2d(twice, weight, bias, 1, 1);
            Tensor b = Functional.conv2dReluMaxPool2d(twice, weight, bias, 1, 1);
            Functional.sum(Functional.add(Functional.mul(a, r), Functional.mul(b, r))).backward();
            float[] doubled = once.grad().clone();
            for (int i = 0; i < doubled.length; i++) {
                assertThat(Float.isNaN(doubled[i])).as("element %d written", i).isFalse();
                doubled[i] *= 2;
            }
            assertThat(twice.grad()).as("two layers' input gradients").containsExactly(doubled);
        });
    }

    /** A first layer: no input gradient, with and without a bias. */
    @ParameterizedTest(name = "N={0} C={1} HxW={2}x{3} OC={4} bias={5} threads={6}")
    @CsvSource({
            "5, 3, 32, 32, 16, true, 2", "5, 3, 32, 32, 16, false, 3", "3, 3, 32, 32, 16, true, 1",
            "6, 16, 16, 16, 32, true, 2", "6, 16, 16, 16, 32, false, 1"})
    void fusedWithoutAnInputGradient(int N, int C, int H, int W, int OC, boolean withBias, int threads) {
        Threads.with(threads, () -> {
            Generator g = new Generator(991 + N + C + OC);
            Tensor x = Tensor.randn(g, N, C, H, W);
            Tensor weight = Tensor.randn(g, OC, C, 3, 3);
            Tensor bias = Tensor.randn(g, OC);
            Tensor w1 = weight.copy().requiresGrad(true), w2 = weight.copy().requiresGrad(true);
            Tensor b1 = withBias ? bias.copy().requiresGrad(true) : null, b2 = withBias ? bias.copy().requiresGrad(true) : null;
            Tensor unfused = Functional.maxPool2d(Functional.relu(Functional.conv2d(x, w1, b1, 1, 1)), 2, 2, 2, 2, 0, 0);
            Tensor fused = Functional.conv2dReluMaxPool2d(x, w2, b2, 1, 1);
            Tensor r = Tensor.randn(g, unfused.shape());
            Functional.sum(Functional.mul(unfused, r)).backward();
            Functional.sum(Functional.mul(fused, r)).backward();
            assertThat(x.grad()).isNull();
            if (Conv2dKernels.pooledWeightGrad(new ConvGeometry(N, C, H, W, OC, 3, 3, 1, 1, 1, 1))) {
                assertClose("weight gradient", w2.grad(), w1.grad(), 1e-4, 1e-4);
                if (withBias) {
                    assertClose("bias gradient", b2.grad(), b1.grad(), 1e-5, 1e-5);
                }
            } else {
                assertThat(w2.grad()).as("weight gradient").containsExactly(w1.grad());
                if (withBias) {
                    assertThat(b2.grad()).as("bias gradient").containsExactly(b1.grad());
                }
            }
        });
    }

    /**
     * A NaN pixel makes NaN convolution outputs in every image after the first: their windows are redone by the
     * pool's scalar rule, which must read the image's own buffer, not the batch's place.
     */
    @ParameterizedTest(name = "threads={0}")
    @CsvSource({"1", "2"})
    void fusedEqualsConvThenReluThenPoolWithNaNs(int threads) {
        Threads.with(threads, () -> {
            Generator g = new Generator(977);
            Tensor x = Tensor.randn(g, 3, 3, 32, 32);
            x.data()[2 * 3 * 32 * 32 + 5 * 32 + 7] = Float.NaN; // image 2, channel 0, row 5, column 7
            x.data()[1 * 3 * 32 * 32 + 2 * 32 * 32 + 31] = Float.NaN; // image 1, channel 2, row 0, column 31
            Tensor weight = Tensor.randn(g, 16, 3, 3, 3);
            Tensor bias = Tensor.randn(g, 16);
            Tensor unfused = Functional.maxPool2d(Functional.relu(Functional.conv2d(x, weight, bias, 1, 1)), 2, 2, 2, 2, 0, 0);
            Tensor fused = Functional.conv2dReluMaxPool2d(x, weight, bias, 1, 1);
            assertThat(ReluMaxPoolFusionTest.assertSameBits(fused, unfused)).as("pooled NaNs").isPositive();
        });
    }

    /** The same with rows that are not whole vectors (Fashion-MNIST's 28 pixels: pooled a row at a time). */
    @Test
    void fusedEqualsConvThenReluThenPoolWithNaNsInRowsOfPartVectors() {
        Threads.with(2, () -> {
            Generator g = new Generator(983);
            Tensor x = Tensor.randn(g, 3, 1, 28, 28);
            x.data()[2 * 28 * 28 + 5 * 28 + 7] = Float.NaN; // image 2, row 5, column 7: the vector part of a row
            x.data()[1 * 28 * 28 + 20 * 28 + 26] = Float.NaN; // image 1, row 20, column 26: its scalar tail
            Tensor weight = Tensor.randn(g, 16, 1, 3, 3);
            Tensor bias = Tensor.randn(g, 16);
            Tensor unfused = Functional.maxPool2d(Functional.relu(Functional.conv2d(x, weight, bias, 1, 1)), 2, 2, 2, 2, 0, 0);
            Tensor fused = Functional.conv2dReluMaxPool2d(x, weight, bias, 1, 1);
            assertThat(ReluMaxPoolFusionTest.assertSameBits(fused, unfused)).as("pooled NaNs").isPositive();
        });
    }

    /** So that the test above covers the fused kernel wherever it exists: with the Vector API, on JDK 25+. */
    @Test
    void simpleNetsLayersTakeTheFusedKernelWithTheVectorApiOnJdk25() {
        boolean expected = simpletorch.kernels.Gemm.vectorEnabled() && Runtime.version().feature() >= 25;
        assertThat(Conv2dKernels.fusesReluMaxPool2x2(new ConvGeometry(32, 3, 32, 32, 16, 3, 3, 1, 1, 1, 1)))
                .isEqualTo(expected);
        assertThat(Conv2dKernels.fusesReluMaxPool2x2(new ConvGeometry(32, 16, 16, 16, 32, 3, 3, 1, 1, 1, 1)))
                .isEqualTo(expected);
        // any even output of a 3x3 "same" layer: Fashion-MNIST's two layers, a small shape; not an odd one
        assertThat(Conv2dKernels.fusesReluMaxPool2x2(new ConvGeometry(32, 1, 28, 28, 16, 3, 3, 1, 1, 1, 1)))
                .isEqualTo(expected);
        assertThat(Conv2dKernels.fusesReluMaxPool2x2(new ConvGeometry(32, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1)))
                .isEqualTo(expected);
        assertThat(Conv2dKernels.fusesReluMaxPool2x2(new ConvGeometry(2, 3, 6, 10, 5, 3, 3, 1, 1, 1, 1)))
                .isEqualTo(expected);
        assertThat(Conv2dKernels.fusesReluMaxPool2x2(new ConvGeometry(2, 3, 7, 10, 5, 3, 3, 1, 1, 1, 1))).isFalse();
        // both sum their weight gradients from the pool's winners
        assertThat(Conv2dKernels.pooledWeightGrad(new ConvGeometry(32, 16, 16, 16, 32, 3, 3, 1, 1, 1, 1)))
                .isEqualTo(expected);
        assertThat(Conv2dKernels.pooledWeightGrad(new ConvGeometry(32, 3, 32, 32, 16, 3, 3, 1, 1, 1, 1)))
                .isEqualTo(expected);
    }
}
