package simpletorch.kernels;

/**
 * The fast path of {@link Conv2dKernels}, on {@link VectorGemm}'s packed operands. One image per task, split
 * across {@link Parallel} workers; the weights are packed once per call and shared read-only. The bias rides in
 * the micro-kernel's initial accumulators.
 *
 * <p>Three products per image (P = OH*OW pixels, CKK = C*KH*KW patch size, cols = im2col of the image):
 * <pre>
 *   forward   out[OC, P]         = weight[OC, CKK] * cols[CKK, P]
 *   input     dcols[CKK, P]      = weight^T[CKK, OC] * dout[OC, P]     then col2im adds dcols into din
 *   weight    dweight^T[CKK, OC] += cols[CKK, P] * dout^T[P, OC]       transposed into dweight at the end
 * </pre>
 * The weight gradient is computed transposed so that both of its operands pack from contiguous rows (cols by
 * rows of P, dout gathered by pixel): the untransposed form needs cols^T, a gather over the whole image.
 * 3x3 "same" layers at least 8 pixels wide skip im2col in the forward too (on JDK 25+: {@link #gatheredForward}).
 * 3x3 stride-1 layers skip the last two: their weight gradient is {@link VectorConvWeightGrad3x3}'s direct
 * kernel, and with padding 1 their input gradient is one GEMM over shifted rows of the padded dout
 * ({@link VectorConvInputGrad3x3}), without dcols and col2im. 3x3 stride-2 layers with padding 1 skip im2col and
 * col2im too: their forward and input gradient are gathered products over phase planes ({@link VectorPhases}).
 *
 * <p>Touches the Vector API through {@link VectorGemm}: only called when {@link Gemm#vectorEnabled()}.
 */
final class VectorConv2d {
    private VectorConv2d() {
    }

    static void forward(float[] out, float[] in, float[] weight, float[] bias, ConvGeometry g) {
        if (gatheredForward(g) && VectorPool.jitReady()) {
            gathered(out, null, in, weight, bias, g);
            return;
        }
        if (VectorPhases.applies(g) && VectorPool.jitReady()) {
            phased(out, in, weight, bias, g);
            return;
        }
        int P = g.OH() * g.OW();
        int CKK = g.C() * g.KH() * g.KW();
        int OC = g.OC();
        // Rows of whole NR-column slices: the micro-kernel reads the columns in place (packing them cost 3-6 us of
        // the ~17 us per image of SimpleNet's conv1), from rows one cache line longer than P (see im2col's stride).
        boolean inPlace = VectorGemm.readsInPlace(P);
        int ld = inPlace ? P + VectorGemm.ROW_GAP : P;
        boolean evenPhase = VectorPhases.appliesToPointwise(g) && VectorPool.jitReady();
        Parallel.parallelFor(g.N(), () -> packWeights(weight, g), (worker, from, to) -> {
            float[] ap = packedWeights(g);
            float[] cols = Scratch.get(Scratch.IM2COL, CKK * ld);
            float[] bp = inPlace ? null : Scratch.get(Scratch.PACK_B, VectorGemm.packedBSize(CKK, P));
            for (int n = from; n < to; n++) {
                if (evenPhase) { // 1x1 stride 2: the input's even rows by even columns are the column matrix
                    VectorPhases.evenPhase(cols, ld, in, n * g.inImageSize(), g);
                } else {
                    Conv2dKernels.im2col(cols, ld, in, n * g.inImageSize(), g);
                }
                if (inPlace) {
                    VectorGemm.multiply(ap, cols, 0, ld, OC, P, CKK, out, n * OC * P, P, false, bias);
                } else {
                    VectorGemm.packB(bp, cols, 0, P, false, CKK, P);
                    VectorGemm.multiply(ap, bp, OC, P, CKK, out, n * OC * P, P, false, bias);
                }
            }
        });
    }

