package simpletorch.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import simpletorch.kernels.ElementwiseKernels.BinaryOp;
import simpletorch.tensor.Generator;
import simpletorch.testing.TestData;
import simpletorch.testing.Threads;

/**
 * add, sub and mul of same-shape operands (the plain loops split across the workers) against the obvious loop, bit
 * for bit: on the caller alone and in parallel chunks, with either gradient absent, each gradient added into or
 * written (the first gradient into a tensor), and with one gradient array for both operands (x op x).
 */
class BinaryElementwiseTest {
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (BinaryOp op : BinaryOp.values()) {
            for (int n : new int[] {37, ElementwiseKernels.PARALLEL_MIN + 1001}) {
                for (int threads = 1; threads <= 3; threads += 2) {
                    out.add(Arguments.of(op, n, threads));
                }
            }
        }
        return out.stream();
    }

    private static final int[] STRIDES_1D = {1};

    static Stream<Arguments> sizesAndThreads() {
        List<Arguments> out = new ArrayList<>();
        for (int n : new int[] {37, ElementwiseKernels.PARALLEL_MIN + 1001}) {
            for (int threads = 1; threads <= 3; threads += 2) {
                out.add(Arguments.of(n, threads));
            }
        }
        return out.stream();
    }

    /**
     * add+relu in one pass against add then relu, bit for bit: the forward (NaN, -0 and sums of exactly 0 among the
     * inputs) and both gradients, each added into or written.
     */
    @ParameterizedTest(name = "n={0} threads={1}")
    @MethodSource("sizesAndThreads")
    void addReluIsAddThenRelu(int n, int threads) {
        Generator g = new Generator(77 + n);
        float[] a = TestData.uniform(g, n), b = TestData.uniform(g, n), dout = TestData.uniform(g, n);
        a[0] = Float.NaN;
        a[1] = -0.0f;
        b[1] = -0.0f;
        a[2] = 0.25f;
        b[2] = -0.25f;
        float[] fused = new float[n], sum = new float[n], relu = new float[n];
        Threads.with(threads, () -> {
            ElementwiseKernels.addReluForward(fused, a, b, n);
            ElementwiseKernels.binaryForward(sum, a, STRIDES_1D, b, STRIDES_1D, new int[] {n}, BinaryOp.ADD);
            ElementwiseKernels.reluForward(relu, sum, n);
        });
        for (int i = 0; i < n; i++) {
            assertThat(Float.floatToRawIntBits(fused[i])).as("add+relu forward at %d", i)
                    .isEqualTo(Float.floatToRawIntBits(relu[i]));
        }
        float[] dz = new float[n];
        Threads.with(threads, () -> ElementwiseKernels.reluBackward(dz, dout, relu, n, false));
        float[] da0 = TestData.uniform(g, n), db0 = TestData.uniform(g, n);
        for (int mode = 0; mode < 4; mode++) {
            boolean addA = (mode & 1) != 0, addB = (mode & 2) != 0;
            float[] da = addA ? da0.clone() : TestData.uniform(g, n), db = addB ? db0.clone() : TestData.uniform(g, n);
            Threads.with(threads, () -> ElementwiseKernels.addReluBackward(da, addA, db, addB, dout, fused, n));
            for (int i = 0; i < n; i++) {
                assertThat(da[i]).as("add+relu da at %d, added %s", i, addA).isEqualTo(addA ? da0[i] + dz[i] : dz[i]);
                assertThat(db[i]).as("add+relu db at %d, added %s", i, addB).isEqualTo(addB ? db0[i] + dz[i] : dz[i]);
            }
        }
    }

    @ParameterizedTest(name = "{0} n={1} threads={2}")
    @MethodSource("cases")
    void sameShapeForwardAndBackwardMatchTheObviousLoop(BinaryOp op, int n, int threads) {
        Generator g = new Generator(7 + n + op.ordinal());
        float[] a = TestData.uniform(g, n), b = TestData.uniform(g, n), dout = TestData.uniform(g, n);
        float[] da0 = TestData.uniform(g, n), db0 = TestData.uniform(g, n);
        int[] shape = {n};

        float[] out = new float[n];
        Threads.with(threads, () -> ElementwiseKernels.binaryForward(out, a, STRIDES_1D, b, STRIDES_1D, shape, op));
        for (int i = 0; i < n; i++) {
            float want = switch (op) {
                case ADD -> a[i] + b[i];
                case SUB -> a[i] - b[i];
                case MUL -> a[i] * b[i];
            };
            assertThat(out[i]).as("%s forward at %d", op, i).isEqualTo(want);
        }

        for (int which = 0; which < 3; which++) { // both gradients, only da, only db
            float[] da = which == 2 ? null : da0.clone();
            float[] db = which == 1 ? null : db0.clone();
            Threads.with(threads, () -> ElementwiseKernels.binaryBackward(da, db, dout, a, STRIDES_1D, b, STRIDES_1D,
                    shape, op));
            for (int i = 0; i < n; i++) {
                if (da != null) {
                    assertThat(da[i]).as("%s da at %d", op, i)
                            .isEqualTo(da0[i] + (op == BinaryOp.MUL ? dout[i] * b[i] : dout[i]));
                }
                if (db != null) {
                    float term = switch (op) {
                        case ADD -> dout[i];
                        case SUB -> -dout[i];
                        case MUL -> dout[i] * a[i];
                    };
                    assertThat(db[i]).as("%s db at %d", op, i).isEqualTo(db0[i] + term);
                }
            }
        }

        for (int mode = 0; mode < 4; mode++) { // each gradient added into or written (over garbage)
            boolean addA = (mode & 1) != 0, addB = (mode & 2) != 0;
            float[] da = addA ? da0.clone() : TestData.uniform(g, n), db = addB ? db0.clone() : TestData.uniform(g, n);
            Threads.with(threads, () -> ElementwiseKernels.sameShapeBackward(da, addA, db, addB, dout, a, b, op));
            for (int i = 0; i < n; i++) {
                float termA = op == BinaryOp.MUL ? dout[i] * b[i] : dout[i];
                float termB = switch (op) {
                    case ADD -> dout[i];
                    case SUB -> -dout[i];
                    case MUL -> dout[i] * a[i];
                };
                assertThat(da[i]).as("%s da at %d, added %s", op, i, addA).isEqualTo(addA ? da0[i] + termA : termA);
                assertThat(db[i]).as("%s db at %d, added %s", op, i, addB).isEqualTo(addB ? db0[i] + termB : termB);
            }
        }

        float[] both = da0.clone(); // x op x: one gradient array takes a's term, then b's
        Threads.with(threads, () -> ElementwiseKernels.binaryBackward(both, both, dout, a, STRIDES_1D, a, STRIDES_1D,
                shape, op));
        for (int i = 0; i < n; i++) {
            float first = da0[i] + (op == BinaryOp.MUL ? dout[i] * a[i] : dout[i]);
            float want = switch (op) {
                case ADD -> first + dout[i];
                case SUB -> first - dout[i];
                case MUL -> first + dout[i] * a[i];
            };
            assertThat(both[i]).as("%s x op x at %d", op, i).isEqualTo(want);
        }
    }
}
