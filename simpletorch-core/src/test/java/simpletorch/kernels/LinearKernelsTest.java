package simpletorch.kernels;

import static simpletorch.testing.NumericAssertions.assertClose;
import static simpletorch.testing.NumericAssertions.assertSameBits;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import simpletorch.tensor.Generator;
import simpletorch.testing.FiniteDifferences;
import simpletorch.testing.TestData;
import simpletorch.testing.Threads;

/** The linear layer's kernels against their naive twins, and the naive backward against finite differences. */
class LinearKernelsTest {
    static final double ATOL = 1e-5;
    static final double RTOL = 1e-4;

    /** B, IN, OUT. */
    static final int[][] SHAPES = {{1, 7, 5}, {5, 13, 3}, {7, 33, 10}, {3, 1, 1}, {4, 130, 9}, {2, 5, 11},
            {5, 2048, 10}, // SimpleNet's classifier: whole vectors, outputs 4 + 4 + 2
            {3, 77, 17},   // more outputs than the narrow path takes: the GEMM
            {9, 100, 16},  // the widest narrow layer, a vector tail of 100 mod 16 (or 8) floats
            {512, 1030, 8}, // past VectorLinear.PARALLEL_MIN_MACS: split across workers, a tail in the last chunk
            {6, 96, 7},     // row pairs, outputs 4 + 2 + 1 (the forward's 2x4 and 2x2 dots, then single dots)
            {33, 256, 13},  // an odd row after the row pairs; 4 + 4 + 4 + 1 outputs
            {520, 1024, 8}, // row pairs split across workers
            // 10-class heads on the wide tiles (32 registers): rows 4 + 4 + 2 + 1; columns in blocks of four vectors,
            // then one of two, then a tail of 5 floats (with 16 lanes; 8: two-vector blocks and the tail)
            {11, 2085, 10},
            {37, 2085, 10}, // the same split across workers, in groups of four rows (two with 16 registers)
            {40, 1000, 10}}; // 15 blocks of four vectors, one of two, a tail of 8, split across workers

    /** Every shape at 1, 2 and 3 threads, on the scalar path and (where the JVM has it) the Vector API path. */
    static Stream<Arguments> shapesAndThreads() {
        return Conv2dKernelsTest.onBothPaths(java.util.Arrays.asList(SHAPES), 3);
    }

