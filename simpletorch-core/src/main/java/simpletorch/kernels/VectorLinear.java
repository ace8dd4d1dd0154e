package simpletorch.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast path of {@link LinearKernels} for a layer with few outputs (a classifier head: 2048 -> 10), where a
 * GEMM would spend its time packing and multiplying zero padding (10 of a 32-column panel). Vectors run along
 * the long input dimension instead, each a dot product or an axpy over a row of IN floats, with a scalar tail
 * for IN not a multiple of the vector length. No allocation, no packing.
 *
 * <pre>
 *   forward   out[b, o]   = bias[o] + dot(in[b, :], weight[o, :])      four outputs at a time
 *   input     din[b, :]  += sum over o of dout[b, o] * weight[o, :]
 *   weight    dweight[o, :] += sum over b of dout[b, o] * in[b, :]
 * </pre>
 *
 * <p>Touches the Vector API: only called when {@link Gemm#vectorEnabled()}.
 */
final class VectorLinear {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Layers with at most this many outputs take this path; wider ones are a GEMM worth packing for. */
    static final int MAX_OUT = 16;

    private VectorLinear() {
    }

    /**
     * Below this many multiply-adds a pass runs on the caller alone. Measured in training (bench, 2 threads):
     * SimpleNet's head (655 K multiply-adds, ~20 us of work) took 3x longer split across two workers than on
     * one, its operands being spread over both cores' caches; a kernel benchmark alone showed no such loss.
     */
    static final long PARALLEL_MIN_MACS = 4L << 20;

    /** parallelFor, or the whole range on the caller when the pass is too small to split. */
    private static void split(int n, long macs, Parallel.RangeBody body) {
        if (macs < PARALLEL_MIN_MACS) {
            body.run(0, 0, n);
        } else {
            Parallel.parallelFor(n, body);
        }
    }

    static void forward(float[] out, float[] in, float[] weight, float[] bias, int B, int IN, int OUT) {
        split(B, (long) B * IN * OUT, (worker, from, to) -> {
            for (int b = from; b < to; b++) {
                int x = b * IN;
                int o = 0;
                for (; o + 4 <= OUT; o += 4) {
                    dot4(out, b * OUT + o, in, x, weight, o * IN, IN);
                }
                for (; o < OUT; o++) {
                    out[b * OUT + o] = dot(in, x, weight, o * IN, IN);
                }
                if (bias != null) {
                    for (o = 0; o < OUT; o++) {
                        out[b * OUT + o] += bias[o];
                    }
                }
            }
        });
    }

    /** din (+)= dout * weight; without accumulation the first output's term overwrites din's row. */
    static void backwardInput(float[] din, boolean accumulate, float[] dout, float[] weight, int B, int IN, int OUT) {
        split(B, (long) B * IN * OUT, (worker, from, to) -> {
            for (int b = from; b < to; b++) {
                if (!accumulate) {
                    java.util.Arrays.fill(din, b * IN, (b + 1) * IN, 0f); // one row, hot in cache for the axpys
                }
                for (int o = 0; o < OUT; o++) {
                    axpy(din, b * IN, dout[b * OUT + o], weight, o * IN, IN);
                }
            }
        });
    }

    /** Split over the input dimension in whole vectors: each worker owns its columns of every row of dweight. */
    static void backwardWeight(float[] dweight, float[] dout, float[] in, int B, int IN, int OUT) {
        int vectors = (IN + L - 1) / L;
        split(vectors, (long) B * IN * OUT, (worker, from, to) -> {
            int i0 = from * L, i1 = Math.min(IN, to * L);
            for (int o = 0; o < OUT; o++) {
                for (int b = 0; b < B; b++) {
                    axpy(dweight, o * IN + i0, dout[b * OUT + o], in, b * IN + i0, i1 - i0);
                }
            }
        });
    }

    /** out[outOff + k] = dot(x[xOff, +n), w[wOff + k*n, +n)) for k = 0..3. */
    private static void dot4(float[] out, int outOff, float[] x, int xOff, float[] w, int wOff, int n) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int w1 = wOff + n, w2 = w1 + n, w3 = w2 + n;
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            a0 = FloatVector.fromArray(S, w, wOff + i).fma(v, a0);
            a1 = FloatVector.fromArray(S, w, w1 + i).fma(v, a1);
            a2 = FloatVector.fromArray(S, w, w2 + i).fma(v, a2);
            a3 = FloatVector.fromArray(S, w, w3 + i).fma(v, a3);
        }
        float[] lanes = Scratch.get(Scratch.LANES, 4 * L);
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        float s0 = sum(lanes, 0), s1 = sum(lanes, L), s2 = sum(lanes, 2 * L), s3 = sum(lanes, 3 * L);
        for (; i < n; i++) {
            float v = x[xOff + i];
            s0 += w[wOff + i] * v;
            s1 += w[w1 + i] * v;
            s2 += w[w2 + i] * v;
            s3 += w[w3 + i] * v;
        }
        out[outOff] = s0;
        out[outOff + 1] = s1;
        out[outOff + 2] = s2;
        out[outOff + 3] = s3;
    }

    private static float dot(float[] x, int xOff, float[] w, int wOff, int n) {
        FloatVector acc = FloatVector.zero(S);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            acc = FloatVector.fromArray(S, w, wOff + i).fma(FloatVector.fromArray(S, x, xOff + i), acc);
        }
        float[] lanes = Scratch.get(Scratch.LANES, 4 * L);
        acc.intoArray(lanes, 0);
        float s = sum(lanes, 0);
        for (; i < n; i++) {
            s += w[wOff + i] * x[xOff + i];
        }
        return s;
    }

    /**
     * The L lanes from {@code off}, added in lane order. Not {@code reduceLanes}: its order differs between the
     * JIT's intrinsic and the interpreter's fallback, and a result must not depend on when a method was compiled.
     */
    private static float sum(float[] lanes, int off) {
        float s = 0f;
        for (int i = 0; i < L; i++) {
            s += lanes[off + i];
        }
        return s;
    }

    /** y[yOff, +n) += a * x[xOff, +n). */
    private static void axpy(float[] y, int yOff, float a, float[] x, int xOff, int n) {
        FloatVector va = FloatVector.broadcast(S, a);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            va.fma(FloatVector.fromArray(S, x, xOff + i), FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }
}
