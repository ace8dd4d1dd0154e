package simpletorch.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient of {@code max_pool2d(relu(conv2d(x)), 2)} for a 3x3, stride-1, padding-1 convolution, taken
 * from the pool's winners instead of from the convolution's whole output gradient.
 *
 * <p>Max pooling passes each output gradient to one pixel of its 2x2 window (its winner, when the pooled value was
 * positive; otherwise to none), so three quarters of the convolution's output gradient are zeros, which the direct
 * kernel ({@link VectorConvWeightGrad3x3}) multiplies like any other number. Here each pooled position {@code q} of
 * image {@code n} and output channel {@code oc} contributes once, {@code g = dpool[n][oc][q]} (0 where the pooled
 * value was not positive) times the input window around its winner {@code (y, x)}:
 *
 * <pre>
 *   dweight[oc][c][kh][kw] += g * x[n][c][y - 1 + kh][x - 1 + kw]        (0 outside the image)
 * </pre>
 *
 * A quarter of the multiply-adds. Each image is first copied channels-last with a zero border
 * ({@code [H + 2][W + 2][C]}, rows {@link #rowStride} apart, in its worker's scratch). The vectors then run along a
 * window's rows, where 3 pixels of C channels are contiguous ({@link #rowVectors}: conv1's 3 channels, conv2's 16
 * with 8 lanes), or, for more channels, along the channels (C a multiple of the vector length): either way a window
 * is plain loads. A layer of a few input channels and one vector of output channels (SimpleNet's conv1 with 16 lanes)
 * is summed densely instead, the output channels in the lanes ({@link #outputChannelLanes}). Each worker
 * sums its images into its own partial sums, added in chunk order at the end: the result depends on the thread count,
 * not on scheduling. The sums group differently from the direct kernel's, so the two agree to rounding, not bit for
 * bit. Measured in docs/BENCHMARKS.md. Only called when {@link Gemm#vectorEnabled()}.
 */
final class VectorPooledConvWeightGrad3x3 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorPooledConvWeightGrad3x3() {
    }

    /**
     * A 3x3 "same" convolution (stride 1, padding 1) with an even output, and either whole vectors of input channels
     * or few enough of them ({@link #rowVectors}), or one vector of output channels ({@link #outputChannelLanes}).
     */
    static boolean applies(ConvGeometry g) {
        return g.KH() == 3 && g.KW() == 3 && g.strideH() == 1 && g.strideW() == 1 && g.padH() == 1 && g.padW() == 1
                && g.OH() % 2 == 0 && g.OW() % 2 == 0
                && (g.C() % L == 0 || rowVectors(g) > 0 || outputChannelLanes(g));
    }

    /**
     * Vectors per window row when the vectors run along a window's rows: a window's row, its 3 pixels of C channels,
     * is 3C contiguous floats of the channels-last image, covered by 1 vector (3C at most L: an RGB image's 3 channels
     * with AVX-512's 16 lanes), 2 (3C at most 2L: the same with AVX2's 8) or 6 (more than 4L and at most 6L:
     * SimpleNet's conv2 with its 16 channels, on AVX2), their lanes past 3C summing whatever follows and dropped. The
     * loads then sit at fixed distances from the window's corner, which the JIT checks once, and the accumulators
     * number 1 or 2 per kernel row (all three rows in one pass) or 6 (two passes: rows 0 and 1, then row 2). 0 for
     * more channels: vectors along the channels ({@link #addImage}). The channels-last copy has that many vectors of
     * slack at its end for those reads. One vector where two would cover 3C as well: the second's lanes would all be
     * dropped (measured on AVX-512, SimpleNet's conv1, one thread, minima of 30 x 400 calls, two JVMs each way: the
     * whole weight gradient 11.1 -> 9.4-9.7 us per image, the same sums bit for bit).
     */
    static int rowVectors(ConvGeometry g) {
        int floats = 3 * g.C();
        boolean fits = (g.W() + 2) * g.C() <= ROW2;
        return floats <= L && fits ? 1 : floats <= 2 * L && fits ? 2 : floats > 4 * L && floats <= 6 * L ? 6 : 0;
    }

    /**
     * Floats between two rows of the channels-last copy for the one- and two-vector kernels ({@link #addImageRows1},
     * {@link #addImageRows2}): a constant, so that the JIT checks their loads at fixed distances from the window's
     * corner once instead of once each (seen in its code: the variable distances cost 45 instructions per six
     * multiply-adds). Rows of up to
     * 128 floats: RGB images up to 40 pixels wide. Measured on AVX2, conv1 of SimpleNet, one thread, 16 images, four
     * runs of 400 calls alternating in one JVM: 17.6-19.2 against 13.1-14.6 us per image, the same sums.
     */
    static final int ROW2 = 128;

    /** Floats between two rows of the channels-last copy: {@link #ROW2} for 1 or 2 row vectors, else (W + 2)*C. */
    static int rowStride(ConvGeometry g) {
        int V = rowVectors(g);
        return V == 1 || V == 2 ? ROW2 : oneChannelVector(g) ? ROW_L : (g.W() + 2) * g.C();
    }

    /**
     * Floats between two rows of the channels-last copy for one vector of channels ({@link #addImageL}): a constant
     * for the reason of {@link #ROW2}. Images up to 16 pixels wide (SimpleNet's conv2 with AVX-512's 16 lanes).
     */
    static final int ROW_L = 18 * L;

    /** Whether the vectors run along the channels, one vector of them, with rows {@link #ROW_L} apart. */
    static boolean oneChannelVector(ConvGeometry g) {
        return rowVectors(g) == 0 && g.C() == L && (g.W() + 2) * L <= ROW_L;
    }

    /**
     * dweight += the weight gradient of {@code max_pool2d(relu(conv2d(in, weight)), 2)}: {@link #addImages} over the
     * batch, split across the workers, then {@link #reduce}.
     *
     * @param dweight [OC, C, 3, 3], added into
     * @param dpool   [N, OC, OH/2, OW/2], the gradient of the pooled output
     * @param out     [N, OC, OH/2, OW/2], the pooled output (after ReLU)
     * @param argmax  [N, OC, OH/2, OW/2], each winner's index within its [OH, OW] plane
     * @param in      [N, C, H, W], the convolution's input
     */
    static void accumulate(float[] dweight, float[] dpool, float[] out, int[] argmax, float[] in, ConvGeometry g) {
        int[] corner = corners(g);
        int chunks = Parallel.chunks(g.N());
        float[] parts = Scratch.get(Scratch.PARTS, chunks * partSize(g));
        Parallel.parallelFor(g.N(), (chunk, from, to) -> { // each chunk zeroes its own partial sums
            java.util.Arrays.fill(parts, chunk * partSize(g), (chunk + 1) * partSize(g), 0f);
            addImages(parts, chunk * partSize(g), dpool, out, argmax, in, corner, from, to, g);
        });
        reduce(dweight, parts, chunks, g);
    }

    /**
     * Floats of one chunk's partial sums: [C][3][3][L] (lane oc) where {@link #outputChannelLanes}, else [OC][3][V][L]
     * for V = {@link #rowVectors} > 0, else [OC][C / L][9][L].
     */
    static int partSize(ConvGeometry g) {
        if (outputChannelLanes(g)) {
            return g.C() * 9 * L;
        }
        int V = rowVectors(g);
        return V > 0 ? g.OC() * 3 * V * L : g.OC() * g.C() * 9;
    }

    /**
     * Whether the output channels fill one vector and the input channels are few (a first layer's RGB or grey image,
     * with AVX-512's 16 lanes: SimpleNet's conv1): the gradient is then summed densely over every pixel with the
     * output channels in the lanes ({@link #addImagesDense}), four times the winners' multiply-adds, but each a whole
     * vector loaded from a line of its own. From the winners, conv1's three channels make a window row of 9 floats at
     * any offset, so that each of its three loads per winner mostly straddles two cache lines. Timed in the step (one
     * thread, AVX-512, per image of conv1): from the winners 7.9 us for the 16 channels' 4,096 winners, 1.25 for the
     * channels-last copy and 0.9 for the winners' tables; dense 4.85 for the 27 taps' multiply-adds of 16 lanes per
     * pixel, 2.05 to scatter the winners' gradients, 0.4 to zero them first and ~1 for the padded copy.
     */
    static boolean outputChannelLanes(ConvGeometry g) {
        return g.OC() == L && I.length() == L && g.C() <= DENSE_MAX_CHANNELS;
    }

    private static final int SHIFT_L = Integer.numberOfTrailingZeros(L);

    /** Pixels of the dense gradient made at a time by {@link #addImagesDense}: 16 KB with 16 lanes, in L1. */
    static final int DENSE_BAND_PIXELS = 256;

    /** The most input channels {@link #outputChannelLanes} takes: dense, more cost more than their winners. */
    static final int DENSE_MAX_CHANNELS = 4;

    /**
     * The calling thread's tables (made once per layer shape and kept), read by every worker: entry {@code y*W + x} is
     * where the 3x3 window around output pixel (y, x) starts in a zero-bordered channels-last image; then, from
     * {@code H*W}, where float f of a channels-last row lies in its [C, H, W] image, relative to the row's first pixel
     * ({@code (f % C)*H*W + f / C}, the gathers of {@link #toChannelsLast}).
     */
    static int[] corners(ConvGeometry g) {
        int H = g.H(), W = g.W(), C = g.C(), row = rowStride(g), size = H * W + W * C;
        int[][] cache = CORNERS.get();
        for (int[] t : cache) {
            if (t != null && t.length == size + 3 && t[size] == H && t[size + 1] == W && t[size + 2] == C) {
                return t;
            }
        }
        int[] corner = new int[size + 3]; // the shape last, to find the table again
        for (int a = 0; a < H * W; a++) {
            corner[a] = a / W * row + a % W * C;
        }
        for (int f = 0; f < W * C; f++) {
            corner[H * W + f] = f % C * H * W + f / C;
        }
        corner[size] = H;
        corner[size + 1] = W;
        corner[size + 2] = C;
        System.arraycopy(cache, 0, cache, 1, cache.length - 1); // most recent first; the oldest drops out
        cache[0] = corner;
        return corner;
    }

    /** Per thread, the tables of the last few layer shapes (SimpleNet's two layers alternate at every step). */
    private static final ThreadLocal<int[][]> CORNERS = ThreadLocal.withInitial(() -> new int[4][]);

    /**
     * Adds images [from, to)'s contributions into {@code part[partOff, +partSize)}, one image at a time: its
     * channels-last copy (in the worker's scratch, in L1) serves all of its output channels. The copy starts at
     * {@link Scratch#ALIGN} of an {@link Scratch#aligned} buffer: the vectors along the channels then load whole
     * cache lines.
     */
    static void addImages(float[] part, int partOff, float[] dpool, float[] out, int[] argmax, float[] in,
                          int[] corner, int from, int to, ConvGeometry g) {
        if (outputChannelLanes(g)) {
            addImagesDense(part, partOff, dpool, out, argmax, in, from, to, g);
            return;
        }
        int C = g.C(), H = g.H(), W = g.W(), OC = g.OC();
        int row = rowStride(g), PQ = (g.OH() / 2) * (g.OW() / 2);
        int V = rowVectors(g);
        boolean oneVector = oneChannelVector(g); // rows ROW_L apart: addImageL
        int base = Scratch.ALIGN;
        float[] x = Scratch.aligned(Scratch.PADDED_IN, base + (H + 2) * row + V * L); // one image, channels-last
        // The border, the rows' ends and the slack: zeroed once, since each image writes the same interior
        java.util.Arrays.fill(x, 0, base + (H + 2) * row + V * L, 0f);
        float[] gs = Scratch.get(Scratch.PASSED_GRADS, OC * PQ);
        int[] ps = Scratch.ints(Scratch.WINNERS, OC * PQ);
        for (int n = from; n < to; n++) {
            toChannelsLast(x, base, row, in, n * C * H * W, C, H, W, corner, H * W);
            winners(gs, ps, base, dpool, out, argmax, corner, n * OC * PQ, OC * PQ, W, row, C);
            if (V > 0) {
                for (int oc = 0; oc < OC; oc++) {
                    int acc = partOff + oc * 3 * V * L;
                    if (V == 1) {
                        addImageRows1(part, acc, x, gs, ps, oc * PQ, PQ);
                    } else if (V == 2) {
                        addImageRows2(part, acc, x, gs, ps, oc * PQ, PQ);
                    } else {
                        addImageRows6(part, acc, x, row, gs, ps, oc * PQ, PQ); // kernel rows 0, 1
                        addImageRow6(part, acc + 2 * 6 * L, x, 2 * row, gs, ps, oc * PQ, PQ);
                    }
                }
                continue;
            }
            for (int oc = 0; oc < OC; oc++) {
                if (oneVector) {
                    addImageL(part, partOff + oc * C * 9, x, gs, ps, oc * PQ, PQ);
                    continue;
                }
                for (int c0 = 0; c0 < C; c0 += L) {
                    addImage(part, partOff + (oc * C + c0) * 9, x, c0, row, C, gs, ps, oc * PQ, PQ);
                }
            }
        }
    }

    /**
     * dweight += the chunks' partial sums, added in chunk order (the result depends on the thread count only). The
     * sums are left in the first chunk's place.
     */
    static void reduce(float[] dweight, float[] parts, int chunks, ConvGeometry g) {
        int C = g.C(), OC = g.OC(), partSize = partSize(g);
        // The chunks' sums, vector by vector (0 + part 0 + part 1 + ..., the order of the scalar loop this replaced: 30
        // to 50 us of SimpleNet's conv2 step on the calling thread while the workers waited), into part 0's place
        for (int i = 0; i < partSize; i += SUM_BLOCK) {
            sumParts(parts, chunks, partSize, i, Math.min(partSize, i + SUM_BLOCK));
        }
        if (outputChannelLanes(g)) { // lane oc of tap (c, kh, kw)
            for (int oc = 0; oc < OC; oc++) {
                for (int t = 0; t < C * 9; t++) {
                    dweight[oc * C * 9 + t] += parts[t * L + oc];
                }
            }
            return;
        }
        int V = rowVectors(g);
        if (V > 0) { // lane kw*C + c of kernel row kh's V vectors
            for (int oc = 0; oc < OC; oc++) {
                for (int c = 0; c < C; c++) {
                    for (int kh = 0; kh < 3; kh++) {
                        for (int kw = 0; kw < 3; kw++) {
                            dweight[(oc * C + c) * 9 + kh * 3 + kw] += parts[(oc * 3 + kh) * V * L + kw * C + c];
                        }
                    }
                }
            }
            return;
        }
        for (int oc = 0; oc < OC; oc++) {
            for (int c = 0; c < C; c++) {
                int lane = (oc * C + c / L * L) * 9 + c % L; // kernel offset s at lane + s*L
                for (int s = 0; s < 9; s++) {
                    dweight[(oc * C + c) * 9 + s] += parts[lane + s * L];
                }
            }
        }
    }

    /**
     * Floats of the partial sums that one {@link #sumParts} call adds: called often from the first step on, the JIT
     * compiles it early, where the loop inside {@link #reduce} (called once per step) ran in the JIT's first tier on
     * the Vector API's fallback until compiled on the stack (JFR: 6% of the training threads' samples in the epoch's
     * first 0.35 s).
     */
    private static final int SUM_BLOCK = 256;

    /** parts[i] = 0 + part 0 + part 1 + ... for i in [from, to), a vector at a time. */
    private static void sumParts(float[] parts, int chunks, int partSize, int from, int to) {
        FloatVector zero = FloatVector.zero(S);
        for (int i = from; i < to; i += L) {
            FloatVector sum = zero;
            for (int k = 0; k < chunks; k++) {
                sum = sum.add(FloatVector.fromArray(S, parts, k * partSize + i));
            }
            sum.intoArray(parts, i);
        }
    }

    /**
     * The bias gradient's share of images [from, to): acc[accOff + oc] += the sum of their passed pooled gradients, by
     * vector lanes, the lanes then added in order in double.
     */
    static void addBias(double[] acc, int accOff, float[] dpool, float[] out, int from, int to, ConvGeometry g) {
        int OC = g.OC(), PQ = (g.OH() / 2) * (g.OW() / 2);
        int bound = S.loopBound(PQ);
        FloatVector zero = FloatVector.zero(S);
        float[] lanes = Scratch.get(Scratch.LANES, L);
        for (int n = from; n < to; n++) {
            for (int oc = 0; oc < OC; oc++) {
                int o0 = (n * OC + oc) * PQ;
                FloatVector v = zero;
                for (int o = 0; o < bound; o += L) { // out > 0: ReLU's gradient, 0 at NaN (as passed)
                    FloatVector d = FloatVector.fromArray(S, dpool, o0 + o);
                    v = v.add(zero.blend(d, FloatVector.fromArray(S, out, o0 + o).compare(VectorOperators.GT, zero)));
                }
                v.intoArray(lanes, 0);
                double s = 0;
                for (int i = 0; i < L; i++) {
                    s += lanes[i];
                }
                for (int o = bound; o < PQ; o++) {
                    s += passed(dpool[o0 + o], out[o0 + o]);
                }
                acc[accOff + oc] += s;
            }
        }
    }

    /** dpool where the pooled value was positive, else 0 (ReLU's gradient; 0 at NaN too), without a branch. */
    private static float passed(float d, float pooled) {
        int bits = Float.floatToRawIntBits(pooled);
        int positive = (-bits >> 31) & ((bits - 0x7f800001) >> 31);
        return Float.intBitsToFloat(Float.floatToRawIntBits(d) & positive);
    }

    /**
     * One image's contribution to one output channel's weight gradient, input channels [c0, c0 + L): nine
     * accumulators, one per kernel offset (read from and written back to {@code part[acc + s*L]}), each of the
     * channel's PQ pooled positions (from {@code o}) adding {@code g} times the nine input vectors of its winner's
     * window. The image's channels-last copy is in L1 for all of its output channels. Each position's passed
     * gradient and window corner come from {@link #winners}' tables, as for the row kernels (measured on AVX-512,
     * SimpleNet's conv2, one thread, minima of 30 x 400 calls, 7 JVMs each way alternating: 10.2-12.1 (mostly 11.3)
     * -> 8.7-10.2 (mostly 10.0) us per image for the whole weight gradient, the same sums bit for bit).
     */
    private static void addImage(float[] part, int acc, float[] x, int c0, int row, int C, float[] gs, int[] ps,
                                 int o, int PQ) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0;
        for (int end = o + PQ; o < end; o++) {
            FloatVector gv = FloatVector.broadcast(S, gs[o]);
            int p = c0 + ps[o];
            a0 = gv.fma(FloatVector.fromArray(S, x, p), a0);
            a1 = gv.fma(FloatVector.fromArray(S, x, p + C), a1);
            a2 = gv.fma(FloatVector.fromArray(S, x, p + 2 * C), a2);
            a3 = gv.fma(FloatVector.fromArray(S, x, p + row), a3);
            a4 = gv.fma(FloatVector.fromArray(S, x, p + row + C), a4);
            a5 = gv.fma(FloatVector.fromArray(S, x, p + row + 2 * C), a5);
            a6 = gv.fma(FloatVector.fromArray(S, x, p + 2 * row), a6);
            a7 = gv.fma(FloatVector.fromArray(S, x, p + 2 * row + C), a7);
            a8 = gv.fma(FloatVector.fromArray(S, x, p + 2 * row + 2 * C), a8);
        }
        // Added here rather than by a helper taking the vector: a call the JIT does not inline receives its vectors
        // as objects (seen: 0.9 GB allocated by the kernel below in one bench run, and garbage collections).
        FloatVector.fromArray(S, part, acc).add(a0).intoArray(part, acc);
        FloatVector.fromArray(S, part, acc + L).add(a1).intoArray(part, acc + L);
        FloatVector.fromArray(S, part, acc + 2 * L).add(a2).intoArray(part, acc + 2 * L);
        FloatVector.fromArray(S, part, acc + 3 * L).add(a3).intoArray(part, acc + 3 * L);
        FloatVector.fromArray(S, part, acc + 4 * L).add(a4).intoArray(part, acc + 4 * L);
        FloatVector.fromArray(S, part, acc + 5 * L).add(a5).intoArray(part, acc + 5 * L);
        FloatVector.fromArray(S, part, acc + 6 * L).add(a6).intoArray(part, acc + 6 * L);
        FloatVector.fromArray(S, part, acc + 7 * L).add(a7).intoArray(part, acc + 7 * L);
        FloatVector.fromArray(S, part, acc + 8 * L).add(a8).intoArray(part, acc + 8 * L);
    }

    /**
     * {@link #addImage} for one vector of channels (C = L) with rows {@link #ROW_L} apart: the nine loads at fixed
     * distances from the window's corner, which the JIT checks once. With C and the row stride as variables it checked
     * each load and ran out of general registers (seen in its code: some 45 instructions per winner, registers spilled
     * to vector registers); measured on AVX-512, SimpleNet's conv2, see docs/BENCHMARKS.md. The same sums.
     */
    private static void addImageL(float[] part, int acc, float[] x, float[] gs, int[] ps, int o, int PQ) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0;
        for (int end = o + PQ; o < end; o++) {
            FloatVector gv = FloatVector.broadcast(S, gs[o]);
            int p = ps[o];
            a0 = gv.fma(FloatVector.fromArray(S, x, p), a0);
            a1 = gv.fma(FloatVector.fromArray(S, x, p + L), a1);
            a2 = gv.fma(FloatVector.fromArray(S, x, p + 2 * L), a2);
            a3 = gv.fma(FloatVector.fromArray(S, x, p + ROW_L), a3);
            a4 = gv.fma(FloatVector.fromArray(S, x, p + ROW_L + L), a4);
            a5 = gv.fma(FloatVector.fromArray(S, x, p + ROW_L + 2 * L), a5);
            a6 = gv.fma(FloatVector.fromArray(S, x, p + 2 * ROW_L), a6);
            a7 = gv.fma(FloatVector.fromArray(S, x, p + 2 * ROW_L + L), a7);
            a8 = gv.fma(FloatVector.fromArray(S, x, p + 2 * ROW_L + 2 * L), a8);
        }
        FloatVector.fromArray(S, part, acc).add(a0).intoArray(part, acc);
        FloatVector.fromArray(S, part, acc + L).add(a1).intoArray(part, acc + L);
        FloatVector.fromArray(S, part, acc + 2 * L).add(a2).intoArray(part, acc + 2 * L);
        FloatVector.fromArray(S, part, acc + 3 * L).add(a3).intoArray(part, acc + 3 * L);
        FloatVector.fromArray(S, part, acc + 4 * L).add(a4).intoArray(part, acc + 4 * L);
        FloatVector.fromArray(S, part, acc + 5 * L).add(a5).intoArray(part, acc + 5 * L);
        FloatVector.fromArray(S, part, acc + 6 * L).add(a6).intoArray(part, acc + 6 * L);
        FloatVector.fromArray(S, part, acc + 7 * L).add(a7).intoArray(part, acc + 7 * L);
        FloatVector.fromArray(S, part, acc + 8 * L).add(a8).intoArray(part, acc + 8 * L);
    }

    /**
     * {@link #addImages} where {@link #outputChannelLanes}: for each image, its planes copied with a zero border
     * ({@code [C][H + 2][W + 2]}); then, a band of pooled rows at a time ({@link #DENSE_BAND_PIXELS} pixels, in L1),
     * the convolution's output gradient made dense and channels-last ({@code [pixels][L]}: the pooled gradient at each
     * winner where the pooled value is positive, 0 elsewhere, as the scalar rule routes it; {@link #scatterBand}), and
     * for each input channel nine accumulators, one per kernel tap, summed over the band's pixels: a pixel's vector of
     * output-channel gradients times its tap's input, broadcast ({@link #addChannelTaps}). Adds
     * {@code part[partOff + ((c*3 + kh)*3 + kw)*L + oc]}. Sums in a different order from the winners' kernels: equal to
     * them, and to the dense definition, to rounding.
     */
    private static void addImagesDense(float[] part, int partOff, float[] dpool, float[] out, int[] argmax, float[] in,
                                       int from, int to, ConvGeometry g) {
        int C = g.C(), H = g.H(), W = g.W(), PW = W + 2, plane = (H + 2) * PW;
        int PQ = (g.OH() / 2) * (g.OW() / 2);
        float[] xp = Scratch.get(Scratch.PASSED_GRADS, C * plane); // one image's zero-bordered planes
        java.util.Arrays.fill(xp, 0, C * plane, 0f); // the border: each image writes the same interior
        int base = Scratch.ALIGN;
        float[] d = Scratch.aligned(Scratch.PADDED_IN, base + Math.max(2 * W, DENSE_BAND_PIXELS) * L); // [pixels][L]
        int[] where = Scratch.ints(Scratch.WINNERS, L);
        int OH2 = g.OH() / 2, Q = g.OW() / 2, bandP = Math.max(1, DENSE_BAND_PIXELS / (2 * W));
        for (int n = from; n < to; n++) {
            for (int c = 0; c < C; c++) {
                for (int y = 0; y < H; y++) {
                    System.arraycopy(in, ((n * C + c) * H + y) * W, xp, c * plane + (y + 1) * PW + 1, W);
                }
            }
            for (int p0 = 0; p0 < OH2; p0 += bandP) { // a band of pooled rows and their pixel rows, in L1
                int p1 = Math.min(OH2, p0 + bandP), y0 = 2 * p0, rows = 2 * (p1 - p0), pix0 = y0 * W;
                java.util.Arrays.fill(d, base, base + rows * W * L, 0f);
                scatterBand(d, base, pix0, where, dpool, out, argmax, n * L * PQ + p0 * Q, (p1 - p0) * Q, PQ);
                for (int c = 0; c < C; c++) {
                    addChannelTaps(part, partOff + c * 9 * L, d, base, xp, c * plane + y0 * PW, rows, W);
                }
            }
        }
    }

    /**
     * d[base + (argmax[o] - pix0)*L + oc] = the passed gradient at o (dpool where the pooled value is positive, else
     * 0, as the scalar rule: 0 at NaN) for each channel oc's windows [o0 + oc*PQ, + count): a band's winners, one
     * vector of windows at a time, stored by the Vector API's scatter (index map {@code where}). Each window's winner
     * is a pixel of its own, so no two stores meet. Scalar stores from a vector of lanes took twice as long, a branch
     * per winner 3.6x (one thread, AVX-512, SimpleNet's conv1).
     */
    private static void scatterBand(float[] d, int base, int pix0, int[] where, float[] dpool, float[] out,
                                    int[] argmax, int o0, int count, int PQ) {
        FloatVector zero = FloatVector.zero(S);
        for (int oc = 0; oc < L; oc++) {
            int o = o0 + oc * PQ, end = o + count;
            for (; o + L <= end; o += L) {
                IntVector.fromArray(I, argmax, o).sub(pix0).lanewise(VectorOperators.LSHL, SHIFT_L).intoArray(where, 0);
                zero.blend(FloatVector.fromArray(S, dpool, o),
                        FloatVector.fromArray(S, out, o).compare(VectorOperators.GT, zero))
                        .intoArray(d, base + oc, where, 0);
            }
            for (; o < end; o++) {
                d[base + (argmax[o] - pix0) * L + oc] = out[o] > 0 ? dpool[o] : 0f;
            }
        }
    }

    /**
     * part[acc + (kh*3 + kw)*L + oc] += the sum over pixels (y, x) of d[base + (y*W + x)*L + oc] times
     * xp[p + (y + kh)*(W + 2) + x + kw]: one input channel's nine taps ({@link #addImagesDense}).
     */
    private static void addChannelTaps(float[] part, int acc, float[] d, int base, float[] xp, int p, int H, int W) {
        int PW = W + 2;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0;
        for (int y = 0, e = base; y < H; y++) {
            // The window slides one pixel along the row: two of its three columns are the last pixel's, kept in
            // registers, so that each pixel loads one new input per kernel row
            int r = p + y * PW;
            FloatVector u0 = FloatVector.broadcast(S, xp[r]), u1 = FloatVector.broadcast(S, xp[r + 1]);
            FloatVector v0 = FloatVector.broadcast(S, xp[r + PW]), v1 = FloatVector.broadcast(S, xp[r + PW + 1]);
            FloatVector w0 = FloatVector.broadcast(S, xp[r + 2 * PW]);
            FloatVector w1 = FloatVector.broadcast(S, xp[r + 2 * PW + 1]);
            for (int x = 0; x < W; x++, r++, e += L) {
                FloatVector gv = FloatVector.fromArray(S, d, e);
                FloatVector u2 = FloatVector.broadcast(S, xp[r + 2]);
                FloatVector v2 = FloatVector.broadcast(S, xp[r + PW + 2]);
                FloatVector w2 = FloatVector.broadcast(S, xp[r + 2 * PW + 2]);
                a0 = gv.fma(u0, a0);
                a1 = gv.fma(u1, a1);
                a2 = gv.fma(u2, a2);
                a3 = gv.fma(v0, a3);
                a4 = gv.fma(v1, a4);
                a5 = gv.fma(v2, a5);
                a6 = gv.fma(w0, a6);
                a7 = gv.fma(w1, a7);
                a8 = gv.fma(w2, a8);
                u0 = u1;
                u1 = u2;
                v0 = v1;
                v1 = v2;
                w0 = w1;
                w1 = w2;
            }
        }
        FloatVector.fromArray(S, part, acc).add(a0).intoArray(part, acc);
        FloatVector.fromArray(S, part, acc + L).add(a1).intoArray(part, acc + L);
        FloatVector.fromArray(S, part, acc + 2 * L).add(a2).intoArray(part, acc + 2 * L);
        FloatVector.fromArray(S, part, acc + 3 * L).add(a3).intoArray(part, acc + 3 * L);
        FloatVector.fromArray(S, part, acc + 4 * L).add(a4).intoArray(part, acc + 4 * L);
        FloatVector.fromArray(S, part, acc + 5 * L).add(a5).intoArray(part, acc + 5 * L);
        FloatVector.fromArray(S, part, acc + 6 * L).add(a6).intoArray(part, acc + 6 * L);
        FloatVector.fromArray(S, part, acc + 7 * L).add(a7).intoArray(part, acc + 7 * L);
        FloatVector.fromArray(S, part, acc + 8 * L).add(a8).intoArray(part, acc + 8 * L);
    }

    /**
     * One image's passed pooled gradients and window corners, for all its output channels:
     * {@code gs[i] = dpool[o0 + i]} where the pooled value is positive, else 0, and
     * {@code ps[i] = base + corner[argmax[o0 + i]]}, for i in [0, n), by vectors: the corners by a shift and a mask
     * where the width W is a power of two, else by gathers from the table (a gather of 8 ints costs AVX2 some ten
     * cycles; measured, one thread, 32 images, minima, several JVMs each way: SimpleNet's conv1 weight gradient
     * 11.0-11.4 -> 9.9 us per image in 5 of 7 JVMs, conv2's 12.0-12.2 -> 11.6-11.7 in its fast JVMs; the same corners).
     */
    private static void winners(float[] gs, int[] ps, int base, float[] dpool, float[] out, int[] argmax,
                                int[] corner, int o0, int n, int W, int row, int C) {
        FloatVector zero = FloatVector.zero(S);
        boolean shifts = Integer.bitCount(W) == 1; // corner[a] = (a / W)*row + (a % W)*C
        int shift = Integer.numberOfTrailingZeros(W);
        int i = 0;
        for (; i <= n - L; i += L) {
            zero.blend(FloatVector.fromArray(S, dpool, o0 + i),
                    FloatVector.fromArray(S, out, o0 + i).compare(VectorOperators.GT, zero)).intoArray(gs, i);
            IntVector a = IntVector.fromArray(I, argmax, o0 + i);
            (shifts ? a.lanewise(VectorOperators.LSHR, shift).mul(row).add(a.and(W - 1).mul(C))
                    : IntVector.fromArray(I, corner, 0, argmax, o0 + i)).add(base).intoArray(ps, i);
        }
        for (; i < n; i++) {
            gs[i] = passed(dpool[o0 + i], out[o0 + i]);
            ps[i] = base + corner[argmax[o0 + i]];
        }
    }

    /**
     * {@link #addImage} with 2 {@link #rowVectors}: per kernel row kh, two accumulators over the 2L floats from the
     * window row's start (its 3C floats first), from zero, added into {@code part[acc + (2*kh + v)*L]} at the end.
     * The copy's rows are {@link #ROW2} apart. Each position's passed gradient and window corner come from
     * {@link #winners} (gs and ps from o): two loads instead of four and the ReLU's mask (measured on AVX2, conv1 of
     * SimpleNet, one thread, 16 images, 8 runs of 400 calls alternating: 12.4-15.8 -> 11.1-14.4 us per image for the
     * whole weight gradient, the same sums).
     */
    private static void addImageRows2(float[] part, int acc, float[] x, float[] gs, int[] ps, int o, int PQ) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
        for (int end = o + PQ; o < end; o++) {
            FloatVector gv = FloatVector.broadcast(S, gs[o]);
            int p = ps[o];
            a00 = gv.fma(FloatVector.fromArray(S, x, p), a00);
            a01 = gv.fma(FloatVector.fromArray(S, x, p + L), a01);
            a10 = gv.fma(FloatVector.fromArray(S, x, p + ROW2), a10);
            a11 = gv.fma(FloatVector.fromArray(S, x, p + ROW2 + L), a11);
            a20 = gv.fma(FloatVector.fromArray(S, x, p + 2 * ROW2), a20);
            a21 = gv.fma(FloatVector.fromArray(S, x, p + 2 * ROW2 + L), a21);
        }
        FloatVector.fromArray(S, part, acc).add(a00).intoArray(part, acc);
        FloatVector.fromArray(S, part, acc + L).add(a01).intoArray(part, acc + L);
        FloatVector.fromArray(S, part, acc + 2 * L).add(a10).intoArray(part, acc + 2 * L);
        FloatVector.fromArray(S, part, acc + 3 * L).add(a11).intoArray(part, acc + 3 * L);
        FloatVector.fromArray(S, part, acc + 4 * L).add(a20).intoArray(part, acc + 4 * L);
        FloatVector.fromArray(S, part, acc + 5 * L).add(a21).intoArray(part, acc + 5 * L);
    }

    /**
     * {@link #addImageRow6} for kernel rows 0 and 1 at once: twelve accumulators (of the 16 vector registers AVX2
     * has), so that each position's gradient and window are worked out once for two rows instead of once per row.
     * Measured on AVX2, SimpleNet's conv2, one thread, 16 images, four runs of 400 calls alternating in one JVM:
     * 23.2-25.0 against 18.6-20.2 us per image for the whole weight gradient, the same sums. Reading each position's
     * gradient and corner from {@link #winners}' tables: 17.2-18.5 -> 12.3-15.7 us (two JVMs).
     */
    private static void addImageRows6(float[] part, int acc, float[] x, int row, float[] gs, int[] ps, int o,
                                      int PQ) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0;
        for (int end = o + PQ; o < end; o++) {
            FloatVector gv = FloatVector.broadcast(S, gs[o]);
            int p = ps[o];
            a0 = gv.fma(FloatVector.fromArray(S, x, p), a0);
            a1 = gv.fma(FloatVector.fromArray(S, x, p + L), a1);
            a2 = gv.fma(FloatVector.fromArray(S, x, p + 2 * L), a2);
            a3 = gv.fma(FloatVector.fromArray(S, x, p + 3 * L), a3);
            a4 = gv.fma(FloatVector.fromArray(S, x, p + 4 * L), a4);
            a5 = gv.fma(FloatVector.fromArray(S, x, p + 5 * L), a5);
            int q = p + row;
            b0 = gv.fma(FloatVector.fromArray(S, x, q), b0);
            b1 = gv.fma(FloatVector.fromArray(S, x, q + L), b1);
            b2 = gv.fma(FloatVector.fromArray(S, x, q + 2 * L), b2);
            b3 = gv.fma(FloatVector.fromArray(S, x, q + 3 * L), b3);
            b4 = gv.fma(FloatVector.fromArray(S, x, q + 4 * L), b4);
            b5 = gv.fma(FloatVector.fromArray(S, x, q + 5 * L), b5);
        }
        FloatVector.fromArray(S, part, acc).add(a0).intoArray(part, acc);
        FloatVector.fromArray(S, part, acc + L).add(a1).intoArray(part, acc + L);
        FloatVector.fromArray(S, part, acc + 2 * L).add(a2).intoArray(part, acc + 2 * L);
        FloatVector.fromArray(S, part, acc + 3 * L).add(a3).intoArray(part, acc + 3 * L);
        FloatVector.fromArray(S, part, acc + 4 * L).add(a4).intoArray(part, acc + 4 * L);
        FloatVector.fromArray(S, part, acc + 5 * L).add(a5).intoArray(part, acc + 5 * L);
        FloatVector.fromArray(S, part, acc + 6 * L).add(b0).intoArray(part, acc + 6 * L);
        FloatVector.fromArray(S, part, acc + 7 * L).add(b1).intoArray(part, acc + 7 * L);
        FloatVector.fromArray(S, part, acc + 8 * L).add(b2).intoArray(part, acc + 8 * L);
        FloatVector.fromArray(S, part, acc + 9 * L).add(b3).intoArray(part, acc + 9 * L);
        FloatVector.fromArray(S, part, acc + 10 * L).add(b4).intoArray(part, acc + 10 * L);
        FloatVector.fromArray(S, part, acc + 11 * L).add(b5).intoArray(part, acc + 11 * L);
    }

    /** {@link #addImageRows2} with 1 {@link #rowVectors}: one accumulator per kernel row (3C at most L). */
    private static void addImageRows1(float[] part, int acc, float[] x, float[] gs, int[] ps, int o, int PQ) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0;
        for (int end = o + PQ; o < end; o++) {
            FloatVector gv = FloatVector.broadcast(S, gs[o]);
            int p = ps[o];
            a0 = gv.fma(FloatVector.fromArray(S, x, p), a0);
            a1 = gv.fma(FloatVector.fromArray(S, x, p + ROW2), a1);
            a2 = gv.fma(FloatVector.fromArray(S, x, p + 2 * ROW2), a2);
        }
        FloatVector.fromArray(S, part, acc).add(a0).intoArray(part, acc);
        FloatVector.fromArray(S, part, acc + L).add(a1).intoArray(part, acc + L);
        FloatVector.fromArray(S, part, acc + 2 * L).add(a2).intoArray(part, acc + 2 * L);
    }

    /**
     * {@link #addImage} with 6 {@link #rowVectors}, for one kernel row (the window rows {@code rowOff} below its
     * corner): six accumulators over the 6L floats from the window row's start, from zero, added into
     * {@code part[acc + v*L]} at the end. Each position's gradient and corner from {@link #winners}' tables.
     */
    private static void addImageRow6(float[] part, int acc, float[] x, int rowOff, float[] gs, int[] ps, int o,
                                     int PQ) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        for (int end = o + PQ; o < end; o++) {
            FloatVector gv = FloatVector.broadcast(S, gs[o]);
            int p = rowOff + ps[o];
            a0 = gv.fma(FloatVector.fromArray(S, x, p), a0);
            a1 = gv.fma(FloatVector.fromArray(S, x, p + L), a1);
            a2 = gv.fma(FloatVector.fromArray(S, x, p + 2 * L), a2);
            a3 = gv.fma(FloatVector.fromArray(S, x, p + 3 * L), a3);
            a4 = gv.fma(FloatVector.fromArray(S, x, p + 4 * L), a4);
            a5 = gv.fma(FloatVector.fromArray(S, x, p + 5 * L), a5);
        }
        FloatVector.fromArray(S, part, acc).add(a0).intoArray(part, acc);
        FloatVector.fromArray(S, part, acc + L).add(a1).intoArray(part, acc + L);
        FloatVector.fromArray(S, part, acc + 2 * L).add(a2).intoArray(part, acc + 2 * L);
        FloatVector.fromArray(S, part, acc + 3 * L).add(a3).intoArray(part, acc + 3 * L);
        FloatVector.fromArray(S, part, acc + 4 * L).add(a4).intoArray(part, acc + 4 * L);
        FloatVector.fromArray(S, part, acc + 5 * L).add(a5).intoArray(part, acc + 5 * L);
    }

    /**
     * x[base + (y + 1)*row + (x + 1)*C + c] = in[inOff + (c*H + y)*W + x]: the interior only (the border stays as
     * zeroed).
     * A channels-last row, W*C contiguous floats, is written a vector at a time, each gathered from the C planes
     * through the table at {@code map} (see {@link #corners}); the rest of a row one by one. Measured on AVX2, one
     * thread, 16 images, four runs of 400 calls alternating in one JVM, against writing each float C apart while
     * reading plane by plane: the whole weight gradient 20.1-20.2 -> 18.9 us per image for conv2, 16.5-17.3 ->
     * 16.0-16.5 for conv1 (the plane-by-plane loop had itself replaced reading across the planes: 4.8 -> 2.9-3.1 us
     * per image for conv1's copy). With one vector of channels (C = L = 16) and rows of whole vectors, by
     * {@link VectorTranspose} instead (see there; conv2's whole weight gradient on AVX-512: see docs/BENCHMARKS.md).
     */
    private static void toChannelsLast(float[] x, int base, int row, float[] in, int inOff, int C, int H, int W,
                                       int[] map, int mapOff) {
        if (C == L && W % L == 0 && VectorTranspose.applies()) { // one 16 x 16 transpose per 16 pixels of a row
            for (int y = 0; y < H; y++) {
                for (int x0 = 0; x0 < W; x0 += L) {
                    VectorTranspose.transpose(in, inOff + y * W + x0, H * W, x, base + (y + 1) * row + (x0 + 1) * C, C,
                            false);
                }
            }
            return;
        }
        int n = W * C, bound = S.loopBound(n);
        for (int y = 0; y < H; y++) {
            int dst = base + (y + 1) * row + C, src = inOff + y * W;
            int f = 0;
            for (; f < bound; f += L) {
                FloatVector.fromArray(S, in, src, map, mapOff + f).intoArray(x, dst + f);
            }
            for (; f < n; f++) {
                x[dst + f] = in[src + map[mapOff + f]];
            }
        }
    }

}
