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
    /**
     * Whether the tiles of 16 accumulators fit the registers with their operands (AVX-512's 32: four rows by four
     * outputs in the forward pass, four rows by four vectors of columns in the input gradient, a 10-class head's ten
     * outputs by two vectors in the weight gradient); AVX2's 16 keep the smaller tiles. Each accumulator has one
     * multiply-add a step of its loop, and a multiply-add takes 4 cycles to its result and 2 issue a cycle: eight
     * accumulators keep the units just busy, sixteen leave room for the loads. The same sums bit for bit: each
     * element's multiply-adds in the same order, only more of them in flight. SimpleNet's head, [32, 2048] -> 10,
     * AVX-512, means of 2,000 calls, the two builds alternating (with the input gradient's weights packed once per
     * thread, {@link #packBlocks}): one thread, forward 17.6-18.9 -> 10.9-11.2 us, input gradient 19.6-21.9 ->
     * 11.3-11.6, weight gradient 19.3-20.4 -> 7.6-8.0; two threads 14.2 -> 10.8, 27.1 -> 13.3, 14.4 -> 10.1.
     */
    static final boolean WIDE = VectorRegisters.COUNT >= 32;

    private VectorLinear() {
    }

    /**
     * Below this many multiply-adds a pass runs on the caller alone. SimpleNet's head at batch 32 (655 K
     * multiply-adds) is split: measured on AVX2 (bench, 2 threads, 4 alternating pairs), its forward 0.047-0.050 ->
     * 0.032-0.040 s and its backward 0.097-0.113 -> 0.068-0.100 s per 800 steps. (Before the chunks were taken rather
     * than assigned and the forward paired its rows, the same split had taken 3x longer than the caller alone.)
     */
    static final long PARALLEL_MIN_MACS = 1L << 18;

    /** parallelFor, or the whole range on the caller when the pass is too small to split. */
    private static void split(int n, long macs, Parallel.RangeBody body) {
        split(n, macs, null, body);
    }

    /** {@link #split} with a prepare run once by each thread that takes a chunk (see {@link Parallel}). */
    private static void split(int n, long macs, Runnable prepare, Parallel.RangeBody body) {
        if (macs < PARALLEL_MIN_MACS) {
            if (prepare != null) {
                prepare.run();
            }
            body.run(0, 0, n);
        } else {
            Parallel.parallelFor(n, prepare, body);
        }
    }

    /** Rows of the batch that the row loops take at a time: four with {@link #WIDE}'s registers, else two. */
    static final int ROW_GROUP = WIDE ? 4 : 2;

    /**
     * {@link #split} over the batch's rows in whole groups of {@link #ROW_GROUP} (the last may be short), so that every
     * chunk's rows go through the loops' widest blocks: a training batch's few groups each a chunk of its own
     * ({@link Parallel#parallelForEach}), an evaluation batch's many in {@link Parallel#parallelFor}'s chunks. Split
     * row by row, two threads' chunks of 7, 5, 3 and 1 rows each took a third of their rows one or two at a time, each
     * weight vector then feeding one or two multiply-adds; in two chunks of four groups, the thread that finished first
     * had only the other's whole chunk to wait for. SimpleNet's head, [32, 2048] -> 10, two threads, means of 3,000
     * calls, the three splits alternating in one JVM: forward 11.8-12.0 us by rows, 8.4-8.5 in two chunks, 8.6-8.8 a
     * group a chunk; input gradient 14.6-14.9, 24.7-25.9 and 13.6-14.5. The same sums bit for bit whatever the split.
     */
    private static void splitRows(int B, long macs, Runnable prepare, Parallel.RangeBody body) {
        int groups = (B + ROW_GROUP - 1) / ROW_GROUP;
        Parallel.RangeBody rows = (worker, from, to) -> body.run(worker, from * ROW_GROUP, Math.min(B, to * ROW_GROUP));
        if (macs < PARALLEL_MIN_MACS || groups >= Parallel.threads() * Parallel.CHUNKS_PER_THREAD * Parallel.MIN_CHUNK) {
            split(groups, macs, prepare, rows); // on the caller, or enough groups for parallelFor's shrinking chunks
        } else {
            Parallel.parallelForEach(groups, prepare, rows);
        }
    }

    static void forward(float[] out, float[] in, float[] weight, float[] bias, int B, int IN, int OUT) {
        splitRows(B, (long) B * IN * OUT, null, (worker, from, to) -> {
            // Four input rows by four outputs at a time with WIDE's registers (dot4x4), else two (dot2x4): each vector
            // of a row feeds four multiply-adds and each weight vector four (two); the rows stay in L1 while the weight
            // rows stream past. The input was read once per four outputs before, and the last two outputs were single
            // dots, each waiting on its one accumulator (SimpleNet's head, [32, 2048] -> 10, AVX2, minimum of 2,000
            // calls: 46-47 -> 25-31 us, the same sums bit for bit).
            int b = from;
            for (; WIDE && b + 4 <= to; b += 4) { // four rows at a time: each weight vector feeds four multiply-adds
                int o = 0;
                for (; o + 4 <= OUT; o += 4) {
                    dot4x4(out, b * OUT + o, OUT, in, b * IN, weight, o * IN, IN);
                }
                for (; o + 2 <= OUT; o += 2) {
                    dot4x2(out, b * OUT + o, OUT, in, b * IN, weight, o * IN, IN);
                }
                for (; o < OUT; o++) {
                    for (int r = b; r < b + 4; r++) {
                        out[r * OUT + o] = dot(in, r * IN, weight, o * IN, IN);
                    }
                }
            }
            for (; b + 2 <= to; b += 2) {
                int o = 0;
                for (; o + 4 <= OUT; o += 4) {
                    dot2x4(out, b * OUT + o, OUT, in, b * IN, weight, o * IN, IN);
                }
                for (; o + 2 <= OUT; o += 2) { // four chains: a single dot waits on its one accumulator
                    dot2x2(out, b * OUT + o, OUT, in, b * IN, weight, o * IN, IN);
                }
                for (; o < OUT; o++) {
                    out[b * OUT + o] = dot(in, b * IN, weight, o * IN, IN);
                    out[(b + 1) * OUT + o] = dot(in, (b + 1) * IN, weight, o * IN, IN);
                }
            }
            for (; b < to; b++) {
                int o = 0;
                for (; o + 4 <= OUT; o += 4) {
                    dot4(out, b * OUT + o, in, b * IN, weight, o * IN, IN);
                }
                for (; o < OUT; o++) {
                    out[b * OUT + o] = dot(in, b * IN, weight, o * IN, IN);
                }
            }
            if (bias != null) {
                for (b = from; b < to; b++) {
                    for (int o = 0; o < OUT; o++) {
                        out[b * OUT + o] += bias[o];
                    }
                }
            }
        });
    }

    /**
     * din (+)= dout * weight; without accumulation din's rows are overwritten. Split over the batch's rows, as the
     * forward pass and the convolutions are: each worker writes the rows of the images it will most likely take in
     * the layer below's backward pass, which reads them right after (split over din's columns instead, every image's
     * gradient was half written on the other core, and the convolution's backward read that half from there: ~230 ns
     * a cache line between this Zen 5 machine's two vCPUs). Within a chunk, for each block of two vectors of columns
     * (four with {@link #WIDE}), the block's weights (those vectors of each output row), copied next to each other
     * ({@link #packBlocks}), serve every row of the chunk, four rows at a time in eight (sixteen) accumulators, then
     * two, then one, each element's sum over the outputs kept in a register and stored once, the multiply-adds in
     * output order as a row of axpys would do them. The copy keeps a block in L1: SimpleNet's head has rows of 2,048
     * floats, 8 KB, so that a block's ten rows fall into one set of AVX2's 8-way L1 cache and do not stay there (read
     * in place, this loop had been no faster than the one it replaced, which ran along each row of din and read all
     * 80 KB of weights once per row of the batch; with a padded copy of all the weights, AVX2, minima of 1,000 calls:
     * 58-71 -> 32 us on one thread). Each thread makes its own copy, once, before its first chunk: made whole by the
     * caller first, that serial 80 KB copy was the largest piece of a two-thread step's work outside parallel loops
     * (JFR, Zen 5: 131 of 822 samples); made block by block in every chunk, it was read and written four times a call
     * by each thread. The same sums bit for bit as the loop it replaced, whatever the split.
     */
    static void backwardInput(float[] din, boolean accumulate, float[] dout, float[] weight, int B, int IN, int OUT) {
        int block = 2 * L, wide = WIDE ? 4 * L : block, wholeWide = IN / wide * wide, whole = IN / block * block;
        splitRows(B, (long) B * IN * OUT, () -> packBlocks(weight, wholeWide, whole, IN, OUT), (worker, from, to) -> {
            float[] w = Scratch.get(Scratch.WEIGHT_BLOCK, OUT * whole); // this thread's, from packBlocks
            int i = 0;
            for (; i < wholeWide && wide > block; i += wide) { // four vectors of columns, four rows at a time
                inputColumns4(din, accumulate, dout, w, OUT * i, i, from, to, IN, OUT);
            }
            for (; i < whole; i += block) {
                inputColumns(din, accumulate, dout, w, OUT * i, i, from, to, IN, OUT);
            }
            if (whole < IN) {
                inputTail(din, accumulate, dout, weight, whole, from, to, IN, OUT);
            }
        });
    }

    /**
     * The calling thread's copy of the weights for {@link #backwardInput}, block by block of columns: the block of
     * columns [i, i + vL) at {@code OUT*i}, [OUT][vL] (v = 4 up to {@code wholeWide}, then 2 up to {@code whole}). Made
     * once per thread and call, before its first chunk: made block by block in every chunk, the copy had been read
     * and written four times a call by each of two threads (8 chunks), 80 KB each time for SimpleNet's head.
     */
    private static void packBlocks(float[] weight, int wholeWide, int whole, int IN, int OUT) {
        float[] w = Scratch.get(Scratch.WEIGHT_BLOCK, OUT * whole);
        int i = 0;
        for (int wide = 4 * L; i < wholeWide && WIDE; i += wide) {
            packColumns(w, OUT * i, weight, i, IN, OUT, 4);
        }
        for (; i < whole; i += 2 * L) {
            packColumns(w, OUT * i, weight, i, IN, OUT, 2);
        }
    }

    /** w[wOff + o*vL + j] = weight[o*IN + i + j] for j < vL: the weights of din's columns [i, i + vL), v = vectors. */
    private static void packColumns(float[] w, int wOff, float[] weight, int i, int IN, int OUT, int vectors) {
        for (int o = 0, src = i, dst = wOff; o < OUT; o++, src += IN) {
            for (int v = 0; v < vectors; v++, dst += L) {
                FloatVector.fromArray(S, weight, src + v * L).intoArray(w, dst);
            }
        }
    }

    /**
     * {@link #inputColumns} for four vectors of columns [i, i + 4L) ({@link #WIDE} only): four rows at a time in
     * sixteen accumulators, each weight vector loaded once for four rows, then two rows, then one; their weights'
     * block, [OUT][4L], is at w[wOff].
     */
    private static void inputColumns4(float[] din, boolean accumulate, float[] dout, float[] w, int wOff, int i,
                                      int from, int to, int IN, int OUT) {
        int fours = from + (to - from) / 4 * 4;
        inputRows4(din, accumulate, dout, w, wOff, i, from, fours, IN, OUT);
        inputRowsLast(din, accumulate, dout, w, wOff, i, fours, to, IN, OUT);
    }

    /*
     * inputColumns4's rows in fours, and the two or one left, in methods of their own: as one method, C2 compiled it
     * in some runs of the test suite (whose earlier tests had taken every branch) into code that ran some of its
     * vector operations on the Vector API's allocating fallback for good (836 KB a step of SimpleNet; JFR's
     * allocation samples), as when a method outgrows the compiler's inlining budget. The same sums.
     */

    /** {@link #inputColumns4}'s rows [from, to), a multiple of four of them, four at a time. */
    private static void inputRows4(float[] din, boolean accumulate, float[] dout, float[] w, int wOff, int i,
                                   int from, int to, int IN, int OUT) {
        for (int b = from; b + 4 <= to; b += 4) {
            int r0 = b * IN + i, r1 = r0 + IN, r2 = r1 + IN, r3 = r2 + IN;
            FloatVector a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33;
            if (accumulate) {
                a00 = FloatVector.fromArray(S, din, r0);
                a01 = FloatVector.fromArray(S, din, r0 + L);
                a02 = FloatVector.fromArray(S, din, r0 + 2 * L);
                a03 = FloatVector.fromArray(S, din, r0 + 3 * L);
                a10 = FloatVector.fromArray(S, din, r1);
                a11 = FloatVector.fromArray(S, din, r1 + L);
                a12 = FloatVector.fromArray(S, din, r1 + 2 * L);
                a13 = FloatVector.fromArray(S, din, r1 + 3 * L);
                a20 = FloatVector.fromArray(S, din, r2);
                a21 = FloatVector.fromArray(S, din, r2 + L);
                a22 = FloatVector.fromArray(S, din, r2 + 2 * L);
                a23 = FloatVector.fromArray(S, din, r2 + 3 * L);
                a30 = FloatVector.fromArray(S, din, r3);
                a31 = FloatVector.fromArray(S, din, r3 + L);
                a32 = FloatVector.fromArray(S, din, r3 + 2 * L);
                a33 = FloatVector.fromArray(S, din, r3 + 3 * L);
            } else {
                a00 = FloatVector.zero(S);
                a01 = a00;
                a02 = a00;
                a03 = a00;
                a10 = a00;
                a11 = a00;
                a12 = a00;
                a13 = a00;
                a20 = a00;
                a21 = a00;
                a22 = a00;
                a23 = a00;
                a30 = a00;
                a31 = a00;
                a32 = a00;
                a33 = a00;
            }
            for (int o = 0, k = wOff, d = b * OUT; o < OUT; o++, k += 4 * L, d++) {
                FloatVector w0 = FloatVector.fromArray(S, w, k), w1 = FloatVector.fromArray(S, w, k + L);
                FloatVector w2 = FloatVector.fromArray(S, w, k + 2 * L), w3 = FloatVector.fromArray(S, w, k + 3 * L);
                FloatVector g = FloatVector.broadcast(S, dout[d]);
                a00 = g.fma(w0, a00);
                a01 = g.fma(w1, a01);
                a02 = g.fma(w2, a02);
                a03 = g.fma(w3, a03);
                g = FloatVector.broadcast(S, dout[d + OUT]);
                a10 = g.fma(w0, a10);
                a11 = g.fma(w1, a11);
                a12 = g.fma(w2, a12);
                a13 = g.fma(w3, a13);
                g = FloatVector.broadcast(S, dout[d + 2 * OUT]);
                a20 = g.fma(w0, a20);
                a21 = g.fma(w1, a21);
                a22 = g.fma(w2, a22);
                a23 = g.fma(w3, a23);
                g = FloatVector.broadcast(S, dout[d + 3 * OUT]);
                a30 = g.fma(w0, a30);
                a31 = g.fma(w1, a31);
                a32 = g.fma(w2, a32);
                a33 = g.fma(w3, a33);
            }
            a00.intoArray(din, r0);
            a01.intoArray(din, r0 + L);
            a02.intoArray(din, r0 + 2 * L);
            a03.intoArray(din, r0 + 3 * L);
            a10.intoArray(din, r1);
            a11.intoArray(din, r1 + L);
            a12.intoArray(din, r1 + 2 * L);
            a13.intoArray(din, r1 + 3 * L);
            a20.intoArray(din, r2);
            a21.intoArray(din, r2 + L);
            a22.intoArray(din, r2 + 2 * L);
            a23.intoArray(din, r2 + 3 * L);
            a30.intoArray(din, r3);
            a31.intoArray(din, r3 + L);
            a32.intoArray(din, r3 + 2 * L);
            a33.intoArray(din, r3 + 3 * L);
        }
    }

    /** {@link #inputColumns4}'s last rows [b, to), fewer than four: two at a time, then one. */
    private static void inputRowsLast(float[] din, boolean accumulate, float[] dout, float[] w, int wOff, int i,
                                      int b, int to, int IN, int OUT) {
        if (b + 2 <= to) { // two of the last rows: eight accumulators (a chunk's rows need not come in fours)
            int r0 = b * IN + i, r1 = r0 + IN;
            FloatVector z = FloatVector.zero(S);
            FloatVector a00 = accumulate ? FloatVector.fromArray(S, din, r0) : z;
            FloatVector a01 = accumulate ? FloatVector.fromArray(S, din, r0 + L) : z;
            FloatVector a02 = accumulate ? FloatVector.fromArray(S, din, r0 + 2 * L) : z;
            FloatVector a03 = accumulate ? FloatVector.fromArray(S, din, r0 + 3 * L) : z;
            FloatVector a10 = accumulate ? FloatVector.fromArray(S, din, r1) : z;
            FloatVector a11 = accumulate ? FloatVector.fromArray(S, din, r1 + L) : z;
            FloatVector a12 = accumulate ? FloatVector.fromArray(S, din, r1 + 2 * L) : z;
            FloatVector a13 = accumulate ? FloatVector.fromArray(S, din, r1 + 3 * L) : z;
            for (int o = 0, k = wOff, d = b * OUT; o < OUT; o++, k += 4 * L, d++) {
                FloatVector w0 = FloatVector.fromArray(S, w, k), w1 = FloatVector.fromArray(S, w, k + L);
                FloatVector w2 = FloatVector.fromArray(S, w, k + 2 * L), w3 = FloatVector.fromArray(S, w, k + 3 * L);
                FloatVector g = FloatVector.broadcast(S, dout[d]);
                a00 = g.fma(w0, a00);
                a01 = g.fma(w1, a01);
                a02 = g.fma(w2, a02);
                a03 = g.fma(w3, a03);
                g = FloatVector.broadcast(S, dout[d + OUT]);
                a10 = g.fma(w0, a10);
                a11 = g.fma(w1, a11);
                a12 = g.fma(w2, a12);
                a13 = g.fma(w3, a13);
            }
            a00.intoArray(din, r0);
            a01.intoArray(din, r0 + L);
            a02.intoArray(din, r0 + 2 * L);
            a03.intoArray(din, r0 + 3 * L);
            a10.intoArray(din, r1);
            a11.intoArray(din, r1 + L);
            a12.intoArray(din, r1 + 2 * L);
            a13.intoArray(din, r1 + 3 * L);
            b += 2;
        }
        if (b < to) { // the last row
            int r = b * IN + i;
            FloatVector a0 = accumulate ? FloatVector.fromArray(S, din, r) : FloatVector.zero(S);
            FloatVector a1 = accumulate ? FloatVector.fromArray(S, din, r + L) : FloatVector.zero(S);
            FloatVector a2 = accumulate ? FloatVector.fromArray(S, din, r + 2 * L) : FloatVector.zero(S);
            FloatVector a3 = accumulate ? FloatVector.fromArray(S, din, r + 3 * L) : FloatVector.zero(S);
            for (int o = 0, k = wOff, d = b * OUT; o < OUT; o++, k += 4 * L, d++) {
                FloatVector g = FloatVector.broadcast(S, dout[d]);
                a0 = g.fma(FloatVector.fromArray(S, w, k), a0);
                a1 = g.fma(FloatVector.fromArray(S, w, k + L), a1);
                a2 = g.fma(FloatVector.fromArray(S, w, k + 2 * L), a2);
                a3 = g.fma(FloatVector.fromArray(S, w, k + 3 * L), a3);
            }
            a0.intoArray(din, r);
            a1.intoArray(din, r + L);
            a2.intoArray(din, r + 2 * L);
            a3.intoArray(din, r + 3 * L);
        }
    }

    /*
     * The backward passes' work in methods called once per block of columns: called often from the first step on,
     * the JIT compiles them early, where loops inside the parallel loop's body (called once per chunk) had run in the
     * JIT's first tier, on the Vector API's fallback, for the first steps of a run (JFR: 15% of the first 0.45 s of an
     * epoch's samples).
     */

    /** din's columns [i, i + 2L) of rows [from, to), for {@link #backwardInput}; their weights' block is at w[wOff]. */
    private static void inputColumns(float[] din, boolean accumulate, float[] dout, float[] w, int wOff, int i,
                                     int from, int to, int IN, int OUT) {
        int b = from;
        for (; b + 4 <= to; b += 4) {
            int r0 = b * IN + i, r1 = r0 + IN, r2 = r1 + IN, r3 = r2 + IN;
            FloatVector a00, a01, a10, a11, a20, a21, a30, a31;
            if (accumulate) {
                a00 = FloatVector.fromArray(S, din, r0);
                a01 = FloatVector.fromArray(S, din, r0 + L);
                a10 = FloatVector.fromArray(S, din, r1);
                a11 = FloatVector.fromArray(S, din, r1 + L);
                a20 = FloatVector.fromArray(S, din, r2);
                a21 = FloatVector.fromArray(S, din, r2 + L);
                a30 = FloatVector.fromArray(S, din, r3);
                a31 = FloatVector.fromArray(S, din, r3 + L);
            } else {
                a00 = FloatVector.zero(S);
                a01 = a00;
                a10 = a00;
                a11 = a00;
                a20 = a00;
                a21 = a00;
                a30 = a00;
                a31 = a00;
            }
            for (int o = 0, k = wOff, d = b * OUT; o < OUT; o++, k += 2 * L, d++) {
                FloatVector w0 = FloatVector.fromArray(S, w, k), w1 = FloatVector.fromArray(S, w, k + L);
                FloatVector g = FloatVector.broadcast(S, dout[d]);
                a00 = g.fma(w0, a00);
                a01 = g.fma(w1, a01);
                g = FloatVector.broadcast(S, dout[d + OUT]);
                a10 = g.fma(w0, a10);
                a11 = g.fma(w1, a11);
                g = FloatVector.broadcast(S, dout[d + 2 * OUT]);
                a20 = g.fma(w0, a20);
                a21 = g.fma(w1, a21);
                g = FloatVector.broadcast(S, dout[d + 3 * OUT]);
                a30 = g.fma(w0, a30);
                a31 = g.fma(w1, a31);
            }
            a00.intoArray(din, r0);
            a01.intoArray(din, r0 + L);
            a10.intoArray(din, r1);
            a11.intoArray(din, r1 + L);
            a20.intoArray(din, r2);
            a21.intoArray(din, r2 + L);
            a30.intoArray(din, r3);
            a31.intoArray(din, r3 + L);
        }
        for (; b < to; b++) { // the last rows, one at a time: a chunk's rows need not come in fours
            int r = b * IN + i;
            FloatVector a0 = accumulate ? FloatVector.fromArray(S, din, r) : FloatVector.zero(S);
            FloatVector a1 = accumulate ? FloatVector.fromArray(S, din, r + L) : FloatVector.zero(S);
            for (int o = 0, k = wOff, d = b * OUT; o < OUT; o++, k += 2 * L, d++) {
                FloatVector g = FloatVector.broadcast(S, dout[d]);
                a0 = g.fma(FloatVector.fromArray(S, w, k), a0);
                a1 = g.fma(FloatVector.fromArray(S, w, k + L), a1);
            }
            a0.intoArray(din, r);
            a1.intoArray(din, r + L);
        }
    }

    /**
     * din's last columns [i, IN), fewer than 2L, of rows [from, to): a row of axpys (whole vectors multiply-added,
     * the rest one by one), as before.
     */
    private static void inputTail(float[] din, boolean accumulate, float[] dout, float[] weight, int i, int from,
                                  int to, int IN, int OUT) {
        for (int b = from; b < to; b++) {
            if (!accumulate) {
                java.util.Arrays.fill(din, b * IN + i, (b + 1) * IN, 0f);
            }
            for (int o = 0; o < OUT; o++) {
                axpy(din, b * IN + i, dout[b * OUT + o], weight, o * IN + i, IN - i);
            }
        }
    }

    /**
     * Split over the input dimension in whole vectors: each worker owns its columns of every row of dweight. Two
     * vectors of four output rows are summed over the batch in registers (eight accumulators; each input vector is
     * loaded once for four outputs) and added into dweight once, in the same order as a row of axpys per output; a
     * 10-class head with {@link #WIDE} takes all ten outputs at once ({@link #weightBlock10}). (A GEMM reading the
     * input rows in place was slower on SimpleNet's head: 32 against 29.5 us with the operands in cache, 55.5 against
     * 41.5 after an eviction.)
     */
    static void backwardWeight(float[] dweight, float[] dout, float[] in, int B, int IN, int OUT) {
        int vectors = (IN + L - 1) / L;
        split(vectors, (long) B * IN * OUT, (worker, from, to) -> {
            int i0 = from * L, i1 = Math.min(IN, to * L);
            int block = 2 * L, bound = i0 + Math.max(0, Math.min(i1, IN / L * L) - i0) / block * block;
            if (WIDE && OUT == 10) { // a 10-class head: each input vector loaded once for all ten outputs
                for (int i = i0; i < bound; i += block) {
                    weightBlock10(dweight, dout, in, i, B, IN);
                }
                for (int r = 0; r < OUT && bound < i1; r++) { // columns past the last whole block
                    for (int b = 0; b < B; b++) {
                        axpy(dweight, r * IN + bound, dout[b * OUT + r], in, b * IN + bound, i1 - bound);
                    }
                }
                return;
            }
            int o = 0;
            for (; o + 4 <= OUT; o += 4) {
                for (int i = i0; i < bound; i += block) {
                    weightBlock(dweight, dout, in, o, i, B, IN, OUT);
                }
                for (int r = o; r < o + 4 && bound < i1; r++) { // columns past the last whole block
                    for (int b = 0; b < B; b++) {
                        axpy(dweight, r * IN + bound, dout[b * OUT + r], in, b * IN + bound, i1 - bound);
                    }
                }
            }
            for (; o < OUT; o++) { // the last outputs, a row of axpys each
                for (int b = 0; b < B; b++) {
                    axpy(dweight, o * IN + i0, dout[b * OUT + o], in, b * IN + i0, i1 - i0);
                }
            }
        });
    }

    /** {@link #backwardWeight}'s two vectors at column i of output rows o..o+3, summed over the batch. */
    private static void weightBlock(float[] dweight, float[] dout, float[] in, int o, int i, int B, int IN, int OUT) {
        int r0 = o * IN, r1 = r0 + IN, r2 = r1 + IN, r3 = r2 + IN;
        FloatVector a00 = FloatVector.fromArray(S, dweight, r0 + i), a01 = FloatVector.fromArray(S, dweight, r0 + i + L);
        FloatVector a10 = FloatVector.fromArray(S, dweight, r1 + i), a11 = FloatVector.fromArray(S, dweight, r1 + i + L);
        FloatVector a20 = FloatVector.fromArray(S, dweight, r2 + i), a21 = FloatVector.fromArray(S, dweight, r2 + i + L);
        FloatVector a30 = FloatVector.fromArray(S, dweight, r3 + i), a31 = FloatVector.fromArray(S, dweight, r3 + i + L);
        for (int b = 0, x = i, d = o; b < B; b++, x += IN, d += OUT) {
            FloatVector x0 = FloatVector.fromArray(S, in, x), x1 = FloatVector.fromArray(S, in, x + L);
            FloatVector g0 = FloatVector.broadcast(S, dout[d]);
            a00 = g0.fma(x0, a00);
            a01 = g0.fma(x1, a01);
            FloatVector g1 = FloatVector.broadcast(S, dout[d + 1]);
            a10 = g1.fma(x0, a10);
            a11 = g1.fma(x1, a11);
            FloatVector g2 = FloatVector.broadcast(S, dout[d + 2]);
            a20 = g2.fma(x0, a20);
            a21 = g2.fma(x1, a21);
            FloatVector g3 = FloatVector.broadcast(S, dout[d + 3]);
            a30 = g3.fma(x0, a30);
            a31 = g3.fma(x1, a31);
        }
        a00.intoArray(dweight, r0 + i);
        a01.intoArray(dweight, r0 + i + L);
        a10.intoArray(dweight, r1 + i);
        a11.intoArray(dweight, r1 + i + L);
        a20.intoArray(dweight, r2 + i);
        a21.intoArray(dweight, r2 + i + L);
        a30.intoArray(dweight, r3 + i);
        a31.intoArray(dweight, r3 + i + L);
    }

    /**
     * {@link #weightBlock} for all ten outputs of a 10-class head ({@link #WIDE} only): twenty accumulators, so that
     * each input vector, read down the batch a row of IN floats apart, is loaded once rather than once per four
     * outputs, and the last two outputs are not a row of axpys each. The same sums bit for bit.
     */
    private static void weightBlock10(float[] dweight, float[] dout, float[] in, int i, int B, int IN) {
        FloatVector a00 = FloatVector.fromArray(S, dweight, i);
        FloatVector a01 = FloatVector.fromArray(S, dweight, i + L);
        FloatVector a10 = FloatVector.fromArray(S, dweight, IN + i);
        FloatVector a11 = FloatVector.fromArray(S, dweight, IN + i + L);
        FloatVector a20 = FloatVector.fromArray(S, dweight, 2 * IN + i);
        FloatVector a21 = FloatVector.fromArray(S, dweight, 2 * IN + i + L);
        FloatVector a30 = FloatVector.fromArray(S, dweight, 3 * IN + i);
        FloatVector a31 = FloatVector.fromArray(S, dweight, 3 * IN + i + L);
        FloatVector a40 = FloatVector.fromArray(S, dweight, 4 * IN + i);
        FloatVector a41 = FloatVector.fromArray(S, dweight, 4 * IN + i + L);
        FloatVector a50 = FloatVector.fromArray(S, dweight, 5 * IN + i);
        FloatVector a51 = FloatVector.fromArray(S, dweight, 5 * IN + i + L);
        FloatVector a60 = FloatVector.fromArray(S, dweight, 6 * IN + i);
        FloatVector a61 = FloatVector.fromArray(S, dweight, 6 * IN + i + L);
        FloatVector a70 = FloatVector.fromArray(S, dweight, 7 * IN + i);
        FloatVector a71 = FloatVector.fromArray(S, dweight, 7 * IN + i + L);
        FloatVector a80 = FloatVector.fromArray(S, dweight, 8 * IN + i);
        FloatVector a81 = FloatVector.fromArray(S, dweight, 8 * IN + i + L);
        FloatVector a90 = FloatVector.fromArray(S, dweight, 9 * IN + i);
        FloatVector a91 = FloatVector.fromArray(S, dweight, 9 * IN + i + L);
        for (int b = 0, x = i, d = 0; b < B; b++, x += IN, d += 10) {
            FloatVector x0 = FloatVector.fromArray(S, in, x), x1 = FloatVector.fromArray(S, in, x + L);
            FloatVector g0 = FloatVector.broadcast(S, dout[d + 0]);
            a00 = g0.fma(x0, a00);
            a01 = g0.fma(x1, a01);
            FloatVector g1 = FloatVector.broadcast(S, dout[d + 1]);
            a10 = g1.fma(x0, a10);
            a11 = g1.fma(x1, a11);
            FloatVector g2 = FloatVector.broadcast(S, dout[d + 2]);
            a20 = g2.fma(x0, a20);
            a21 = g2.fma(x1, a21);
            FloatVector g3 = FloatVector.broadcast(S, dout[d + 3]);
            a30 = g3.fma(x0, a30);
            a31 = g3.fma(x1, a31);
            FloatVector g4 = FloatVector.broadcast(S, dout[d + 4]);
            a40 = g4.fma(x0, a40);
            a41 = g4.fma(x1, a41);
            FloatVector g5 = FloatVector.broadcast(S, dout[d + 5]);
            a50 = g5.fma(x0, a50);
            a51 = g5.fma(x1, a51);
            FloatVector g6 = FloatVector.broadcast(S, dout[d + 6]);
            a60 = g6.fma(x0, a60);
            a61 = g6.fma(x1, a61);
            FloatVector g7 = FloatVector.broadcast(S, dout[d + 7]);
            a70 = g7.fma(x0, a70);
            a71 = g7.fma(x1, a71);
            FloatVector g8 = FloatVector.broadcast(S, dout[d + 8]);
            a80 = g8.fma(x0, a80);
            a81 = g8.fma(x1, a81);
            FloatVector g9 = FloatVector.broadcast(S, dout[d + 9]);
            a90 = g9.fma(x0, a90);
            a91 = g9.fma(x1, a91);
        }
        a00.intoArray(dweight, i);
        a01.intoArray(dweight, i + L);
        a10.intoArray(dweight, IN + i);
        a11.intoArray(dweight, IN + i + L);
        a20.intoArray(dweight, 2 * IN + i);
        a21.intoArray(dweight, 2 * IN + i + L);
        a30.intoArray(dweight, 3 * IN + i);
        a31.intoArray(dweight, 3 * IN + i + L);
        a40.intoArray(dweight, 4 * IN + i);
        a41.intoArray(dweight, 4 * IN + i + L);
        a50.intoArray(dweight, 5 * IN + i);
        a51.intoArray(dweight, 5 * IN + i + L);
        a60.intoArray(dweight, 6 * IN + i);
        a61.intoArray(dweight, 6 * IN + i + L);
        a70.intoArray(dweight, 7 * IN + i);
        a71.intoArray(dweight, 7 * IN + i + L);
        a80.intoArray(dweight, 8 * IN + i);
        a81.intoArray(dweight, 8 * IN + i + L);
        a90.intoArray(dweight, 9 * IN + i);
        a91.intoArray(dweight, 9 * IN + i + L);
    }

    /**
     * out[outOff + r*ldo + k] = dot(x[xOff + r*n, +n), w[wOff + k*n, +n)) for rows r = 0..1 and outputs k = 0..3: eight
     * accumulators, summed as {@link #dot4} sums each.
     */
    private static void dot2x4(float[] out, int outOff, int ldo, float[] x, int xOff, float[] w, int wOff, int n) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        int x1 = xOff + n, w1 = wOff + n, w2 = w1 + n, w3 = w2 + n;
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector u = FloatVector.fromArray(S, x, xOff + i);
            FloatVector v = FloatVector.fromArray(S, x, x1 + i);
            FloatVector k = FloatVector.fromArray(S, w, wOff + i);
            a00 = k.fma(u, a00);
            a10 = k.fma(v, a10);
            k = FloatVector.fromArray(S, w, w1 + i);
            a01 = k.fma(u, a01);
            a11 = k.fma(v, a11);
            k = FloatVector.fromArray(S, w, w2 + i);
            a02 = k.fma(u, a02);
            a12 = k.fma(v, a12);
            k = FloatVector.fromArray(S, w, w3 + i);
            a03 = k.fma(u, a03);
            a13 = k.fma(v, a13);
        }
        float[] lanes = Scratch.get(Scratch.LANES, 8 * L);
        a00.intoArray(lanes, 0);
        a01.intoArray(lanes, L);
        a02.intoArray(lanes, 2 * L);
        a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a12.intoArray(lanes, 6 * L);
        a13.intoArray(lanes, 7 * L);
        storeRowSums(out, outOff, ldo, lanes, 2, 4, x, xOff, w, wOff, n, i);
    }

    /** {@link #dot2x4} for two outputs. */
    private static void dot2x2(float[] out, int outOff, int ldo, float[] x, int xOff, float[] w, int wOff, int n) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00;
        int x1 = xOff + n, w1 = wOff + n;
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector u = FloatVector.fromArray(S, x, xOff + i);
            FloatVector v = FloatVector.fromArray(S, x, x1 + i);
            FloatVector k = FloatVector.fromArray(S, w, wOff + i);
            a00 = k.fma(u, a00);
            a10 = k.fma(v, a10);
            k = FloatVector.fromArray(S, w, w1 + i);
            a01 = k.fma(u, a01);
            a11 = k.fma(v, a11);
        }
        float[] lanes = Scratch.get(Scratch.LANES, 4 * L);
        a00.intoArray(lanes, 0);
        a01.intoArray(lanes, L);
        a10.intoArray(lanes, 2 * L);
        a11.intoArray(lanes, 3 * L);
        storeRowSums(out, outOff, ldo, lanes, 2, 2, x, xOff, w, wOff, n, i);
    }

    /**
     * {@link #dot2x4} for four rows ({@link #WIDE} only): sixteen accumulators, each input vector loaded once for four
     * outputs and each weight vector once for four rows.
     */
    private static void dot4x4(float[] out, int outOff, int ldo, float[] x, int xOff, float[] w, int wOff, int n) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int x1 = xOff + n, x2 = x1 + n, x3 = x2 + n, w1 = wOff + n, w2 = w1 + n, w3 = w2 + n;
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector u0 = FloatVector.fromArray(S, x, xOff + i);
            FloatVector u1 = FloatVector.fromArray(S, x, x1 + i);
            FloatVector u2 = FloatVector.fromArray(S, x, x2 + i);
            FloatVector u3 = FloatVector.fromArray(S, x, x3 + i);
            FloatVector k = FloatVector.fromArray(S, w, wOff + i);
            a00 = k.fma(u0, a00);
            a10 = k.fma(u1, a10);
            a20 = k.fma(u2, a20);
            a30 = k.fma(u3, a30);
            k = FloatVector.fromArray(S, w, w1 + i);
            a01 = k.fma(u0, a01);
            a11 = k.fma(u1, a11);
            a21 = k.fma(u2, a21);
            a31 = k.fma(u3, a31);
            k = FloatVector.fromArray(S, w, w2 + i);
            a02 = k.fma(u0, a02);
            a12 = k.fma(u1, a12);
            a22 = k.fma(u2, a22);
            a32 = k.fma(u3, a32);
            k = FloatVector.fromArray(S, w, w3 + i);
            a03 = k.fma(u0, a03);
            a13 = k.fma(u1, a13);
            a23 = k.fma(u2, a23);
            a33 = k.fma(u3, a33);
        }
        float[] lanes = Scratch.get(Scratch.LANES, 16 * L);
        a00.intoArray(lanes, 0);
        a01.intoArray(lanes, L);
        a02.intoArray(lanes, 2 * L);
        a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a12.intoArray(lanes, 6 * L);
        a13.intoArray(lanes, 7 * L);
        a20.intoArray(lanes, 8 * L);
        a21.intoArray(lanes, 9 * L);
        a22.intoArray(lanes, 10 * L);
        a23.intoArray(lanes, 11 * L);
        a30.intoArray(lanes, 12 * L);
        a31.intoArray(lanes, 13 * L);
        a32.intoArray(lanes, 14 * L);
        a33.intoArray(lanes, 15 * L);
        storeRowSums(out, outOff, ldo, lanes, 4, 4, x, xOff, w, wOff, n, i);
    }

    /** {@link #dot4x4} for two outputs. */
    private static void dot4x2(float[] out, int outOff, int ldo, float[] x, int xOff, float[] w, int wOff, int n) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00;
        FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        int x1 = xOff + n, x2 = x1 + n, x3 = x2 + n, w1 = wOff + n;
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector u0 = FloatVector.fromArray(S, x, xOff + i);
            FloatVector u1 = FloatVector.fromArray(S, x, x1 + i);
            FloatVector u2 = FloatVector.fromArray(S, x, x2 + i);
            FloatVector u3 = FloatVector.fromArray(S, x, x3 + i);
            FloatVector k = FloatVector.fromArray(S, w, wOff + i);
            a00 = k.fma(u0, a00);
            a10 = k.fma(u1, a10);
            a20 = k.fma(u2, a20);
            a30 = k.fma(u3, a30);
            k = FloatVector.fromArray(S, w, w1 + i);
            a01 = k.fma(u0, a01);
            a11 = k.fma(u1, a11);
            a21 = k.fma(u2, a21);
            a31 = k.fma(u3, a31);
        }
        float[] lanes = Scratch.get(Scratch.LANES, 8 * L);
        a00.intoArray(lanes, 0);
        a01.intoArray(lanes, L);
        a10.intoArray(lanes, 2 * L);
        a11.intoArray(lanes, 3 * L);
        a20.intoArray(lanes, 4 * L);
        a21.intoArray(lanes, 5 * L);
        a30.intoArray(lanes, 6 * L);
        a31.intoArray(lanes, 7 * L);
        storeRowSums(out, outOff, ldo, lanes, 4, 2, x, xOff, w, wOff, n, i);
    }

    /**
     * The end of a dot product block of {@code rows} rows by {@code outputs} outputs: out[outOff + r*ldo + k] = the
     * lanes of accumulator (r, k) (at {@code lanes[(r*outputs + k)*L]}) in lane order, plus the scalar tail from
     * {@code tail}.
     */
    private static void storeRowSums(float[] out, int outOff, int ldo, float[] lanes, int rows, int outputs, float[] x,
                                     int xOff, float[] w, int wOff, int n, int tail) {
        for (int r = 0; r < rows; r++) {
            int xr = xOff + r * n;
            for (int k = 0; k < outputs; k++) {
                float s = sum(lanes, (r * outputs + k) * L);
                int wk = wOff + k * n;
                for (int t = tail; t < n; t++) {
                    s += w[wk + t] * x[xr + t];
                }
                out[outOff + r * ldo + k] = s;
            }
        }
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
