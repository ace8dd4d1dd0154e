package simpletorch.kernels;

/**
 * Element-wise kernels: ReLU, and binary add/sub/mul with NumPy/PyTorch broadcasting.
 *
 * <p>Broadcasting is expressed with strides: an operand's stride is 0 along a dimension where it has size 1 (or
 * that it lacks), so one walk over the output's index space reads the right element of each operand. The same walk
 * in the backward pass adds each output gradient into the element it came from, which sums over broadcast
 * dimensions. Same-shape operands take a plain loop.
 */
public final class ElementwiseKernels {
    /** The binary operations with a broadcasting kernel. */
    public enum BinaryOp { ADD, SUB, MUL }

    private ElementwiseKernels() {
    }

    /** Below this many elements a loop runs on the caller alone: handing it out would cost more than it saves. */
    static final int PARALLEL_MIN = 1 << 16;

    /** out = max(in, 0). Writes out; out and in have n elements. */
    public static void reluForward(float[] out, float[] in, int n) {
        forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = Math.max(in[i], 0f);
            }
        });
    }

    /**
     * out = max(a + b, 0): a residual connection's sum and the ReLU after it in one pass, the same bits as
     * {@code binaryForward(ADD)} then {@link #reluForward} (a vector at a time on JDK 25+ with the Vector API: the
     * JIT leaves {@code Math.max} of a sum unvectorised, as it did BatchNorm's).
     *
     * @param out [n], overwritten
     * @param a   [n]
     * @param b   [n]
     */
    public static void addReluForward(float[] out, float[] a, float[] b, int n) {
        if (Gemm.vectorEnabled() && VectorPool.jitReady()) {
            forChunks(n, (from, to) -> VectorElementwise.addRelu(out, a, b, from, to));
            return;
        }
        forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = Math.max(a[i] + b[i], 0f);
            }
        });
    }

    /**
     * The gradients of {@link #addReluForward} in one pass: the ReLU's as {@link #reluBackward} makes it (dout where
     * out &gt; 0), added into da and db, or written where {@code addA} / {@code addB} is false (a gradient nothing has
     * written yet). Either may be null. The same bits as the ReLU's backward then the add's.
     */
    public static void addReluBackward(float[] da, boolean addA, float[] db, boolean addB, float[] dout, float[] out,
                                       int n) {
        if (Gemm.vectorEnabled() && VectorPool.jitReady()) {
            forChunks(n, (from, to) -> VectorElementwise.addReluBackward(da, addA, db, addB, dout, out, from, to));
            return;
        }
        forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = out[i] > 0f ? dout[i] : 0f;
                if (da != null) {
                    da[i] = addA ? da[i] + g : g;
                }
                if (db != null) {
                    db[i] = addB ? db[i] + g : g;
                }
            }
        });
    }

    /**
     * Whether {@link #normalizeBytes} runs on the Vector API here (JDK 25+ with the module: JDK 17's JIT leaves
     * the byte-to-int conversion to its allocating fallback); callers otherwise keep their own loop.
     */
    public static boolean normalizesBytes() {
        return Gemm.vectorEnabled() && VectorPool.jitReady();
    }

    /**
     * dst[dstOff + i] = ((src[srcOff + i] &amp; 0xFF) / 255f - mean) / std for i in [0, n), L pixels at a time
     * (torchvision's ToTensor and Normalize on one channel of uint8 pixels, bit for bit: see
     * {@code Normalize.apply}). Only where {@link #normalizesBytes()}.
     */
    public static void normalizeBytes(byte[] src, int srcOff, float[] dst, int dstOff, int n, float mean, float std) {
        VectorElementwise.normalizeBytes(src, srcOff, dst, dstOff, n, mean, std);
    }

    /** Sets a[0, n) to zero, in parallel for large arrays. */
    public static void fillZero(float[] a, int n) {
        forChunks(n, (from, to) -> java.util.Arrays.fill(a, from, to, 0f));
    }

    /** A loop body over [from, to). */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    /** Splits [0, n) across the workers when n is large enough to pay for it. */
    static void forChunks(int n, Range body) {
        if (n < PARALLEL_MIN) {
            body.run(0, n);
        } else {
            Parallel.parallelFor(n, (worker, from, to) -> body.run(from, to));
        }
    }

    /**
     * din += dout where the forward output was positive. PyTorch's gradient at exactly 0 is 0, and so is ours.
     *
     * <p>The test "out > 0" is done on the bits so that the loop has no branch and vectorises: a float select
     * compiles to a branch, and the sign of a ReLU input is a coin flip the predictor cannot learn (measured: 20x
     * slower). For the outputs of {@link #reluForward} (never -0.0), {@code -bits >> 31} is all ones exactly when
     * {@code out > 0}, and {@code (bits - 0x7f800001) >> 31} clears it for NaN.
     */
    public static void reluBackward(float[] din, float[] dout, float[] out, int n) {
        reluBackward(din, dout, out, n, true);
    }

    /**
     * As {@link #reluBackward(float[], float[], float[], int)}; with {@code accumulate} false din is overwritten
     * instead of added into (a gradient no other op has written yet: it need not be zeroed first, nor read).
     */
    public static void reluBackward(float[] din, float[] dout, float[] out, int n, boolean accumulate) {
        if (Gemm.vectorEnabled()) {
            forChunks(n, (from, to) -> VectorElementwise.reluBackward(din, dout, out, from, to, accumulate));
            return;
        }
        forChunks(n, (from, to) -> {
            if (accumulate) {
                for (int i = from; i < to; i++) {
                    int bits = Float.floatToRawIntBits(out[i]);
                    int positive = (-bits >> 31) & ((bits - 0x7f800001) >> 31);
                    din[i] += Float.intBitsToFloat(Float.floatToRawIntBits(dout[i]) & positive);
                }
            } else {
                for (int i = from; i < to; i++) {
                    int bits = Float.floatToRawIntBits(out[i]);
                    int positive = (-bits >> 31) & ((bits - 0x7f800001) >> 31);
                    din[i] = Float.intBitsToFloat(Float.floatToRawIntBits(dout[i]) & positive);
                }
            }
        });
    }

    /**
     * out = a op b with broadcasting. Writes out.
     *
     * @param outShape the broadcast shape
     * @param aStrides a's element strides, aligned to outShape, 0 along broadcast dimensions
     * @param bStrides likewise for b
     */
    public static void binaryForward(float[] out, float[] a, int[] aStrides, float[] b, int[] bStrides,
                                     int[] outShape, BinaryOp op) {
        if (isContiguous(aStrides, outShape) && isContiguous(bStrides, outShape)) {
            forChunks(out.length, (from, to) -> sameShapeForward(out, a, b, op, from, to));
            return;
        }
        int[] index = new int[outShape.length];
        int ai = 0, bi = 0;
        for (int i = 0; i < out.length; i++) {
            out[i] = apply(op, a[ai], b[bi]);
            // Odometer step: advance the last dimension, carrying into earlier ones.
            for (int d = outShape.length - 1; d >= 0; d--) {
                ai += aStrides[d];
                bi += bStrides[d];
                if (++index[d] < outShape[d]) {
                    break;
                }
                ai -= aStrides[d] * outShape[d];
                bi -= bStrides[d] * outShape[d];
                index[d] = 0;
            }
        }
    }

    /**
     * Adds d(a op b)/da * dout into da and d(a op b)/db * dout into db (either may be null), summing over the
     * dimensions along which that operand was broadcast.
     */
    public static void binaryBackward(float[] da, float[] db, float[] dout, float[] a, int[] aStrides,
                                      float[] b, int[] bStrides, int[] outShape, BinaryOp op) {
        if (isContiguous(aStrides, outShape) && isContiguous(bStrides, outShape)) {
            forChunks(dout.length, (from, to) -> sameShapeBackward(da, db, dout, a, b, op, from, to));
            return;
        }
        int[] index = new int[outShape.length];
        int ai = 0, bi = 0;
        for (int i = 0; i < dout.length; i++) {
            float g = dout[i];
            switch (op) {
                case ADD -> {
                    if (da != null) da[ai] += g;
                    if (db != null) db[bi] += g;
                }
                case SUB -> {
                    if (da != null) da[ai] += g;
                    if (db != null) db[bi] -= g;
                }
                case MUL -> {
                    if (da != null) da[ai] += g * b[bi];
                    if (db != null) db[bi] += g * a[ai];
                }
            }
            for (int d = outShape.length - 1; d >= 0; d--) {
                ai += aStrides[d];
                bi += bStrides[d];
                if (++index[d] < outShape[d]) {
                    break;
                }
                ai -= aStrides[d] * outShape[d];
                bi -= bStrides[d] * outShape[d];
                index[d] = 0;
            }
        }
    }

    /*
     * Same-shape operands (a residual connection's add, for one): one plain loop per operation, split across the
     * workers, which the JIT vectorises. The broadcasting walk above had run them element by element on the calling
     * thread: ResNet-20's adds took 2.5 s of a 28 s run of 6,400 images in their backward (AVX2, 2 threads).
     * Each element's arithmetic is the walk's, in the same order: the same values bit for bit.
     */

    private static void sameShapeForward(float[] out, float[] a, float[] b, BinaryOp op, int from, int to) {
        switch (op) {
            case ADD -> {
                for (int i = from; i < to; i++) {
                    out[i] = a[i] + b[i];
                }
            }
            case SUB -> {
                for (int i = from; i < to; i++) {
                    out[i] = a[i] - b[i];
                }
            }
            case MUL -> {
                for (int i = from; i < to; i++) {
                    out[i] = a[i] * b[i];
                }
            }
        }
    }

    /** Whether both operands have the output's shape, contiguous: the element-wise loops below apply. */
    public static boolean sameShape(int[] aStrides, int[] bStrides, int[] outShape) {
        return isContiguous(aStrides, outShape) && isContiguous(bStrides, outShape);
    }

    /**
     * The gradients of same-shape operands ({@link #sameShape}), split across the workers: each of da and db (when
     * not null) added into, or written where {@code addA} / {@code addB} is false (a gradient nothing has written yet,
     * whose contents are arbitrary). da and db must be different arrays.
     */
    public static void sameShapeBackward(float[] da, boolean addA, float[] db, boolean addB, float[] dout, float[] a,
                                         float[] b, BinaryOp op) {
        forChunks(dout.length, (from, to) -> {
            if (da != null) {
                sameShapeGrad(da, addA, dout, op == BinaryOp.MUL ? b : null, false, from, to);
            }
            if (db != null) {
                sameShapeGrad(db, addB, dout, op == BinaryOp.MUL ? a : null, op == BinaryOp.SUB, from, to);
            }
        });
    }

    /** d[i] (+)= dout[i] * other[i], or dout[i] where other is null, negated if {@code negate}, over [from, to). */
    private static void sameShapeGrad(float[] d, boolean add, float[] dout, float[] other, boolean negate, int from,
                                      int to) {
        if (other != null) {
            if (add) {
                for (int i = from; i < to; i++) {
                    d[i] += dout[i] * other[i];
                }
            } else {
                for (int i = from; i < to; i++) {
                    d[i] = dout[i] * other[i];
                }
            }
        } else if (negate) {
            if (add) {
                for (int i = from; i < to; i++) {
                    d[i] -= dout[i];
                }
            } else {
                for (int i = from; i < to; i++) {
                    d[i] = -dout[i];
                }
            }
        } else if (add) {
            for (int i = from; i < to; i++) {
                d[i] += dout[i];
            }
        } else {
            System.arraycopy(dout, from, d, from, to - from);
        }
    }

    /**
     * da then db, each over [from, to): where da and db are one array (x op x), each element gets both terms in turn.
     */
    private static void sameShapeBackward(float[] da, float[] db, float[] dout, float[] a, float[] b, BinaryOp op,
                                          int from, int to) {
        if (da != null) {
            sameShapeGrad(da, true, dout, op == BinaryOp.MUL ? b : null, false, from, to);
        }
        if (db != null) {
            sameShapeGrad(db, true, dout, op == BinaryOp.MUL ? a : null, op == BinaryOp.SUB, from, to);
        }
    }

    private static float apply(BinaryOp op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
        };
    }

    private static boolean isContiguous(int[] strides, int[] shape) {
        int expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }
}
