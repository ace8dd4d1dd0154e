package simpletorch.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static simpletorch.testing.NumericAssertions.assertClose;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import simpletorch.tensor.Generator;
import simpletorch.testing.FiniteDifferences;
import simpletorch.testing.TestData;
import simpletorch.testing.Threads;

/**
 * The im2col convolution against the seven-loop naive twin (float vs double), and the naive twin's backward
 * against finite differences.
 */
class Conv2dKernelsTest {
    // Outputs are sums of up to ~300 products of values in [-1, 1); float32 rounding stays well inside this.
    static final double ATOL = 1e-5;
    static final double RTOL = 1e-4;

    /** N, C, H, W, OC, K, stride, padding. Channel counts off multiples of 8, odd sizes, batches 1, 5 and 7. */
    static final int[][] SHAPES = {
            {1, 3, 7, 7, 5, 1, 1, 0},   // 1x1 stride-1 unpadded: the direct path, batch 1
            {5, 5, 9, 7, 3, 1, 1, 0},   // direct path, batch not divisible by 2 or 3
            {5, 3, 9, 9, 7, 1, 2, 0},   // 1x1 but strided: im2col
            {2, 3, 5, 5, 4, 1, 1, 1},   // 1x1 but padded: im2col
            {1, 3, 7, 9, 5, 3, 1, 1},
            {5, 7, 9, 7, 3, 3, 2, 1},
            {2, 5, 7, 7, 3, 3, 2, 0},
            {7, 3, 5, 5, 5, 3, 1, 0},
            {3, 5, 11, 9, 7, 5, 1, 2},
            {4, 3, 9, 11, 5, 5, 2, 2},
            {1, 7, 6, 6, 3, 5, 1, 1},
            {2, 3, 3, 3, 2, 3, 1, 2},   // padding 2 around a 3x3 input: corner windows see only padding
            {3, 16, 16, 16, 32, 3, 1, 1}, // SimpleNet's conv2: several full panels of the vector kernel
            {2, 5, 13, 11, 9, 3, 1, 1},   // patch size 45 and 143 pixels: edge panels on both sides
            {2, 3, 12, 12, 16, 3, 1, 1},  // SimpleNet's conv1 (few output channels: weight gradient as [OC, CKK])
            {3, 16, 8, 8, 40, 3, 2, 1},   // a ResNet down-sampling conv: stride 2, channels past one panel
            {2, 8, 6, 24, 4, 3, 1, 1},    // direct input gradient: whole channel tiles, three vectors per row
            {64, 3, 6, 6, 4, 3, 1, 1},    // a batch large enough for several chunks per thread (partial sums per chunk)
            {5, 3, 7, 10, 30, 3, 1, 1},   // weight gradient split over 8 channel blocks, dout padded (rows, channels)
            {2, 4, 9, 9, 33, 3, 1, 0},    // the same unpadded, 9 blocks, the last of one channel
            {3, 5, 7, 17, 6, 3, 1, 1},    // gathered forward (JDK 25+): odd rows 18 floats apart, a part panel
            {2, 6, 5, 8, 20, 3, 1, 1},    // gathered forward at its narrowest: 45 columns in 3 panels
            {2, 4, 6, 16, 5, 3, 1, 1},    // rows of one vector with 16 lanes: panels of two rows, a part panel
            {2, 4, 6, 8, 5, 3, 1, 1},     // the same with 8 lanes
            {2, 5, 12, 8, 7, 3, 1, 1},    // 8 wide: shifted copies, rows 8 apart (96 columns instead of 108 or more)
            {2, 3, 5, 32, 9, 3, 1, 1},    // rows of whole panels (32 wide) written straight into out, a part panel
            {1, 2, 3, 64, 5, 3, 1, 1},    // the same, two or four panels a row
            {3, 4, 6, 10, 20, 3, 1, 1},   // shifted copies with a part panel (60 columns)
            // weight gradient with vectors along output channels (whole vectors: 16, 32, 48, 64 on AVX-512)
            {3, 5, 8, 8, 64, 3, 1, 1},    // ResNet-20's last stage, 45 columns: 7 two-pixel tiles of 6, one of 3
            {5, 4, 7, 5, 32, 3, 1, 0},    // unpadded, 35 pixels (the transpose's blocks and a tail), odd rows: 1 pixel
            {7, 2, 5, 6, 32, 3, 1, 2},    // padding 2, a batch of 7
            {33, 2, 8, 8, 64, 3, 1, 1},   // groups of 8 images, the last of one
            {20, 3, 6, 6, 16, 3, 1, 1},   // three groups (8, 8, 4) of one channel vector (16 lanes) or a pair (8)
            {3, 5, 9, 7, 48, 3, 1, 1},    // three vectors of 16 channels: one vector by a channel's 9, odd rows
            {2, 3, 6, 6, 24, 3, 1, 1},    // three vectors of 8 (AVX2): one vector by a channel's 9, pixel pairs
            {3, 5, 9, 8, 32, 3, 2, 1},    // stride 2 (one pixel a step), odd height, 45 columns
            {2, 3, 7, 7, 16, 3, 2, 1},    // stride 2, one vector of 16 by a channel's 9 (AVX-512)
            {3, 4, 8, 10, 64, 3, 2, 0},   // stride 2 unpadded
            // stride-2 forward over phase planes (even input, padding 1)
            {3, 4, 32, 32, 16, 3, 2, 1},  // rows of one vector (16 lanes) or two (8), 256 columns: straight into out
            {2, 5, 12, 10, 7, 3, 2, 1},   // rows of 5 (scalar), 30 columns: a part panel through the buffer
            {2, 3, 16, 34, 5, 3, 2, 1},   // rows of 17: vectors and a tail
            {2, 4, 16, 16, 7, 3, 2, 1},   // rows of 8 (16 lanes): two phase rows a vector, split and interleaved
            {3, 2, 8, 8, 5, 3, 2, 1},     // the same with 8 lanes (rows of 4), and 4 rows of 4 phase rows
            {2, 3, 6, 16, 5, 3, 2, 1},    // rows of 8 but an odd number of them (3): one row at a time
            // 1x1 stride-2 shortcuts over the even phase (even input, no padding)
            {3, 5, 32, 32, 9, 1, 2, 0},   // rows of 16: one vector (16 lanes) or two (8)
            {2, 4, 12, 16, 6, 1, 2, 0},   // rows of 8: pairs of rows in one vector (16 lanes), one vector (8)
            {2, 3, 8, 16, 5, 1, 2, 0},    // the same with 4 output rows
    };