    /**
     * Whether {@link #forwardReluMaxPool2x2} takes this geometry: an even output, and either im2col's rows read in
     * place with the vector 2x2 pool, or a 3x3 "same" layer, whose forward is a gathered product over the padded
     * planes ({@link #gatheredForward}) pooled by {@link VectorPool#maxPool2x2Any} (Fashion-MNIST's 28x28 and 14x14
     * too). JDK 25+ for the latter, as for the vector pool: the backward
     * kernels it leads to use vector operations that JDK 17's JIT leaves to their allocating fallback.
     */
    static boolean fusesReluMaxPool2x2(ConvGeometry g) {
        if (g.OH() % 2 != 0 || g.OW() % 2 != 0) {
            return false;
        }
        return imageProductPooled(g)
                || GATHERED_FORWARD && VectorPool.jitReady() && VectorConvInputGrad3x3.applies(g);
    }

    /** im2col's rows read in place and the vector 2x2 pool: the fused forward's first way. */
    private static boolean imageProductPooled(ConvGeometry g) {
        return VectorGemm.readsInPlace(g.OH() * g.OW()) && VectorPool.applies(g.OH(), g.OW());
    }

    /**
     * {@code max_pool2d(relu(conv2d(in)), 2)} image by image: each image's convolution goes to a buffer of the
     * worker's and is pooled from there while it is still in cache, so the batch's convolution output is never
     * written. The same products and the same pool as {@link #forward} then {@code VectorPool.maxPool2x2}, so the
     * same values and winners bit for bit.
     *
     * @param out    [N, OC, OH/2, OW/2]
     * @param argmax [N, OC, OH/2, OW/2], each winner's index within its [OH, OW] plane
     */
    static void forwardReluMaxPool2x2(float[] out, int[] argmax, float[] in, float[] weight, float[] bias,
                                      ConvGeometry g) {
        if (gatheredForward(g) || !imageProductPooled(g)) {
            gathered(out, argmax, in, weight, bias, g);
            return;
        }
        int P = g.OH() * g.OW();
        int CKK = g.C() * g.KH() * g.KW();
        int OC = g.OC();
        int ld = P + VectorGemm.ROW_GAP;
        Parallel.parallelFor(g.N(), () -> packWeights(weight, g), (worker, from, to) -> {
            float[] ap = packedWeights(g);
            float[] cols = Scratch.get(Scratch.IM2COL, CKK * ld);
            float[] conv = Scratch.get(Scratch.IMAGE_OUT, OC * P); // [OC, OH, OW] of one image
            for (int n = from; n < to; n++) {
                Conv2dKernels.im2col(cols, ld, in, n * g.inImageSize(), g);
                VectorGemm.multiply(ap, cols, 0, ld, OC, P, CKK, conv, 0, P, false, bias);
                // the image's planes n*OC.. are conv's planes 0..: pooled straight into out and argmax
                VectorPool.maxPool2x2(out, argmax, conv, n * OC, n * OC, (n + 1) * OC, g.OH(), g.OW(), true);
            }
        });
    }

    /**
     * Whether {@link #forwardReluMaxPool2x2}, and on JDK 25+ {@link #forward}, read each image's zero-bordered planes
     * in place, a gathered product
     * ({@link VectorGemm#multiplyGathered}), instead of building im2col's column matrix: 3x3 "same" layers at least 8
     * pixels wide. The product's rows are then W + 1 wide (one shared border column, as in
     * {@link VectorConvInputGrad3x3}). A layer whose width is a multiple of the panel (NR = 16 on AVX2: 16 and 32
     * wide) computes each row's panels and skips the border column (SimpleNet's conv2, 16x16: 16 panels instead of
     * 17; one thread, 32 images, minima of 300 calls, four JVMs each way alternating: 34.7-34.9 -> 32.9-34.7 us per
     * image, one JVM at 53). Other widths compute W + 1 columns for every W, in whole panels (80 columns for 8x8, a
     * quarter more work); the column matrix (9C rows of the image's H*W pixels) costs more than that.
     * 8x8 layers (ResNet-20's last stage; one thread, 16 images, minima, two JVMs each way): 64 channels 82-85 -> 79
     * us per image, 32 channels 23-37 -> 20, 16 channels 7.4-12 -> 5.8. Measured on AVX2, one thread, the
     * fused layer (with its ReLU and pool), minima of 300 calls of 32 images, three JVMs each way alternating:
     * SimpleNet's conv1 (3 channels, 32x32) 20.3-21.9 -> 18.8-19.0 us per image, conv2 (16 channels, 16x16) 35.9-37.1
     * -> 34.5-34.6 us. The same sums in the same order: the same values bit for bit.
     * {@code -Dsimpletorch.gatheredForward=false} turns it off, to measure.
     */
    static boolean gatheredForward(ConvGeometry g) {
        return GATHERED_FORWARD && VectorConvInputGrad3x3.applies(g) && g.W() >= 8;
    }

