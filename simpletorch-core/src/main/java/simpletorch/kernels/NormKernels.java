package simpletorch.kernels;

/**
 * Batch normalisation over {@code [N, C, S]} arrays (S = H*W for BatchNorm2d, 1 or L for BatchNorm1d), as
 * {@code torch.nn.functional.batch_norm}: {@code out = (in - mean[c]) * invstd[c] * weight[c] + bias[c]} with
 * {@code invstd = 1 / sqrt(var + eps)}. In training the statistics are the batch's (the biased variance, over N
 * and S); in evaluation they are the running ones and are constants.
 *
 * <p>Channels are split across {@link Parallel} workers; per-channel sums are taken in double. With the Vector API
 * on (JDK 25+), {@link VectorNorm} runs the passes over a channel a vector at a time.
 */
public final class NormKernels {
    private NormKernels() {
    }

    /**
     * The per-channel batch mean and biased variance (sum of squared deviations / (N*S)), in double, in one pass over
     * the channel: the sums of {@code x - k} and of its square, k the channel's first element (a shift near the
     * data, so that the variance, {@code (sum of squares - sum^2 / M) / M}, loses nothing to cancellation in double),
     * each in four interleaved partial sums (elements i to i + 3 of each row of S, added at the end: one running sum
     * waits for each add before the next). A BatchNorm forward then reads its input twice instead of three times. The
     * sums group differently from one running sum: the float statistics agree with the definition to rounding.
     * Measured in docs/BENCHMARKS.md (fifth AVX2 session).
     *
     * <p>The vector path ({@link VectorNorm}) sums in float lanes, where a shift far from the mean costs precision:
     * its k is a guess at the mean (see the overload) or the mean of the channel's first element in each image, and
     * only where some channel's k lies more than a standard deviation from its mean ({@link #nearTheMean}) does it
     * sum the input a second time, about the mean (as it did at every call before: a [32, 16, 32, 32] input is 2 MB,
     * beyond a core's L2; docs/BENCHMARKS.md, "Eighth Zen 5 session").
     *
     * @param mean [C], overwritten
     * @param var  [C], overwritten
     * @param in   [N, C, S]
     */
    public static void batchStats(float[] mean, float[] var, float[] in, int N, int C, int S) {
        batchStats(mean, var, in, N, C, S, null);
    }

    /**
     * {@link #batchStats(float[], float[], float[], int, int, int)} with a guess at each channel's mean (a
     * BatchNorm's running mean; null for none) for the vector path's first shift: the first elements' mean is
     * skewed where they are a plane's corner (a convolution's output there sees its zero padding: ResNet-20 summed
     * half its batches twice). A non-finite guess is not taken. The guess changes the result by rounding only.
     *
     * @param guess [C] or null
     */
    public static void batchStats(float[] mean, float[] var, float[] in, int N, int C, int S, float[] guess) {
        double M = (double) N * S;
        if (VectorNorm.applies()) {
            // Split over the images, as the convolutions before and after are (each thread reads the rows its core
            // wrote): each row's sums, then each channel's sum over its rows in image order, on the caller
            double[] rows = Scratch.rowSums(2 * N * C);
            float[] shifts = Scratch.get(Scratch.CHANNELS, 2 * C); // [C] first shifts, [C] the channels' means
            for (int c = 0; c < C; c++) { // the guess, or the mean of the channel's first element in each image
                if (guess != null && Float.isFinite(guess[c])) {
                    shifts[c] = guess[c];
                    continue;
                }
                double k = 0;
                for (int n = 0; n < N && M > 0; n++) {
                    k += in[(n * C + c) * S];
                }
                shifts[c] = M > 0 ? (float) (k / N) : 0;
            }
            rowShiftedSums(rows, in, shifts, 0, N, C, S);
            double[] sums = channelSums(rows, N, C);
            if (nearTheMean(sums, M, C)) { // the first sums are as good as a second pass about the mean would be
                meansAndVariances(mean, var, sums, shifts, 0, M, C);
                return;
            }
            for (int c = 0; c < C; c++) {
                shifts[C + c] = (float) (shifts[c] + sums[2 * c] / M);
            }
            rowShiftedSums(rows, in, shifts, C, N, C, S);
            meansAndVariances(mean, var, channelSums(rows, N, C), shifts, C, M, C);
            return;
        }
        Parallel.parallelFor(C, (worker, from, to) -> {
            for (int c = from; c < to; c++) {
                double k = M > 0 ? in[c * S] : 0;
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
                for (int n = 0; n < N; n++) {
                    int i = (n * C + c) * S, end = i + S;
                    for (; i + 3 < end; i += 4) {
                        double d0 = in[i] - k, d1 = in[i + 1] - k, d2 = in[i + 2] - k, d3 = in[i + 3] - k;
                        s0 += d0;
                        s1 += d1;
                        s2 += d2;
                        s3 += d3;
                        q0 += d0 * d0;
                        q1 += d1 * d1;
                        q2 += d2 * d2;
                        q3 += d3 * d3;
                    }
                    for (; i < end; i++) {
                        double d = in[i] - k;
                        s0 += d;
                        q0 += d * d;
                    }
                }
                double sum = (s0 + s1) + (s2 + s3), squares = (q0 + q1) + (q2 + q3);
                mean[c] = (float) (k + sum / M);
                var[c] = (float) (Math.max(0, squares - sum * sum / M) / M);
            }
        });
    }