    /** Every shape at 1, 2 and 3 threads, on the scalar path and (where the JVM has it) the Vector API path. */
    static Stream<Arguments> shapesAndThreads() {
        return onBothPaths(java.util.Arrays.asList(SHAPES), 3);
    }

    /**
     * {@link #RANDOM_SHAPES} geometries drawn from a fixed seed (the test's name shows each, to rerun it alone), at 1
     * and 2 threads and on both paths: batches 1-9, 1-20 input channels, 1x1, 3x3 and 5x5 kernels, strides 1 and 2.
     * Half of each choice leans to what the fast paths key on: "same" padding (else 0-2), sizes of 8, 12, 16, 24 or
     * 32 (else 1-20), output channels in whole vectors of 16 (else 1-40). Batches and channels shrink until the naive
     * twin's work stays small.
     */
    static Stream<Arguments> randomShapesAndThreads() {
        java.util.Random r = new java.util.Random(20261207);
        List<int[]> shapes = new ArrayList<>();
        while (shapes.size() < RANDOM_SHAPES) {
            int k = new int[] {1, 3, 3, 3, 5}[r.nextInt(5)];
            int stride = 1 + r.nextInt(2), pad = r.nextBoolean() ? k / 2 : r.nextInt(3);
            int h = randomSize(r), w = randomSize(r);
            int c = 1 + r.nextInt(20), oc = r.nextBoolean() ? 16 * (1 + r.nextInt(4)) : 1 + r.nextInt(40);
            int n = 1 + r.nextInt(9);
            if (h + 2 * pad < k || w + 2 * pad < k) {
                continue;
            }
            int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
            while ((long) n * oc * c * k * k * oh * ow > 1_500_000 && (n > 1 || c > 1)) { // the naive twin's work
                if (n > 1) {
                    n = (n + 1) / 2;
                } else {
                    c = (c + 1) / 2;
                }
            }
            shapes.add(new int[] {n, c, h, w, oc, k, stride, pad});
        }
        return onBothPaths(shapes, 2);
    }