    private static final boolean GATHERED_FORWARD =
            !"false".equals(System.getProperty("simpletorch.gatheredForward"));

    /**
     * A 3x3 "same" convolution by a gathered product over each image's zero-bordered planes, into a buffer of the
     * worker's: with {@code argmax}, {@link #forwardReluMaxPool2x2} (pooled from that buffer); without, the plain
     * {@link #forward} (its rows copied out), where im2col's column matrix would be 9C rows of the image's pixels: 1.2
     * MB for a 32-channel 32x32 layer, out of L2, against the padded planes' 144 KB. JDK 25+ for the plain forward too:
     * JDK 17's JIT leaves the gathered kernel's vectors allocated. Measured in docs/BENCHMARKS.md ("Fifth AVX2 session").
     */
    private static void gathered(float[] out, int[] argmax, float[] in, float[] weight, float[] bias, ConvGeometry g) {
        int C = g.C(), H = g.H(), W = g.W(), OC = g.OC(), CKK = C * 9;
        // Row y of the image at plane row y + 1, columns 1..W, column 0 the border of both sides; or three shifted
        // copies of each plane, rows W apart (see VectorConvInputGrad3x3.shiftedCopies)
        boolean shifted = VectorConvInputGrad3x3.shiftedCopies(g);
        int Wp = shifted ? W : W + 1;
        int columns = VectorGemm.gatheredColumns(H, Wp); // output (y, x) at y*Wp + x, whole panels
        int plane = shifted ? VectorConvInputGrad3x3.shiftedPlane(g)
                : Math.max((H + 2) * Wp + 1, 2 * Wp + 2 + columns); // every gathered row stays inside its plane
        int planes = shifted ? 3 * C : C;
        int[] bRow = Scratch.ints(Scratch.ROWS, CKK);
        for (int k = 0; k < CKK; k++) { // input channel, kernel row and column
            bRow[k] = shifted ? (3 * (k / 9) + k % 3) * plane + k % 9 / 3 * W : k / 9 * plane + k % 9 / 3 * Wp + k % 3;
        }
        // The plain forward's rows straight into out where the product computes no border columns (rows of whole
        // panels or pairs of one-vector rows: multiplyGathered's outStride) or its columns are the pixels
        int P = H * W;
        boolean direct = argmax == null && (shifted ? columns == P : VectorGemm.gatheredRowsAlone(H, W, Wp));
        Parallel.parallelFor(g.N(), () -> packWeights(weight, g), (worker, from, to) -> {
            float[] ap = packedWeights(g);
            float[] padded = Scratch.get(Scratch.PADDED_IN, planes * plane);
            float[] conv = direct ? null : Scratch.get(Scratch.IMAGE_OUT, OC * columns); // [OC][columns] of one image
            java.util.Arrays.fill(padded, 0, planes * plane, 0f); // borders stay zero; each image writes the interior
            for (int n = from; n < to; n++) {
                if (shifted) {
                    VectorConvInputGrad3x3.copyShifted(padded, plane, in, n * C * H * W, C, H, W);
                } else {
                    for (int c = 0; c < C; c++) {
                        for (int y = 0; y < H; y++) {
                            System.arraycopy(in, ((n * C + c) * H + y) * W, padded, c * plane + (y + 1) * Wp + 1, W);
                        }
                    }
                }
                if (direct) {
                    VectorGemm.multiplyGathered(ap, OC, CKK, padded, bRow, H, W, Wp, W, out,
                            n * OC * P, P, bias);
                    continue;
                }
                VectorGemm.multiplyGathered(ap, OC, CKK, padded, bRow, H, W, Wp, conv, 0, columns, bias);
                if (argmax != null) {
                    VectorPool.maxPool2x2Any(out, argmax, conv, n * OC, columns, Wp, n * OC, (n + 1) * OC, H, W, true);
                    continue;
                }
                for (int oc = 0; oc < OC; oc++) {
                    for (int y = 0; y < H; y++) {
                        System.arraycopy(conv, oc * columns + y * Wp, out, ((n * OC + oc) * H + y) * W, W);
                    }
                }
            }
        });
    }

