package simpletorch.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient of a 3x3 convolution of stride s = 1 or 2 with vectors along the output channels, for layers
 * whose output channels fill whole vectors (multiples of 16 on AVX-512, of 8 on AVX2):
 *
 * <pre>
 *   dweight[oc][c][kh][kw] = sum over images n, oh, ow of  dout[n][oc][oh][ow] * x[n][c][oh*s + kh][ow*s + kw]
 * </pre>
 *
 * where x is the input with its zero border ({@code x[r][q] = in[r - PH][q - PW]}). As a product it is
 * {@code dweight^T[C*9][OC] = cols[C*9][K] * dout^T[K][OC]} with K running over every pixel of every image: each
 * step of K is one output pixel, whose gradient (a row of dout^T: all output channels) is loaded as vectors and
 * multiplied by a broadcast input value for each of a tile's columns. {@link VectorConvWeightGrad3x3} runs its
 * vectors along the output's rows instead, which on small planes leaves lanes empty (an 8x8 plane fills half of a
 * 16-lane vector) and stores its accumulators every few rows; here a tile of 2 channel vectors x {@link #COLS}
 * columns keeps 12 accumulators over up to 256 pixels, 2 vector loads and 6 broadcasts for 12 FMAs a step (with an
 * odd number of channel vectors, 1 vector x the 9 columns of one input channel: 1 load and 9 broadcasts for 9).
 * Measured in docs/BENCHMARKS.md ("Third Zen 5 session").
 *
 * <p>Two loops: the first over groups of images ({@link #accumulateGroups}): each group's input copied into its
 * zero-bordered planes and its output gradient transposed to [pixel][channel] ({@link #prepareImages}) in the
 * worker's buffers, then every block of a tile's columns and channels walks the group into the group's own sums;
 * the second over output channels adds the groups' sums in group order ({@link #addGroupSums}). The groups depend on
 * the shape only: the result does not depend on the thread count.
 * Only touched when {@link Gemm#vectorEnabled()}.
 */
final class VectorChannelWeightGrad3x3 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Input columns ((c, kh, kw) triples) per tile. */
    static final int COLS = 6;
    /** Output channels per tile: two vectors. */
    private static final int OCB = 2 * L;
    /**
     * Pixels whose products one tile call sums in its accumulators, at most (or one image's, if more), before it adds
     * them into the sums: float sums of longer chains round more. A whole group's chains (1,024 terms for 16 images of
     * 8x8) missed a test's tolerance that the other kernels meet; one image a call (64 terms there) cost a quarter
     * of the 8x8 layer's speed.
     */
    private static final int CHAIN = 256;
    /** Floats of the output gradient one group of images may hold (256 KB: a quarter of an L2 cache). */
    private static final int GROUP_FLOATS = 64 * 1024;

    private VectorChannelWeightGrad3x3() {
    }

    /**
     * 3x3, stride 1 or 2 (ResNet-20's down-sampling layers; two-pixel steps with stride 1 only), with output
     * channels in whole vectors, on a JDK whose JIT compiles these tiles (25+, as the
     * pool's: measured only there; JDK 17 keeps {@link VectorConvWeightGrad3x3}).
     */
    static boolean applies(ConvGeometry g) {
        return ENABLED && VectorPool.jitReady() && g.KH() == 3 && g.KW() == 3 && g.strideH() == g.strideW()
                && (g.strideH() == 1 || g.strideH() == 2) && g.OC() % L == 0;
    }

    /**
     * Whether the tiles are (6 columns, 2 channel vectors); otherwise, with an odd number of channel vectors (16
     * channels on AVX-512), (the 9 columns of one input channel, 1 vector): 9 broadcasts for 9 FMAs a step.
     */
    private static boolean pairs(ConvGeometry g) {
        return g.OC() % OCB == 0;
    }

    private static final boolean ENABLED = !"false".equals(System.getProperty("simpletorch.channelWeightGrad"));

    /** Blocks of (COLS columns, 2 channel vectors) or (one channel's 9 columns, 1 vector), see {@link #pairs}. */
    static int blocks(ConvGeometry g) {
        return pairs(g) ? columnTiles(g) * (g.OC() / OCB) : g.C() * (g.OC() / L);
    }

    private static int columnTiles(ConvGeometry g) {
        return (g.C() * 9 + COLS - 1) / COLS;
    }

    /** Floats of one group's zero-bordered input, [group][C][H + 2PH][W + 2PW]. */
    static int paddedInSize(ConvGeometry g) {
        return group(g) * imageSize(g);
    }

    private static int imageSize(ConvGeometry g) {
        return g.C() * (g.H() + 2 * g.padH()) * (g.W() + 2 * g.padW());
    }

    /** Floats of one group's transposed output gradient, [group][OH*OW][OC]. */
    static int transposedOutSize(ConvGeometry g) {
        return group(g) * g.OH() * g.OW() * g.OC();
    }

    /**
     * Floats of the sums buffer, dweight transposed: [C*9][OC], its rows rounded up to whole tiles of {@link #COLS}
     * (a last tile's extra columns repeat its last column into rows nobody reads).
     */
    static int sumsSize(ConvGeometry g) {
        return columnTiles(g) * COLS * g.OC();
    }

    /**
     * Images per group: as many as keep a group's output gradient within {@link #GROUP_FLOATS}, so that it stays in
     * L2 while every block walks it, and at most {@link #MAX_GROUP} (ResNet-20's layers: 8 images of 64 channels at
     * 8x8 and of 32 at 16x16, 4 of 16 at 32x32). Depends on the shape only, as the sums' grouping does.
     */
    static int group(ConvGeometry g) {
        return Math.max(1, Math.min(Math.min(g.N(), MAX_GROUP), GROUP_FLOATS / (g.OH() * g.OW() * g.OC())));
    }

    /**
     * Images per group at most: a batch of 32 makes at least four groups, the items that the threads share (two
     * groups for two threads left one waiting for the other whenever the machine took its core).
     */
    private static final int MAX_GROUP = 8;

    /** The groups of images of a batch: the items of {@link #accumulateGroups}. */
    static int groups(ConvGeometry g) {
        int group = group(g);
        return (g.N() + group - 1) / group;
    }

    /** Floats of every group's sums, one {@link #sumsSize} section per group. */
    static int partsSize(ConvGeometry g) {
        return groups(g) * sumsSize(g);
    }

    /**
     * For images [from, to): x gets their zero-bordered input planes from its start, and dT their output gradient
     * transposed from {@code dT0}, {@code dT[dT0 + ((n - from)*P + p)*OC + oc] = dout[n][oc][p]}.
     */
    static void prepareImages(float[] x, float[] dT, int dT0, float[] in, float[] dout, int from, int to,
                              ConvGeometry g) {
        int C = g.C(), H = g.H(), W = g.W(), PH = g.padH(), PW = g.padW();
        int Hp = H + 2 * PH, Wp = W + 2 * PW;
        int OC = g.OC(), P = g.OH() * g.OW();
        for (int n = from; n < to; n++) {
            int xBase = (n - from) * imageSize(g), inBase = n * g.inImageSize();
            for (int c = 0; c < C; c++) { // the border zeroed, the interior copied: each float written once
                int plane = xBase + c * Hp * Wp;
                java.util.Arrays.fill(x, plane, plane + PH * Wp + PW, 0f);
                for (int y = 0; y < H; y++) {
                    int row = plane + (y + PH) * Wp + PW;
                    System.arraycopy(in, inBase + (c * H + y) * W, x, row, W);
                    java.util.Arrays.fill(x, row + W, row + W + (y < H - 1 ? 2 * PW : PW + PH * Wp), 0f);
                }
            }
            transpose(dout, n * OC * P, dT, dT0 + (n - from) * P * OC, OC, P);
        }
    }

    /** {@code dT[dOff + p*OC + oc] = dout[off + oc*P + p]}: by 16 x 16 blocks in registers where they fit. */
    private static void transpose(float[] dout, int off, float[] dT, int dOff, int OC, int P) {
        int pBlocks = VectorTranspose.applies() ? P / 16 * 16 : 0; // OC is a multiple of L = 16 there
        for (int p0 = 0; p0 < pBlocks; p0 += 16) {
            for (int oc0 = 0; oc0 < OC; oc0 += 16) {
                VectorTranspose.transpose(dout, off + oc0 * P + p0, P, dT, dOff + p0 * OC + oc0, OC, false);
            }
        }
        for (int oc = 0; oc < OC; oc++) {
            for (int p = pBlocks; p < P; p++) {
                dT[dOff + p * OC + oc] = dout[off + oc * P + p];
            }
        }
    }

    /**
     * The sums of groups [from, to) of images ({@link #group}), each into its own section of {@code parts}
     * ({@link #sumsSize} floats, [C*9][OC] rounded up to whole tiles): the group's input planes and transposed output
     * gradient are prepared in the worker's buffers ({@link #prepareImages}), where every block then walks them while
     * they are in its cache. (Prepared for the whole batch first, the blocks, split across the threads, read half
     * of it from the other core's cache: ResNet-20's 16-channel layer on two threads took 890 us where the two passes
     * alone took 143 + 524.) A group's sums run over its images and pixels in order whatever thread runs it.
     */
    static void accumulateGroups(float[] parts, float[] in, float[] dout, int from, int to, ConvGeometry g) {
        int group = group(g), N = g.N(), size = sumsSize(g);
        float[] x = Scratch.get(Scratch.PADDED_OUT, paddedInSize(g));
        // the gradient's vectors on whole cache lines where the buffer is aligned (see Scratch.aligned)
        float[] dT = Scratch.aligned(Scratch.PADDED_IN, Scratch.ALIGN + transposedOutSize(g));
        int dT0 = Scratch.alignsBuffers() ? Scratch.ALIGN : 0;
        for (int gi = from; gi < to; gi++) {
            int n0 = gi * group, images = Math.min(group, N - n0);
            prepareImages(x, dT, dT0, in, dout, n0, n0 + images, g);
            accumulateGroup(parts, gi * size, x, dT, dT0, images, g);
        }
    }

    /**
     * Every block's sums over one group of {@code images} images (x from its start, dT from dT0) into parts at
     * partOff.
     */
    private static void accumulateGroup(float[] parts, int partOff, float[] x, float[] dT, int dT0, int images,
                                        ConvGeometry g) {
        int OC = g.OC(), CKK = g.C() * 9;
        int Hp = g.H() + 2 * g.padH(), Wp = g.W() + 2 * g.padW();
        int OH = g.OH(), OW = g.OW(), P = OH * OW;
        int xImage = imageSize(g);
        int chain = Math.max(1, CHAIN / P); // images per tile call
        int stride = g.strideH();
        boolean pairs = pairs(g);
        int cols = pairs ? COLS : 9, width = pairs ? OCB : L; // a block's columns and channels
        int perTile = OC / width; // blocks over the same columns
        for (int b = 0, blocks = blocks(g); b < blocks; b++) {
            int j0 = b / perTile * cols, oc0 = b % perTile * width;
            int count = Math.min(cols, CKK - j0);
            int o0 = offset(j0, count, 0, Hp, Wp), o1 = offset(j0, count, 1, Hp, Wp);
            int o2 = offset(j0, count, 2, Hp, Wp), o3 = offset(j0, count, 3, Hp, Wp);
            int o4 = offset(j0, count, 4, Hp, Wp), o5 = offset(j0, count, 5, Hp, Wp);
            // two kw triples (o0 and o3); 17 vectors live, so only with 32 registers (with AVX2's 16 the
            // spills made the kernel 1.5-2x slower than the one-pixel tile, -XX:UseAVX=2 on the Zen 5 machine)
            boolean twoPixels = TWO_PIXELS && stride == 1 && OW % 2 == 0
                    && (!pairs || VectorRegisters.COUNT >= 32 && count == COLS);
            for (int n = 0; n < images; n += chain) {
                int sOff = partOff + j0 * OC + oc0, dOff = dT0 + n * P * OC + oc0, m = Math.min(chain, images - n);
                if (!pairs && twoPixels) { // o0: the channel's plane, its window at o0 + kh*Wp + kw
                    tile9PixelPairs(parts, sOff, OC, n == 0, dT, dOff, x, n * xImage + o0, OH, OW, Wp, xImage, m);
                } else if (!pairs) {
                    tile9(parts, sOff, OC, n == 0, dT, dOff, x, n * xImage + o0, OH, OW, Wp, xImage, m, stride);
                } else if (twoPixels) {
                    tilePixelPairs(parts, sOff, OC, n == 0, dT, dOff, x, n * xImage, o0, o3, OH, OW, Wp, xImage, m);
                } else {
                    tile(parts, sOff, OC, n == 0, dT, dOff, x, n * xImage, o0, o1, o2, o3, o4, o5, OH, OW, Wp, xImage,
                            m, stride);
                }
            }
        }
    }

    /**
     * dweight += the groups' sums ({@link #accumulateGroups}) added in group order, for dweight's rows (output
     * channels) [from, to).
     */
    static void addGroupSums(float[] dweight, float[] parts, int from, int to, ConvGeometry g) {
        int OC = g.OC(), CKK = g.C() * 9, groups = groups(g), size = sumsSize(g);
        for (int oc = from; oc < to; oc++) {
            for (int j = 0; j < CKK; j++) {
                float s = parts[j * OC + oc];
                for (int gi = 1; gi < groups; gi++) {
                    s += parts[gi * size + j * OC + oc];
                }
                dweight[oc * CKK + j] += s;
            }
        }
    }

    /**
     * Where column {@code j0 + i} of cols reads x, relative to an output pixel's top-left input: (c, kh, kw) at
     * {@code (c*Hp + kh)*Wp + kw}. A tile's columns past {@code count} repeat its last (their sums are not kept).
     */
    private static int offset(int j0, int count, int i, int Hp, int Wp) {
        int j = j0 + Math.min(i, count - 1);
        int c = j / 9, k = j % 9;
        return (c * Hp + k / 3) * Wp + k % 3;
    }

    /**
     * Nine accumulators: channels oc0..oc0+L (dT from {@code dOff}, rows OC apart) by the 3x3 window of one input
     * channel (x from {@code xOff}), over every pixel of {@code images} images (see {@link #CHAIN}). Stored into sums
     * at {@code sOff + k*OC} for k = kh*3 + kw, added to what is there unless {@code first}.
     */
    private static void tile9(float[] sums, int sOff, int OC, boolean first, float[] dT, int dOff, float[] x,
                              int xOff, int OH, int OW, int Wp, int xImage, int images, int stride) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0;
        int xi = xOff, di = dOff, ow = 0, oh = 0;
        for (int t = 0, end = images * OH * OW; t < end; t++) {
            FloatVector d = FloatVector.fromArray(S, dT, di);
            a0 = d.fma(FloatVector.broadcast(S, x[xi]), a0);
            a1 = d.fma(FloatVector.broadcast(S, x[xi + 1]), a1);
            a2 = d.fma(FloatVector.broadcast(S, x[xi + 2]), a2);
            a3 = d.fma(FloatVector.broadcast(S, x[xi + Wp]), a3);
            a4 = d.fma(FloatVector.broadcast(S, x[xi + Wp + 1]), a4);
            a5 = d.fma(FloatVector.broadcast(S, x[xi + Wp + 2]), a5);
            a6 = d.fma(FloatVector.broadcast(S, x[xi + 2 * Wp]), a6);
            a7 = d.fma(FloatVector.broadcast(S, x[xi + 2 * Wp + 1]), a7);
            a8 = d.fma(FloatVector.broadcast(S, x[xi + 2 * Wp + 2]), a8);
            di += OC;
            xi += stride;
            if (++ow == OW) { // the next row (stride rows down), and after the last row the next image
                ow = 0;
                xi += stride * (Wp - OW);
                if (++oh == OH) {
                    oh = 0;
                    xi += xImage - OH * stride * Wp;
                }
            }
        }
        if (!first) {
            a0 = a0.add(FloatVector.fromArray(S, sums, sOff));
            a1 = a1.add(FloatVector.fromArray(S, sums, sOff + OC));
            a2 = a2.add(FloatVector.fromArray(S, sums, sOff + 2 * OC));
            a3 = a3.add(FloatVector.fromArray(S, sums, sOff + 3 * OC));
            a4 = a4.add(FloatVector.fromArray(S, sums, sOff + 4 * OC));
            a5 = a5.add(FloatVector.fromArray(S, sums, sOff + 5 * OC));
            a6 = a6.add(FloatVector.fromArray(S, sums, sOff + 6 * OC));
            a7 = a7.add(FloatVector.fromArray(S, sums, sOff + 7 * OC));
            a8 = a8.add(FloatVector.fromArray(S, sums, sOff + 8 * OC));
        }
        a0.intoArray(sums, sOff);
        a1.intoArray(sums, sOff + OC);
        a2.intoArray(sums, sOff + 2 * OC);
        a3.intoArray(sums, sOff + 3 * OC);
        a4.intoArray(sums, sOff + 4 * OC);
        a5.intoArray(sums, sOff + 5 * OC);
        a6.intoArray(sums, sOff + 6 * OC);
        a7.intoArray(sums, sOff + 7 * OC);
        a8.intoArray(sums, sOff + 8 * OC);
    }

    /**
     * {@link #tile9} two pixels of a row a step: each kernel row's 4 values serve both pixels' 3 columns, 12
     * broadcasts and 2 vector loads for 18 FMAs instead of 18 and 2. Rows of an even width.
     */
    private static void tile9PixelPairs(float[] sums, int sOff, int OC, boolean first, float[] dT, int dOff,
                                        float[] x, int xOff, int OH, int OW, int Wp, int xImage, int images) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0;
        int xi = xOff, di = dOff, ow = 0, oh = 0;
        for (int t = 0, end = images * OH * OW; t < end; t += 2) {
            FloatVector d = FloatVector.fromArray(S, dT, di);
            FloatVector e = FloatVector.fromArray(S, dT, di + OC); // the next pixel's
            FloatVector v = FloatVector.broadcast(S, x[xi]);
            a0 = d.fma(v, a0);
            v = FloatVector.broadcast(S, x[xi + 1]);
            a1 = d.fma(v, a1);
            a0 = e.fma(v, a0);
            v = FloatVector.broadcast(S, x[xi + 2]);
            a2 = d.fma(v, a2);
            a1 = e.fma(v, a1);
            a2 = e.fma(FloatVector.broadcast(S, x[xi + 3]), a2);
            int r = xi + Wp;
            v = FloatVector.broadcast(S, x[r]);
            a3 = d.fma(v, a3);
            v = FloatVector.broadcast(S, x[r + 1]);
            a4 = d.fma(v, a4);
            a3 = e.fma(v, a3);
            v = FloatVector.broadcast(S, x[r + 2]);
            a5 = d.fma(v, a5);
            a4 = e.fma(v, a4);
            a5 = e.fma(FloatVector.broadcast(S, x[r + 3]), a5);
            r += Wp;
            v = FloatVector.broadcast(S, x[r]);
            a6 = d.fma(v, a6);
            v = FloatVector.broadcast(S, x[r + 1]);
            a7 = d.fma(v, a7);
            a6 = e.fma(v, a6);
            v = FloatVector.broadcast(S, x[r + 2]);
            a8 = d.fma(v, a8);
            a7 = e.fma(v, a7);
            a8 = e.fma(FloatVector.broadcast(S, x[r + 3]), a8);
            di += 2 * OC;
            xi += 2;
            ow += 2;
            if (ow == OW) { // the next row, and after the last row the next image
                ow = 0;
                xi += Wp - OW;
                if (++oh == OH) {
                    oh = 0;
                    xi += xImage - OH * Wp;
                }
            }
        }
        if (!first) {
            a0 = a0.add(FloatVector.fromArray(S, sums, sOff));
            a1 = a1.add(FloatVector.fromArray(S, sums, sOff + OC));
            a2 = a2.add(FloatVector.fromArray(S, sums, sOff + 2 * OC));
            a3 = a3.add(FloatVector.fromArray(S, sums, sOff + 3 * OC));
            a4 = a4.add(FloatVector.fromArray(S, sums, sOff + 4 * OC));
            a5 = a5.add(FloatVector.fromArray(S, sums, sOff + 5 * OC));
            a6 = a6.add(FloatVector.fromArray(S, sums, sOff + 6 * OC));
            a7 = a7.add(FloatVector.fromArray(S, sums, sOff + 7 * OC));
            a8 = a8.add(FloatVector.fromArray(S, sums, sOff + 8 * OC));
        }
        a0.intoArray(sums, sOff);
        a1.intoArray(sums, sOff + OC);
        a2.intoArray(sums, sOff + 2 * OC);
        a3.intoArray(sums, sOff + 3 * OC);
        a4.intoArray(sums, sOff + 4 * OC);
        a5.intoArray(sums, sOff + 5 * OC);
        a6.intoArray(sums, sOff + 6 * OC);
        a7.intoArray(sums, sOff + 7 * OC);
        a8.intoArray(sums, sOff + 8 * OC);
    }

    /**
     * Whether rows of an even width take the two-pixel tiles ({@link #tilePixelPairs} with 32 vector registers,
     * {@link #tile9PixelPairs}).
     * Measured (one thread, the blocks pass alone, one JVM alternating 8 rounds of 30 calls each way, medians):
     * 64 channels at 8x8 940 -> 827 us, 32 at 16x16 1,010 -> 872, 64 at 16x16 4,495 -> 4,004, 32 at 32x32 4,034 ->
     * 3,474 (150 -> 174 GFLOPS), 16 at 32x32 1,250 -> 835 (121 -> 181). {@code -Dsimpletorch.pixelPairs=false} turns
     * them off, to measure.
     */
    private static final boolean TWO_PIXELS = !"false".equals(System.getProperty("simpletorch.pixelPairs"));

    /**
     * {@link #tile} for a tile of two kw triples (columns (c, kh, 0..2) at {@code oa + kw} and the next three at
     * {@code ob + kw}), two pixels of a row a step: pixel q + 1 reads each triple's x one place further on, so a
     * step broadcasts 4 values a triple instead of 6, and runs 24 FMAs on 4 vector loads and 8 broadcasts. Rows of
     * an even width.
     */
    private static void tilePixelPairs(float[] sums, int sOff, int OC, boolean first, float[] dT, int dOff,
                                       float[] x, int xOff, int oa, int ob, int OH, int OW, int Wp, int xImage,
                                       int images) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0;
        int xi = xOff, di = dOff, ow = 0, oh = 0;
        for (int t = 0, end = images * OH * OW; t < end; t += 2) {
            FloatVector d0 = FloatVector.fromArray(S, dT, di);
            FloatVector d1 = FloatVector.fromArray(S, dT, di + L);
            FloatVector e0 = FloatVector.fromArray(S, dT, di + OC); // the next pixel's
            FloatVector e1 = FloatVector.fromArray(S, dT, di + OC + L);
            FloatVector v = FloatVector.broadcast(S, x[xi + oa]);
            a0 = d0.fma(v, a0);
            b0 = d1.fma(v, b0);
            v = FloatVector.broadcast(S, x[xi + oa + 1]);
            a1 = d0.fma(v, a1);
            b1 = d1.fma(v, b1);
            a0 = e0.fma(v, a0);
            b0 = e1.fma(v, b0);
            v = FloatVector.broadcast(S, x[xi + oa + 2]);
            a2 = d0.fma(v, a2);
            b2 = d1.fma(v, b2);
            a1 = e0.fma(v, a1);
            b1 = e1.fma(v, b1);
            v = FloatVector.broadcast(S, x[xi + oa + 3]);
            a2 = e0.fma(v, a2);
            b2 = e1.fma(v, b2);
            v = FloatVector.broadcast(S, x[xi + ob]);
            a3 = d0.fma(v, a3);
            b3 = d1.fma(v, b3);
            v = FloatVector.broadcast(S, x[xi + ob + 1]);
            a4 = d0.fma(v, a4);
            b4 = d1.fma(v, b4);
            a3 = e0.fma(v, a3);
            b3 = e1.fma(v, b3);
            v = FloatVector.broadcast(S, x[xi + ob + 2]);
            a5 = d0.fma(v, a5);
            b5 = d1.fma(v, b5);
            a4 = e0.fma(v, a4);
            b4 = e1.fma(v, b4);
            v = FloatVector.broadcast(S, x[xi + ob + 3]);
            a5 = e0.fma(v, a5);
            b5 = e1.fma(v, b5);
            di += 2 * OC;
            xi += 2;
            ow += 2;
            if (ow == OW) { // the next row, and after the last row the next image
                ow = 0;
                xi += Wp - OW;
                if (++oh == OH) {
                    oh = 0;
                    xi += xImage - OH * Wp;
                }
            }
        }
        if (!first) {
            a0 = a0.add(FloatVector.fromArray(S, sums, sOff));
            b0 = b0.add(FloatVector.fromArray(S, sums, sOff + L));
            a1 = a1.add(FloatVector.fromArray(S, sums, sOff + OC));
            b1 = b1.add(FloatVector.fromArray(S, sums, sOff + OC + L));
            a2 = a2.add(FloatVector.fromArray(S, sums, sOff + 2 * OC));
            b2 = b2.add(FloatVector.fromArray(S, sums, sOff + 2 * OC + L));
            a3 = a3.add(FloatVector.fromArray(S, sums, sOff + 3 * OC));
            b3 = b3.add(FloatVector.fromArray(S, sums, sOff + 3 * OC + L));
            a4 = a4.add(FloatVector.fromArray(S, sums, sOff + 4 * OC));
            b4 = b4.add(FloatVector.fromArray(S, sums, sOff + 4 * OC + L));
            a5 = a5.add(FloatVector.fromArray(S, sums, sOff + 5 * OC));
            b5 = b5.add(FloatVector.fromArray(S, sums, sOff + 5 * OC + L));
        }
        a0.intoArray(sums, sOff);
        b0.intoArray(sums, sOff + L);
        a1.intoArray(sums, sOff + OC);
        b1.intoArray(sums, sOff + OC + L);
        a2.intoArray(sums, sOff + 2 * OC);
        b2.intoArray(sums, sOff + 2 * OC + L);
        a3.intoArray(sums, sOff + 3 * OC);
        b3.intoArray(sums, sOff + 3 * OC + L);
        a4.intoArray(sums, sOff + 4 * OC);
        b4.intoArray(sums, sOff + 4 * OC + L);
        a5.intoArray(sums, sOff + 5 * OC);
        b5.intoArray(sums, sOff + 5 * OC + L);
    }

    /**
     * Twelve accumulators: channels oc0..oc0+2L (dT from {@code dOff}, rows OC apart) by the tile's six columns
     * (x from {@code xOff} plus o0..o5), over every pixel of {@code images} images (see {@link #CHAIN}). Stored into
     * sums at {@code sOff + j*OC}, added to what is there unless {@code first}.
     */
    private static void tile(float[] sums, int sOff, int OC, boolean first, float[] dT, int dOff,
                             float[] x, int xOff, int o0, int o1, int o2, int o3, int o4, int o5, int OH, int OW,
                             int Wp, int xImage, int images, int stride) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0;
        // One flat loop over every image's pixels (nested loops with vector accumulators live across them make
        // JDK 17's JIT box the vectors, as in VectorConvWeightGrad3x3.tile)
        int xi = xOff, di = dOff, ow = 0, oh = 0;
        for (int t = 0, end = images * OH * OW; t < end; t++) {
            FloatVector d0 = FloatVector.fromArray(S, dT, di);
            FloatVector d1 = FloatVector.fromArray(S, dT, di + L);
            FloatVector v = FloatVector.broadcast(S, x[xi + o0]);
            a0 = d0.fma(v, a0);
            b0 = d1.fma(v, b0);
            v = FloatVector.broadcast(S, x[xi + o1]);
            a1 = d0.fma(v, a1);
            b1 = d1.fma(v, b1);
            v = FloatVector.broadcast(S, x[xi + o2]);
            a2 = d0.fma(v, a2);
            b2 = d1.fma(v, b2);
            v = FloatVector.broadcast(S, x[xi + o3]);
            a3 = d0.fma(v, a3);
            b3 = d1.fma(v, b3);
            v = FloatVector.broadcast(S, x[xi + o4]);
            a4 = d0.fma(v, a4);
            b4 = d1.fma(v, b4);
            v = FloatVector.broadcast(S, x[xi + o5]);
            a5 = d0.fma(v, a5);
            b5 = d1.fma(v, b5);
            di += OC;
            xi += stride;
            if (++ow == OW) { // the next row (stride rows down), and after the last row the next image
                ow = 0;
                xi += stride * (Wp - OW);
                if (++oh == OH) {
                    oh = 0;
                    xi += xImage - OH * stride * Wp;
                }
            }
        }
        // Stored here, not by a helper taking the vectors (a helper the JIT does not inline allocates them)
        if (!first) {
            a0 = a0.add(FloatVector.fromArray(S, sums, sOff));
            b0 = b0.add(FloatVector.fromArray(S, sums, sOff + L));
            a1 = a1.add(FloatVector.fromArray(S, sums, sOff + OC));
            b1 = b1.add(FloatVector.fromArray(S, sums, sOff + OC + L));
            a2 = a2.add(FloatVector.fromArray(S, sums, sOff + 2 * OC));
            b2 = b2.add(FloatVector.fromArray(S, sums, sOff + 2 * OC + L));
            a3 = a3.add(FloatVector.fromArray(S, sums, sOff + 3 * OC));
            b3 = b3.add(FloatVector.fromArray(S, sums, sOff + 3 * OC + L));
            a4 = a4.add(FloatVector.fromArray(S, sums, sOff + 4 * OC));
            b4 = b4.add(FloatVector.fromArray(S, sums, sOff + 4 * OC + L));
            a5 = a5.add(FloatVector.fromArray(S, sums, sOff + 5 * OC));
            b5 = b5.add(FloatVector.fromArray(S, sums, sOff + 5 * OC + L));
        }
        a0.intoArray(sums, sOff);
        b0.intoArray(sums, sOff + L);
        a1.intoArray(sums, sOff + OC);
        b1.intoArray(sums, sOff + OC + L);
        a2.intoArray(sums, sOff + 2 * OC);
        b2.intoArray(sums, sOff + 2 * OC + L);
        a3.intoArray(sums, sOff + 3 * OC);
        b3.intoArray(sums, sOff + 3 * OC + L);
        a4.intoArray(sums, sOff + 4 * OC);
        b4.intoArray(sums, sOff + 4 * OC + L);
        a5.intoArray(sums, sOff + 5 * OC);
        b5.intoArray(sums, sOff + 5 * OC + L);
    }
}
