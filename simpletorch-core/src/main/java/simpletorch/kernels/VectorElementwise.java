package simpletorch.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API twins of {@link ElementwiseKernels}' loops that the JIT does not vectorise by itself: ReLU's
 * backward pass selects by a comparison (the scalar loop's bit tricks on float-to-int moves stay scalar:
 * measured 6x slower than the forward pass). Only called when {@link Gemm#vectorEnabled()}.
 */
final class VectorElementwise {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** L bytes, widened to L ints (the same lanes as S). */
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * L));
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;

    private VectorElementwise() {
    }

    /**
     * dst[dstOff + i] = ((src[srcOff + i] &amp; 0xFF) / 255f - mean) / std for i in [0, n): the same three float
     * operations, in the same order, as {@code Normalize.apply}, each rounded once by the IEEE rules in both: the
     * same floats bit for bit.
     */
    static void normalizeBytes(byte[] src, int srcOff, float[] dst, int dstOff, int n, float mean, float std) {
        int i = 0, bound = n - n % L;
        for (; i < bound; i += L) {
            IntVector pixels = (IntVector) ByteVector.fromArray(BYTES, src, srcOff + i)
                    .convertShape(VectorOperators.B2I, INTS, 0);
            ((FloatVector) pixels.and(0xFF).convert(VectorOperators.I2F, 0)).div(255f).sub(mean).div(std)
                    .intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) {
            dst[dstOff + i] = ((src[srcOff + i] & 0xFF) / 255f - mean) / std;
        }
    }

    /**
     * din[from, to) (+)= dout where out &gt; 0. A NaN output compares false and passes nothing, like the scalar
     * kernel.
     */
    static void reluBackward(float[] din, float[] dout, float[] out, int from, int to, boolean accumulate) {
        FloatVector zero = FloatVector.zero(S);
        int i = from;
        int bound = from + S.loopBound(to - from);
        if (accumulate) {
            for (; i < bound; i += L) {
                VectorMask<Float> positive = FloatVector.fromArray(S, out, i).compare(VectorOperators.GT, 0f);
                FloatVector g = zero.blend(FloatVector.fromArray(S, dout, i), positive);
                FloatVector.fromArray(S, din, i).add(g).intoArray(din, i);
            }
        } else {
            for (; i < bound; i += L) {
                VectorMask<Float> positive = FloatVector.fromArray(S, out, i).compare(VectorOperators.GT, 0f);
                zero.blend(FloatVector.fromArray(S, dout, i), positive).intoArray(din, i);
            }
        }
        for (; i < to; i++) {
            float g = out[i] > 0f ? dout[i] : 0f;
            din[i] = accumulate ? din[i] + g : g;
        }
    }

    /** out = max(a + b, 0) over [from, to), the sum rounded and the maximum taken as the scalar loop takes them. */
    static void addRelu(float[] out, float[] a, float[] b, int from, int to) {
        FloatVector zero = FloatVector.zero(S);
        int i = from;
        int bound = from + S.loopBound(to - from);
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, a, i).add(FloatVector.fromArray(S, b, i)).max(zero).intoArray(out, i);
        }
        for (; i < to; i++) {
            out[i] = Math.max(a[i] + b[i], 0f);
        }
    }

    /**
     * The two gradients of {@link #addRelu}: g = dout where out &gt; 0 (as {@link #reluBackward} passes it), then
     * da (+)= g and db (+)= g (either may be null), in one pass.
     */
    static void addReluBackward(float[] da, boolean addA, float[] db, boolean addB, float[] dout, float[] out,
                                int from, int to) {
        FloatVector zero = FloatVector.zero(S);
        int i = from;
        int bound = from + S.loopBound(to - from);
        for (; i < bound; i += L) {
            VectorMask<Float> positive = FloatVector.fromArray(S, out, i).compare(VectorOperators.GT, 0f);
            FloatVector g = zero.blend(FloatVector.fromArray(S, dout, i), positive);
            if (da != null) {
                (addA ? FloatVector.fromArray(S, da, i).add(g) : g).intoArray(da, i);
            }
            if (db != null) {
                (addB ? FloatVector.fromArray(S, db, i).add(g) : g).intoArray(db, i);
            }
        }
        for (; i < to; i++) {
            float g = out[i] > 0f ? dout[i] : 0f;
            if (da != null) {
                da[i] = addA ? da[i] + g : g;
            }
            if (db != null) {
                db[i] = addB ? db[i] + g : g;
            }
        }
    }

    /**
     * acc[accOff + oc] += the sum of row oc of dout[off, +OC*P): {@link Conv2dKernels#sumRows} with vector
     * partial sums in float (P/L terms per lane), then the lanes and the tail added in double, in a fixed order.
     */
    static void sumRows(double[] acc, int accOff, float[] dout, int off, int OC, int P) {
        float[] lanes = Scratch.get(Scratch.LANES, 4 * L);
        int bound = S.loopBound(P);
        for (int oc = 0; oc < OC; oc++) {
            int row = off + oc * P;
            FloatVector v = FloatVector.zero(S);
            for (int p = 0; p < bound; p += L) {
                v = v.add(FloatVector.fromArray(S, dout, row + p));
            }
            v.intoArray(lanes, 0);
            double s = 0;
            for (int i = 0; i < L; i++) {
                s += lanes[i];
            }
            for (int p = bound; p < P; p++) {
                s += dout[row + p];
            }
            acc[accOff + oc] += s;
        }
    }
}
