package simpletorch.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static simpletorch.testing.NumericAssertions.assertClose;

import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import simpletorch.kernels.Conv2dKernels;
import simpletorch.kernels.ConvGeometry;
import simpletorch.kernels.Gemm;
import simpletorch.kernels.LinearKernels;
import simpletorch.kernels.LossKernels;
import simpletorch.kernels.PoolGeometry;
import simpletorch.kernels.PoolKernels;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;
import simpletorch.testing.FiniteDifferences;
import simpletorch.testing.TestData;

/**
 * Every differentiable op of {@link Functional} (float32, gradients from {@code Tensor.backward()}) against central
 * finite differences computed in double on a double-precision reference of the same function. The scalar checked is
 * {@code L = sum(out * R)} for a fixed random R, built with {@code Functional.mul} and {@code Functional.sum}.
 */
class FunctionalGradientTest {
    // The analytic side is float32: its rounding, not the FD error (~1e-9 in double), sets the tolerance.
    static final double ATOL = 1e-4;
    static final double RTOL = 1e-3;

    /** The same function as the op under test, in double, on flat row-major arrays. */
    @FunctionalInterface
    interface Reference {
        double[] apply(double[][] inputs);
    }

    /**
     * Runs {@code op} on tensors holding {@code values} (all requiring a gradient), checks its forward value against
     * {@code reference}, back-propagates L = sum(out * R) and compares each input's gradient with finite differences.
     */
    static void check(String name, Function<Tensor[], Tensor> op, Reference reference, float[][] values, int[][] shapes,
                      long seed) {
        Tensor[] inputs = new Tensor[values.length];
        double[][] ref = new double[values.length][];
        for (int i = 0; i < values.length; i++) {
            inputs[i] = Tensor.of(values[i], shapes[i]).requiresGrad(true);
            ref[i] = TestData.toDouble(values[i]);
        }
        Tensor out = op.apply(inputs);
        assertClose(name + " forward", out.data(), reference.apply(ref), ATOL, RTOL);

        float[] r = TestData.uniform(new Generator(seed), out.numel());
        Tensor loss = Functional.sum(Functional.mul(out, Tensor.of(r, out.shape())));
        loss.backward();

        double[] rd = TestData.toDouble(r);
        for (int i = 0; i < values.length; i++) {
            int k = i;
            double[] fd = FiniteDifferences.gradient(x -> {
                double[][] args = ref.clone();
                args[k] = x;
                return FiniteDifferences.dot(reference.apply(args), rd);
            }, ref[k].clone());
            assertThat(inputs[i].grad()).as(name + ": gradient of input " + i).isNotNull();
            assertClose(name + " d/dinput" + i + " " + Arrays.toString(shapes[i]), inputs[i].grad(), fd, ATOL, RTOL);
        }
    }

    static float[] rand(Generator g, int[] shape) {
        return TestData.uniform(g, Tensor.checkedNumel(shape));
    }

    // ---- element-wise with broadcasting ---------------------------------------------------------------------

    static Stream<Arguments> broadcastCases() {
        int[][][] pairs = {
                {{2, 3, 4}, {2, 3, 4}},          // same shape
                {{4, 5}, {5}},                   // bias-style [C] onto [N, C]
                {{5}, {4, 5}},                   // ... and on the left
                {{2, 3, 4, 5}, {3, 1, 1}},       // per-channel [C, 1, 1] onto [N, C, H, W]
                {{}, {2, 3}},                    // 0-d scalar on the left
                {{2, 3}, {}},                    // ... and on the right
                {{3, 1}, {1, 4}},                // both sides broadcast
                {{2, 1, 3}, {4, 1}},             // both sides, different ranks
        };
        return Stream.of("add", "sub", "mul").flatMap(op -> Arrays.stream(pairs)
                .map(p -> Arguments.of(op, p[0], p[1])));
    }