    /**
     * From the rows' backward sums ({@link VectorNorm#rowGradientSums}): dbias and dweight added into (each if not
     * null), and the input gradient's coefficients per channel, [C] each of a, b and shift
     * ({@link VectorNorm#addRowInputGrad}), in the calling thread's scratch.
     */
    private static float[] gradientCoefficients(float[] dweight, float[] dbias, double[] rows, float[] invstd,
                                                float[] weight, boolean training, int N, int C, int S) {
        double M = (double) N * S;
        float[] coefficients = Scratch.get(Scratch.CHANNELS, 3 * C);
        double[] sums = channelSums(rows, N, C);
        for (int c = 0; c < C; c++) {
            double is = invstd[c];
            double sumDout = sums[2 * c], sumDoutXhat = sums[2 * c + 1] * is;
            if (dbias != null) {
                dbias[c] += (float) sumDout;
            }
            if (dweight != null) {
                dweight[c] += (float) sumDoutXhat;
            }
            double k = is * (weight == null ? 1.0 : weight[c]);
            double meanDout = training ? sumDout / M : 0;
            double meanDoutXhat = training ? sumDoutXhat / M : 0;
            coefficients[c] = (float) k;
            coefficients[C + c] = (float) (-k * is * meanDoutXhat);
            coefficients[2 * C + c] = (float) (-k * meanDout);
        }
        return coefficients;
    }

    /**
     * Whether {@link #batchNormReluMaxPool2x2Forward} and its backward take [N, C, H, W] inputs: the vector paths of
     * both ops (JDK 25+), on planes whose pool {@link VectorPool} runs forward and backward.
     */
    public static boolean fusesReluMaxPool2x2(int H, int W) {
        return VectorNorm.applies() && H % 2 == 0 && VectorPool.applies(H, W);
    }

    /**
     * {@code max_pool2d(relu(batch_norm(in)), 2)} for the statistics given (as {@link #batchNormForward} takes them),
     * four planes at a time: normalised into a buffer of the worker's (in L1) and pooled from there as
     * {@link PoolKernels#maxPool2dReluForward} pools, so that the BatchNorm's output, four times the pool's, is never
     * written or read. The same values and winners bit for bit as the two ops. Only where
     * {@link #fusesReluMaxPool2x2}. Four planes a call rather than one: [32, 32, 16, 16] 88-93 -> 61 us on one thread
     * (the pool's calls and table lookups).
     *
     * @param out    [N, C, H/2, W/2], overwritten
     * @param argmax [N, C, H/2, W/2], each winner's index within its [H, W] plane
     * @param in     [N, C, H, W]
     */
    public static void batchNormReluMaxPool2x2Forward(float[] out, int[] argmax, float[] in, float[] mean,
                                                      float[] invstd, float[] weight, float[] bias, int N, int C,
                                                      int H, int W) {
        int S = H * W;
        float[] coefficients = scalesAndShifts(mean, invstd, weight, bias, C);
        Parallel.parallelFor(N, (worker, from, to) -> {
            float[] planes = Scratch.get(Scratch.MASKED_GRAD, 4 * S);
            for (int n = from; n < to; n++) {
                for (int c = 0; c < C; c += 4) { // four planes at a time (fewer calls)
                    int p = n * C + c, count = Math.min(4, C - c);
                    for (int r = 0; r < count; r++) {
                        VectorNorm.normalize(planes, r * S, in, (p + r) * S, S, coefficients[c + r],
                                coefficients[C + c + r]);
                    }
                    VectorPool.maxPool2x2Any(out, argmax, planes, p, S, W, p, p + count, H, W, true);
                }
            }
        });
    }

