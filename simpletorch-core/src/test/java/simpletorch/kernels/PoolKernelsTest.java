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

/** Max pooling against its naive twin (values, argmax, backward), and the naive backward against finite differences. */
class PoolKernelsTest {

    /** N, C, H, W, K, stride, padding: kernel 2 and 3, stride 1 and 2, padding 0 and 1, odd sizes, odd batches. */
    static final int[][] SHAPES = {
            {2, 3, 7, 7, 2, 2, 0},
            {1, 5, 8, 9, 2, 1, 0},
            {3, 3, 9, 7, 3, 2, 1},
            {5, 7, 6, 5, 3, 1, 1},
            {2, 3, 7, 9, 2, 2, 1},
            {1, 1, 5, 5, 3, 3, 0},
            {7, 5, 5, 6, 3, 2, 0},
            {3, 7, 4, 5, 2, 1, 1},
            {2, 3, 8, 16, 2, 2, 0},  // 2x2 stride 2 on rows of whole vectors: the Vector API kernel (two output rows a chunk)
            {1, 2, 5, 32, 2, 2, 0},  // ... an odd height (the last row unused), one output row a chunk
            {2, 2, 6, 48, 2, 2, 0},  // 72 outputs a plane: vector path with 8 lanes, scalar with 16
    };

    static Stream<Arguments> shapesAndThreads() {
        List<Arguments> out = new ArrayList<>();
        for (int threads = 1; threads <= 3; threads++) {
            for (int[] s : SHAPES) {
                out.add(Arguments.of(threads, s));
            }
        }
        return out.stream();
    }

    /**
     * 24 seeded random shapes at 1 and 2 threads: kernel 2 or 3, stride 1-3, padding up to half the kernel, batches
     * 1-6, 1-8 channels, sides 2-20 or (half the time) 8, 16, 32 and 48, which the vector kernel takes with 2x2
     * windows of stride 2.
     */
    static Stream<Arguments> randomShapesAndThreads() {
        java.util.Random r = new java.util.Random(20261207);
        List<Arguments> out = new ArrayList<>();
        List<int[]> shapes = new ArrayList<>();
        while (shapes.size() < 24) {
            int k = 2 + r.nextInt(2), stride = r.nextBoolean() ? 2 : 1 + r.nextInt(3), pad = r.nextInt(k / 2 + 1);
            int h = r.nextBoolean() ? new int[] {8, 16, 32, 48}[r.nextInt(4)] : 2 + r.nextInt(19);
            int w = r.nextBoolean() ? new int[] {8, 16, 32, 48}[r.nextInt(4)] : 2 + r.nextInt(19);
            if (h + 2 * pad >= k && w + 2 * pad >= k) {
                shapes.add(new int[] {1 + r.nextInt(6), 1 + r.nextInt(8), h, w, k, stride, pad});
            }
        }
        for (int threads = 1; threads <= 2; threads++) {
            for (int[] s : shapes) {
                out.add(Arguments.of(threads, s));
            }
        }
        return out.stream();
    }

    static PoolGeometry geometry(int[] s) {
        return new PoolGeometry(s[0], s[1], s[2], s[3], s[4], s[4], s[5], s[5], s[6], s[6]);
    }

    static int outSize(PoolGeometry geo) {
        return geo.N() * geo.C() * geo.OH() * geo.OW();
    }

