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
 * {@link VectorPooledConvWeightGrad3x3} (the weight gradient of conv2d -> relu -> max_pool2d summed from the pool's
 * winners) against the definition: the pool's gradient routed to its winners (the scalar rule), then the naive
 * convolution backward in double. Channel counts are multiples of the vector length, in units of it (so the same
 * shapes run with 8 and with 16 lanes), or a few channels.
 */
class PooledConvWeightGradTest {
    private static final int L = Gemm.VECTOR_AVAILABLE ? jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length() : 8;

    @ParameterizedTest(name = "N={0} C={1}L HxW={2}x{3} OC={4} threads={5}")
    @CsvSource({
            "32, 2, 16, 16, 32, 2", // SimpleNet's conv2 at batch 32 (16 channels with 8 lanes)
            "32, 2, 16, 16, 32, 1",
            "32, 1, 16, 16, 32, 2", // one vector of channels, rows 18L apart (SimpleNet's conv2 with 16 lanes)
            "2, 1, 4, 18, 3, 1",    // one vector of channels, too wide for rows 18L apart
            "2, 1, 4, 32, 3, 2",    // the same, rows of whole vectors of pixels (16 lanes: copied by transposes)
            "7, 1, 6, 10, 5, 3",    // a batch that no thread count divides, output channels not a multiple of 4
            "1, 3, 2, 2, 1, 2",     // one image of one pooled pixel, three vectors of channels
            "5, 1, 8, 4, 9, 2"})
    void equalsTheDenseDefinition(int N, int vectors, int H, int W, int OC, int threads) {
        check(N, vectors * L, H, W, OC, threads);
    }

    /** Few channels: the vectors run along a window's rows (3 pixels of C channels), as for an RGB image's 3. */
    @ParameterizedTest(name = "N={0} C={1} HxW={2}x{3} OC={4} threads={5}")
    @CsvSource({
            "32, 3, 32, 32, 16, 2", // SimpleNet's conv1 at batch 32
            "5, 3, 32, 32, 16, 1",
            "7, 1, 6, 10, 5, 3",    // one channel (a grey image), 7 images on 3 threads
            "3, 5, 4, 8, 2, 2",     // 15 floats a window row: the last lane of two vectors (8 lanes) or of one (16)
            "3, 8, 4, 8, 2, 2",     // 24 floats a window row: two vectors with 16 lanes (with 8: along the channels)
            "2, 2, 2, 2, 3, 1",
            "2, 3, 4, 40, 3, 2"})   // the widest RGB rows the two-vector kernel takes: 42 pixels of 3 channels, 126 floats
    void fewChannelsEqualTheDenseDefinition(int N, int C, int H, int W, int OC, int threads) {
        check(N, C, H, W, OC, threads);
    }

    /**
     * One vector of output channels and at most four input channels (16 lanes: SimpleNet's conv1): summed densely with
     * the output channels in the lanes, a band of pooled rows at a time (bands of 256 pixels: 4 pooled rows of a
     * 32-pixel row, 4 of Fashion-MNIST's 28, 64 of a 2-pixel one).
     */
    @ParameterizedTest(name = "N={0} C={1} HxW={2}x{3} threads={4}")
    @CsvSource({
            "32, 3, 32, 32, 2", // SimpleNet's conv1 at batch 32
            "9, 1, 28, 28, 2",  // a grey image (Fashion-MNIST): 14 pooled rows in bands of 4, 4, 4, 2
            "3, 2, 6, 10, 1",   // pooled rows of 5 windows (not whole vectors: the scalar tail)
            "5, 4, 2, 2, 3",    // one window, four channels, 5 images on 3 threads
            "2, 3, 40, 8, 2",   // taller than a band: 20 pooled rows of 4 windows, bands of 16
            "4, 1, 4, 130, 1"}) // one pooled row wider than a band
    void oneVectorOfOutputChannelsEqualsTheDenseDefinition(int N, int C, int H, int W, int threads) {
        assumeTrue(Gemm.vectorEnabled() && VectorPooledConvWeightGrad3x3.outputChannelLanes(
                new ConvGeometry(N, C, H, W, L, 3, 3, 1, 1, 1, 1)), "16 lanes");
        check(N, C, H, W, L, threads);
    }

    /** 12 and 16 channels with 8 lanes: a window's row is 36 or 48 floats, six vectors from its start. */
    @ParameterizedTest(name = "N={0} C={1} HxW={2}x{3} OC={4} threads={5}")
    @CsvSource({"4, 12, 6, 8, 3, 2", "3, 16, 4, 4, 5, 1", "9, 12, 2, 2, 1, 2"})
    void sixVectorsAlongAWindowRowEqualTheDenseDefinition(int N, int C, int H, int W, int OC, int threads) {
        assumeTrue(L == 8, "with 8 lanes");
        check(N, C, H, W, OC, threads);
    }

    /** The row kernels' rows are a constant 128 floats apart: wider images of few channels are not taken. */
    @Test
    void fewChannelsTakeRowsOfAtMost128Floats() {
        assumeTrue(Gemm.vectorEnabled(), "the Vector API kernels are off");
        assertThat(VectorPooledConvWeightGrad3x3.applies(
                new ConvGeometry(2, 3, 4, 40, 3, 3, 3, 1, 1, 1, 1))).isTrue();
        assertThat(VectorPooledConvWeightGrad3x3.applies(
                new ConvGeometry(2, 3, 4, 42, 3, 3, 3, 1, 1, 1, 1))).isFalse();
    }

    private static void check(int N, int C, int H, int W, int OC, int threads) {
        assumeTrue(Gemm.vectorEnabled(), "the Vector API kernels are off");
        Generator gen = new Generator(4200 + N * 13 + C + H * W + OC);
        PooledLayerCase layer = PooledLayerCase.random(gen, N, C, H, W, OC);
        ConvGeometry g = layer.g();
        float[] dweight0 = TestData.uniform(gen, OC * C * 9); // the kernel adds into what is there
        double[] expected = TestData.toDouble(dweight0);
        Conv2dKernels.backwardNaive(null, expected, null, TestData.toDouble(layer.dconv()), TestData.toDouble(layer.in()),
                TestData.toDouble(layer.weight()), g);

        float[] dweight = dweight0.clone();
        Threads.with(threads, () -> VectorPooledConvWeightGrad3x3.accumulate(dweight, layer.dpool(), layer.out(),
                layer.argmax(), layer.in(), g));
        assertThat(VectorPooledConvWeightGrad3x3.applies(g)).as("applies to " + g).isTrue();
        assertClose("pooled weight gradient " + g, dweight, expected, Conv2dKernelsTest.ATOL, Conv2dKernelsTest.RTOL);
    }
}