    /**
     * The backward pass of {@link #batchNormReluMaxPool2x2Forward}: the BatchNorm's output gradient, the pool's
     * backward ({@code dpool} at the winners where {@code out} is positive, 0 elsewhere), made four planes at a time
     * into a buffer of the worker's as {@link PoolKernels#maxPool2dReluBackward} writes it, once for the sums and again
     * for the input gradient, which are those of {@link #batchNormBackward}: the same bits as the two ops' backward
     * passes, without the full-size gradient between them. The sums take four rows at a time on planes of any size
     * (the unfused kernel only on short rows, where its twelve streams from memory did not slow it): [32, 16, 32, 32]
     * 245-303 -> 199-208 us on one thread. Adds into dweight and dbias (each if not null); din as
     * {@link #batchNormBackward} with {@code accumulateDin}.
     */
    public static void batchNormReluMaxPool2x2Backward(float[] din, boolean accumulateDin, float[] dweight,
                                                       float[] dbias, float[] dpool, float[] out, int[] argmax,
                                                       float[] in, float[] mean, float[] invstd, float[] weight,
                                                       boolean training, int N, int C, int H, int W) {
        int S = H * W;
        double[] rows = Scratch.rowSums(2 * N * C);
        Parallel.parallelFor(N, (worker, from, to) -> {
            float[] planes = Scratch.get(Scratch.MASKED_GRAD, 4 * S);
            for (int n = from; n < to; n++) {
                for (int c = 0; c < C; c += 4) {
                    int row = n * C + c, count = Math.min(4, C - c);
                    VectorPool.maxPool2x2Backward(planes, 0, S, W, dpool, out, argmax, row, row + count, H, W);
                    if (count == 4) { // the same sums as one row at a time, whatever the rows' length
                        VectorNorm.rowGradientSums4(rows, 2 * row, planes, -row * S, null, in, row * S, S, mean, c);
                        continue;
                    }
                    for (int r = 0; r < count; r++) {
                        VectorNorm.rowGradientSums(rows, 2 * (row + r), planes, -row * S, null, in, (row + r) * S, S,
                                mean[c + r]);
                    }
                }
            }
        });
        float[] coefficients = gradientCoefficients(dweight, dbias, rows, invstd, weight, training, N, C, S);
        if (din == null) {
            return;
        }
        Parallel.parallelFor(N, (worker, from, to) -> {
            float[] planes = Scratch.get(Scratch.MASKED_GRAD, 4 * S);
            for (int n = from; n < to; n++) {
                for (int c = 0; c < C; c += 4) {
                    int row = n * C + c, count = Math.min(4, C - c);
                    VectorPool.maxPool2x2Backward(planes, 0, S, W, dpool, out, argmax, row, row + count, H, W);
                    for (int r = 0; r < count; r++) {
                        VectorNorm.addRowInputGrad(din, accumulateDin, planes, -row * S, null, in, (row + r) * S, S,
                                mean[c + r], coefficients[c + r], coefficients[C + c + r], coefficients[2 * C + c + r]);
                    }
                }
            }
        });
    }

