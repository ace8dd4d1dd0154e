package simpletorch.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * 2x2, stride-2 max pooling on the Vector API, for planes whose width is a whole number of vectors.
 *
 * <p>A plane's top rows (0, 2, 4, ...) read one after another form a sequence T, its bottom rows a sequence B, and
 * output o is the maximum of T[2o], T[2o+1], B[2o], B[2o+1]. Two vectors of T split into their even and odd lanes
 * (a two-vector rearrange) give the top-left and top-right elements of L outputs; likewise B. The winner is chosen
 * exactly as the scalar kernel does (top pair, bottom pair, then bottom over top only when strictly greater), so
 * ties go to the first element in row-major window order. A chunk holding a NaN is redone by the scalar code,
 * which knows PyTorch's NaN rule. Only called when {@link Gemm#vectorEnabled()}.
 */
final class VectorPool {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> 2 * i + 1);
    /** The inverses: lanes of a and b interleaved, a0 b0 a1 b1 ..., the first half (LO) and the second (HI). */
    static final VectorShuffle<Float> ZIP_LO = VectorShuffle.fromOp(S, j -> (j % 2 == 0 ? 0 : L) + j / 2);
    static final VectorShuffle<Float> ZIP_HI = VectorShuffle.fromOp(S, j -> (j % 2 == 0 ? 0 : L) + L / 2 + j / 2);
    /** Per thread, the corner tables of the last few plane shapes (a network pools at two or three sizes). */
    private static final ThreadLocal<int[][]> CORNERS = ThreadLocal.withInitial(() -> new int[4][]);
    /**
     * JDK 17's JIT leaves some of these operations (the two-vector rearrange, the mask casts) to their boxing
     * fallback: measured 1.5 MB of garbage per SimpleNet step on 17.0.15, none on 25. Versions in between were not
     * measured, so they take the scalar kernel.
     */
    private static final boolean JIT_OK = Runtime.version().feature() >= 25;

    private VectorPool() {
    }

    /** Whether this JDK's JIT compiles these kernels' vector operations without their allocating fallback (25+). */
    static boolean jitReady() {
        return JIT_OK;
    }

    /** Rows of whole vectors, and whole vectors of outputs per plane. */
    static boolean applies(int H, int W) {
        return JIT_OK && I.length() == L && W % L == 0 && (H / 2) * (W / 2) % L == 0;
    }

    /**
     * Planes [from, to) of [*, H, W] into out and argmax [*, H/2, W/2]; with {@code relu} the maxima are stored as
     * {@code Math.max(max, 0)} (a ReLU before the pooling, applied after it: they commute), the winners unchanged.
     * Plane p is read at {@code in[(p - inFirstPlane)*H*W]} (0 when in holds every plane; the first plane of an
     * image when in holds that image alone) and written at {@code out[p*(H/2)*(W/2)]}.
     */
    static void maxPool2x2(float[] out, int[] argmax, float[] in, int inFirstPlane, int from, int to, int H, int W,
                           boolean relu) {
        maxPool2x2(out, argmax, in, inFirstPlane, H * W, W, from, to, H, W, relu);
    }

    /**
     * {@link #maxPool2x2(float[], float[], float[], int, int, int, int, int, boolean)} from another layout: plane p
     * at {@code in[(p - inFirstPlane)*planeStride]}, its rows {@code ld} apart (a product's output with a border
     * column, say). The winners are still indices within an [H, W] plane.
     */
    static void maxPool2x2(float[] out, int[] argmax, float[] in, int inFirstPlane, int planeStride, int ld, int from,
                           int to, int H, int W, boolean relu) {
        int OH = H / 2, OW = W / 2, P = OH * OW;
        int[] corner = corners(OH, OW, W); // corner[o]: the top-left element of output o's window, in its plane
        for (int plane = from; plane < to; plane++) {
            int inOff = (plane - inFirstPlane) * planeStride;
            int outOff = plane * P;
            for (int o = 0; o < P; o += L) {
                // T[2o .. 2o + 2L) lies in one top row when W >= 2L, else in W/L rows: load vector by vector.
                int t0 = inOff + top(2 * o, W, ld), t1 = inOff + top(2 * o + L, W, ld);
                if (!poolVector(out, argmax, outOff + o, in, t0, t1, ld, corner, o, 0, W, relu)) {
                    scalarOutputs(out, argmax, in, inOff, ld, plane, o, o + L, H, W, relu);
                }
            }
        }
    }

    /**
     * Planes [from, to) of any even H and W, laid out as in {@link #maxPool2x2(float[], int[], float[], int, int, int,
     * int, int, int, int, boolean)}, by the fastest way that takes them: that kernel where rows and pooled planes are
     * whole vectors ({@link #applies}), unless a ReLU follows and a row has a vector of outputs; row by row then, or
     * where only a row has a vector of outputs ({@link #maxPool2x2Rows}: SimpleNet's 28-pixel rows on Fashion-MNIST, 14
     * outputs, its conv1 forward with the pool 19.4 -> 15.2 us per image, one thread); else the scalar rule (its
     * 14-pixel rows, 7 outputs: row by row, all of them by the scalar rule, was 5% slower). With the ReLU the rows are
     * pooled by {@link #poolReluVector}, no table of corners and no division per vector of outputs: measured on AVX2
     * (one thread, 32 images, minima of 300 calls, several JVMs each way alternating) SimpleNet's conv1 pool 5.2-5.4 ->
     * 3.7-3.8 us per image and its fused forward 18.9-19.7 -> 17.6-18.0 us, conv2's fused forward 33.0-33.2 ->
     * 32.6-32.8 us (about 1% of a training step, below what training steps alternating in one JVM resolve: -1.9%, -0.1%
     * and +2.8% in three runs). The same values and winners whichever way.
     */
    static void maxPool2x2Any(float[] out, int[] argmax, float[] in, int inFirstPlane, int planeStride, int ld,
                              int from, int to, int H, int W, boolean relu) {
        if (applies(H, W) && !(relu && W / 2 >= L)) {
            maxPool2x2(out, argmax, in, inFirstPlane, planeStride, ld, from, to, H, W, relu);
        } else if (JIT_OK && W / 2 >= L) {
            maxPool2x2Rows(out, argmax, in, inFirstPlane, planeStride, ld, from, to, H, W, relu);
        } else {
            int P = (H / 2) * (W / 2);
            for (int plane = from; plane < to; plane++) {
                scalarOutputs(out, argmax, in, (plane - inFirstPlane) * planeStride, ld, plane, 0, P, H, W, relu);
            }
        }
    }

    /**
     * {@link #maxPool2x2(float[], int[], float[], int, int, int, int, int, int, int, boolean)} for rows that are not
     * whole vectors (Fashion-MNIST's 28 pixels): output row by output row, L outputs at a time from 2L floats of its
     * top and of its bottom input row, the rest of each output row by the scalar rule; with the ReLU, whole-vector rows
     * too. Bit for bit what the scalar kernel gives. See {@link #maxPool2x2Any}.
     */
    static void maxPool2x2Rows(float[] out, int[] argmax, float[] in, int inFirstPlane, int planeStride, int ld,
                               int from, int to, int H, int W, boolean relu) {
        int OH = H / 2, OW = W / 2, P = OH * OW, whole = OW / L * L;
        for (int plane = from; plane < to; plane++) {
            int inOff = (plane - inFirstPlane) * planeStride;
            int outOff = plane * P;
            for (int oh = 0; oh < OH; oh++) {
                int row = inOff + 2 * oh * ld, o = oh * OW;
                int ow = 0;
                for (; ow < whole; ow += L) {
                    int t0 = row + 2 * ow;
                    int at = outOff + o + ow, corner = 2 * oh * W + 2 * ow;
                    boolean done = relu ? poolReluVector(out, argmax, at, in, t0, ld, corner, W)
                            : poolVector(out, argmax, at, in, t0, t0 + L, ld, EVENS, 0, corner, W, false);
                    if (!done) {
                        scalarOutputs(out, argmax, in, inOff, ld, plane, o + ow, o + ow + L, H, W, relu);
                    }
                }
                if (ow < OW) {
                    scalarOutputs(out, argmax, in, inOff, ld, plane, o + ow, o + OW, H, W, relu);
                }
            }
        }
    }

    /** 0, 2, 4, ...: the window corners of L outputs side by side in one row, from the first one's. */
    private static final int[] EVENS = java.util.stream.IntStream.range(0, L).map(i -> 2 * i).toArray();
    private static final IntVector EVEN_CORNERS = IntVector.fromArray(I, EVENS, 0);

    /**
     * {@link #poolVector} for L outputs side by side in one row with the ReLU after the pool: the winners' values
     * picked by the masks that choose them (one blend each, where {@code max()}, which follows Math.max for NaN and
     * signed zeros, takes five instructions on AVX2; they differ only on a tie of -0.0 and +0.0, which the ReLU makes
     * +0.0 either way), the corners from a constant. Returns false, writing nothing, when an input is NaN (or two are
     * infinities of opposite signs): the scalar rule then decides.
     */
    private static boolean poolReluVector(float[] out, int[] argmax, int at, float[] in, int t0, int ld, int cornerBase,
                                          int W) {
        FloatVector ta = FloatVector.fromArray(S, in, t0), tb = FloatVector.fromArray(S, in, t0 + L);
        FloatVector ba = FloatVector.fromArray(S, in, t0 + ld), bb = FloatVector.fromArray(S, in, t0 + ld + L);
        if (ta.add(tb).add(ba).add(bb).test(VectorOperators.IS_NAN).anyTrue()) {
            return false;
        }
        FloatVector a = ta.rearrange(EVEN, tb), b = ta.rearrange(ODD, tb);
        FloatVector c = ba.rearrange(EVEN, bb), d = ba.rearrange(ODD, bb);
        VectorMask<Float> bWins = b.compare(VectorOperators.GT, a);
        VectorMask<Float> dWins = d.compare(VectorOperators.GT, c);
        FloatVector top = a.blend(b, bWins), bottom = c.blend(d, dWins);
        VectorMask<Float> bottomWins = bottom.compare(VectorOperators.GT, top);
        FloatVector max = top.blend(bottom, bottomWins);
        IntVector topIndex = IntVector.zero(I).blend(1, bWins.cast(I));
        IntVector bottomIndex = IntVector.broadcast(I, W).blend(W + 1, dWins.cast(I));
        IntVector index = topIndex.blend(bottomIndex, bottomWins.cast(I)).add(EVEN_CORNERS).add(cornerBase);
        FloatVector.zero(S).blend(max, max.compare(VectorOperators.GT, 0f)).intoArray(out, at);
        index.intoArray(argmax, at);
        return true;
    }

    /**
     * L outputs from the top-row floats at t0 (L of them) and t1 (the next L) and the bottom row's, ld further:
     * their maxima (ReLU'd with {@code relu}) to out[at..], their winners (window corner
     * {@code cornerBase + corner[cornerOff + i]}, plus the winner's place) to argmax[at..]. Writes nothing and returns
     * false when a maximum is NaN, for the scalar rule to redo.
     */
    private static boolean poolVector(float[] out, int[] argmax, int at, float[] in, int t0, int t1, int ld,
                                      int[] corner, int cornerOff, int cornerBase, int W, boolean relu) {
        FloatVector ta = FloatVector.fromArray(S, in, t0), tb = FloatVector.fromArray(S, in, t1);
        FloatVector ba = FloatVector.fromArray(S, in, t0 + ld), bb = FloatVector.fromArray(S, in, t1 + ld);
        FloatVector a = ta.rearrange(EVEN, tb), b = ta.rearrange(ODD, tb);
        FloatVector c = ba.rearrange(EVEN, bb), d = ba.rearrange(ODD, bb);
        VectorMask<Float> bWins = b.compare(VectorOperators.GT, a);
        VectorMask<Float> dWins = d.compare(VectorOperators.GT, c);
        FloatVector top = a.max(b), bottom = c.max(d);
        VectorMask<Float> bottomWins = bottom.compare(VectorOperators.GT, top);
        FloatVector max = top.max(bottom);
        if (max.test(VectorOperators.IS_NAN).anyTrue()) {
            return false;
        }
        IntVector topIndex = IntVector.zero(I).blend(1, bWins.cast(I));
        IntVector bottomIndex = IntVector.broadcast(I, W).blend(W + 1, dWins.cast(I));
        IntVector index = topIndex.blend(bottomIndex, bottomWins.cast(I))
                .add(IntVector.fromArray(I, corner, cornerOff)).add(cornerBase);
        (relu ? max.max(0f) : max).intoArray(out, at);
        index.intoArray(argmax, at);
        return true;
    }

    /** Outputs [oFrom, oTo) of a plane by the scalar rule (NaN included), then the ReLU (they commute). */
    private static void scalarOutputs(float[] out, int[] argmax, float[] in, int inOff, int ld, int plane, int oFrom,
                                      int oTo, int H, int W, boolean relu) {
        PoolKernels.maxPool2x2Outputs(out, argmax, in, inOff, ld, plane, oFrom, oTo, H, W);
        if (relu) {
            int outOff = plane * (H / 2) * (W / 2);
            for (int i = outOff + oFrom; i < outOff + oTo; i++) {
                out[i] = Math.max(out[i], 0f);
            }
        }
    }

    /**
     * The backward pass over planes [from, to): din, which nobody has written yet, becomes the gradient alone. Each
     * output gradient goes to its window's winner (argmax), masked to zero where {@code out} is not positive when
     * {@code out} is given (the fused ReLU before the pooling); the window's other three elements get zero. Every
     * element of din is written once, by whole vectors: the same chunks of T and B as the forward pass, put back
     * together by interleaving. Bit for bit what the scalar kernels write into a zeroed din ({@code 0 + g}: a
     * gradient of -0.0 lands as +0.0). H must be even (an odd last row belongs to no window and is not written).
     */
    static void maxPool2x2Backward(float[] din, float[] dout, float[] out, int[] argmax, int from, int to, int H,
                                   int W) {
        maxPool2x2Backward(din, from * H * W, H * W, W, dout, out, argmax, from, to, H, W);
    }

    /**
     * {@link #maxPool2x2Backward(float[], float[], float[], int[], int, int, int, int)} into another layout: plane
     * {@code from + i} at {@code dinOff + i * planeStride}, its H rows of W {@code ld} apart (a zero-bordered buffer,
     * say). Writes each row's W elements, nothing between them.
     */
    static void maxPool2x2Backward(float[] din, int dinOff, int planeStride, int ld, float[] dout, float[] out,
                                   int[] argmax, int from, int to, int H, int W) {
        int OH = H / 2, OW = W / 2, P = OH * OW;
        int[] corner = corners(OH, OW, W);
        FloatVector zero = FloatVector.zero(S);
        for (int plane = from; plane < to; plane++) {
            int inOff = dinOff + (plane - from) * planeStride;
            int outOff = plane * P;
            for (int o = 0; o < P; o += L) {
                FloatVector g = FloatVector.fromArray(S, dout, outOff + o).add(zero);
                if (out != null) {
                    g = zero.blend(g, FloatVector.fromArray(S, out, outOff + o).compare(VectorOperators.GT, zero));
                }
                IntVector rel = IntVector.fromArray(I, argmax, outOff + o).sub(IntVector.fromArray(I, corner, o));
                FloatVector tl = zero.blend(g, rel.compare(VectorOperators.EQ, 0).cast(S));
                FloatVector tr = zero.blend(g, rel.compare(VectorOperators.EQ, 1).cast(S));
                FloatVector bl = zero.blend(g, rel.compare(VectorOperators.EQ, W).cast(S));
                FloatVector br = zero.blend(g, rel.compare(VectorOperators.EQ, W + 1).cast(S));
                int t0 = inOff + top(2 * o, W, ld), t1 = inOff + top(2 * o + L, W, ld);
                tl.rearrange(ZIP_LO, tr).intoArray(din, t0);
                tl.rearrange(ZIP_HI, tr).intoArray(din, t1);
                bl.rearrange(ZIP_LO, br).intoArray(din, t0 + ld);
                bl.rearrange(ZIP_HI, br).intoArray(din, t1 + ld);
            }
        }
    }

    /** The offset of T[p] in a plane of rows ld apart: row p / W of the top rows is input row 2 * (p / W). */
    private static int top(int p, int W, int ld) {
        int row = p / W;
        return 2 * row * ld + (p - row * W);
    }

    /** corner[o] for a plane of OH x OW outputs over rows of W; the two extra elements record OH and W. */
    private static int[] corners(int OH, int OW, int W) {
        int P = OH * OW;
        int[][] cache = CORNERS.get();
        for (int[] c : cache) {
            if (c != null && c.length == P + 2 && c[P] == OH && c[P + 1] == W) {
                return c;
            }
        }
        int[] c = new int[P + 2];
        for (int oh = 0; oh < OH; oh++) {
            for (int ow = 0; ow < OW; ow++) {
                c[oh * OW + ow] = 2 * oh * W + 2 * ow;
            }
        }
        c[P] = OH;
        c[P + 1] = W;
        System.arraycopy(cache, 0, cache, 1, cache.length - 1); // most recent first; the oldest drops out
        cache[0] = c;
        return c;
    }
}
