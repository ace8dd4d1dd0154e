package simpletorch.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient of a 3x3, stride-1 convolution computed directly, without im2col or GEMM packing:
 *
 * <pre>
 *   dweight[oc][c][kh][kw] = sum over images, oh, ow of  dout[oc][oh][ow] * in[c][oh + kh - PH][ow + kw - PW]
 * </pre>
 *
 * <p>Vectors run along {@code ow}. The images are first copied into a padded buffer: the input with a zero
 * border (so every shifted row is a plain unaligned load, padding included); the output gradient too, with rows
 * rounded up to whole vectors and output channels up to a multiple of 4 (zeros in the extra places, so extra lanes
 * add nothing), unless it already has that shape. The micro-kernel keeps a 4-output-channel x 3-kw tile of 12
 * vector accumulators and walks the rows of a group of images ({@link #group}): per row 4 + 3 loads feed 12 FMAs,
 * and the accumulators are stored once per tile and group, not once per image (per image stores were twice as
 * slow on SimpleNet's conv2; all images at once streamed the operands from L2). Accumulators go to a buffer of
 * vector partial sums, {@code [OCp][C][3][3][L]}, whose lanes are added in a fixed order at the end.
 *
 * <p>Two ways to split the work between threads ({@link VectorConv2d} picks): over images, each worker padding its
 * own images and summing into its own buffer ({@link #accumulateImages}, then {@link #reduce} adds the workers'
 * buffers on the calling thread); or, for layers with at least {@link #MIN_SPLIT_BLOCKS} blocks of output channels,
 * over the blocks, after the whole batch is padded once ({@link #padImages}, {@link #accumulateBlocks}).
 *
 * <p>Measured (conv1 of SimpleNet, 3 -> 16 channels at 32x32): im2col + packing took ~35 of the ~43 us per image
 * that the GEMM path spent here. Only called when {@link Gemm#vectorEnabled()}.
 */
final class VectorConvWeightGrad3x3 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Output channels per tile. */
    private static final int OB = 4;
    /** At most this many images per group (see {@link #group}). */
    static final int MAX_GROUP = 3;
    /** Bytes of output-gradient rows a tile call may walk: half of a 32 KB L1 data cache. */
    private static final int L1_BUDGET = 16 * 1024;

    private VectorConvWeightGrad3x3() {
    }

    static boolean applies(ConvGeometry g) {
        return g.KH() == 3 && g.KW() == 3 && g.strideH() == 1 && g.strideW() == 1;
    }

    /**
     * Images whose rows one tile call walks before its accumulators are stored. All of a worker's images (up to 16
     * for SimpleNet) stream the tile's operands from L2; a few at a time keep them in L1 across the kh, channel and
     * column loops, at the price of storing the accumulators more often. As many as keep the tile's OB output
     * gradient planes within {@link #L1_BUDGET}, at most {@link #MAX_GROUP}. Measured (1 thread, AVX2, per image):
     * SimpleNet's conv2 (16x16 planes) 48 / 42 / 41 / 45 us for groups of 1 / 2 / 3 / 4, so 3; conv1 (32x32
     * planes, 16 KB for four) 17.7 / 23 / 26 / 27 us, so 1. (With groups of 3 for both, 2, 3 and 4 had all beaten
     * 16 by 5-10% of a training step on AVX-512.)
     */
    static int group(ConvGeometry g) {
        int planeBytes = g.OH() * roundUp(g.OW(), L) * Float.BYTES;
        return Math.max(1, Math.min(MAX_GROUP, L1_BUDGET / (OB * planeBytes)));
    }

    /** Floats of one worker's partial sums. */
    static int partSize(ConvGeometry g) {
        return roundUp(g.OC(), OB) * g.C() * 9 * L;
    }

    /**
     * Adds the contribution of images [from, to) into {@code part[partOff, +partSize)}. All of them are padded
     * first, so that each tile's accumulators run over every image's rows before they are stored once.
     */
    static void accumulateImages(float[] part, int partOff, float[] dout, float[] in, int from, int to,
                                 ConvGeometry g) {
        int C = g.C(), OC = g.OC(), OH = g.OH(), OW = g.OW();
        int OWv = roundUp(OW, L);
        int Wp = OWv + 2, Hp = OH + 2;
        int OCp = roundUp(OC, OB);
        int images = to - from;
        int xImage = C * Hp * Wp;
        float[] x = Scratch.get(Scratch.PADDED_IN, images * xImage); // [images][C][Hp][Wp]
        for (int i = 0; i < images; i++) {
            padInput(x, i * xImage, in, (from + i) * g.inImageSize(), g, Hp, Wp);
        }
        // The output gradient is read in place when its rows are whole vectors and its channels whole tiles.
        float[] d;
        int dImage, dStart;
        if (OW == OWv && OC == OCp) {
            d = dout;
            dImage = OC * OH * OW;
            dStart = from * dImage;
        } else {
            dImage = OCp * OH * OWv;
            d = Scratch.get(Scratch.PADDED_OUT, images * dImage); // [images][OCp][OH][OWv]
            for (int i = 0; i < images; i++) {
                padOutputGrad(d, i * dImage, dout, (from + i) * OC * OH * OW, OC, OCp, OH, OW, OWv);
            }
            dStart = 0;
        }
        walk(part, partOff, d, dStart, x, images, 0, OCp / OB, g);
    }

    /**
     * Adds the contribution of {@code images} padded images (x from 0, d from dStart) for the output channels of
     * blocks [blockFrom, blockTo) into part from partOff ({@code [OCp][C][3][3][L]}): groups of images ({@link
     * #group}), and within a group every tile of the blocks.
     */
    private static void walk(float[] part, int partOff, float[] d, int dStart, float[] x, int images, int blockFrom,
                             int blockTo, ConvGeometry g) {
        int C = g.C(), OH = g.OH();
        int OWv = roundUp(g.OW(), L);
        int Wp = OWv + 2, Hp = OH + 2;
        int xImage = C * Hp * Wp, dImage = roundUp(g.OC(), OB) * OH * OWv;
        int plane = OH * OWv;
        int group = Math.max(1, Math.min(images, group(g)));
        for (int g0 = 0; g0 < images; g0 += group) {
            int n = Math.min(group, images - g0);
            int dg = dStart + g0 * dImage, xg = g0 * xImage;
            for (int ob = blockFrom * OB; ob < blockTo * OB; ob += OB) {
                for (int c = 0; c < C; c++) {
                    for (int kh = 0; kh < 3; kh++) {
                        int acc = partOff + ((ob * C + c) * 9 + kh * 3) * L; // (ob, c, kh, kw = 0), lane 0
                        for (int col = 0; col < OWv; col += L) {
                            tile(part, acc, C * 9 * L, d, dg + ob * plane + col, plane, OWv, dImage,
                                    x, xg + (c * Hp + kh) * Wp + col, Wp, xImage, OH, n);
                        }
                    }
                }
            }
        }
    }

    // ---- split over output channels: the batch's operands padded once, shared by every worker -----------------

    /**
     * The fewest blocks of output channels for which {@link VectorConv2d} splits the weight gradient over them
     * instead of over images. Measured (AVX2, batch 32, 2 threads, medians of 600 calls in alternation, 4 runs):
     * SimpleNet's conv2 (8 blocks) backward 2,247 / 2,534 / 2,793 / 2,538 -> 1,993 / 2,458 / 2,731 / 2,527 us;
     * conv1 (4 blocks, 32x32 planes walked one image at a time) 585 / 579 / 568 / 599 -> 579 / 688 / 644 / 715 us.
     */
    static final int MIN_SPLIT_BLOCKS = 8;

    /** Blocks of {@link #OB} output channels: the items {@link #accumulateBlocks} is split over. */
    static int blocks(ConvGeometry g) {
        return roundUp(g.OC(), OB) / OB;
    }

    /** Whether the output gradient is read in place (rows of whole vectors, channels of whole blocks). */
    static boolean readsOutputGradInPlace(ConvGeometry g) {
        return g.OW() == roundUp(g.OW(), L) && g.OC() == roundUp(g.OC(), OB);
    }

    /** Floats of the whole batch's padded input, [N][C][OH + 2][OWv + 2]. */
    static int paddedInSize(ConvGeometry g) {
        return g.N() * g.C() * (g.OH() + 2) * (roundUp(g.OW(), L) + 2);
    }

    /** Floats of the whole batch's padded output gradient, [N][OCp][OH][OWv]. */
    static int paddedOutSize(ConvGeometry g) {
        return g.N() * roundUp(g.OC(), OB) * g.OH() * roundUp(g.OW(), L);
    }

    /**
     * Pads images [from, to) of the batch into {@code x} (and of dout into {@code d}, unless null: see
     * {@link #readsOutputGradInPlace}), at the images' own places: the first pass of the split over output channels.
     */
    static void padImages(float[] x, float[] d, float[] in, float[] dout, int from, int to, ConvGeometry g) {
        int OC = g.OC(), OH = g.OH(), OW = g.OW();
        int OWv = roundUp(OW, L), OCp = roundUp(OC, OB);
        int Wp = OWv + 2, Hp = OH + 2;
        int xImage = g.C() * Hp * Wp, dImage = OCp * OH * OWv;
        for (int n = from; n < to; n++) {
            padInput(x, n * xImage, in, n * g.inImageSize(), g, Hp, Wp);
            if (d != null) {
                padOutputGrad(d, n * dImage, dout, n * OC * OH * OW, OC, OCp, OH, OW, OWv);
            }
        }
    }

    /**
     * dweight[oc] += the whole batch's contribution, for the output channels of blocks [from, to): each block walks
     * every image (in groups, as {@link #accumulateImages}) into its own rows of {@code part} ({@code [OCp][C][3][3]
     * [L]}), and then adds their lanes, in lane order, into dweight. A block's sums do not depend on which worker runs
     * it, nor on the thread count. {@code d} is the padded output gradient, or dout itself when it is read in place.
     */
    static void accumulateBlocks(float[] dweight, float[] part, float[] d, float[] x, int from, int to,
                                 ConvGeometry g) {
        int rowFloats = g.C() * 9 * L; // one output channel's partial sums
        java.util.Arrays.fill(part, from * OB * rowFloats, to * OB * rowFloats, 0f);
        walk(part, 0, d, 0, x, g.N(), from, to, g);
        reduce(dweight, part, 1, from * OB, Math.min(g.OC(), to * OB), g);
    }

    /**
     * Twelve accumulators: output channels ob..ob+3 (dout planes {@code plane} apart) by kw = 0..2, over OH rows
     * of one column vector in each of {@code images} images. Adds them into part at {@code acc + r*ocStride + kw*L}.
     */
    private static void tile(float[] part, int acc, int ocStride, float[] d, int dOff, int plane, int dRow, int dImage,
                             float[] x, int xOff, int xRow, int xImage, int rows, int images) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00;
        // One flat loop over every image's rows (a nested loop with vector accumulators live across it makes
        // JDK 17's JIT box the vectors: measured 300 MB of garbage per step).
        int xi = xOff, di = dOff, r = 0;
        for (int t = 0, end = images * rows; t < end; t++) {
            FloatVector x0 = FloatVector.fromArray(S, x, xi);
            FloatVector x1 = FloatVector.fromArray(S, x, xi + 1);
            FloatVector x2 = FloatVector.fromArray(S, x, xi + 2);
            FloatVector d0 = FloatVector.fromArray(S, d, di);
            a00 = d0.fma(x0, a00);
            a01 = d0.fma(x1, a01);
            a02 = d0.fma(x2, a02);
            FloatVector d1 = FloatVector.fromArray(S, d, di + plane);
            a10 = d1.fma(x0, a10);
            a11 = d1.fma(x1, a11);
            a12 = d1.fma(x2, a12);
            FloatVector d2 = FloatVector.fromArray(S, d, di + 2 * plane);
            a20 = d2.fma(x0, a20);
            a21 = d2.fma(x1, a21);
            a22 = d2.fma(x2, a22);
            FloatVector d3 = FloatVector.fromArray(S, d, di + 3 * plane);
            a30 = d3.fma(x0, a30);
            a31 = d3.fma(x1, a31);
            a32 = d3.fma(x2, a32);
            xi += xRow;
            di += dRow;
            if (++r == rows) { // the next image
                r = 0;
                xi += xImage - rows * xRow;
                di += dImage - rows * dRow;
            }
        }
        // Added here, not by a helper taking the vectors: where the JIT does not inline such a helper, the vectors are
        // allocated to be passed (seen on JDK 17 in some runs and not others: up to 52 GB sampled in a 200-step bench,
        // 47 collections and a third of the speed)
        int r1 = acc + ocStride, r2 = acc + 2 * ocStride, r3 = acc + 3 * ocStride;
        FloatVector.fromArray(S, part, acc).add(a00).intoArray(part, acc);
        FloatVector.fromArray(S, part, acc + L).add(a01).intoArray(part, acc + L);
        FloatVector.fromArray(S, part, acc + 2 * L).add(a02).intoArray(part, acc + 2 * L);
        FloatVector.fromArray(S, part, r1).add(a10).intoArray(part, r1);
        FloatVector.fromArray(S, part, r1 + L).add(a11).intoArray(part, r1 + L);
        FloatVector.fromArray(S, part, r1 + 2 * L).add(a12).intoArray(part, r1 + 2 * L);
        FloatVector.fromArray(S, part, r2).add(a20).intoArray(part, r2);
        FloatVector.fromArray(S, part, r2 + L).add(a21).intoArray(part, r2 + L);
        FloatVector.fromArray(S, part, r2 + 2 * L).add(a22).intoArray(part, r2 + 2 * L);
        FloatVector.fromArray(S, part, r3).add(a30).intoArray(part, r3);
        FloatVector.fromArray(S, part, r3 + L).add(a31).intoArray(part, r3 + L);
        FloatVector.fromArray(S, part, r3 + 2 * L).add(a32).intoArray(part, r3 + 2 * L);
    }

    /** x[xOff + (c*Hp + r)*Wp + q] = in[c][r - PH][q - PW], zero outside the image. */
    private static void padInput(float[] x, int xOff, float[] in, int inOff, ConvGeometry g, int Hp, int Wp) {
        int H = g.H(), W = g.W(), PH = g.padH(), PW = g.padW();
        for (int c = 0; c < g.C(); c++) {
            for (int r = 0; r < Hp; r++) {
                int dst = xOff + (c * Hp + r) * Wp;
                int ih = r - PH;
                if (ih < 0 || ih >= H) {
                    java.util.Arrays.fill(x, dst, dst + Wp, 0f);
                    continue;
                }
                java.util.Arrays.fill(x, dst, dst + PW, 0f);
                System.arraycopy(in, inOff + (c * H + ih) * W, x, dst + PW, W);
                java.util.Arrays.fill(x, dst + PW + W, dst + Wp, 0f);
            }
        }
    }

    /** d[dOff + (oc*OH + oh)*OWv + ow] = dout[oc][oh][ow], zero for ow >= OW and oc >= OC. */
    private static void padOutputGrad(float[] d, int dOff, float[] dout, int off, int OC, int OCp, int OH, int OW,
                                      int OWv) {
        if (OW == OWv) {
            System.arraycopy(dout, off, d, dOff, OC * OH * OW);
        } else {
            for (int row = 0; row < OC * OH; row++) {
                System.arraycopy(dout, off + row * OW, d, dOff + row * OWv, OW);
                java.util.Arrays.fill(d, dOff + row * OWv + OW, dOff + (row + 1) * OWv, 0f);
            }
        }
        java.util.Arrays.fill(d, dOff + OC * OH * OWv, dOff + OCp * OH * OWv, 0f);
    }

    /**
     * dweight[oc][c][kh][kw] += the workers' partial sums, worker by worker and lane by lane (a fixed order, so the
     * result depends on the thread count only).
     */
    static void reduce(float[] dweight, float[] parts, int workers, ConvGeometry g) {
        reduce(dweight, parts, workers, 0, g.OC(), g);
    }

    /** {@link #reduce} for output channels [ocFrom, ocTo) only. */
    private static void reduce(float[] dweight, float[] parts, int workers, int ocFrom, int ocTo, ConvGeometry g) {
        int C = g.C();
        int size = partSize(g);
        for (int oc = ocFrom; oc < ocTo; oc++) {
            for (int j = 0; j < C * 9; j++) {
                float s = 0f;
                for (int w = 0; w < workers; w++) {
                    int base = w * size + (oc * C * 9 + j) * L;
                    for (int lane = 0; lane < L; lane++) {
                        s += parts[base + lane];
                    }
                }
                dweight[oc * C * 9 + j] += s;
            }
        }
    }

    private static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }
}