    /**
     * Each channel's mean and biased variance from its sums about the shift {@code shifts[kOff + c]} ({@code sums[2c]}
     * of x - k, {@code sums[2c + 1]} of its square, over M elements).
     */
    private static void meansAndVariances(float[] mean, float[] var, double[] sums, float[] shifts, int kOff, double M,
                                          int C) {
        for (int c = 0; c < C; c++) {
            double s = sums[2 * c]; // about the mean: what rounding left of 0
            mean[c] = (float) (shifts[kOff + c] + s / M);
            var[c] = (float) (Math.max(0, sums[2 * c + 1] - s * s / M) / M);
        }
    }

    /**
     * Whether every channel's shift k lies within one standard deviation of its mean, from the shifted sums
     * ({@code sums[2c]} of x - k, {@code sums[2c + 1]} of its square, over M elements): then the variance,
     * {@code squares / M - (mean - k)^2}, cancels at most half of the squares' sum, whose float lanes' rounding it
     * then carries at most doubled (a second pass about the mean carries it once). False for a NaN.
     */
    private static boolean nearTheMean(double[] sums, double M, int C) {
        for (int c = 0; c < C; c++) {
            double m = sums[2 * c] / M, var = sums[2 * c + 1] / M - m * m;
            if (!(m * m <= var)) {
                return false;
            }
        }
        return true;
    }

    /**
     * rows[2*(n*C + c)] and the next: row (n, c)'s shifted sums about {@code k[kOff + c]}
     * ({@link VectorNorm#rowShiftedSums}), four rows at a time ({@link VectorNorm#rowShiftedSums4}, the same bits).
     */
    private static void rowShiftedSums(double[] rows, float[] in, float[] k, int kOff, int N, int C, int S) {
        Parallel.parallelFor(N, (worker, from, to) -> {
            for (int n = from; n < to; n++) {
                int c = 0;
                for (; c + 4 <= C; c += 4) { // four rows at a time, the same sums
                    VectorNorm.rowShiftedSums4(rows, 2 * (n * C + c), in, (n * C + c) * S, S, k, kOff + c);
                }
                for (; c < C; c++) {
                    VectorNorm.rowShiftedSums(rows, 2 * (n * C + c), in, (n * C + c) * S, S, k[kOff + c]);
                }
            }
        });
    }

    /**
     * Rows of at most this many floats (8x8 planes) have their backward sums taken four rows at a time
     * ({@link VectorNorm#rowGradientSums4}). Longer rows one at a time: four rows of three arrays each, twelve streams
     * at once, made the [32, 16, 32, 32] backward slower (one thread 202 -> 256 us, two 107 -> 130; [32, 32, 16, 16]
     * 108 -> 112 and 64 -> 69), where [32, 64, 8, 8] gained (69 -> 67, 64 -> 57). The statistics, one array a row,
     * gained at every size.
     */
    static final int SHORT_ROW = 64;

    /**
     * {@code sums[2c + which]} = the sum over the images, in their order, of sum {@code which} (0 or 1) of channel
     * c's rows: each image's 2C row sums added onto the running ones, so that every channel's adds come in image order
     * (the same bits as a channel at a time) while the loop runs along contiguous memory, where the caller had summed
     * one channel at a time, each a chain of N dependent adds (a [32, 64, 8, 8] BatchNorm: 5 x 64 chains of 32 on the
     * caller, forward and backward). The caller's buffer ({@link Scratch#zeroedDoubles}).
     */
    private static double[] channelSums(double[] rows, int N, int C) {
        double[] sums = Scratch.zeroedDoubles(2 * C);
        for (int n = 0; n < N; n++) {
            int base = 2 * n * C;
            for (int j = 0; j < 2 * C; j++) {
                sums[j] += rows[base + j];
            }
        }
        return sums;
    }

    /**
     * out = (in - mean) * invstd * weight + bias per channel, as one multiply-add with per-channel
     * {@code scale = invstd * weight} and {@code shift = bias - mean * scale}.
     *
     * @param out    [N, C, S], overwritten
     * @param in     [N, C, S]
     * @param mean   [C]
     * @param invstd [C]
     * @param weight [C], or null for 1
     * @param bias   [C], or null for 0
     */
    public static void batchNormForward(float[] out, float[] in, float[] mean, float[] invstd, float[] weight,
                                        float[] bias, int N, int C, int S) {
        batchNormForward(out, in, mean, invstd, weight, bias, false, N, C, S);
    }

