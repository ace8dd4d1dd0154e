package simpletorch.kernels;

/**
 * Grow-only scratch buffers, one set per thread, so that kernels allocate nothing in steady state. The contents
 * are garbage on return: a kernel that takes a buffer overwrites it before reading.
 */
final class Scratch {
    static final int IM2COL = 0;
    static final int DCOLS = 1;
    static final int PACK_A = 2;
    static final int PACK_B = 3;
    static final int TILE = 4;
    static final int BIAS = 5;
    /**
     * A layer's packed weights: the convolutions' each thread's own, packed by it before its first chunk
     * ({@link Parallel#parallelFor(int, Runnable, Parallel.RangeBody)}); the GEMM input gradient's packed by the
     * calling thread and read by every worker.
     */
    static final int WEIGHTS = 6;
    /** Per-worker partial sums (weight gradients), owned by the calling thread, one section per worker. */
    static final int PARTS = 7;
    /** A few vectors' lanes, spilled to be added in a fixed order. */
    static final int LANES = 8;
    /**
     * A zero-bordered copy of one input image, and of one output gradient, for direct convolution kernels (the
     * channel-vector weight gradient: a group's transposed output gradient, and its zero-bordered input planes).
     */
    static final int PADDED_IN = 9;
    static final int PADDED_OUT = 10;
    /** A zero-bordered image gradient that col2im adds into. */
    static final int PADDED_DIN = 11;
    /** Zero-bordered copies of a whole batch's input and output gradient, owned by the calling thread and filled
     * and read by every worker (the weight gradient split over output channels). */
    static final int SHARED_PADDED_IN = 12;
    static final int SHARED_PADDED_OUT = 13;
    /** One image's convolution output, pooled from there (the fused convolution, ReLU and pool). */
    static final int IMAGE_OUT = 14;
    /**
     * An image's pooled gradients where they passed the ReLU, [OC][PQ] ({@link VectorPooledConvInputGrad3x3} and
     * {@link VectorPooledConvWeightGrad3x3}, one after the other in a worker's loop).
     */
    static final int PASSED_GRADS = 15;
    /** A worker's copy of one block of a linear layer's weight columns ({@code VectorLinear.backwardInput}). */
    static final int WEIGHT_BLOCK = 16;
    /**
     * A ReLU's input gradient made for a BatchNorm fused with it, on the scalar path ({@code NormKernels}); a worker's
     * four normalised planes, or their gradients, in the fused BatchNorm, ReLU and pool.
     */
    static final int MASKED_GRAD = 17;
    /** A few floats per channel (BatchNorm's shifts, scales, gradient coefficients), owned by the calling thread. */
    static final int CHANNELS = 18;
    /**
     * The packed weights of a stride-2 input gradient's four phases ({@code VectorPhases}), slots PHASE_WEIGHTS to
     * PHASE_WEIGHTS + 3, owned by the calling thread and read by every worker.
     */
    static final int PHASE_WEIGHTS = 19;
    /** The four phases' products, [C][columns] each, slots PHASE_OUT to PHASE_OUT + 3: a worker's. */
    static final int PHASE_OUT = 23;
    private static final int SLOTS = 27;

    /**
     * Where a kernel starts its data in a buffer from {@link #aligned}: the float at this index lies on a 64-byte
     * boundary (a float[]'s elements start 16 bytes after the array, on the JDKs we run: 12 floats make 64 bytes).
     */
    static final int ALIGN = 12;

