package simpletorch.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link NormKernels}' passes over one channel, a vector at a time: the batch statistics' and the backward pass's
 * sums still in double (each float converted, then subtracted and multiplied in double vectors: the lanes of a row
 * are interleaved partial sums, added in lane order at the end), and the input gradient in float. The scalar loops
 * converted, subtracted and added one element at a time: 300 us for the statistics of a [32, 16, 32, 32] batch on
 * one thread (ResNet-20's first stage), where the normalisation itself, which the JIT vectorises, took 50 (an
 * explicit vector loop for it was faster on 8x8 planes with AVX-512, 49 -> 36 us, and slower with AVX2, 22 -> 31:
 * not kept). Measured
 * in docs/BENCHMARKS.md ("Third Zen 5 session"). Only where {@link #applies()}.
 */
final class VectorNorm {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Floats as many as D has lanes: loaded, then widened to one double vector. */
    private static final VectorSpecies<Float> F =
            VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    private static final VectorSpecies<Float> FF = FloatVector.SPECIES_PREFERRED;

    private VectorNorm() {
    }

    /** The Vector API path is on and this JDK's JIT compiles the widening conversions (JDK 25+, as the pool's). */
    static boolean applies() {
        return Gemm.vectorEnabled() && VectorPool.jitReady() && F.length() == D.length();
    }

    /**
     * {@code sums[0] = sum of (x - k)}, {@code sums[1] = sum of (x - k)^2} over channel c's elements of
     * {@code in [N, C, S]}, in double.
     */
    static void shiftedSums(double[] sums, float[] in, int N, int C, int S, int c, double k) {
        DoubleVector s = DoubleVector.zero(D), q = s, kv = DoubleVector.broadcast(D, k);
        double st = 0, qt = 0;
        int step = D.length();
        for (int n = 0; n < N; n++) {
            int i = (n * C + c) * S, end = i + S;
            for (; i + step <= end; i += step) {
                DoubleVector d = ((DoubleVector) FloatVector.fromArray(F, in, i)
                        .convertShape(VectorOperators.F2D, D, 0)).sub(kv);
                s = s.add(d);
                q = d.fma(d, q);
            }
            for (; i < end; i++) {
                double d = in[i] - k;
                st += d;
                qt += d * d;
            }
        }
        sums[0] = s.reduceLanes(VectorOperators.ADD) + st;
        sums[1] = q.reduceLanes(VectorOperators.ADD) + qt;
    }

    /**
     * {@code sums[0] = sum of dout}, {@code sums[1] = sum of dout * (in - mu)} over channel c's elements, in double.
     */
    static void gradientSums(double[] sums, float[] dout, float[] in, int N, int C, int S, int c, double mu) {
        DoubleVector s = DoubleVector.zero(D), x = s, mv = DoubleVector.broadcast(D, mu);
        double st = 0, xt = 0;
        int step = D.length();
        for (int n = 0; n < N; n++) {
            int i = (n * C + c) * S, end = i + S;
            for (; i + step <= end; i += step) {
                DoubleVector d = (DoubleVector) FloatVector.fromArray(F, dout, i)
                        .convertShape(VectorOperators.F2D, D, 0);
                DoubleVector centred = ((DoubleVector) FloatVector.fromArray(F, in, i)
                        .convertShape(VectorOperators.F2D, D, 0)).sub(mv);
                s = s.add(d);
                x = d.fma(centred, x);
            }
            for (; i < end; i++) {
                st += dout[i];
                xt += dout[i] * (in[i] - mu);
            }
        }
        sums[0] = s.reduceLanes(VectorOperators.ADD) + st;
        sums[1] = x.reduceLanes(VectorOperators.ADD) + xt;
    }

    /**
     * {@code din += a * dout + b * (in - mu) + shift} over channel c's elements, in float: the training input
     * gradient {@code k * (dout - mean(dout) - xhat * mean(dout * xhat))} with {@code a = k}, {@code b = -k * invstd *
     * mean(dout * xhat)} and {@code shift = -k * mean(dout)}. The input is centred before it is scaled, so that a
     * mean far from zero costs no digits.
     */
    static void addInputGrad(float[] din, float[] dout, float[] in, int N, int C, int S, int c, float mu, float a,
                             float b, float shift) {
        FloatVector mv = FloatVector.broadcast(FF, mu), av = FloatVector.broadcast(FF, a);
        FloatVector bv = FloatVector.broadcast(FF, b), sv = FloatVector.broadcast(FF, shift);
        int step = FF.length();
        for (int n = 0; n < N; n++) {
            int i = (n * C + c) * S, end = i + S;
            for (; i + step <= end; i += step) {
                FloatVector centred = FloatVector.fromArray(FF, in, i).sub(mv);
                FloatVector g = FloatVector.fromArray(FF, dout, i).fma(av, centred.fma(bv, sv));
                g.add(FloatVector.fromArray(FF, din, i)).intoArray(din, i);
            }
            for (; i < end; i++) {
                din[i] += Math.fma(dout[i], a, Math.fma(in[i] - mu, b, shift));
            }
        }
    }
}
