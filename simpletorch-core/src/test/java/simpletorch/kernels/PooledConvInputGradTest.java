package simpletorch.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static simpletorch.testing.NumericAssertions.assertClose;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import simpletorch.tensor.Generator;
import simpletorch.testing.TestData;
import simpletorch.testing.Threads;

/**
 * {@link VectorPooledConvInputGrad3x3} (the input gradient of conv2d -> relu -> max_pool2d summed from the pool's
 * winners) against the definition: the pool's gradient routed to its winners (the scalar rule), then the naive
 * convolution backward in double, added to what din held.
 */
class PooledConvInputGradTest {

    @ParameterizedTest(name = "N={0} C={1} HxW={2}x{3} OC={4} threads={5}")
    @CsvSource({
            "32, 16, 16, 16, 32, 2", // SimpleNet's conv2 at batch 32
            "32, 16, 16, 16, 32, 1",
            "7, 16, 6, 10, 5, 3",    // 15 pooled positions (not whole vectors), rows of 10 (a gather and a tail)
            "2, 16, 4, 32, 3, 2",    // rows of two vectors of pixels (with 16 lanes: two transposes a row)
            "5, 3, 8, 8, 4, 2",      // 3 channels: one vector, 5 lanes of zeros
            "3, 12, 4, 4, 7, 1",     // 12 channels
            "4, 20, 4, 6, 3, 2",     // 20 channels: vectors and a part
            "3, 8, 4, 8, 40, 2",     // 40 output channels: a second mask, 8 channels in it
            "2, 8, 2, 2, 64, 1",     // 64: two full masks, one pooled pixel
            "1, 1, 2, 2, 1, 1"})
    void equalsTheDenseDefinition(int N, int C, int H, int W, int OC, int threads) {
        assumeTrue(Gemm.vectorEnabled(), "the Vector API kernels are off");
        Generator gen = new Generator(5100 + N * 13 + C + H * W + OC);
        PooledLayerCase layer = PooledLayerCase.random(gen, N, C, H, W, OC);
        ConvGeometry g = layer.g();
        assertThat(VectorPooledConvInputGrad3x3.applies(g)).as("applies to " + g).isTrue();
        float[] weight = layer.weight(), out = layer.out(), dpool = layer.dpool();
        int[] argmax = layer.argmax();
        float[] din0 = TestData.uniform(gen, N * C * H * W); // the kernel adds into what is there
        double[] expected = TestData.toDouble(din0);
        Conv2dKernels.backwardNaive(expected, null, null, TestData.toDouble(layer.dconv()), TestData.toDouble(layer.in()),
                TestData.toDouble(weight), g);

        float[] din = din0.clone();
        Threads.with(threads, () -> {
            float[] wt = new float[VectorPooledConvInputGrad3x3.weightsSize(g)];
            VectorPooledConvInputGrad3x3.prepare(wt, weight, g);
            Parallel.parallelFor(N, (chunk, from, to) ->
                    VectorPooledConvInputGrad3x3.addImages(din, true, dpool, out, argmax, wt, from, to, g));
        });
        assertClose("pooled input gradient " + g, din, expected, Conv2dKernelsTest.ATOL, Conv2dKernelsTest.RTOL);

        // Overwriting (a gradient nothing has written yet) is adding to zeros, bit for bit, whatever din held
        float[] added = new float[din0.length], written = new float[din0.length];
        java.util.Arrays.fill(written, Float.NaN);
        Threads.with(threads, () -> {
            float[] wt = new float[VectorPooledConvInputGrad3x3.weightsSize(g)];
            VectorPooledConvInputGrad3x3.prepare(wt, weight, g);
            Parallel.parallelFor(N, (chunk, from, to) -> {
                VectorPooledConvInputGrad3x3.addImages(added, true, dpool, out, argmax, wt, from, to, g);
                VectorPooledConvInputGrad3x3.addImages(written, false, dpool, out, argmax, wt, from, to, g);
            });
        });
        assertThat(written).as("written over NaNs " + g).containsExactly(added);

        // The dense alternative that -Dsimpletorch.pooledInputGrad=false measures: the pool's gradient written into a
        // zero-bordered buffer, one gathered product per image (the vector pool's layout: rows and pooled planes of
        // whole vectors, as the fused layer has)
        int lanes = VectorGemm.NR / 2;
        if (W % lanes == 0 && (H / 2) * (W / 2) % lanes == 0) {
            float[] dense = din0.clone();
            Threads.with(threads, () -> {
                float[] wt = new float[VectorConvInputGrad3x3.weightsSize(g)];
                int[] rows = new int[OC * 9];
                VectorConvInputGrad3x3.prepare(wt, rows, weight, g, true);
                Parallel.parallelFor(N, (chunk, from, to) ->
                        VectorConvInputGrad3x3.addImagesFromPool(dense, dpool, out, argmax, wt, rows, from, to, g));
            });
            assertClose("gathered input gradient from the pool " + g, dense, expected, Conv2dKernelsTest.ATOL,
                    Conv2dKernelsTest.RTOL);
        }
    }