    @ParameterizedTest(name = "threads={0} shape={1}")
    @MethodSource({"shapesAndThreads", "randomShapesAndThreads"})
    void forwardAndBackwardMatchNaive(int threads, int[] shape) {
        PoolGeometry geo = geometry(shape);
        Generator g = new Generator(500 + Arrays.hashCode(shape));
        float[] in = TestData.uniform(g, geo.N() * geo.C() * geo.H() * geo.W());
        int n = outSize(geo);
        double[] want = new double[n];
        int[] wantArgmax = new int[n];
        PoolKernels.maxPool2dForwardNaive(want, wantArgmax, TestData.toDouble(in), geo);

        float[] out = TestData.uniform(g, n);
        int[] argmax = new int[n];
        Arrays.fill(argmax, -7);
        Threads.with(threads, () -> PoolKernels.maxPool2dForward(out, argmax, in, geo));
        assertClose("max_pool2d values " + geo, out, want, 0, 0); // a max is exact
        assertThat(argmax).as("argmax " + geo).containsExactly(wantArgmax);

        float[] dout = TestData.uniform(g, n);
        float[] din0 = TestData.uniform(g, in.length);
        double[] din = TestData.toDouble(din0);
        PoolKernels.maxPool2dBackwardNaive(din, TestData.toDouble(dout), wantArgmax, geo);
        float[] fdin = din0.clone();
        Threads.with(threads, () -> PoolKernels.maxPool2dBackward(fdin, dout, argmax, geo));
        assertClose("max_pool2d din " + geo, fdin, din, 1e-6, 1e-5);

        // Overwriting: the result is the gradient alone, whatever the buffer held.
        double[] fresh = new double[in.length];
        PoolKernels.maxPool2dBackwardNaive(fresh, TestData.toDouble(dout), wantArgmax, geo);
        float[] garbage = TestData.uniform(g, in.length);
        Threads.with(threads, () -> PoolKernels.maxPool2dBackward(garbage, dout, argmax, geo, false));
        assertClose("max_pool2d din overwritten " + geo, garbage, fresh, 1e-6, 1e-5); // overlapping windows add

        // Fused with a ReLU before the pooling: gradients only through windows whose maximum is positive.
        float[] pooled = out.clone();
        double[] masked = new double[n];
        for (int i = 0; i < n; i++) {
            pooled[i] = Math.max(pooled[i], 0f);
            masked[i] = pooled[i] > 0f ? dout[i] : 0.0;
        }
        double[] wantRelu = new double[in.length];
        PoolKernels.maxPool2dBackwardNaive(wantRelu, masked, wantArgmax, geo);
        float[] gotRelu = TestData.uniform(g, in.length);
        Threads.with(threads, () -> PoolKernels.maxPool2dReluBackward(gotRelu, dout, pooled, argmax, geo, false));
        assertClose("relu+max_pool2d din " + geo, gotRelu, wantRelu, 1e-6, 1e-5);
    }

    /** Values from {0, 1, 2} make ties common: both kernels must pick the first maximum in row-major window order. */
    @ParameterizedTest(name = "threads={0} shape={1}")
    @MethodSource({"shapesAndThreads", "randomShapesAndThreads"})
    void tiesGoToTheFirstMaximumLikeTheNaiveKernel(int threads, int[] shape) {
        PoolGeometry geo = geometry(shape);
        Generator g = new Generator(600 + Arrays.hashCode(shape));
        float[] in = new float[geo.N() * geo.C() * geo.H() * geo.W()];
        for (int i = 0; i < in.length; i++) {
            in[i] = g.nextInt(3);
        }
        int n = outSize(geo);
        double[] want = new double[n];
        int[] wantArgmax = new int[n];
        PoolKernels.maxPool2dForwardNaive(want, wantArgmax, TestData.toDouble(in), geo);
        float[] out = new float[n];
        int[] argmax = new int[n];
        Threads.with(threads, () -> PoolKernels.maxPool2dForward(out, argmax, in, geo));
        assertThat(argmax).as("argmax with ties " + geo).containsExactly(wantArgmax);
    }

    @Test
    void paddingNeverWinsEvenWhenEveryRealValueIsNegative() {
        PoolGeometry geo = new PoolGeometry(1, 1, 3, 3, 3, 3, 1, 1, 1, 1);
        float[] in = new float[9];
        Arrays.fill(in, -5f);
        in[4] = -1f;
        float[] out = new float[9];
        int[] argmax = new int[9];
        PoolKernels.maxPool2dForward(out, argmax, in, geo);
        for (float v : out) {
            assertThat(v).isEqualTo(-1f); // every 3x3 window around a pixel of a 3x3 image holds the centre
        }
        assertThat(argmax).containsOnly(4);
    }

    @Test
    void backwardCalledTwiceDoublesTheGradient() {
        PoolGeometry geo = geometry(new int[] {2, 3, 7, 7, 3, 1, 1}); // overlapping windows: one input wins many
        Generator g = new Generator(9);
        float[] in = TestData.uniform(g, 2 * 3 * 49);
        int n = outSize(geo);
        float[] out = new float[n];
        int[] argmax = new int[n];
        PoolKernels.maxPool2dForward(out, argmax, in, geo);
        float[] dout = TestData.uniform(g, n);
        float[] din = new float[in.length];
        PoolKernels.maxPool2dBackward(din, dout, argmax, geo);
        float[] once = din.clone();
        PoolKernels.maxPool2dBackward(din, dout, argmax, geo);
        assertClose("din twice", din, Conv2dKernelsTest.times2(once), 1e-6, 1e-6);
    }