    static final int RANDOM_SHAPES = 48;

    /**
     * (threads, vector, shape) for every shape at 1 to {@code maxThreads} threads, on the scalar path and (where the
     * JVM has it) the Vector API path.
     */
    static Stream<Arguments> onBothPaths(List<int[]> shapes, int maxThreads) {
        List<Arguments> out = new ArrayList<>();
        for (boolean vector : Gemm.VECTOR_AVAILABLE ? new boolean[] {false, true} : new boolean[] {false}) {
            for (int threads = 1; threads <= maxThreads; threads++) {
                for (int[] s : shapes) {
                    out.add(Arguments.of(threads, vector, s));
                }
            }
        }
        return out.stream();
    }

    /** A side: half the time one the vector paths are written for (8, 12, 16, 24, 32), else 1-20. */
    private static int randomSize(java.util.Random r) {
        return r.nextBoolean() ? new int[] {8, 12, 16, 24, 32}[r.nextInt(5)] : 1 + r.nextInt(20);
    }

    /** Runs {@code body} with {@code threads} workers and the Vector API path on or off, then restores both. */
    static void run(int threads, boolean vector, Runnable body) {
        boolean previous = Gemm.vectorEnabled();
        Gemm.setVectorEnabled(vector);
        try {
            Threads.with(threads, body);
        } finally {
            Gemm.setVectorEnabled(previous);
        }
    }

    static ConvGeometry geometry(int[] s) {
        return new ConvGeometry(s[0], s[1], s[2], s[3], s[4], s[5], s[5], s[6], s[6], s[7], s[7]);
    }

    @ParameterizedTest(name = "threads={0} vector={1} shape={2}")
    @MethodSource({"shapesAndThreads", "randomShapesAndThreads"})
    void forwardMatchesNaive(int threads, boolean vector, int[] shape) {
        ConvGeometry geo = geometry(shape);
        Generator g = new Generator(1000 + java.util.Arrays.hashCode(shape));
        float[] in = TestData.uniform(g, geo.N() * geo.inImageSize());
        float[] weight = TestData.uniform(g, geo.OC() * geo.C() * geo.KH() * geo.KW());
        float[] bias = TestData.uniform(g, geo.OC());
        for (boolean withBias : new boolean[] {true, false}) {
            double[] want = new double[geo.N() * geo.outImageSize()];
            Conv2dKernels.forwardNaive(want, TestData.toDouble(in), TestData.toDouble(weight),
                    withBias ? TestData.toDouble(bias) : null, geo);
            float[] out = TestData.uniform(g, want.length); // garbage: forward must overwrite
            run(threads, vector, () -> Conv2dKernels.forward(out, in, weight, withBias ? bias : null, geo));
            assertClose("conv2d forward " + geo + " bias=" + withBias, out, want, ATOL, RTOL);
        }
    }