    /**
     * The two input gradients' packed weights, element by element, against the layouts their comments give: the
     * pooled kernel's {@code [oc][C/L blocks][9 taps][L lanes]} after {@link Scratch#ALIGN} floats, and the gathered
     * product's MR-row panels {@code [C/MR][k = oc*9 + tap][MR]}, zero past the last channel.
     */
    @ParameterizedTest(name = "C={0} OC={1}")
    @CsvSource({"16, 32", "3, 16", "20, 7", "64, 64", "1, 1", "9, 3"})
    void packedWeightsFollowTheirLayouts(int C, int OC) {
        assumeTrue(Gemm.vectorEnabled(), "the Vector API kernels are off");
        ConvGeometry g = new ConvGeometry(2, C, 8, 8, OC, 3, 3, 1, 1, 1, 1);
        float[] weight = new float[OC * C * 9];
        for (int i = 0; i < weight.length; i++) {
            weight[i] = i + 1; // no zeros: a zero would stand for padding
        }
        int L = VectorGemm.NR / 2; // the vector's lanes, as above
        int padded = VectorPooledConvInputGrad3x3.paddedChannels(g);
        float[] wt = new float[VectorPooledConvInputGrad3x3.weightsSize(g)];
        java.util.Arrays.fill(wt, Float.NaN);
        VectorPooledConvInputGrad3x3.prepare(wt, weight, g);
        for (int oc = 0; oc < OC; oc++) {
            for (int c = 0; c < padded; c++) {
                for (int tap = 0; tap < 9; tap++) {
                    float want = c < C ? weight[(oc * C + c) * 9 + tap] : 0f;
                    int at = Scratch.ALIGN + ((oc * (padded / L) + c / L) * 9 + tap) * L + c % L;
                    assertThat(wt[at]).as("pooled oc=%d c=%d tap=%d", oc, c, tap).isEqualTo(want);
                }
            }
        }

        int MR = VectorGemm.MR, K = OC * 9;
        float[] ap = new float[VectorConvInputGrad3x3.weightsSize(g)];
        java.util.Arrays.fill(ap, Float.NaN);
        VectorConvInputGrad3x3.prepare(ap, new int[OC * 9], weight, g, false);
        for (int c = 0; c < (C + MR - 1) / MR * MR; c++) {
            for (int k = 0; k < K; k++) {
                float want = c < C ? weight[(k / 9 * C + c) * 9 + k % 9] : 0f;
                assertThat(ap[(c / MR * K + k) * MR + c % MR]).as("gathered c=%d k=%d", c, k).isEqualTo(want);
            }
        }
    }

    /**
     * Windows whose pooled value is not positive pass a zero, which is still multiplied: a NaN weight reaches the
     * input through the winners' windows (the dense product, which multiplies every pixel's gradient, spreads it to
     * the whole plane; the forward pass is NaN either way).
     */
    @Test
    void aNaNWeightSpreadsAsInTheDenseProduct() {
        assumeTrue(Gemm.vectorEnabled(), "the Vector API kernels are off");
        ConvGeometry g = new ConvGeometry(1, 8, 4, 4, 2, 3, 3, 1, 1, 1, 1);
        float[] weight = new float[2 * 8 * 9];
        weight[(1 * 8 + 3) * 9 + 4] = Float.NaN; // output channel 1, input channel 3, the kernel's centre
        float[] out = new float[2 * 4]; // every pooled value 0: nothing passes the ReLU
        float[] dpool = new float[2 * 4];
        java.util.Arrays.fill(dpool, 1f);
        int[] argmax = {0, 2, 8, 10, 5, 7, 13, 15}; // channel 0 top-left winners, channel 1 bottom-right
        float[] wt = new float[VectorPooledConvInputGrad3x3.weightsSize(g)];
        VectorPooledConvInputGrad3x3.prepare(wt, weight, g);
        float[] din = new float[8 * 16];
        VectorPooledConvInputGrad3x3.addImages(din, true, dpool, out, argmax, wt, 0, 1, g);
        for (int c = 0; c < 8; c++) {
            for (int i = 0; i < 16; i++) {
                // the centre tap of channel 1's winners, (1,1) (1,3) (3,1) (3,3), reaches exactly those pixels
                boolean winner = c == 3 && (i == 5 || i == 7 || i == 13 || i == 15);
                assertThat(Float.isNaN(din[c * 16 + i])).as("channel %d pixel %d", c, i).isEqualTo(winner);
            }
        }
    }
}