    /**
     * A 3x3 stride-2 convolution with padding 1 by a gathered product over each image's phase planes
     * ({@link VectorPhases}), straight into out where the output's pixels fill whole panels, else through a buffer of
     * the worker's. JDK 25+, as the stride-1 gathered forward. The same sums in the same order as im2col's GEMM
     * (k running over the channels and the 3x3 taps in order): the same values.
     */
    private static void phased(float[] out, float[] in, float[] weight, float[] bias, ConvGeometry g) {
        int C = g.C(), OC = g.OC(), CKK = C * 9, OH = g.OH(), OW = g.OW(), P = OH * OW;
        int columns = VectorGemm.gatheredColumns(OH, OW), planes = 6 * C * VectorPhases.planeSize(g);
        boolean whole = columns == P;
        int[] bRow = Scratch.ints(Scratch.ROWS, CKK);
        VectorPhases.rows(bRow, g);
        Parallel.parallelFor(g.N(), () -> packWeights(weight, g), (worker, from, to) -> {
            float[] ap = packedWeights(g);
            float[] phases = Scratch.get(Scratch.PADDED_IN, planes);
            float[] conv = whole ? null : Scratch.get(Scratch.IMAGE_OUT, OC * columns); // [OC][columns] of one image
            java.util.Arrays.fill(phases, 0, planes, 0f); // zero rows, shifted columns and tails stay zero
            for (int n = from; n < to; n++) {
                VectorPhases.split(phases, in, n * g.inImageSize(), g);
                if (whole) {
                    VectorGemm.multiplyGathered(ap, OC, CKK, phases, bRow, OH, OW, OW, out, n * OC * P, P, bias);
                    continue;
                }
                VectorGemm.multiplyGathered(ap, OC, CKK, phases, bRow, OH, OW, OW, conv, 0, columns, bias);
                for (int oc = 0; oc < OC; oc++) {
                    System.arraycopy(conv, oc * columns, out, (n * OC + oc) * P, P);
                }
            }
        });
    }

    /**
     * Packs the weights as the forward product's A into the calling thread's scratch: each thread of a forward loop
     * packs its own copy before its first chunk ({@link Parallel#parallelFor(int, Runnable, Parallel.RangeBody)}),
     * where one packing on the caller had every worker read it from the caller's core and the caller pack into lines
     * the workers had read (ResNet-20 on two threads: 16.2 us a packing on the caller against 9.3 on one thread).
     */
    private static void packWeights(float[] weight, ConvGeometry g) {
        int CKK = g.C() * g.KH() * g.KW();
        VectorGemm.packA(packedWeights(g), weight, 0, CKK, false, g.OC(), CKK);
    }