    /**
     * Every combination of null gradients, each non-null one pre-filled so that accumulation is checked too; then the
     * input gradient written over garbage (the first gradient into a tensor).
     */
    @ParameterizedTest(name = "threads={0} vector={1} shape={2}")
    @MethodSource({"shapesAndThreads", "randomShapesAndThreads"})
    void backwardMatchesNaiveAndAddsIntoGradients(int threads, boolean vector, int[] shape) {
        ConvGeometry geo = geometry(shape);
        Generator g = new Generator(2000 + java.util.Arrays.hashCode(shape));
        int wn = geo.OC() * geo.C() * geo.KH() * geo.KW();
        float[] in = TestData.uniform(g, geo.N() * geo.inImageSize());
        float[] weight = TestData.uniform(g, wn);
        float[] dout = TestData.uniform(g, geo.N() * geo.outImageSize());
        float[] din0 = TestData.uniform(g, in.length);
        float[] dweight0 = TestData.uniform(g, wn);
        float[] dbias0 = TestData.uniform(g, geo.OC());

        double[] din = TestData.toDouble(din0);
        double[] dweight = TestData.toDouble(dweight0);
        double[] dbias = TestData.toDouble(dbias0);
        Conv2dKernels.backwardNaive(din, dweight, dbias, TestData.toDouble(dout), TestData.toDouble(in),
                TestData.toDouble(weight), geo);

        for (int mask = 0; mask < 8; mask++) {
            float[] fdin = (mask & 1) != 0 ? din0.clone() : null;
            float[] fdweight = (mask & 2) != 0 ? dweight0.clone() : null;
            float[] fdbias = (mask & 4) != 0 ? dbias0.clone() : null;
            run(threads, vector, () -> Conv2dKernels.backward(fdin, fdweight, fdbias, dout, in, weight, geo));
            String what = "conv2d backward " + geo + " mask=" + mask + " ";
            if (fdin != null) {
                assertClose(what + "din", fdin, din, ATOL, RTOL);
            }
            if (fdweight != null) {
                assertClose(what + "dweight", fdweight, dweight, ATOL, RTOL);
            }
            if (fdbias != null) {
                assertClose(what + "dbias", fdbias, dbias, ATOL, RTOL);
            }
        }

        // The first gradient into the input written, not added: over garbage, the naive gradient from zero
        double[] fromZero = new double[in.length];
        Conv2dKernels.backwardNaive(fromZero, null, null, TestData.toDouble(dout), TestData.toDouble(in),
                TestData.toDouble(weight), geo);
        float[] written = new float[in.length];
        java.util.Arrays.fill(written, Float.NaN);
        run(threads, vector, () -> Conv2dKernels.backward(written, false, null, null, dout, in, weight, geo));
        assertClose("conv2d backward " + geo + " din written", written, fromZero, ATOL, RTOL);
    }

    @Test
    void backwardCalledTwiceDoublesTheGradients() {
        ConvGeometry geo = geometry(new int[] {3, 5, 7, 7, 3, 3, 2, 1});
        Generator g = new Generator(7);
        float[] in = TestData.uniform(g, geo.N() * geo.inImageSize());
        float[] weight = TestData.uniform(g, geo.OC() * geo.C() * 9);
        float[] dout = TestData.uniform(g, geo.N() * geo.outImageSize());
        float[] din = new float[in.length], dweight = new float[weight.length], dbias = new float[geo.OC()];
        Conv2dKernels.backward(din, dweight, dbias, dout, in, weight, geo);
        float[] din1 = din.clone(), dweight1 = dweight.clone(), dbias1 = dbias.clone();
        Conv2dKernels.backward(din, dweight, dbias, dout, in, weight, geo);
        assertClose("din twice", din, times2(din1), 1e-6, 1e-6);
        assertClose("dweight twice", dweight, times2(dweight1), 1e-6, 1e-6);
        assertClose("dbias twice", dbias, times2(dbias1), 1e-6, 1e-6);
    }