    /**
     * 24 seeded random shapes at 1 and 2 threads, both paths: batches 1-40, inputs 1-300 (half of them whole vectors
     * of 16 with a tail or not), outputs 1-20 (the narrow path up to 16, the GEMM past it).
     */
    static Stream<Arguments> randomShapesAndThreads() {
        java.util.Random r = new java.util.Random(20261207);
        List<int[]> shapes = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            int in = r.nextBoolean() ? 16 * (1 + r.nextInt(16)) + r.nextInt(3) : 1 + r.nextInt(300);
            shapes.add(new int[] {1 + r.nextInt(40), in, 1 + r.nextInt(20)});
        }
        return Conv2dKernelsTest.onBothPaths(shapes, 2);
    }

    @ParameterizedTest(name = "threads={0} vector={1} B,IN,OUT={2}")
    @MethodSource({"shapesAndThreads", "randomShapesAndThreads"})
    void forwardAndBackwardMatchNaive(int threads, boolean vector, int[] shape) {
        Conv2dKernelsTest.run(1, vector, () -> check(threads, shape));
    }

    private static void check(int threads, int[] shape) {
        int B = shape[0], IN = shape[1], OUT = shape[2];
        // The big shape's sums run over a thousand float terms: the scalar path's sequential sums may stray 2e-5
        // from the double result where the sum nearly cancels.
        double atol = (long) B * IN * OUT > 4_000_000 ? 4 * ATOL : ATOL;
        Generator g = new Generator(800 + Arrays.hashCode(shape));
        float[] in = TestData.uniform(g, B * IN);
        float[] weight = TestData.uniform(g, OUT * IN);
        float[] bias = TestData.uniform(g, OUT);
        for (boolean withBias : new boolean[] {true, false}) {
            double[] want = new double[B * OUT];
            LinearKernels.forwardNaive(want, TestData.toDouble(in), TestData.toDouble(weight),
                    withBias ? TestData.toDouble(bias) : null, B, IN, OUT);
            float[] out = TestData.uniform(g, B * OUT);
            Threads.with(threads, () -> LinearKernels.forward(out, in, weight, withBias ? bias : null, B, IN, OUT));
            assertClose("linear forward bias=" + withBias, out, want, atol, RTOL);
        }

        float[] dout = TestData.uniform(g, B * OUT);
        float[] din0 = TestData.uniform(g, B * IN), dweight0 = TestData.uniform(g, OUT * IN), dbias0 = TestData.uniform(g, OUT);
        double[] din = TestData.toDouble(din0), dweight = TestData.toDouble(dweight0), dbias = TestData.toDouble(dbias0);
        LinearKernels.backwardNaive(din, dweight, dbias, TestData.toDouble(dout), TestData.toDouble(in),
                TestData.toDouble(weight), B, IN, OUT);
        for (int mask = 0; mask < 8; mask++) {
            float[] fdin = (mask & 1) != 0 ? din0.clone() : null;
            float[] fdweight = (mask & 2) != 0 ? dweight0.clone() : null;
            float[] fdbias = (mask & 4) != 0 ? dbias0.clone() : null;
            Threads.with(threads, () -> LinearKernels.backward(fdin, fdweight, fdbias, dout, in, weight, B, IN, OUT));
            if (fdin != null) {
                assertClose("linear din mask=" + mask, fdin, din, atol, RTOL);
            }
            if (fdweight != null) {
                assertClose("linear dweight mask=" + mask, fdweight, dweight, atol, RTOL);
            }
            if (fdbias != null) {
                assertClose("linear dbias mask=" + mask, fdbias, dbias, atol, RTOL);
            }
        }

        // din overwritten rather than added into: the gradient alone, whatever the buffer held.
        double[] dinAlone = new double[B * IN];
        LinearKernels.backwardNaive(dinAlone, null, null, TestData.toDouble(dout), TestData.toDouble(in),
                TestData.toDouble(weight), B, IN, OUT);
        float[] garbage = TestData.uniform(g, B * IN);
        Threads.with(threads, () -> LinearKernels.backward(garbage, false, null, null, dout, in, weight, B, IN, OUT));
        assertClose("linear din overwritten", garbage, dinAlone, atol, RTOL);
    }

    /**
     * Each output and each input-gradient element is one sum whatever rows a chunk holds, so 1, 2 and 3 threads give
     * the same bits (the batch is split in whole groups of rows, {@link VectorLinear#ROW_GROUP}; the last may be short).
     */
    @ParameterizedTest(name = "B,IN,OUT={0}")
    @MethodSource("splitShapes")
    void forwardAndInputGradientAreTheSameOnAnyThreadCount(int[] shape) {
        int B = shape[0], IN = shape[1], OUT = shape[2];
        Generator g = new Generator(4100 + Arrays.hashCode(shape));
        float[] in = TestData.uniform(g, B * IN), weight = TestData.uniform(g, OUT * IN);
        float[] bias = TestData.uniform(g, OUT), dout = TestData.uniform(g, B * OUT);
        float[] out1 = new float[B * OUT], din1 = new float[B * IN];
        Conv2dKernelsTest.run(1, true, () -> {
            LinearKernels.forward(out1, in, weight, bias, B, IN, OUT);
            LinearKernels.backward(din1, false, null, null, dout, in, weight, B, IN, OUT);
        });
        for (int threads = 2; threads <= 3; threads++) {
            float[] out = new float[B * OUT], din = TestData.uniform(g, B * IN);
            Conv2dKernelsTest.run(threads, true, () -> {
                LinearKernels.forward(out, in, weight, bias, B, IN, OUT);
                LinearKernels.backward(din, false, null, null, dout, in, weight, B, IN, OUT);
            });
            assertSameBits("forward on " + threads + " threads", out, out1);
            assertSameBits("input gradient on " + threads + " threads", din, din1);
        }
    }

    /** SimpleNet's head and batches around it, all past {@link VectorLinear#PARALLEL_MIN_MACS}. */
    static Stream<int[]> splitShapes() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Gemm.VECTOR_AVAILABLE, "the Vector API path");
        return Stream.of(new int[] {32, 2048, 10}, new int[] {31, 2048, 10}, new int[] {33, 2085, 10},
                new int[] {30, 4000, 7}, new int[] {256, 2048, 10});
    }

    @Test
    void backwardCalledTwiceDoublesTheGradients() {
        int B = 5, IN = 6, OUT = 4;
        Generator g = new Generator(10);
        float[] in = TestData.uniform(g, B * IN), weight = TestData.uniform(g, OUT * IN), dout = TestData.uniform(g, B * OUT);
        float[] din = new float[B * IN], dweight = new float[OUT * IN], dbias = new float[OUT];
        Threads.with(2, () -> {
            LinearKernels.backward(din, dweight, dbias, dout, in, weight, B, IN, OUT);
            float[] din1 = din.clone(), dweight1 = dweight.clone(), dbias1 = dbias.clone();
            LinearKernels.backward(din, dweight, dbias, dout, in, weight, B, IN, OUT);
            assertClose("din twice", din, Conv2dKernelsTest.times2(din1), 1e-6, 1e-6);
            assertClose("dweight twice", dweight, Conv2dKernelsTest.times2(dweight1), 1e-6, 1e-6);
            assertClose("dbias twice", dbias, Conv2dKernelsTest.times2(dbias1), 1e-6, 1e-6);
        });
    }

    @ParameterizedTest(name = "B={0} IN={1} OUT={2}")
    @CsvSource({"1,4,3", "3,5,2", "2,1,6"})
    void naiveBackwardMatchesFiniteDifferences(int B, int IN, int OUT) {
        Generator g = new Generator(900 + B * 100 + IN * 10 + OUT);
        double[] in = TestData.toDouble(TestData.uniform(g, B * IN));
        double[] weight = TestData.toDouble(TestData.uniform(g, OUT * IN));
        double[] bias = TestData.toDouble(TestData.uniform(g, OUT));
        double[] r = TestData.toDouble(TestData.uniform(g, B * OUT));
        double[] din = new double[in.length], dweight = new double[weight.length], dbias = new double[OUT];
        LinearKernels.backwardNaive(din, dweight, dbias, r, in, weight, B, IN, OUT);
        assertClose("din", din, FiniteDifferences.gradient(x -> loss(x, weight, bias, r, B, IN, OUT), in), 1e-5, 1e-3);
        assertClose("dweight", dweight, FiniteDifferences.gradient(w -> loss(in, w, bias, r, B, IN, OUT), weight), 1e-5, 1e-3);
        assertClose("dbias", dbias, FiniteDifferences.gradient(b -> loss(in, weight, b, r, B, IN, OUT), bias), 1e-5, 1e-3);
    }

    private static double loss(double[] in, double[] weight, double[] bias, double[] r, int B, int IN, int OUT) {
        double[] out = new double[B * OUT];
        LinearKernels.forwardNaive(out, in, weight, bias, B, IN, OUT);
        return FiniteDifferences.dot(out, r);
    }
}