    /** The calling thread's packed weights ({@link #packWeights}). */
    private static float[] packedWeights(ConvGeometry g) {
        return Scratch.get(Scratch.WEIGHTS, VectorGemm.packedASize(g.OC(), g.C() * g.KH() * g.KW()));
    }

    static void backward(float[] din, boolean accumulateDin, float[] dweight, float[] dbias, float[] dout, float[] in,
                         float[] weight, ConvGeometry g) {
        int P = g.OH() * g.OW();
        int CKK = g.C() * g.KH() * g.KW();
        int OC = g.OC();
        int N = g.N();
        int workers = Parallel.chunks(N); // partial sums per chunk
        // JDK 17's JIT leaves the gathered kernel's vectors to their allocating fallback: 400 steps of bench there took
        // 5.2-8.7 s with 61-145 collections, 2.1-3.0 s and none by GEMM and col2im (SimpleNet's conv2 backward 3.6-3.9
        // -> 0.9 s); JDK 25 runs it as the fastest (versions in between not measured, as for VectorPool)
        boolean directInput = DIRECT_INPUT_GRAD && VectorConvInputGrad3x3.applies(g) && VectorPool.jitReady();
        // 3x3 stride-2 layers: a gathered product per phase of din (VectorPhases), no column matrix, no col2im
        boolean phasedInput = din != null && !directInput && VectorPhases.appliesToInputGrad(g)
                && VectorPool.jitReady();
        float[] wt = null;
        float[][] phaseWeights = phasedInput ? Scratch.phaseWeightHolder() : null;
        int[][] phaseRows = phasedInput ? Scratch.phaseRowHolder() : null;
        // The direct input gradient's packed weights: each thread's own (see packWeights), made before its first chunk
        Runnable prepare = din != null && directInput ? () -> VectorConvInputGrad3x3.prepare(weight, g, false) : null;
        if (phasedInput) {
            for (int p = 0; p < 4; p++) {
                int K = OC * VectorPhases.taps(p);
                phaseWeights[p] = Scratch.get(Scratch.PHASE_WEIGHTS + p, VectorGemm.packedASize(g.C(), K));
                phaseRows[p] = Scratch.ints(Scratch.PHASE_ROWS + p, K);
            }
            VectorPhases.prepareInputGrad(phaseWeights, phaseRows, weight, g);
        } else if (din != null && !directInput) {
            wt = Scratch.get(Scratch.WEIGHTS, VectorGemm.packedASize(CKK, OC));
            VectorGemm.packA(wt, weight, 0, CKK, true, CKK, OC);
        }
        float[] weightT = wt;
        boolean transposed = weightGradTransposed(OC, CKK);
        // Output channels in whole vectors: the weight gradient with vectors along them (see its class)
        boolean channelVectors = dweight != null && VectorChannelWeightGrad3x3.applies(g);
        boolean direct = !channelVectors && DIRECT_WEIGHT_GRAD && VectorConvWeightGrad3x3.applies(g);
        boolean gemmWeightGrad = dweight != null && !direct && !channelVectors;
        // With enough output channels the direct weight gradient is split over blocks of them (a second loop, below,
        // one chunk per block, so a thread that falls behind leaves blocks to the other): the first loop pads each
        // image into buffers of the calling thread that every worker reads, and no partial sums are zeroed or added
        // up on the caller afterwards. The result depends neither on the thread count nor on scheduling. Otherwise
        // each worker sums its images' weight gradients privately (its own section of parts); the sections are added
        // in worker order, so the result depends on the thread count but not on scheduling.
        boolean splitChannels = dweight != null && direct
                && VectorConvWeightGrad3x3.blocks(g) >= VectorConvWeightGrad3x3.MIN_SPLIT_BLOCKS;
        float[] x = splitChannels ? Scratch.get(Scratch.SHARED_PADDED_IN, VectorConvWeightGrad3x3.paddedInSize(g))
                : null;
        float[] dPadded = splitChannels && !VectorConvWeightGrad3x3.readsOutputGradInPlace(g)
                ? Scratch.get(Scratch.SHARED_PADDED_OUT, VectorConvWeightGrad3x3.paddedOutSize(g))
                : null;
        int partSize = direct ? VectorConvWeightGrad3x3.partSize(g) : OC * CKK;
        int sections = splitChannels ? 1 : workers;
        float[] parts = dweight == null ? null
                : channelVectors ? Scratch.get(Scratch.PARTS, VectorChannelWeightGrad3x3.partsSize(g))
                : Scratch.get(Scratch.PARTS, sections * partSize);
        if (parts != null && !splitChannels && !channelVectors) {
            java.util.Arrays.fill(parts, 0, workers * partSize, 0f);
        }
        double[] biasParts = dbias == null ? null : Scratch.zeroedDoubles(workers * OC);
        boolean inPlace = VectorGemm.readsInPlace(P);
        boolean evenPhase = VectorPhases.appliesToPointwise(g) && VectorPool.jitReady(); // 1x1 stride 2
        // The loop over images: the input gradient, the bias's, and the weight gradient's but for channel vectors
        int imageLoop = din != null || dbias != null || (dweight != null && !channelVectors) ? N : 0;
        Parallel.parallelFor(imageLoop, prepare, (worker, from, to) -> {
            float[] cols = gemmWeightGrad ? Scratch.get(Scratch.IM2COL, CKK * P) : null;
            float[] dcols = din == null || directInput || phasedInput ? null : Scratch.get(Scratch.DCOLS, CKK * P);
            int partOff = worker * partSize;
            if (splitChannels) {
                VectorConvWeightGrad3x3.padImages(x, dPadded, in, dout, from, to, g);
            } else if (dweight != null && direct) {
                VectorConvWeightGrad3x3.accumulateImages(parts, partOff, dout, in, from, to, g);
            }
            if (din != null && directInput) {
                VectorConvInputGrad3x3.addImages(din, accumulateDin, dout, VectorConvInputGrad3x3.threadWeights(g),
                        VectorConvInputGrad3x3.threadRows(g), from, to, g);
            } else if (phasedInput) {
                VectorPhases.inputGrad(din, accumulateDin, dout, phaseWeights, phaseRows, from, to, g);
            } else if (din != null && !accumulateDin) { // col2im only adds: the chunk's images zeroed first
                java.util.Arrays.fill(din, from * g.inImageSize(), to * g.inImageSize(), 0f);
            }
            for (int n = from; n < to; n++) {
                int inOff = n * g.inImageSize();
                int outOff = n * OC * P;
                if (dbias != null) {
                    VectorElementwise.sumRows(biasParts, worker * OC, dout, outOff, OC, P);
                }
                if (gemmWeightGrad) {
                    if (evenPhase) { // 1x1 stride 2: the even phase is the column matrix
                        VectorPhases.evenPhase(cols, P, in, inOff, g);
                    } else {
                        Conv2dKernels.im2col(cols, in, inOff, g);
                    }
                    if (transposed) { // dweight^T[CKK, OC] += cols[CKK, P] * dout^T[P, OC]
                        float[] ap = Scratch.get(Scratch.PACK_A, VectorGemm.packedASize(CKK, P));
                        float[] bp = Scratch.get(Scratch.PACK_B, VectorGemm.packedBSize(P, OC));
                        VectorGemm.packA(ap, cols, 0, P, false, CKK, P);
                        VectorGemm.packB(bp, dout, outOff, P, true, P, OC);
                        VectorGemm.multiply(ap, bp, CKK, OC, P, parts, partOff, OC, true, null);
                    } else { // dweight[OC, CKK] += dout[OC, P] * cols^T[P, CKK]
                        float[] ap = Scratch.get(Scratch.PACK_A, VectorGemm.packedASize(OC, P));
                        float[] bp = Scratch.get(Scratch.PACK_B, VectorGemm.packedBSize(P, CKK));
                        VectorGemm.packA(ap, dout, outOff, P, false, OC, P);
                        VectorGemm.packB(bp, cols, 0, P, true, P, CKK);
                        VectorGemm.multiply(ap, bp, OC, CKK, P, parts, partOff, CKK, true, null);
                    }
                }
                if (din != null && !directInput && !phasedInput) {
                    if (inPlace) { // dout's rows are whole NR-column slices, read in place as in the forward pass
                        VectorGemm.multiply(weightT, dout, outOff, P, CKK, P, OC, dcols, 0, P, false, null);
                    } else {
                        float[] bp = Scratch.get(Scratch.PACK_B, VectorGemm.packedBSize(OC, P));
                        VectorGemm.packB(bp, dout, outOff, P, false, OC, P);
                        VectorGemm.multiply(weightT, bp, CKK, P, OC, dcols, 0, P, false, null);
                    }
                    if (evenPhase) {
                        VectorPhases.addEvenPhase(din, inOff, dcols, g);
                    } else if (VectorCol2im.applies(g)) {
                        VectorCol2im.add(din, inOff, dcols, g);
                    } else {
                        Conv2dKernels.col2imAdd(din, inOff, dcols, g);
                    }
                }
            }
        });
        if (dbias != null) {
            Conv2dKernels.addPartialSums(dbias, biasParts, workers);
        }
        if (channelVectors) {
            Parallel.parallelForEach(VectorChannelWeightGrad3x3.groups(g), (worker, from, to) ->
                    VectorChannelWeightGrad3x3.accumulateGroups(parts, in, dout, from, to, g));
            Parallel.parallelFor(OC, (worker, from, to) ->
                    VectorChannelWeightGrad3x3.addGroupSums(dweight, parts, from, to, g));
        } else if (splitChannels) {
            float[] d = dPadded != null ? dPadded : dout;
            Parallel.parallelForEach(VectorConvWeightGrad3x3.blocks(g), (worker, from, to) ->
                    VectorConvWeightGrad3x3.accumulateBlocks(dweight, parts, d, x, from, to, g));
        } else if (dweight != null && direct) {
            VectorConvWeightGrad3x3.reduce(dweight, parts, workers, g);
        } else if (dweight != null) {
            for (int w = 0; w < workers; w++) {
                int off = w * OC * CKK;
                if (transposed) {
                    for (int oc = 0; oc < OC; oc++) {
                        for (int j = 0; j < CKK; j++) {
                            dweight[oc * CKK + j] += parts[off + j * OC + oc];
                        }
                    }
                } else {
                    for (int i = 0; i < OC * CKK; i++) {
                        dweight[i] += parts[off + i];
                    }
                }
            }
        }
    }