    @ParameterizedTest(name = "shape={0}")
    @MethodSource("finiteDifferenceShapes")
    void naiveBackwardMatchesFiniteDifferences(int[] shape) {
        PoolGeometry geo = geometry(shape);
        Generator g = new Generator(700 + Arrays.hashCode(shape));
        double[] in = TestData.toDouble(TestData.distinct(g, geo.N() * geo.C() * geo.H() * geo.W()));
        int n = outSize(geo);
        double[] r = TestData.toDouble(TestData.uniform(g, n));
        double[] out = new double[n];
        int[] argmax = new int[n];
        PoolKernels.maxPool2dForwardNaive(out, argmax, in, geo);
        double[] din = new double[in.length];
        PoolKernels.maxPool2dBackwardNaive(din, r, argmax, geo);
        double[] fd = FiniteDifferences.gradient(x -> {
            double[] o = new double[n];
            PoolKernels.maxPool2dForwardNaive(o, new int[n], x, geo);
            return FiniteDifferences.dot(o, r);
        }, in);
        assertClose("max_pool2d din " + geo, din, fd, 1e-5, 1e-3);
    }

    static Stream<int[]> finiteDifferenceShapes() {
        return Stream.of(
                new int[] {1, 2, 6, 6, 2, 2, 0},
                new int[] {1, 2, 5, 5, 3, 1, 1},  // overlapping windows, padding 1
                new int[] {2, 1, 7, 7, 3, 2, 1},
                new int[] {1, 3, 5, 4, 2, 1, 1});
    }

    @Test
    void theTwoByTwoFastPathLetsNaNWinAndKeepsTheFirstOfEqualMaxima() {
        PoolGeometry g = new PoolGeometry(1, 1, 2, 6, 2, 2, 2, 2, 0, 0);
        float nan = Float.NaN;
        float[] in = {
            1, 5, 0, 7, 3, 3,
            5, 2, nan, 1, 3, 3};
        float[] out = new float[3];
        int[] argmax = new int[3];
        PoolKernels.maxPool2dForward(out, argmax, in, g);
        assertThat(out[0]).isEqualTo(5f);
        assertThat(argmax[0]).as("first of the two 5s, in row-major order").isEqualTo(1);
        assertThat(out[1]).isNaN();
        assertThat(argmax[1]).as("the NaN").isEqualTo(8);
        assertThat(out[2]).isEqualTo(3f);
        assertThat(argmax[2]).isEqualTo(4);
    }