    /**
     * As {@link #batchNormForward(float[], float[], float[], float[], float[], float[], int, int, int)}, then, with
     * {@code relu}, {@code max(out, 0)} as {@link ElementwiseKernels#reluForward} takes it (a BatchNorm followed by a
     * ReLU as one pass: the same bits as the two).
     */
    public static void batchNormForward(float[] out, float[] in, float[] mean, float[] invstd, float[] weight,
                                        float[] bias, boolean relu, int N, int C, int S) {
        float[] coefficients = scalesAndShifts(mean, invstd, weight, bias, C);
        // Split over the images, as the convolutions are: each thread reads and writes the rows its core holds (split
        // over the channels, half of every pass crossed between the cores; ResNet-20, 2 threads, in-JVM A/B: +1.8%)
        Parallel.parallelFor(N, (worker, from, to) -> {
            for (int n = from; n < to; n++) {
                for (int c = 0; c < C; c++) {
                    float scale = coefficients[c], shift = coefficients[C + c];
                    int i = (n * C + c) * S, end = i + S;
                    if (relu && VectorNorm.applies()) { // the JIT leaves this loop unvectorised: 314 against 113 us
                        VectorNorm.normalizeRelu(out, in, i, S, scale, shift);
                    } else if (relu) {
                        for (; i < end; i++) {
                            out[i] = Math.max(in[i] * scale + shift, 0f);
                        }
                    } else {
                        for (; i < end; i++) {
                            out[i] = in[i] * scale + shift;
                        }
                    }
                }
            }
        });
    }

    /**
     * The forward pass's per-channel {@code scale = invstd * weight} and {@code shift = bias - mean * scale}, [C] of
     * each, in the calling thread's scratch.
     */
    private static float[] scalesAndShifts(float[] mean, float[] invstd, float[] weight, float[] bias, int C) {
        float[] coefficients = Scratch.get(Scratch.CHANNELS, 2 * C);
        for (int c = 0; c < C; c++) {
            double scale = invstd[c] * (weight == null ? 1.0 : weight[c]);
            coefficients[c] = (float) scale;
            coefficients[C + c] = (float) ((bias == null ? 0.0 : bias[c]) - mean[c] * scale);
        }
        return coefficients;
    }

    /**
     * Adds into each gradient that is not null. With {@code xhat = (in - mean) * invstd}:
     * {@code dbias += sum(dout)}, {@code dweight += sum(dout * xhat)}, and
     * <ul>
     *   <li>training (mean and invstd are functions of in): {@code din += weight * invstd *
     *       (dout - sum(dout) / M - xhat * sum(dout * xhat) / M)}, M = N*S;</li>
     *   <li>evaluation (running statistics are constants): {@code din += weight * invstd * dout}.</li>
     * </ul>
     *
     * @param din     [N, C, S]
     * @param dweight [C]
     * @param dbias   [C]
     * @param dout    [N, C, S]
     * @param in      [N, C, S], the forward input
     * @param mean    [C], the mean the forward pass used
     * @param invstd  [C], the 1/sqrt(var + eps) the forward pass used
     * @param weight  [C], or null for 1
     */
    public static void batchNormBackward(float[] din, float[] dweight, float[] dbias, float[] dout, float[] in,
                                         float[] mean, float[] invstd, float[] weight, boolean training,
                                         int N, int C, int S) {
        batchNormBackward(din, true, dweight, dbias, dout, in, mean, invstd, weight, training, N, C, S);
    }

    /**
     * As {@link #batchNormBackward(float[], float[], float[], float[], float[], float[], float[], float[], boolean,
     * int, int, int)}; with {@code accumulateDin} false din is overwritten instead of added into (a gradient nothing
     * has written yet, whose contents are arbitrary), so that the caller need not zero it first.
     */
    public static void batchNormBackward(float[] din, boolean accumulateDin, float[] dweight, float[] dbias,
                                         float[] dout, float[] in, float[] mean, float[] invstd, float[] weight,
                                         boolean training, int N, int C, int S) {
        batchNormBackward(din, accumulateDin, dweight, dbias, dout, null, in, mean, invstd, weight, training, N, C, S);
    }

