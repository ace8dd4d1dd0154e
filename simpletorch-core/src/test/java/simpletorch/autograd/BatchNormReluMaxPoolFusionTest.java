package simpletorch.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static simpletorch.autograd.ReluMaxPoolFusionTest.assertSameBits;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import simpletorch.kernels.NormKernels;
import simpletorch.nn.BatchNorm2d;
import simpletorch.nn.MaxPool2d;
import simpletorch.nn.ReLU;
import simpletorch.nn.Sequential;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;
import simpletorch.testing.TestData;
import simpletorch.testing.Threads;

/**
 * The fused {@code batch_norm -> relu -> max_pool2d(2)} ({@link Functional#batchNormReluMaxPool2d}: each plane
 * normalised and pooled in a buffer, the backward pass from the pool's winners) gives exactly what the ops give one
 * after the other: values, winners' gradients into x, weight and bias, and the running statistics, in training and
 * evaluation, with and without an affine transform, with x's gradient written or added to.
 */
class BatchNormReluMaxPoolFusionTest {

    @ParameterizedTest(name = "N={0} C={1} H={2} W={3} training={4} affine={5} threads={6}")
    @CsvSource({
            "4, 5, 32, 32, true, true, 1",  // SimpleNet-BN's first block: planes of 1,024, one row at a time
            "4, 5, 32, 32, true, true, 2",
            "3, 8, 8, 8, true, true, 3",    // planes of 64: the backward's sums four rows at a time
            "3, 6, 8, 8, true, false, 2",   // four rows, then two alone; no weight or bias
            "2, 3, 16, 16, false, true, 1", // evaluation: the running statistics, unchanged
            "2, 3, 16, 16, false, false, 2",
            "2, 3, 6, 10, true, true, 1"})  // rows of 10: not fused (the ops one after another), the same numbers
    void fusedEqualsTheOpsOneAfterAnother(int N, int C, int H, int W, boolean training, boolean affine, int threads) {
        Threads.with(threads, () -> {
            Generator g = new Generator(900 + N * 31 + C * 7 + H + W + (training ? 1 : 0) + (affine ? 2 : 0));
            int[] shape = {N, C, H, W};
            float[] values = TestData.uniform(g, N * C * H * W, -2f, 3f);
            float[] w = TestData.uniform(g, C, 0.5f, 1.5f), b = TestData.uniform(g, C);
            float[] rm = TestData.uniform(g, C), rv = TestData.uniform(g, C, 0.5f, 2f);
            Tensor[] one = operands(values, shape, w, b, rm, rv, affine);
            Tensor[] two = operands(values, shape, w, b, rm, rv, affine);

            Tensor unfused = Functional.reluMaxPool2d(Functional.batchNorm(one[0], one[3], one[4], one[1], one[2],
                    training, 0.1, 1e-5), 2, 2, 2, 2, 0, 0);
            Tensor fused = Functional.batchNormReluMaxPool2d(two[0], two[3], two[4], two[1], two[2], training, 0.1,
                    1e-5);
            assertSameBits(fused, unfused);
            assertThat(fused.gradFn().op()).isEqualTo(NormKernels.fusesReluMaxPool2x2(H, W)
                    ? "batch_norm_relu_max_pool2d" : "relu_max_pool2d");
            assertThat(two[3].data()).as("running mean").containsExactly(one[3].data());
            assertThat(two[4].data()).as("running variance").containsExactly(one[4].data());

            // A weighted sum as the loss, plus x's own weighted sum: x's gradient is added to as well as written
            float[] r = TestData.uniform(g, fused.numel()), rx = TestData.uniform(g, values.length);
            loss(unfused, one[0], r, rx).backward();
            loss(fused, two[0], r, rx).backward();
            assertThat(two[0].grad()).as("x's gradient").containsExactly(one[0].grad());
            if (affine) {
                assertThat(two[1].grad()).as("weight's gradient").containsExactly(one[1].grad());
                assertThat(two[2].grad()).as("bias's gradient").containsExactly(one[2].grad());
            }
        });
    }

    /** x, weight, bias (null without affine), running mean and variance: fresh tensors over copies of the values. */
    private static Tensor[] operands(float[] x, int[] shape, float[] w, float[] b, float[] rm, float[] rv,
                                     boolean affine) {
        return new Tensor[] {Tensor.of(x.clone(), shape).requiresGrad(true),
                affine ? Tensor.of(w.clone(), w.length).requiresGrad(true) : null,
                affine ? Tensor.of(b.clone(), b.length).requiresGrad(true) : null,
                Tensor.of(rm.clone(), rm.length), Tensor.of(rv.clone(), rv.length)};
    }

    private static Tensor loss(Tensor out, Tensor x, float[] r, float[] rx) {
        return Functional.add(Functional.sum(Functional.mul(out, Tensor.of(r, out.shape()))),
                Functional.sum(Functional.mul(x, Tensor.of(rx, x.shape()))));
    }

    /** A Sequential of BatchNorm2d, ReLU and MaxPool2d runs the fused op, with the modules' numbers. */
    @ParameterizedTest(name = "threads={0}")
    @CsvSource({"1", "2"})
    void sequentialFusesItsBlock(int threads) {
        Threads.with(threads, () -> {
            Generator g = new Generator(977);
            int[] shape = {3, 4, 16, 16};
            float[] values = TestData.uniform(g, 3 * 4 * 16 * 16, -2f, 3f);
            BatchNorm2d bn = new BatchNorm2d(4);
            Sequential block = new Sequential(bn, new ReLU(), new MaxPool2d(2, 2));
            BatchNorm2d alone = new BatchNorm2d(4);
            Tensor x1 = Tensor.of(values.clone(), shape).requiresGrad(true);
            Tensor x2 = Tensor.of(values.clone(), shape).requiresGrad(true);
            Tensor fused = block.forward(x1);
            Tensor unfused = new MaxPool2d(2, 2).forwardAfterRelu(alone.forward(x2));
            assertSameBits(fused, unfused);
            if (NormKernels.fusesReluMaxPool2x2(16, 16)) {
                assertThat(fused.gradFn().op()).isEqualTo("batch_norm_relu_max_pool2d");
            }
            assertThat(bn.runningMean.data()).containsExactly(alone.runningMean.data());
            assertThat(bn.numBatchesTracked.data()).containsExactly(alone.numBatchesTracked.data());
            Functional.sum(fused).backward();
            Functional.sum(unfused).backward();
            assertThat(x1.grad()).containsExactly(x2.grad());
            assertThat(bn.weight.grad()).containsExactly(alone.weight.grad());
        });
    }
}