    /** The slots that kernels take by {@link #aligned}: PADDED_IN, PADDED_DIN and WEIGHTS. */
    private static final int ALIGNED_SLOTS = 3;
    /**
     * Floats in a buffer from {@link #aligned}: G1 (the JVM's default collector) puts an array of at least half a
     * heap region in regions of its own, from a region's start, so its element {@link #ALIGN} is on a cache line's
     * start; other collectors, an unknown region size, or too small a heap for a region per slot and thread give a
     * buffer of the size asked for (0 here), wherever it falls.
     */
    private static final int ALIGNED_FLOATS = alignedFloats();

    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[SLOTS][]);
    /**
     * Int slots: a gathered GEMM's row offsets, a worker's masks of output channels and tables (see
     * {@link VectorPooledConvInputGrad3x3}), and an image's winners' window corners (see
     * {@link VectorPooledConvWeightGrad3x3}).
     */
    static final int ROWS = 0;
    static final int GROUPS = 1;
    static final int WINNERS = 2;
    /** The four phases' B row offsets of a stride-2 input gradient, slots PHASE_ROWS to PHASE_ROWS + 3. */
    static final int PHASE_ROWS = 3;
    private static final ThreadLocal<int[][]> INTS = ThreadLocal.withInitial(() -> new int[7][]);
    private static final ThreadLocal<double[][]> DOUBLES = ThreadLocal.withInitial(() -> new double[2][]);
    /** The calling thread's holders of a stride-2 input gradient's four phase buffers ({@link #phaseWeightHolder}). */
    private static final ThreadLocal<float[][]> PHASE_WEIGHT_HOLDER = ThreadLocal.withInitial(() -> new float[4][]);
    private static final ThreadLocal<int[][]> PHASE_ROW_HOLDER = ThreadLocal.withInitial(() -> new int[4][]);

    private Scratch() {
    }

    /**
     * The calling thread's holder of a stride-2 input gradient's four phase weight buffers, reused from call to call:
     * the backward pass puts its four buffers in it and hands them to its workers together (a new holder a call was
     * the convolution path's last allocation).
     */
    static float[][] phaseWeightHolder() {
        return PHASE_WEIGHT_HOLDER.get();
    }

    /** {@link #phaseWeightHolder} for the four phases' B row offsets. */
    static int[][] phaseRowHolder() {
        return PHASE_ROW_HOLDER.get();
    }

    static float[] get(int slot, int size) {
        float[][] buffers = BUFFERS.get();
        if (buffers[slot] == null || buffers[slot].length < size) {
            buffers[slot] = new float[size];
        }
        return buffers[slot];
    }

    /**
     * {@link #get}, for a kernel whose vector loads and stores fall on whole vectors from index {@link #ALIGN}: a
     * 64-byte vector that straddles two cache lines costs two accesses of the L1 cache. A grown-only buffer of at
     * least {@link #ALIGNED_FLOATS} floats (two to a few megabytes a slot and thread, most of it unused). Measured on
     * AVX-512 (one thread, SimpleNet's conv2 backward, minima of 30 x 400 calls of 32 images, three JVMs each way):
     * 21.6-27.2 -> 15.3-15.6 us per image, where an array's place, and so the speed, had changed from JVM to JVM.
     */
    static float[] aligned(int slot, int size) {
        float[][] buffers = BUFFERS.get();
        if (buffers[slot] == null || buffers[slot].length < Math.max(size, ALIGNED_FLOATS)) {
            buffers[slot] = new float[Math.max(size, ALIGNED_FLOATS)];
        }
        return buffers[slot];
    }

    /** Whether {@link #aligned} buffers take regions of their own here (G1, and few enough threads for the heap). */
    static boolean alignsBuffers() {
        return ALIGNED_FLOATS > 0;
    }

    private static int alignedFloats() {
        try {
            var vm = java.lang.management.ManagementFactory.getPlatformMXBean(
                    com.sun.management.HotSpotDiagnosticMXBean.class);
            if (vm == null || !"true".equals(vm.getVMOption("UseG1GC").getValue())) {
                return 0;
            }
            long region = Long.parseLong(vm.getVMOption("G1HeapRegionSize").getValue());
            // A region per aligned slot and thread: at most a 32nd of the heap (2 vCPUs and a caller, 4 MB regions:
            // 36 MB of 6 GB), else plain buffers (many cores with large regions would give up too much of the heap)
            long threads = Runtime.getRuntime().availableProcessors() + 1L;
            if (ALIGNED_SLOTS * threads * region > Runtime.getRuntime().maxMemory() / 32) {
                return 0;
            }
            return (int) Math.min(Integer.MAX_VALUE - 8, region / 2 / Float.BYTES + 1); // past half a region
        } catch (RuntimeException | LinkageError e) { // no such bean or option: a plain buffer
            return 0;
        }
    }

    /** An int buffer of at least {@code size} elements in {@code slot} (tables owned by the calling thread). */
    static int[] ints(int slot, int size) {
        int[][] buffers = INTS.get();
        if (buffers[slot] == null || buffers[slot].length < size) {
            buffers[slot] = new int[size];
        }
        return buffers[slot];
    }

    /**
     * A double buffer of at least {@code size} elements with arbitrary contents, owned by the calling thread and
     * written by every worker: BatchNorm's sums per row ({@link NormKernels}).
     */
    static double[] rowSums(int size) {
        double[][] buffers = DOUBLES.get();
        if (buffers[1] == null || buffers[1].length < size) {
            buffers[1] = new double[size];
        }
        return buffers[1];
    }

    /** A double buffer of at least {@code size} elements, set to zero over [0, size): for per-worker sums. */
    static double[] zeroedDoubles(int size) {
        double[][] buffers = DOUBLES.get();
        if (buffers[0] == null || buffers[0].length < size) {
            buffers[0] = new double[size];
        }
        java.util.Arrays.fill(buffers[0], 0, size, 0.0);
        return buffers[0];
    }
}
