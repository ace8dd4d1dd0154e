package simpletorch.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dropout's mask drawn eight 64-bit lanes at a time: SplitMix64, the generator of {@code simpletorch.tensor.Generator}
 * (its constants repeated here, the kernels not depending on the tensor package; a test checks the two agree draw for
 * draw), whose n-th draw from a state is a function of the state and n alone. Only where a vector holds eight longs
 * and the machine multiplies them in one instruction (AVX-512); touched only when {@link Gemm#vectorEnabled()}.
 */
final class VectorRandom {
    private static final VectorSpecies<Long> LS = LongVector.SPECIES_512;
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_256; // eight floats: one per long lane
    private static final int N = 8;
    static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private VectorRandom() {
    }

    /**
     * Whether the preferred vectors are 512-bit (eight longs, multiplied by AVX-512's vpmullq), on JDK 25+ (as
     * {@link VectorPool}: JDK 17's compiler ran this kernel on the Vector API's allocating fallback, and the full test
     * suite's SimpleNet steps after it allocated 480 MB each).
     */
    static boolean applies() {
        return VectorPool.jitReady() && LongVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    }

    /**
     * mask[i] = 0 where draw i + 1 of a generator in {@code state}, taken as a double in [0, 1) (its top 53 bits,
     * k * 2^-53), is below p, else keep, for i in [from, to). Compared as integers: k * 2^-53 < p exactly when
     * k < threshold = ceil(p * 2^53) ({@link #threshold}), the same mask as the doubles give.
     */
    static void dropoutMask(float[] mask, int from, int to, long state, long threshold, float keep) {
        LongVector z = LongVector.zero(LS).addIndex(1).add(from + 1L).mul(GOLDEN_GAMMA).add(state);
        LongVector step = LongVector.broadcast(LS, N * GOLDEN_GAMMA);
        FloatVector kept = FloatVector.broadcast(FS, keep);
        int i = from;
        for (; i + N <= to; i += N, z = z.add(step)) {
            LongVector x = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 30)).mul(0xBF58476D1CE4E5B9L);
            x = x.lanewise(VectorOperators.XOR, x.lanewise(VectorOperators.LSHR, 27)).mul(0x94D049BB133111EBL);
            x = x.lanewise(VectorOperators.XOR, x.lanewise(VectorOperators.LSHR, 31));
            kept.blend(0f, x.lanewise(VectorOperators.LSHR, 11).compare(VectorOperators.LT, threshold).cast(FS))
                    .intoArray(mask, i);
        }
        for (; i < to; i++) {
            long x = state + (i + 1L) * GOLDEN_GAMMA;
            x = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9L;
            x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
            x ^= x >>> 31;
            mask[i] = (x >>> 11) < threshold ? 0f : keep;
        }
    }

    /** ceil(p * 2^53) for p in [0, 1]: the 53-bit integers below it are the draws below p (p * 2^53 is exact). */
    static long threshold(double p) {
        return (long) Math.ceil(p * 0x1p53);
    }
}