    @Test
    void sameThreadCountGivesBitIdenticalResults() {
        ConvGeometry geo = geometry(new int[] {5, 3, 9, 9, 7, 3, 1, 1});
        Generator g = new Generator(8);
        float[] in = TestData.uniform(g, geo.N() * geo.inImageSize());
        float[] weight = TestData.uniform(g, geo.OC() * geo.C() * 9);
        float[] dout = TestData.uniform(g, geo.N() * geo.outImageSize());
        Threads.with(3, () -> {
            float[] first = new float[weight.length], second = new float[weight.length];
            Conv2dKernels.backward(null, first, null, dout, in, weight, geo);
            Conv2dKernels.backward(null, second, null, dout, in, weight, geo);
            assertThat(second).containsExactly(first);
        });
    }

    /**
     * The weight gradient with vectors along output channels sums each block over the images in order, whoever runs
     * it: the same bits on any thread count (and the same as the scalar path's to rounding).
     */
    @Test
    void channelVectorWeightGradientIsTheSameOnAnyThreadCount() {
        ConvGeometry geo = geometry(new int[] {9, 5, 8, 8, 64, 3, 1, 1});
        org.junit.jupiter.api.Assumptions.assumeTrue(Gemm.VECTOR_AVAILABLE && VectorChannelWeightGrad3x3.applies(geo),
                "the channel-vector weight gradient runs on JDK 25+ with the Vector API module");
        Generator g = new Generator(9);
        float[] in = TestData.uniform(g, geo.N() * geo.inImageSize());
        float[] weight = TestData.uniform(g, geo.OC() * geo.C() * 9);
        float[] dout = TestData.uniform(g, geo.N() * geo.outImageSize());
        float[][] results = new float[3][];
        for (int threads = 1; threads <= 3; threads++) {
            float[] dweight = new float[weight.length];
            run(threads, Gemm.VECTOR_AVAILABLE, () -> Conv2dKernels.backward(null, dweight, null, dout, in, weight, geo));
            results[threads - 1] = dweight;
        }
        assertThat(results[1]).containsExactly(results[0]);
        assertThat(results[2]).containsExactly(results[0]);
        double[] want = new double[weight.length];
        Conv2dKernels.backwardNaive(null, want, null, TestData.toDouble(dout), TestData.toDouble(in),
                TestData.toDouble(weight), geo);
        assertClose("dweight", results[0], want, ATOL, RTOL);
    }

    /** Stride and padding edge cases, batch 1, windows hanging over the edge, rows a stride skips. */
    @ParameterizedTest(name = "shape={0}")
    @MethodSource("finiteDifferenceShapes")
    void naiveBackwardMatchesFiniteDifferences(int[] shape) {
        ConvGeometry geo = geometry(shape);
        Generator g = new Generator(3000 + java.util.Arrays.hashCode(shape));
        double[] in = TestData.toDouble(TestData.uniform(g, geo.N() * geo.inImageSize()));
        double[] weight = TestData.toDouble(TestData.uniform(g, geo.OC() * geo.C() * geo.KH() * geo.KW()));
        double[] bias = TestData.toDouble(TestData.uniform(g, geo.OC()));
        double[] r = TestData.toDouble(TestData.uniform(g, geo.N() * geo.outImageSize()));
        double[] din = new double[in.length], dweight = new double[weight.length], dbias = new double[bias.length];
        Conv2dKernels.backwardNaive(din, dweight, dbias, r, in, weight, geo);

        assertClose("din", din, FiniteDifferences.gradient(x -> loss(x, weight, bias, r, geo), in), 1e-5, 1e-3);
        assertClose("dweight", dweight, FiniteDifferences.gradient(w -> loss(in, w, bias, r, geo), weight), 1e-5, 1e-3);
        assertClose("dbias", dbias, FiniteDifferences.gradient(b -> loss(in, weight, b, r, geo), bias), 1e-5, 1e-3);
    }