    /**
     * As {@link #batchNormBackward(float[], boolean, float[], float[], float[], float[], float[], float[], float[],
     * boolean, int, int, int)} for a BatchNorm fused with the ReLU after it ({@code reluOut}, the fused op's output,
     * or null for none): dout is the ReLU's output gradient, passed where reluOut is positive as
     * {@link ElementwiseKernels#reluBackward} passes it. The same bits as the two ops' backward passes.
     */
    public static void batchNormBackward(float[] din, boolean accumulateDin, float[] dweight, float[] dbias,
                                         float[] dout, float[] reluOut, float[] in, float[] mean, float[] invstd,
                                         float[] weight, boolean training, int N, int C, int S) {
        double M = (double) N * S;
        if (reluOut != null && !VectorNorm.applies()) { // the scalar loops take the ReLU's gradient made first
            float[] masked = Scratch.get(Scratch.MASKED_GRAD, N * C * S);
            ElementwiseKernels.reluBackward(masked, dout, reluOut, N * C * S, false);
            batchNormBackward(din, accumulateDin, dweight, dbias, masked, null, in, mean, invstd, weight, training, N,
                    C, S);
            return;
        }
        if (VectorNorm.applies()) {
            // Split over the images, as the statistics are: each row's sums, each channel's over its rows in image
            // order on the caller, then the input gradient row by row
            double[] rows = Scratch.rowSums(2 * N * C);
            Parallel.parallelFor(N, (worker, from, to) -> {
                for (int n = from; n < to; n++) {
                    int c = 0;
                    for (; S <= SHORT_ROW && c + 4 <= C; c += 4) { // short rows four at a time, the same sums
                        int row = n * C + c;
                        VectorNorm.rowGradientSums4(rows, 2 * row, dout, 0, reluOut, in, row * S, S, mean, c);
                    }
                    for (; c < C; c++) {
                        int row = n * C + c;
                        VectorNorm.rowGradientSums(rows, 2 * row, dout, 0, reluOut, in, row * S, S, mean[c]);
                    }
                }
            });
            float[] coefficients = gradientCoefficients(dweight, dbias, rows, invstd, weight, training, N, C, S);
            if (din != null) {
                Parallel.parallelFor(N, (worker, from, to) -> {
                    for (int n = from; n < to; n++) {
                        for (int c = 0; c < C; c++) {
                            VectorNorm.addRowInputGrad(din, accumulateDin, dout, 0, reluOut, in, (n * C + c) * S, S,
                                    mean[c], coefficients[c], coefficients[C + c], coefficients[2 * C + c]);
                        }
                    }
                });
            }
            return;
        }
        Parallel.parallelFor(C, (worker, from, to) -> {
            for (int c = from; c < to; c++) {
                double mu = mean[c], is = invstd[c];
                // Both sums in one pass, each in four interleaved partial sums (as batchStats; the backward waits on
                // memory more than on the adds)
                double d0 = 0, d1 = 0, d2 = 0, d3 = 0, x0 = 0, x1 = 0, x2 = 0, x3 = 0;
                for (int n = 0; n < N; n++) {
                    int i = (n * C + c) * S, end = i + S;
                    for (; i + 3 < end; i += 4) {
                        d0 += dout[i];
                        d1 += dout[i + 1];
                        d2 += dout[i + 2];
                        d3 += dout[i + 3];
                        x0 += dout[i] * ((in[i] - mu) * is);
                        x1 += dout[i + 1] * ((in[i + 1] - mu) * is);
                        x2 += dout[i + 2] * ((in[i + 2] - mu) * is);
                        x3 += dout[i + 3] * ((in[i + 3] - mu) * is);
                    }
                    for (; i < end; i++) {
                        d0 += dout[i];
                        x0 += dout[i] * ((in[i] - mu) * is);
                    }
                }
                double sumDout = (d0 + d1) + (d2 + d3), sumDoutXhat = (x0 + x1) + (x2 + x3);
                if (dbias != null) {
                    dbias[c] += (float) sumDout;
                }
                if (dweight != null) {
                    dweight[c] += (float) sumDoutXhat;
                }
                if (din == null) {
                    continue;
                }
                double k = is * (weight == null ? 1.0 : weight[c]);
                double meanDout = training ? sumDout / M : 0;
                double meanDoutXhat = training ? sumDoutXhat / M : 0;
                for (int n = 0; n < N; n++) {
                    for (int i = (n * C + c) * S, end = i + S; i < end; i++) {
                        double xhat = (in[i] - mu) * is;
                        float g = (float) (k * (dout[i] - meanDout - xhat * meanDoutXhat));
                        din[i] = accumulateDin ? din[i] + g : g;
                    }
                }
            }
        });
    }