    /**
     * The pool with its fused ReLU, as the fused convolution and the ReLU + max-pool fusion call it
     * ({@code maxPool2x2Any}: whole-vector rows, Fashion-MNIST's 28-pixel rows, 8x8 planes) and by the table of window
     * corners ({@code maxPool2x2}), on ties, signed zeros, NaNs and infinities, from planes with padded rows, against
     * the scalar 2x2 rule followed by {@code Math.max(v, 0)}, bit for bit.
     */
    @Test
    void theReluPoolsVectorPathsMatchTheScalarRuleThenTheRelu() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Gemm.VECTOR_AVAILABLE && VectorPool.applies(8, 32),
                "the vector max-pool kernel is off on this JDK (it runs on 25 and later; .ci/run tests on both)");
        Generator g = new Generator(78);
        float[] choices = {0f, -0f, 1f, -1f, 2f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (int[] hw : new int[][] {{8, 32}, {16, 16}, {28, 28}, {8, 8}}) {
            int H = hw[0], W = hw[1], planes = 6, ld = W + 3, planeStride = H * ld + 5, P = (H / 2) * (W / 2);
            float[] in = new float[planes * planeStride];
            for (int i = 0; i < in.length; i++) {
                in[i] = g.nextFloat() < 0.97f ? choices[g.nextInt(5)] : choices[5 + g.nextInt(3)];
            }
            float[] want = new float[planes * P], table = new float[planes * P], any = new float[planes * P];
            int[] wantArgmax = new int[planes * P], tableArgmax = new int[planes * P], anyArgmax = new int[planes * P];
            for (int p = 0; p < planes; p++) {
                PoolKernels.maxPool2x2Outputs(want, wantArgmax, in, p * planeStride, ld, p, 0, P, H, W);
            }
            for (int i = 0; i < want.length; i++) {
                want[i] = Math.max(want[i], 0f);
            }
            VectorPool.maxPool2x2Any(any, anyArgmax, in, 0, planeStride, ld, 0, planes, H, W, true);
            for (int i = 0; i < want.length; i++) {
                assertThat(Float.floatToRawIntBits(any[i])).as("%dx%d maxPool2x2Any: out[%d]", H, W, i)
                        .isEqualTo(Float.floatToRawIntBits(want[i]));
            }
            assertThat(anyArgmax).as("%dx%d maxPool2x2Any", H, W).containsExactly(wantArgmax);
            if (VectorPool.applies(H, W)) {
                VectorPool.maxPool2x2(table, tableArgmax, in, 0, planeStride, ld, 0, planes, H, W, true);
                for (int i = 0; i < want.length; i++) {
                    assertThat(Float.floatToRawIntBits(table[i])).as("%dx%d maxPool2x2: out[%d]", H, W, i)
                            .isEqualTo(Float.floatToRawIntBits(want[i]));
                }
                assertThat(tableArgmax).as("%dx%d maxPool2x2", H, W).containsExactly(wantArgmax);
            }
        }
    }

    /**
     * The vector path (rows of whole vectors) on ties, NaNs and infinities, against the scalar 2x2 kernel (whose NaN
     * and tie rules the test above pins; the naive oracle has no NaN rule).
     */
    @Test
    void wholeVectorRowsHandleNaNTiesAndInfinitiesLikeTheScalarKernel() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Gemm.VECTOR_AVAILABLE && VectorPool.applies(8, 32),
                "the vector max-pool kernel is off on this JDK (it runs on 25 and later; .ci/run tests on both)");
        PoolGeometry geo = new PoolGeometry(2, 3, 8, 32, 2, 2, 2, 2, 0, 0);
        Generator g = new Generator(77);
        float[] choices = {0f, 1f, 1f, 2f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f};
        float[] in = new float[2 * 3 * 8 * 32];
        for (int i = 0; i < in.length; i++) {
            in[i] = g.nextFloat() < 0.97f ? choices[g.nextInt(4)] : choices[4 + g.nextInt(4)];
        }
        int n = outSize(geo);
        float[] want = new float[n], out = new float[n];
        int[] wantArgmax = new int[n], argmax = new int[n];
        Conv2dKernelsTest.run(2, false, () -> PoolKernels.maxPool2dForward(want, wantArgmax, in, geo));
        Conv2dKernelsTest.run(2, true, () -> PoolKernels.maxPool2dForward(out, argmax, in, geo));
        for (int i = 0; i < n; i++) {
            assertThat(Float.floatToRawIntBits(out[i])).as("out[%d]", i).isEqualTo(Float.floatToRawIntBits(want[i]));
        }
        assertThat(argmax).containsExactly(wantArgmax);
        int nans = 0;
        for (float v : want) {
            nans += v != v ? 1 : 0;
        }
        assertThat(nans).as("windows holding a NaN").isGreaterThan(0);
    }

    /**
     * The vector backward pass (which writes every element of din once instead of zeroing and scattering) against
     * the scalar kernels, bit for bit: signed zeros, NaNs and infinities in the gradient, NaNs and zeros in the
     * pooled values that mask the fused ReLU, winners in every corner, and a din full of garbage to overwrite.
     */
    @Test
    void vectorBackwardWritesWhatTheScalarKernelsWriteBitForBit() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Gemm.VECTOR_AVAILABLE && VectorPool.applies(8, 32),
                "the vector max-pool kernel is off on this JDK (it runs on 25 and later; .ci/run tests on both)");
        for (int[] s : new int[][] {{2, 3, 8, 32}, {3, 5, 4, 16}, {1, 2, 16, 64}}) {
            PoolGeometry geo = new PoolGeometry(s[0], s[1], s[2], s[3], 2, 2, 2, 2, 0, 0);
            Generator g = new Generator(91 + Arrays.hashCode(s));
            int n = outSize(geo), size = s[0] * s[1] * s[2] * s[3];
            float[] specials = {-0f, 0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
            float[] dout = new float[n], pooled = new float[n];
            int[] argmax = new int[n];
            for (int i = 0; i < n; i++) {
                dout[i] = g.nextFloat() < 0.8f ? g.uniform(-1, 1) : specials[g.nextInt(specials.length)];
                pooled[i] = g.nextFloat() < 0.7f ? g.uniform(0, 1) : g.nextFloat() < 0.8f ? 0f : Float.NaN;
                int oh = (i % (geo.OH() * geo.OW())) / geo.OW(), ow = i % geo.OW();
                argmax[i] = (2 * oh + g.nextInt(2)) * geo.W() + 2 * ow + g.nextInt(2);
            }
            for (boolean relu : new boolean[] {false, true}) {
                float[] want = TestData.uniform(g, size), got = TestData.uniform(g, size);
                Runnable scalar = relu ? () -> PoolKernels.maxPool2dReluBackward(want, dout, pooled, argmax, geo, false)
                        : () -> PoolKernels.maxPool2dBackward(want, dout, argmax, geo, false);
                Runnable vector = relu ? () -> PoolKernels.maxPool2dReluBackward(got, dout, pooled, argmax, geo, false)
                        : () -> PoolKernels.maxPool2dBackward(got, dout, argmax, geo, false);
                Conv2dKernelsTest.run(2, false, scalar);
                Conv2dKernelsTest.run(2, true, vector);
                for (int i = 0; i < size; i++) {
                    assertThat(Float.floatToRawIntBits(got[i])).as("%s relu=%s din[%d]", Arrays.toString(s), relu, i)
                            .isEqualTo(Float.floatToRawIntBits(want[i]));
                }
            }
        }
    }
}