    /**
     * The backward pass of {@code max_pool2d(relu(conv2d(x)), 2)} for a layer that {@link
     * Conv2dKernels#pooledWeightGrad} takes, in one parallel loop over the images: each image's input and weight
     * gradients are summed from the pool's winners ({@link VectorPooledConvInputGrad3x3},
     * {@link VectorPooledConvWeightGrad3x3}), its bias gradient from the pooled gradient. The convolution's output
     * gradient is never written. Partial sums per chunk, added in chunk order. With
     * {@code -Dsimpletorch.pooledInputGrad=false} (to measure) the input gradient is instead one gathered product per
     * image over the pool's gradient written straight into its zero-bordered buffer
     * ({@link VectorConvInputGrad3x3#addImagesFromPool}). Without {@code accumulateDin} din is overwritten (a gradient
     * nothing has written yet), which spares the caller a pass that zeroes it.
     */
    static void backwardReluMaxPool2x2(float[] din, boolean accumulateDin, float[] dweight, float[] dbias,
                                       float[] dpool, float[] out, int[] argmax, float[] in, float[] weight,
                                       ConvGeometry g) {
        int N = g.N(), OC = g.OC();
        int chunks = Parallel.chunks(N);
        // The gathered product's way needs the vector pool's layout; -Dsimpletorch.pooledInputGrad=false measures it
        boolean pooledInput = (POOLED_INPUT_GRAD || !VectorPool.applies(g.OH(), g.OW()))
                && VectorPooledConvInputGrad3x3.applies(g);
        // The input gradient's packed weights: each thread's own (see packWeights), made before its first chunk
        Runnable prepare = din == null ? null
                : pooledInput ? () -> VectorPooledConvInputGrad3x3.prepare(weight, g)
                : () -> VectorConvInputGrad3x3.prepare(weight, g, true);
        int[] corner = dweight == null ? null : VectorPooledConvWeightGrad3x3.corners(g);
        int partSize = VectorPooledConvWeightGrad3x3.partSize(g);
        float[] parts = dweight == null ? null : Scratch.get(Scratch.PARTS, chunks * partSize);
        double[] biasParts = dbias == null ? null : Scratch.zeroedDoubles(chunks * OC);
        Parallel.parallelFor(N, prepare, (chunk, from, to) -> {
            if (din != null && pooledInput) {
                VectorPooledConvInputGrad3x3.addImages(din, accumulateDin, dpool, out, argmax,
                        VectorPooledConvInputGrad3x3.threadWeights(g), from, to, g);
            } else if (din != null) {
                if (!accumulateDin) { // this product only adds: its chunk's images zeroed first
                    int image = g.C() * g.H() * g.W();
                    java.util.Arrays.fill(din, from * image, to * image, 0f);
                }
                VectorConvInputGrad3x3.addImagesFromPool(din, dpool, out, argmax,
                        VectorConvInputGrad3x3.threadWeights(g), VectorConvInputGrad3x3.threadRows(g), from, to, g);
            }
            if (dweight != null) { // each chunk zeroes its own partial sums
                java.util.Arrays.fill(parts, chunk * partSize, (chunk + 1) * partSize, 0f);
                VectorPooledConvWeightGrad3x3.addImages(parts, chunk * partSize, dpool, out, argmax, in, corner, from,
                        to, g);
            }
            if (dbias != null) {
                VectorPooledConvWeightGrad3x3.addBias(biasParts, chunk * OC, dpool, out, from, to, g);
            }
        });
        if (dweight != null) {
            VectorPooledConvWeightGrad3x3.reduce(dweight, parts, chunks, g);
        }
        if (dbias != null) {
            Conv2dKernels.addPartialSums(dbias, biasParts, chunks);
        }
    }