    /**
     * The definition, in double: in training the batch statistics (biased variance), else the running ones.
     * Writes out.
     *
     * @param runningMean [C], read in evaluation only (may be null in training)
     * @param runningVar  [C], likewise
     */
    public static void batchNormForwardNaive(double[] out, double[] in, double[] weight, double[] bias,
                                             double[] runningMean, double[] runningVar, boolean training, double eps,
                                             int N, int C, int S) {
        for (int c = 0; c < C; c++) {
            double[] stats = training ? statsNaive(in, c, N, C, S) : new double[] {runningMean[c], runningVar[c]};
            double invstd = 1 / Math.sqrt(stats[1] + eps);
            for (int n = 0; n < N; n++) {
                for (int s = 0; s < S; s++) {
                    int i = (n * C + c) * S + s;
                    out[i] = (in[i] - stats[0]) * invstd * (weight == null ? 1 : weight[c]) + (bias == null ? 0 : bias[c]);
                }
            }
        }
    }

    /** The definition of the backward pass, in double; adds into each gradient that is not null. */
    public static void batchNormBackwardNaive(double[] din, double[] dweight, double[] dbias, double[] dout,
                                              double[] in, double[] weight, double[] runningMean, double[] runningVar,
                                              boolean training, double eps, int N, int C, int S) {
        int M = N * S;
        for (int c = 0; c < C; c++) {
            double[] stats = training ? statsNaive(in, c, N, C, S) : new double[] {runningMean[c], runningVar[c]};
            double invstd = 1 / Math.sqrt(stats[1] + eps);
            double w = weight == null ? 1 : weight[c];
            double sumDout = 0, sumDoutXhat = 0;
            for (int n = 0; n < N; n++) {
                for (int s = 0; s < S; s++) {
                    int i = (n * C + c) * S + s;
                    sumDout += dout[i];
                    sumDoutXhat += dout[i] * (in[i] - stats[0]) * invstd;
                }
            }
            if (dbias != null) {
                dbias[c] += sumDout;
            }
            if (dweight != null) {
                dweight[c] += sumDoutXhat;
            }
            if (din != null) {
                for (int n = 0; n < N; n++) {
                    for (int s = 0; s < S; s++) {
                        int i = (n * C + c) * S + s;
                        double xhat = (in[i] - stats[0]) * invstd;
                        din[i] += training
                                ? w * invstd * (dout[i] - sumDout / M - xhat * sumDoutXhat / M)
                                : w * invstd * dout[i];
                    }
                }
            }
        }
    }

    /** {mean, biased variance} of channel c. */
    private static double[] statsNaive(double[] in, int c, int N, int C, int S) {
        double sum = 0;
        for (int n = 0; n < N; n++) {
            for (int s = 0; s < S; s++) {
                sum += in[(n * C + c) * S + s];
            }
        }
        double mean = sum / (N * S);
        double sq = 0;
        for (int n = 0; n < N; n++) {
            for (int s = 0; s < S; s++) {
                double d = in[(n * C + c) * S + s] - mean;
                sq += d * d;
            }
        }
        return new double[] {mean, sq / (N * S)};
    }
}
