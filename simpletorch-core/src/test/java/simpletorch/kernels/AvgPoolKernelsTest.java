package simpletorch.kernels;

import static simpletorch.testing.NumericAssertions.assertClose;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import simpletorch.tensor.Generator;
import simpletorch.testing.FiniteDifferences;
import simpletorch.testing.TestData;
import simpletorch.testing.Threads;

/** Average and adaptive average pooling against their naive twins, and the twins' backward against FD. */
class AvgPoolKernelsTest {
    /** N, C, H, W, K, stride, padding. */
    static final int[][] POOL = {{2, 3, 7, 6, 3, 2, 1}, {2, 3, 8, 8, 2, 2, 0}, {1, 2, 9, 7, 3, 1, 1}, {3, 1, 5, 5, 5, 1, 2}};
    /** N*C planes, H, W, OH, OW: global, shrinking, growing and non-dividing sizes. */
    static final int[][] ADAPTIVE = {{6, 7, 5, 1, 1}, {6, 7, 5, 3, 2}, {2, 10, 9, 4, 4}, {3, 4, 4, 6, 5}, {8, 8, 8, 2, 2}};

    static Stream<Arguments> poolCases() {
        List<Arguments> out = new ArrayList<>();
        for (int threads : new int[] {1, 3}) {
            for (int[] s : POOL) {
                out.add(Arguments.of(threads, s));
            }
        }
        return out.stream();
    }

    static Stream<Arguments> adaptiveCases() {
        List<Arguments> out = new ArrayList<>();
        for (int threads : new int[] {1, 3}) {
            for (int[] s : ADAPTIVE) {
                out.add(Arguments.of(threads, s));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "threads={0} shape={1}")
    @MethodSource("poolCases")
    void avgPoolMatchesNaiveAndFiniteDifferences(int threads, int[] s) {
        PoolGeometry geo = new PoolGeometry(s[0], s[1], s[2], s[3], s[4], s[4], s[5], s[5], s[6], s[6]);
        int n = s[0] * s[1] * s[2] * s[3], m = s[0] * s[1] * geo.OH() * geo.OW();
        Generator g = new Generator(800 + Arrays.hashCode(s));
        float[] in = TestData.uniform(g, n);
        double[] want = new double[m];
        AvgPoolKernels.avgPool2dForwardNaive(want, TestData.toDouble(in), geo);
        float[] out = new float[m];
        Threads.with(threads, () -> AvgPoolKernels.avgPool2dForward(out, in, geo));
        assertClose("avg_pool2d " + geo, out, want, 1e-6, 1e-5);

        float[] dout = TestData.uniform(g, m);
        float[] din = TestData.uniform(g, n);
        double[] wantDin = TestData.toDouble(din);
        AvgPoolKernels.avgPool2dBackwardNaive(wantDin, TestData.toDouble(dout), geo);
        Threads.with(threads, () -> AvgPoolKernels.avgPool2dBackward(din, dout, geo));
        assertClose("avg_pool2d din " + geo, din, wantDin, 1e-6, 1e-5);

        double[] r = TestData.toDouble(dout);
        double[] analytic = new double[n];
        AvgPoolKernels.avgPool2dBackwardNaive(analytic, r, geo);
        double[] fd = FiniteDifferences.gradient(x -> {
            double[] o = new double[m];
            AvgPoolKernels.avgPool2dForwardNaive(o, x, geo);
            return FiniteDifferences.dot(o, r);
        }, TestData.toDouble(in));
        assertClose("avg_pool2d naive din vs FD " + geo, analytic, fd, 1e-8, 1e-6);
    }

    @ParameterizedTest(name = "threads={0} shape={1}")
    @MethodSource("adaptiveCases")
    void adaptiveAvgPoolMatchesNaiveAndFiniteDifferences(int threads, int[] s) {
        int P = s[0], H = s[1], W = s[2], OH = s[3], OW = s[4], n = P * H * W, m = P * OH * OW;
        Generator g = new Generator(900 + Arrays.hashCode(s));
        float[] in = TestData.uniform(g, n);
        double[] want = new double[m];
        AvgPoolKernels.adaptiveAvgPool2dForwardNaive(want, TestData.toDouble(in), P, H, W, OH, OW);
        float[] out = new float[m];
        Threads.with(threads, () -> AvgPoolKernels.adaptiveAvgPool2dForward(out, in, P, H, W, OH, OW));
        assertClose("adaptive_avg_pool2d " + Arrays.toString(s), out, want, 1e-6, 1e-5);

        float[] dout = TestData.uniform(g, m);
        float[] din = TestData.uniform(g, n);
        double[] wantDin = TestData.toDouble(din);
        AvgPoolKernels.adaptiveAvgPool2dBackwardNaive(wantDin, TestData.toDouble(dout), P, H, W, OH, OW);
        Threads.with(threads, () -> AvgPoolKernels.adaptiveAvgPool2dBackward(din, dout, P, H, W, OH, OW));
        assertClose("adaptive_avg_pool2d din " + Arrays.toString(s), din, wantDin, 1e-6, 1e-5);

        double[] r = TestData.toDouble(dout);
        double[] analytic = new double[n];
        AvgPoolKernels.adaptiveAvgPool2dBackwardNaive(analytic, r, P, H, W, OH, OW);
        double[] fd = FiniteDifferences.gradient(x -> {
            double[] o = new double[m];
            AvgPoolKernels.adaptiveAvgPool2dForwardNaive(o, x, P, H, W, OH, OW);
            return FiniteDifferences.dot(o, r);
        }, TestData.toDouble(in));
        assertClose("adaptive_avg_pool2d naive din vs FD " + Arrays.toString(s), analytic, fd, 1e-8, 1e-6);
    }
}