    @ParameterizedTest(name = "{0} {1} x {2}")
    @MethodSource("broadcastCases")
    void binaryOpsWithBroadcasting(String op, int[] aShape, int[] bShape) {
        Generator g = new Generator(op.hashCode() * 31L + Arrays.hashCode(aShape) * 7L + Arrays.hashCode(bShape));
        Function<Tensor[], Tensor> f = switch (op) {
            case "add" -> t -> Functional.add(t[0], t[1]);
            case "sub" -> t -> Functional.sub(t[0], t[1]);
            default -> t -> Functional.mul(t[0], t[1]);
        };
        check(op + " " + Arrays.toString(aShape) + " x " + Arrays.toString(bShape), f,
                x -> broadcastReference(op, x[0], aShape, x[1], bShape),
                new float[][] {rand(g, aShape), rand(g, bShape)}, new int[][] {aShape, bShape}, g.nextLong());
    }

    /** Plain NumPy broadcasting, written independently of the engine's stride trick: index each output coordinate. */
    static double[] broadcastReference(String op, double[] a, int[] aShape, double[] b, int[] bShape) {
        int n = Math.max(aShape.length, bShape.length);
        int[] outShape = new int[n];
        for (int d = 0; d < n; d++) {
            outShape[d] = Math.max(dim(aShape, d, n), dim(bShape, d, n));
        }
        int total = Tensor.checkedNumel(outShape);
        double[] out = new double[total];
        int[] idx = new int[n];
        for (int i = 0; i < total; i++) {
            int rem = i;
            for (int d = n - 1; d >= 0; d--) {
                idx[d] = rem % outShape[d];
                rem /= outShape[d];
            }
            double x = a[flatIndex(idx, aShape, n)], y = b[flatIndex(idx, bShape, n)];
            out[i] = switch (op) {
                case "add" -> x + y;
                case "sub" -> x - y;
                default -> x * y;
            };
        }
        return out;
    }

    private static int dim(int[] shape, int d, int n) {
        int k = d - (n - shape.length);
        return k < 0 ? 1 : shape[k];
    }

    private static int flatIndex(int[] outIndex, int[] shape, int n) {
        int off = 0;
        for (int k = 0; k < shape.length; k++) {
            int i = shape[k] == 1 ? 0 : outIndex[k + n - shape.length];
            off = off * shape[k] + i;
        }
        return off;
    }

    // ---- element-wise, reductions, shapes -------------------------------------------------------------------

    @Test
    void relu() {
        Generator g = new Generator(21);
        int[] s = {2, 3, 4, 5};
        check("relu", t -> Functional.relu(t[0]), x -> Arrays.stream(x[0]).map(v -> Math.max(v, 0)).toArray(),
                new float[][] {TestData.awayFromZero(g, 120, 1e-3f)}, new int[][] {s}, 1);
    }

    @Test
    void sumAndMean() {
        Generator g = new Generator(22);
        int[] s = {3, 4, 5};
        check("sum", t -> Functional.sum(t[0]), x -> new double[] {Arrays.stream(x[0]).sum()},
                new float[][] {rand(g, s)}, new int[][] {s}, 2);
        check("mean", t -> Functional.mean(t[0]), x -> new double[] {Arrays.stream(x[0]).sum() / 60},
                new float[][] {rand(g, s)}, new int[][] {s}, 3);
    }

    @Test
    void reshapeAndFlatten() {
        Generator g = new Generator(23);
        int[] s = {2, 3, 4};
        Reference identity = x -> x[0].clone();
        Tensor r = Functional.reshape(Tensor.zeros(s), 4, -1);
        assertThat(r.shape()).containsExactly(4, 6);
        check("reshape [4, -1]", t -> Functional.reshape(t[0], 4, -1), identity, new float[][] {rand(g, s)},
                new int[][] {s}, 4);
        check("reshape [24]", t -> Functional.reshape(t[0], 24), identity, new float[][] {rand(g, s)},
                new int[][] {s}, 5);
        int[] img = {2, 3, 4, 5};
        assertThat(Functional.flatten(Tensor.zeros(img), 1).shape()).containsExactly(2, 60);
        assertThat(Functional.flatten(Tensor.zeros(img), 2).shape()).containsExactly(2, 3, 20);
        check("flatten(1)", t -> Functional.flatten(t[0], 1), identity, new float[][] {rand(g, img)},
                new int[][] {img}, 6);
        check("flatten(-2)", t -> Functional.flatten(t[0], -2), identity, new float[][] {rand(g, img)},
                new int[][] {img}, 7);
    }