    /** -Dsimpletorch.pooledInputGrad=false measures the gathered product for the fused layers' input gradient. */
    static final boolean POOLED_INPUT_GRAD = !"false".equals(System.getProperty("simpletorch.pooledInputGrad"));
    /** -Dsimpletorch.directWeightGrad=false measures the GEMM path for 3x3 stride-1 layers too. */
    static final boolean DIRECT_WEIGHT_GRAD = !"false".equals(System.getProperty("simpletorch.directWeightGrad"));
    /** -Dsimpletorch.directInputGrad=false measures the GEMM + col2im path for 3x3 "same" layers too. */
    static final boolean DIRECT_INPUT_GRAD = !"false".equals(System.getProperty("simpletorch.directInputGrad"));

    /**
     * Whether the weight gradient is better computed transposed ([CKK, OC], rows of the patch) than as [OC, CKK]:
     * the product whose zero-padded panels waste less work wins. The micro-kernel's tile is MR rows by NR columns,
     * so a layer with few output channels (conv1: 16 of a 32-column panel) is better off with OC as the rows.
     */
    static boolean weightGradTransposed(int OC, int CKK) {
        long transposedWork = (long) roundUp(CKK, VectorGemm.MR) * roundUp(OC, VectorGemm.NR);
        long plainWork = (long) roundUp(OC, VectorGemm.MR) * roundUp(CKK, VectorGemm.NR);
        return transposedWork <= plainWork;
    }

    private static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }
}
