package simpletorch.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link NormKernels}' passes over one row (one image's plane of one channel), a vector at a time: the sums of the
 * batch statistics and of the backward pass over the row's S elements in float vectors (each lane a partial sum of
 * S / L elements, the input shifted first), the lanes spilled and added in lane order into the row's double sums,
 * which {@link NormKernels} adds across the batch's rows in image order; the input gradient in float vectors; the
 * output with a ReLU after it. The statistics take a second pass (the squares about the mean) where the first one's
 * shift lies far from the mean (see {@code NormKernels.batchStats}): squares summed in float about a point far from
 * the mean lose the variance to cancellation, which the scalar loop's one pass in double, shifted by the first
 * element, does not. The scalar loops converted, subtracted and added one element at a time
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
     * {@code out[o + j] = in[i + j] * scale + shift} for j in [0, S): a row normalised into a buffer, the multiply and
     * the add rounded apart as {@code NormKernels.batchNormForward}'s loop rounds them.
     */
    static void normalize(float[] out, int o, float[] in, int i, int S, float scale, float shift) {
        FloatVector sv = FloatVector.broadcast(FF, scale), hv = FloatVector.broadcast(FF, shift);
        int j = 0;
        for (; j + L <= S; j += L) {
            FloatVector.fromArray(FF, in, i + j).mul(sv).add(hv).intoArray(out, o + j);
        }
        for (; j < S; j++) {
            out[o + j] = in[i + j] * scale + shift;
        }
    }

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
     * {@link #rowShiftedSums} of four rows that follow each other, {@code [i, i + 4S)}, row r about
     * {@code k[kOff + r]}, into {@code rows[at + 2r]} and the next: the same sums bit for bit, the four rows' vector
     * loops and lane sums interleaved. One row at a time, a row of an 8x8 plane (four vectors) spent its time waiting
     * on its own chains of dependent adds, the vector ones and then the 2L adds of its lanes in double.
     */
    static void rowShiftedSums4(double[] rows, int at, float[] in, int i, int S, float[] k, int kOff) {
        if (S < L) {
            for (int r = 0; r < 4; r++) {
                rowShiftedSums(rows, at + 2 * r, in, i + r * S, S, k[kOff + r]);
            }
            return;
        }
        float[] lanes = Scratch.get(Scratch.LANES, 8 * L);
        FloatVector k0 = FloatVector.broadcast(FF, k[kOff]), k1 = FloatVector.broadcast(FF, k[kOff + 1]);
        FloatVector k2 = FloatVector.broadcast(FF, k[kOff + 2]), k3 = FloatVector.broadcast(FF, k[kOff + 3]);
        FloatVector s0 = FloatVector.zero(FF), s1 = s0, s2 = s0, s3 = s0, q0 = s0, q1 = s0, q2 = s0, q3 = s0;
        int whole = S / L * L;
        for (int j = 0; j < whole; j += L) {
            FloatVector d0 = FloatVector.fromArray(FF, in, i + j).sub(k0);
            FloatVector d1 = FloatVector.fromArray(FF, in, i + S + j).sub(k1);
            FloatVector d2 = FloatVector.fromArray(FF, in, i + 2 * S + j).sub(k2);
            FloatVector d3 = FloatVector.fromArray(FF, in, i + 3 * S + j).sub(k3);
            s0 = s0.add(d0);
            s1 = s1.add(d1);
            s2 = s2.add(d2);
            s3 = s3.add(d3);
            q0 = d0.fma(d0, q0);
            q1 = d1.fma(d1, q1);
            q2 = d2.fma(d2, q2);
            q3 = d3.fma(d3, q3);
        }
        s0.intoArray(lanes, 0);
        q0.intoArray(lanes, L);
        s1.intoArray(lanes, 2 * L);
        q1.intoArray(lanes, 3 * L);
        s2.intoArray(lanes, 4 * L);
        q2.intoArray(lanes, 5 * L);
        s3.intoArray(lanes, 6 * L);
        q3.intoArray(lanes, 7 * L);
        addLanes4(rows, at, lanes);
        for (int r = 0; r < 4; r++) { // the tails, element by element after the lanes, as rowShiftedSums adds them
            double s = rows[at + 2 * r], q = rows[at + 2 * r + 1], kr = k[kOff + r];
            for (int e = i + r * S + whole, end = i + (r + 1) * S; e < end; e++) {
                double d = in[e] - kr;
                s += d;
                q += d * d;
            }
            rows[at + 2 * r] = s;
            rows[at + 2 * r + 1] = q;
        }
    }

    /**
     * {@code rows[at + m] = } the sum in lane order, in double from 0, of the L lanes at {@code lanes[m*L]}, for
     * m = 0..7: eight independent chains of adds, each in the order a single row's loop adds its lanes.
     */
    private static void addLanes4(double[] rows, int at, float[] lanes) {
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (int j = 0; j < L; j++) {
            a0 += lanes[j];
            a1 += lanes[L + j];
            a2 += lanes[2 * L + j];
            a3 += lanes[3 * L + j];
            a4 += lanes[4 * L + j];
            a5 += lanes[5 * L + j];
            a6 += lanes[6 * L + j];
            a7 += lanes[7 * L + j];
        }
        rows[at] = a0;
        rows[at + 1] = a1;
        rows[at + 2] = a2;
        rows[at + 3] = a3;
        rows[at + 4] = a4;
        rows[at + 5] = a5;
        rows[at + 6] = a6;
        rows[at + 7] = a7;
    }

    /**
     * {@code rows[at] = sum of dout}, {@code rows[at + 1] = sum of dout * (in - mu)} over the row {@code [i, i + S)}
     * of both, as {@link #rowShiftedSums} sums. mu is a float (the forward pass's mean). With {@code reluOut} (a
     * BatchNorm fused with the ReLU after it: its output), dout counts only where reluOut is positive, as the ReLU's
     * backward passes it. dout's element for in[e] is {@code dout[e + dShift]}: 0 where dout lies as in does, else a
     * buffer of the worker's (the fused BatchNorm, ReLU and pool's planes).
     */
    static void rowGradientSums(double[] rows, int at, float[] dout, int dShift, float[] reluOut, float[] in, int i,
                                int S, float mu) {
        double s = 0, x = 0;
        int end = i + S;
        if (S >= L) {
            float[] lanes = Scratch.get(Scratch.LANES, 2 * L);
            FloatVector mv = FloatVector.broadcast(FF, mu), zero = FloatVector.zero(FF);
            FloatVector sv = zero, xv = sv;
            for (; i + L <= end; i += L) {
                FloatVector d = FloatVector.fromArray(FF, dout, i + dShift);
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
            float d = reluOut == null || reluOut[i] > 0 ? dout[i + dShift] : 0f;
            s += d;
            x += d * (in[i] - (double) mu);
        }
        rows[at] = s;
        rows[at + 1] = x;
    }

    /**
     * {@link #rowGradientSums} of four rows that follow each other, row r about {@code mu[muOff + r]}: the same sums
     * bit for bit, the rows interleaved as in {@link #rowShiftedSums4}; dout at {@code e + dShift} as there.
     */
    static void rowGradientSums4(double[] rows, int at, float[] dout, int dShift, float[] reluOut, float[] in, int i,
                                 int S, float[] mu, int muOff) {
        if (S < L) {
            for (int r = 0; r < 4; r++) {
                rowGradientSums(rows, at + 2 * r, dout, dShift, reluOut, in, i + r * S, S, mu[muOff + r]);
            }
            return;
        }
        float[] lanes = Scratch.get(Scratch.LANES, 8 * L);
        FloatVector m0 = FloatVector.broadcast(FF, mu[muOff]), m1 = FloatVector.broadcast(FF, mu[muOff + 1]);
        FloatVector m2 = FloatVector.broadcast(FF, mu[muOff + 2]), m3 = FloatVector.broadcast(FF, mu[muOff + 3]);
        FloatVector zero = FloatVector.zero(FF);
        FloatVector s0 = zero, s1 = zero, s2 = zero, s3 = zero, x0 = zero, x1 = zero, x2 = zero, x3 = zero;
        int whole = S / L * L;
        for (int j = 0; j < whole; j += L) {
            int e0 = i + j, e1 = e0 + S, e2 = e1 + S, e3 = e2 + S;
            FloatVector d0 = maskedGrad(dout, dShift, reluOut, e0, zero);
            FloatVector d1 = maskedGrad(dout, dShift, reluOut, e1, zero);
            FloatVector d2 = maskedGrad(dout, dShift, reluOut, e2, zero);
            FloatVector d3 = maskedGrad(dout, dShift, reluOut, e3, zero);
            s0 = s0.add(d0);
            s1 = s1.add(d1);
            s2 = s2.add(d2);
            s3 = s3.add(d3);
            x0 = d0.fma(FloatVector.fromArray(FF, in, e0).sub(m0), x0);
            x1 = d1.fma(FloatVector.fromArray(FF, in, e1).sub(m1), x1);
            x2 = d2.fma(FloatVector.fromArray(FF, in, e2).sub(m2), x2);
            x3 = d3.fma(FloatVector.fromArray(FF, in, e3).sub(m3), x3);
        }
        s0.intoArray(lanes, 0);
        x0.intoArray(lanes, L);
        s1.intoArray(lanes, 2 * L);
        x1.intoArray(lanes, 3 * L);
        s2.intoArray(lanes, 4 * L);
        x2.intoArray(lanes, 5 * L);
        s3.intoArray(lanes, 6 * L);
        x3.intoArray(lanes, 7 * L);
        addLanes4(rows, at, lanes);
        for (int r = 0; r < 4; r++) { // the tails, as rowGradientSums adds them
            double s = rows[at + 2 * r], x = rows[at + 2 * r + 1], m = mu[muOff + r];
            for (int e = i + r * S + whole, end = i + (r + 1) * S; e < end; e++) {
                float d = reluOut == null || reluOut[e] > 0 ? dout[e + dShift] : 0f;
                s += d;
                x += d * (in[e] - m);
            }
            rows[at + 2 * r] = s;
            rows[at + 2 * r + 1] = x;
        }
    }

    /** dout's vector at e + dShift, where reluOut (if any) is positive at e, else 0: the ReLU's backward bits. */
    private static FloatVector maskedGrad(float[] dout, int dShift, float[] reluOut, int e, FloatVector zero) {
        FloatVector d = FloatVector.fromArray(FF, dout, e + dShift);
        return reluOut == null ? d : zero.blend(d, FloatVector.fromArray(FF, reluOut, e).compare(VectorOperators.GT, 0f));
    }

    /**
     * {@code din += a * dout + b * (in - mu) + shift} (without {@code accumulate}: {@code din = ...}) over the row
     * {@code [i, i + S)}, in float: the training input gradient {@code k * (dout - mean(dout) - xhat * mean(dout *
     * xhat))} with {@code a = k}, {@code b = -k * invstd * mean(dout * xhat)} and {@code shift = -k * mean(dout)}. The
     * input is centred before it is scaled, so that a mean far from zero costs no digits. dout masked by
     * {@code reluOut}, and at {@code e + dShift}, as in {@link #rowGradientSums}.
     */
    static void addRowInputGrad(float[] din, boolean accumulate, float[] dout, int dShift, float[] reluOut,
                                float[] in, int i, int S, float mu, float a, float b, float shift) {
        FloatVector mv = FloatVector.broadcast(FF, mu), av = FloatVector.broadcast(FF, a);
        FloatVector bv = FloatVector.broadcast(FF, b), sv = FloatVector.broadcast(FF, shift);
        FloatVector zero = FloatVector.zero(FF);
        int end = i + S;
        for (; i + L <= end; i += L) {
            FloatVector centred = FloatVector.fromArray(FF, in, i).sub(mv);
            FloatVector d = FloatVector.fromArray(FF, dout, i + dShift);
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
            float d = reluOut == null || reluOut[i] > 0 ? dout[i + dShift] : 0f;
            float g = Math.fma(d, a, Math.fma(in[i] - mu, b, shift));
            din[i] = accumulate ? din[i] + g : g;
        }
    }
}