    // ---- linear algebra -------------------------------------------------------------------------------------

    @Test
    void matmul() {
        Generator g = new Generator(24);
        int M = 3, K = 5, N = 4;
        check("matmul", t -> Functional.matmul(t[0], t[1]), x -> {
            double[] c = new double[M * N];
            Gemm.gemmNaive(c, x[0], x[1], M, N, K, false, false, false);
            return c;
        }, new float[][] {rand(g, new int[] {M, K}), rand(g, new int[] {K, N})}, new int[][] {{M, K}, {K, N}}, 8);
    }

    @Test
    void linearWithAndWithoutBias() {
        Generator g = new Generator(25);
        int B = 3, IN = 7, OUT = 4;
        check("linear", t -> Functional.linear(t[0], t[1], t[2]), x -> {
            double[] out = new double[B * OUT];
            LinearKernels.forwardNaive(out, x[0], x[1], x[2], B, IN, OUT);
            return out;
        }, new float[][] {rand(g, new int[] {B, IN}), rand(g, new int[] {OUT, IN}), rand(g, new int[] {OUT})},
                new int[][] {{B, IN}, {OUT, IN}, {OUT}}, 9);
        check("linear without bias", t -> Functional.linear(t[0], t[1], null), x -> {
            double[] out = new double[B * OUT];
            LinearKernels.forwardNaive(out, x[0], x[1], null, B, IN, OUT);
            return out;
        }, new float[][] {rand(g, new int[] {B, IN}), rand(g, new int[] {OUT, IN})},
                new int[][] {{B, IN}, {OUT, IN}}, 10);
    }

    // ---- convolution and pooling ----------------------------------------------------------------------------

    static Stream<Arguments> convCases() {
        // N, C, H, W, OC, K, stride, padding, bias
        return Stream.of(
                Arguments.of(new int[] {2, 3, 7, 6, 4, 3, 2, 1}, true),
                Arguments.of(new int[] {1, 2, 5, 5, 3, 3, 1, 2}, true),   // padding 2, batch 1
                Arguments.of(new int[] {1, 3, 6, 7, 2, 3, 2, 1}, false),  // no bias
                Arguments.of(new int[] {2, 5, 4, 5, 3, 1, 1, 0}, true),   // 1x1 direct path
                Arguments.of(new int[] {1, 2, 7, 7, 2, 5, 2, 2}, false));
    }

    @ParameterizedTest(name = "{0} bias={1}")
    @MethodSource("convCases")
    void conv2d(int[] s, boolean withBias) {
        Generator g = new Generator(26 + Arrays.hashCode(s));
        ConvGeometry geo = new ConvGeometry(s[0], s[1], s[2], s[3], s[4], s[5], s[5], s[6], s[6], s[7], s[7]);
        int[] xShape = {s[0], s[1], s[2], s[3]}, wShape = {s[4], s[1], s[5], s[5]}, bShape = {s[4]};
        Reference ref = x -> {
            double[] out = new double[geo.N() * geo.outImageSize()];
            Conv2dKernels.forwardNaive(out, x[0], x[1], withBias ? x[2] : null, geo);
            return out;
        };
        if (withBias) {
            check("conv2d " + geo, t -> Functional.conv2d(t[0], t[1], t[2], s[6], s[7]), ref,
                    new float[][] {rand(g, xShape), rand(g, wShape), rand(g, bShape)}, new int[][] {xShape, wShape, bShape},
                    11);
        } else {
            check("conv2d " + geo + " without bias", t -> Functional.conv2d(t[0], t[1], null, s[6], s[7]), ref,
                    new float[][] {rand(g, xShape), rand(g, wShape)}, new int[][] {xShape, wShape}, 12);
        }
    }

