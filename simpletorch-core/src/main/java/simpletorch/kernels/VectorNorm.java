package simpletorch.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link NormKernels}' passes over one row (one image's plane of one channel), a vector at a time: the sums of the
 * batch statistics and of the backward pass over the row's S elements in float vectors (each lane a partial sum of
 * S / L elements, the input shifted first), the lanes spilled and added in lane order into the row's double sums,
 * which {@link NormKernels} adds across the batch's rows in image order; the input gradient in float vectors; the
 * output with a ReLU after it. The statistics take two passes (the mean, then the squares about it), where the
 * scalar loop's one pass in double could shift by the first element: squares summed in float about a point far from
 * the mean lose the variance to cancellation. The scalar loops converted, subtracted and added one element at a time
 * in double: 300 us for the statistics of a [32, 16, 32, 32] batch on one thread (ResNet-20's first stage), where
 * the normalisation itself, which the JIT vectorises, took 50 (an explicit vector loop for it was faster on 8x8
 * planes with AVX-512, 49 -> 36 us, and slower with AVX2, 22 -> 31: not kept). A first version converted every float
 * to a double vector and reduced the lanes with {@code reduceLanes}: it left boxed vectors behind in some JVMs'
 * compiled code (2 to 37 garbage collections in 51,200 images of SimpleNet-BN's {@code bench}, none without it), and
 * {@code reduceLanes} adds in an order of its own. Measured in docs/BENCHMARKS.md ("Third Zen 5 session", "Fourth
 * Zen 5 session"). Only where {@link #applies()}.
 */
final class VectorNorm {
    private static final VectorSpecies<Float> FF = FloatVector.SPECIES_PREFERRED;
    private static final int L = FF.length();

    private VectorNorm() {
    }

    /**
     * The Vector API path is on and this JDK's JIT compiles it (JDK 25+, as the pool's);
     * {@code -Dsimpletorch.vectorNorm=false} turns it off, to measure.
     */
    static boolean applies() {
        return ENABLED && Gemm.vectorEnabled() && VectorPool.jitReady();
    }

    private static final boolean ENABLED = !"false".equals(System.getProperty("simpletorch.vectorNorm"));

    /**
     * {@code out = max(in * scale + shift, 0)} over the row {@code [i, i + S)}: the multiply and the add rounded
     * apart and the maximum taken as {@link Math#max} takes it, as the scalar loop does, a vector at a time (the JIT
     * did not vectorise that loop: one thread, a [32, 16, 32, 32] batch, 314 us against 113 without the maximum).
     */
    static void normalizeRelu(float[] out, float[] in, int i, int S, float scale, float shift) {
        FloatVector sv = FloatVector.broadcast(FF, scale), hv = FloatVector.broadcast(FF, shift);
        FloatVector zero = FloatVector.zero(FF);
        int end = i + S;
        for (; i + L <= end; i += L) {
            FloatVector.fromArray(FF, in, i).mul(sv).add(hv).max(zero).intoArray(out, i);
        }
        for (; i < end; i++) {
            out[i] = Math.max(in[i] * scale + shift, 0f);
        }
    }

    /**
     * {@code rows[at] = sum of (x - k)}, {@code rows[at + 1] = sum of (x - k)^2} over the row {@code in[i, i + S)}: in
     * float lanes, each a partial sum of S / L elements, spilled and added in lane order into double (the tail
     * element by element after them). For the variance, rows are summed twice: with k an element (the sums give the
     * mean) and then k the mean (the squares then do not cancel in float).
     */
    static void rowShiftedSums(double[] rows, int at, float[] in, int i, int S, float k) {
        double s = 0, q = 0;
        int end = i + S;
        if (S >= L) {
            float[] lanes = Scratch.get(Scratch.LANES, 2 * L);
            FloatVector kv = FloatVector.broadcast(FF, k);
            FloatVector sv = FloatVector.zero(FF), qv = sv;
            for (; i + L <= end; i += L) {
                FloatVector d = FloatVector.fromArray(FF, in, i).sub(kv);
                sv = sv.add(d);
                qv = d.fma(d, qv);
            }
            sv.intoArray(lanes, 0);
            qv.intoArray(lanes, L);
            for (int j = 0; j < L; j++) {
                s += lanes[j];
                q += lanes[L + j];
            }
        }
        for (; i < end; i++) {
            double d = in[i] - (double) k;
            s += d;
            q += d * d;
        }
        rows[at] = s;
        rows[at + 1] = q;
    }

    /**
     * {@code rows[at] = sum of dout}, {@code rows[at + 1] = sum of dout * (in - mu)} over the row {@code [i, i + S)}
     * of both, as {@link #rowShiftedSums} sums. mu is a float (the forward pass's mean). With {@code reluOut} (a
     * BatchNorm fused with the ReLU after it: its output), dout counts only where reluOut is positive, as the ReLU's
     * backward passes it.
     */
    static void rowGradientSums(double[] rows, int at, float[] dout, float[] reluOut, float[] in, int i, int S,
                                float mu) {
        double s = 0, x = 0;
        int end = i + S;
        if (S >= L) {
            float[] lanes = Scratch.get(Scratch.LANES, 2 * L);
            FloatVector mv = FloatVector.broadcast(FF, mu), zero = FloatVector.zero(FF);
            FloatVector sv = zero, xv = sv;
            for (; i + L <= end; i += L) {
                FloatVector d = FloatVector.fromArray(FF, dout, i);
                if (reluOut != null) { // dout where the ReLU's output is positive, else 0: its backward's bits
                    d = zero.blend(d, FloatVector.fromArray(FF, reluOut, i).compare(VectorOperators.GT, 0f));
                }
                sv = sv.add(d);
                xv = d.fma(FloatVector.fromArray(FF, in, i).sub(mv), xv);
            }
            sv.intoArray(lanes, 0);
            xv.intoArray(lanes, L);
            for (int j = 0; j < L; j++) {
                s += lanes[j];
                x += lanes[L + j];
            }
        }
        for (; i < end; i++) {
            float d = reluOut == null || reluOut[i] > 0 ? dout[i] : 0f;
            s += d;
            x += d * (in[i] - (double) mu);
        }
        rows[at] = s;
        rows[at + 1] = x;
    }

    /**
     * {@code din += a * dout + b * (in - mu) + shift} (without {@code accumulate}: {@code din = ...}) over the row
     * {@code [i, i + S)}, in float: the training input gradient {@code k * (dout - mean(dout) - xhat * mean(dout *
     * xhat))} with {@code a = k}, {@code b = -k * invstd * mean(dout * xhat)} and {@code shift = -k * mean(dout)}. The
     * input is centred before it is scaled, so that a mean far from zero costs no digits. dout masked by
     * {@code reluOut} as in {@link #rowGradientSums}.
     */
    static void addRowInputGrad(float[] din, boolean accumulate, float[] dout, float[] reluOut, float[] in, int i,
                                int S, float mu, float a, float b, float shift) {
        FloatVector mv = FloatVector.broadcast(FF, mu), av = FloatVector.broadcast(FF, a);
        FloatVector bv = FloatVector.broadcast(FF, b), sv = FloatVector.broadcast(FF, shift);
        FloatVector zero = FloatVector.zero(FF);
        int end = i + S;
        for (; i + L <= end; i += L) {
            FloatVector centred = FloatVector.fromArray(FF, in, i).sub(mv);
            FloatVector d = FloatVector.fromArray(FF, dout, i);
            if (reluOut != null) {
                d = zero.blend(d, FloatVector.fromArray(FF, reluOut, i).compare(VectorOperators.GT, 0f));
            }
            FloatVector g = d.fma(av, centred.fma(bv, sv));
            if (accumulate) {
                g = g.add(FloatVector.fromArray(FF, din, i));
            }
            g.intoArray(din, i);
        }
        for (; i < end; i++) {
            float d = reluOut == null || reluOut[i] > 0 ? dout[i] : 0f;
            float g = Math.fma(d, a, Math.fma(in[i] - mu, b, shift));
            din[i] = accumulate ? din[i] + g : g;
        }
    }
}