    static Stream<int[]> finiteDifferenceShapes() {
        return Stream.of(
                new int[] {1, 3, 7, 6, 4, 3, 2, 1},  // stride 2, padding 1, batch 1
                new int[] {1, 2, 5, 5, 3, 3, 1, 2},  // padding 2 with a 3x3 kernel
                new int[] {2, 2, 6, 6, 2, 3, 2, 0},  // stride 2 skips the last row and column
                new int[] {1, 3, 5, 7, 2, 1, 2, 0},  // 1x1 strided
                new int[] {2, 2, 7, 7, 2, 5, 2, 2}); // 5x5, stride 2, padding 2
    }

    private static double loss(double[] in, double[] weight, double[] bias, double[] r, ConvGeometry geo) {
        double[] out = new double[r.length];
        Conv2dKernels.forwardNaive(out, in, weight, bias, geo);
        return FiniteDifferences.dot(out, r);
    }

    static float[] times2(float[] a) {
        float[] b = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = 2 * a[i];
        }
        return b;
    }

    /**
     * The whole-plane im2col (stride 1, output rows as wide as the input's) against the row-by-row one, element for
     * element: "same" padding of 1x1, 3x3 and 5x5 kernels, more padding above than the kernel needs, images one
     * pixel wide, and a buffer full of garbage to overwrite. Both again with rows further apart than their length
     * (as the forward pass lays them out for the GEMM): the same rows, and the gaps between them left alone.
     */
    @Test
    void sameWidthIm2colEqualsTheRowByRowOne() {
        int[][] shapes = { // C, H, W, KH, KW, PH, PW
                {3, 32, 32, 3, 3, 1, 1}, {16, 16, 16, 3, 3, 1, 1}, {2, 5, 7, 1, 1, 0, 0}, {3, 6, 9, 5, 5, 2, 2},
                {2, 4, 5, 3, 3, 3, 1}, {1, 7, 1, 3, 1, 1, 0}, {2, 3, 3, 3, 3, 2, 1}, {1, 2, 4, 5, 1, 4, 0}};
        Generator gen = new Generator(4242);
        for (int[] s : shapes) {
            ConvGeometry g = new ConvGeometry(3, s[0], s[1], s[2], 4, s[3], s[4], 1, 1, s[5], s[6]);
            assertThat(g.OW()).as("a same-width geometry").isEqualTo(g.W());
            float[] in = TestData.uniform(gen, 3 * g.inImageSize());
            int P = g.OH() * g.OW(), rows = s[0] * s[3] * s[4];
            for (int n = 0; n < 3; n++) {
                float[] want = TestData.uniform(gen, rows * P), got = TestData.uniform(gen, rows * P);
                Conv2dKernels.im2colByRows(want, P, in, n * g.inImageSize(), g);
                Conv2dKernels.im2colSameWidth(got, P, in, n * g.inImageSize(), g);
                assertThat(got).as("%s image %d", Arrays.toString(s), n).containsExactly(want);
                int ld = P + 5;
                float[] garbage = TestData.uniform(gen, rows * ld);
                float[] byRows = garbage.clone(), sameWidth = garbage.clone();
                Conv2dKernels.im2colByRows(byRows, ld, in, n * g.inImageSize(), g);
                Conv2dKernels.im2colSameWidth(sameWidth, ld, in, n * g.inImageSize(), g);
                for (int r = 0; r < rows; r++) {
                    assertThat(Arrays.copyOfRange(byRows, r * ld, r * ld + P)).as("%s row %d, by rows, ld %d",
                            Arrays.toString(s), r, ld).containsExactly(Arrays.copyOfRange(want, r * P, (r + 1) * P));
                    assertThat(Arrays.copyOfRange(sameWidth, r * ld, (r + 1) * ld)).as("%s row %d and gap, same width",
                            Arrays.toString(s), r).containsExactly(Arrays.copyOfRange(byRows, r * ld, (r + 1) * ld));
                    assertThat(Arrays.copyOfRange(byRows, r * ld + P, (r + 1) * ld)).as("%s gap %d", Arrays.toString(s), r)
                            .containsExactly(Arrays.copyOfRange(garbage, r * ld + P, (r + 1) * ld));
                }
            }
        }
    }
}