    static Stream<int[]> poolCases() {
        // N, C, H, W, K, stride, padding
        return Stream.of(
                new int[] {2, 2, 6, 6, 2, 2, 0},
                new int[] {1, 2, 5, 5, 3, 1, 1},  // stride 1: overlapping windows; padding 1
                new int[] {2, 3, 7, 7, 3, 2, 1},
                new int[] {1, 1, 5, 4, 2, 1, 1});
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("poolCases")
    void maxPool2d(int[] s) {
        Generator g = new Generator(27 + Arrays.hashCode(s));
        PoolGeometry geo = new PoolGeometry(s[0], s[1], s[2], s[3], s[4], s[4], s[5], s[5], s[6], s[6]);
        int[] xShape = {s[0], s[1], s[2], s[3]};
        int n = geo.N() * geo.C() * geo.OH() * geo.OW();
        check("max_pool2d " + geo, t -> Functional.maxPool2d(t[0], s[4], s[5], s[6]), x -> {
            double[] out = new double[n];
            PoolKernels.maxPool2dForwardNaive(out, new int[n], x[0], geo);
            return out;
        }, new float[][] {TestData.distinct(g, Tensor.checkedNumel(xShape))}, new int[][] {xShape}, 13);
    }

    // ---- losses ---------------------------------------------------------------------------------------------

    @Test
    void logSoftmax() {
        Generator g = new Generator(28);
        int B = 4, C = 6;
        check("log_softmax", t -> Functional.logSoftmax(t[0]), x -> {
            double[] out = new double[B * C];
            LossKernels.logSoftmaxNaive(out, x[0], B, C);
            return out;
        }, new float[][] {TestData.uniform(g, B * C, -3f, 3f)}, new int[][] {{B, C}}, 14);
    }

    @Test
    void nllLoss() {
        Generator g = new Generator(29);
        int B = 5, C = 4;
        int[] targets = TestData.targets(g, B, C);
        check("nll_loss", t -> Functional.nllLoss(t[0], targets), x -> {
            double s = 0;
            for (int b = 0; b < B; b++) {
                s -= x[0][b * C + targets[b]];
            }
            return new double[] {s / B};
        }, new float[][] {TestData.uniform(g, B * C, -3f, 0f)}, new int[][] {{B, C}}, 15);
    }

    @Test
    void crossEntropy() {
        Generator g = new Generator(30);
        int B = 5, C = 7;
        int[] targets = TestData.targets(g, B, C);
        check("cross_entropy", t -> Functional.crossEntropy(t[0], targets),
                x -> new double[] {LossKernels.crossEntropyNaive(x[0], targets, B, C)},
                new float[][] {TestData.uniform(g, B * C, -3f, 3f)}, new int[][] {{B, C}}, 16);
    }

    /** log_softmax then nll_loss, composed through the graph, equals the fused cross_entropy and its gradient. */
    @Test
    void logSoftmaxThenNllEqualsCrossEntropy() {
        Generator g = new Generator(31);
        int B = 6, C = 5;
        float[] logits = TestData.uniform(g, B * C, -3f, 3f);
        int[] targets = TestData.targets(g, B, C);
        Tensor a = Tensor.of(logits, B, C).requiresGrad(true);
        Tensor b = Tensor.of(logits, B, C).requiresGrad(true);
        Tensor composed = Functional.nllLoss(Functional.logSoftmax(a), targets);
        Tensor fused = Functional.crossEntropy(b, targets);
        composed.backward();
        fused.backward();
        assertClose("loss", composed.item(), fused.item(), 1e-6, 1e-5);
        assertClose("dlogits", a.grad(), b.grad(), 1e-6, 1e-5);
    }
}
