package simpletorch.kernels;

import static simpletorch.testing.NumericAssertions.assertClose;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import simpletorch.tensor.Generator;
import simpletorch.testing.FiniteDifferences;
import simpletorch.testing.TestData;
import simpletorch.testing.Threads;

/** Batch normalisation: the float kernels against the naive twin, and the naive backward against finite differences. */
class NormKernelsTest {
    static final double EPS = 1e-5;

    /**
     * N, C, S: BatchNorm1d [N, C] (S = 1), [N, C, L], BatchNorm2d with S = H*W; odd sizes; rows of whole vectors
     * (S = 64) and of vectors and a tail (37) for VectorNorm, one row at a time (C < 4) and four at a time (C = 6:
     * a block of four rows and two single ones an image; S = 64 and 37 are short rows for the backward's sums too).
     */
    static final int[][] SHAPES = {{8, 4, 1}, {4, 3, 6}, {3, 5, 25}, {2, 7, 9}, {5, 1, 3}, {4, 3, 64}, {3, 2, 37},
            {3, 6, 64}, {2, 6, 37}, {2, 4, 80}};

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (int threads : new int[] {1, 3}) {
            for (int[] s : SHAPES) {
                for (boolean training : new boolean[] {true, false}) {
                    out.add(Arguments.of(threads, s, training));
                }
            }
        }
        return out.stream();
    }

    /**
     * 16 seeded random shapes at 1 and 2 threads, training and evaluation: batches 1-9, 1-20 channels, rows of 1-100
     * or (half the time) the planes 8x8, 16x16 and 32x32 (one row at a time, four, and a channel count past four).
     */
    static Stream<Arguments> randomCases() {
        java.util.Random r = new java.util.Random(20261207);
        List<Arguments> out = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int S = r.nextBoolean() ? new int[] {64, 256, 1024}[r.nextInt(3)] : 1 + r.nextInt(100);
            int[] s = {1 + r.nextInt(9), 1 + r.nextInt(20), S};
            if (s[0] * s[2] < 2) {
                s[0] = 2; // training needs more than one value per channel
            }
            for (int threads = 1; threads <= 2; threads++) {
                for (boolean training : new boolean[] {true, false}) {
                    out.add(Arguments.of(threads, s, training));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "threads={0} NCS={1} training={2}")
    @MethodSource({"cases", "randomCases"})
    void forwardAndBackwardMatchNaive(int threads, int[] s, boolean training) {
        int N = s[0], C = s[1], S = s[2], n = N * C * S;
        Generator g = new Generator(600 + Arrays.hashCode(s) + (training ? 1 : 0));
        float[] in = TestData.uniform(g, n, -2f, 3f);
        float[] weight = TestData.uniform(g, C, 0.5f, 1.5f), bias = TestData.uniform(g, C);
        float[] rm = TestData.uniform(g, C), rv = TestData.uniform(g, C, 0.5f, 2f);
        double[] want = new double[n];
        NormKernels.batchNormForwardNaive(want, TestData.toDouble(in), TestData.toDouble(weight), TestData.toDouble(bias),
                TestData.toDouble(rm), TestData.toDouble(rv), training, EPS, N, C, S);

        float[] mean = new float[C], invstd = new float[C], var = new float[C];
        Threads.with(threads, () -> {
            if (training) {
                NormKernels.batchStats(mean, var, in, N, C, S);
            } else {
                System.arraycopy(rm, 0, mean, 0, C);
                System.arraycopy(rv, 0, var, 0, C);
            }
        });
        for (int c = 0; c < C; c++) {
            invstd[c] = (float) (1 / Math.sqrt(var[c] + EPS));
        }
        float[] out = new float[n];
        Threads.with(threads, () -> NormKernels.batchNormForward(out, in, mean, invstd, weight, bias, N, C, S));
        assertClose("batch_norm out", out, want, 1e-5, 1e-5);

        float[] dout = TestData.uniform(g, n);
        float[] din = TestData.uniform(g, n), dw = TestData.uniform(g, C), db = TestData.uniform(g, C);
        double[] wantDin = TestData.toDouble(din), wantDw = TestData.toDouble(dw), wantDb = TestData.toDouble(db);
        NormKernels.batchNormBackwardNaive(wantDin, wantDw, wantDb, TestData.toDouble(dout), TestData.toDouble(in),
                TestData.toDouble(weight), TestData.toDouble(rm), TestData.toDouble(rv), training, EPS, N, C, S);
        Threads.with(threads, () -> NormKernels.batchNormBackward(din, dw, db, dout, in, mean, invstd, weight, training,
                N, C, S));
        assertClose("batch_norm din", din, wantDin, 1e-5, 1e-4);
        assertClose("batch_norm dweight", dw, wantDw, 1e-5, 1e-4);
        assertClose("batch_norm dbias", db, wantDb, 1e-5, 1e-4);

        // Fused with the ReLU after it: the same bits as the ReLU's forward after it, and as its backward's gradient
        // through the BatchNorm's backward
        float[] fused = new float[n], relu = new float[n];
        Threads.with(threads, () -> {
            NormKernels.batchNormForward(fused, in, mean, invstd, weight, bias, true, N, C, S);
            ElementwiseKernels.reluForward(relu, out, n);
        });
        org.assertj.core.api.Assertions.assertThat(fused).as("batch_norm+relu out").containsExactly(relu);
        float[] odd = in.clone(); // NaN and an input that normalises to -0.0 (Math.max's cases) in the first rows
        odd[0] = Float.NaN;
        odd[n - 1] = Float.NaN;
        float[] zeroMean = new float[C], unit = new float[C], one = new float[C];
        java.util.Arrays.fill(unit, 1f);
        java.util.Arrays.fill(one, 1f);
        odd[1] = -0.0f;
        float[] oddFused = new float[n], oddPlain = new float[n], oddRelu = new float[n];
        Threads.with(threads, () -> {
            NormKernels.batchNormForward(oddFused, odd, zeroMean, unit, one, null, true, N, C, S);
            NormKernels.batchNormForward(oddPlain, odd, zeroMean, unit, one, null, false, N, C, S);
            ElementwiseKernels.reluForward(oddRelu, oddPlain, n);
        });
        for (int i = 0; i < n; i++) {
            org.assertj.core.api.Assertions.assertThat(Float.floatToRawIntBits(oddFused[i]))
                    .as("batch_norm+relu of NaN and -0 at %d", i).isEqualTo(Float.floatToRawIntBits(oddRelu[i]));
        }
        float[] dy = TestData.uniform(g, n), dRelu = new float[n];
        float[] twoDin = new float[n], twoDw = new float[C], twoDb = new float[C];
        float[] oneDin = new float[n], oneDw = new float[C], oneDb = new float[C];
        Threads.with(threads, () -> {
            ElementwiseKernels.reluBackward(dRelu, dy, relu, n, false);
            NormKernels.batchNormBackward(twoDin, false, twoDw, twoDb, dRelu, null, in, mean, invstd, weight, training,
                    N, C, S);
            NormKernels.batchNormBackward(oneDin, false, oneDw, oneDb, dy, fused, in, mean, invstd, weight, training, N,
                    C, S);
        });
        org.assertj.core.api.Assertions.assertThat(oneDin).as("batch_norm+relu din").containsExactly(twoDin);
        org.assertj.core.api.Assertions.assertThat(oneDw).as("batch_norm+relu dweight").containsExactly(twoDw);
        org.assertj.core.api.Assertions.assertThat(oneDb).as("batch_norm+relu dbias").containsExactly(twoDb);

        // The first gradient into the input written, not added: over garbage, the same bits as added into zeros
        float[] added = new float[n], written = new float[n];
        java.util.Arrays.fill(written, Float.NaN);
        Threads.with(threads, () -> {
            NormKernels.batchNormBackward(added, true, null, null, dout, in, mean, invstd, weight, training, N, C, S);
            NormKernels.batchNormBackward(written, false, null, null, dout, in, mean, invstd, weight, training, N, C,
                    S);
        });
        for (int i = 0; i < n; i++) {
            org.assertj.core.api.Assertions.assertThat(written[i]).as("written din at %d", i).isEqualTo(added[i]);
        }
    }

    /**
     * VectorNorm's four-row sums are the one-row sums bit for bit: row lengths under a vector (one row at a time
     * inside), of whole vectors, and of vectors and a tail; the backward's with and without a ReLU output (zeros,
     * negatives and NaN among it) and shifts far from the data.
     */
    @ParameterizedTest(name = "S={0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 5, 16, 37, 64, 100})
    void fourRowSumsAreTheOneRowSums(int S) {
        org.junit.jupiter.api.Assumptions.assumeTrue(Gemm.VECTOR_AVAILABLE, "no Vector API here");
        Generator g = new Generator(640 + S);
        int off = 3; // rows need not start on a vector
        float[] in = TestData.uniform(g, off + 4 * S, -2f, 3f), dout = TestData.uniform(g, off + 4 * S);
        float[] reluOut = TestData.uniform(g, off + 4 * S, -1f, 1f);
        reluOut[off] = 0f;
        reluOut[off + 4 * S - 1] = Float.NaN;
        float[] k = {9f, 0.25f, -3f, 1e4f, 0.5f}; // from kOff = 1
        for (float[] relu : new float[][] {null, reluOut}) {
            double[] one = new double[8], four = new double[8];
            for (int r = 0; r < 4; r++) {
                VectorNorm.rowShiftedSums(one, 2 * r, in, off + r * S, S, k[1 + r]);
            }
            VectorNorm.rowShiftedSums4(four, 0, in, off, S, k, 1);
            org.assertj.core.api.Assertions.assertThat(four).as("shifted sums").containsExactly(one);
            for (int r = 0; r < 4; r++) {
                VectorNorm.rowGradientSums(one, 2 * r, dout, 0, relu, in, off + r * S, S, k[1 + r]);
            }
            VectorNorm.rowGradientSums4(four, 0, dout, 0, relu, in, off, S, k, 1);
            org.assertj.core.api.Assertions.assertThat(four).as("gradient sums, relu %s", relu != null)
                    .containsExactly(one);
        }
    }

    /**
     * The statistics, the output and every gradient are the same bits on 1, 2 and 3 threads: rows are summed where
     * they lie and then added in image order, whoever summed them (a batch of 7 images, rows of vectors and a tail).
     */
    @org.junit.jupiter.api.Test
    void resultsAreTheSameOnAnyThreadCount() {
        int N = 7, C = 5, S = 37, n = N * C * S;
        Generator g = new Generator(612);
        float[] in = TestData.uniform(g, n, -2f, 3f), dout = TestData.uniform(g, n);
        float[] weight = TestData.uniform(g, C, 0.5f, 1.5f), bias = TestData.uniform(g, C);
        float[][] first = null;
        for (int threads = 1; threads <= 3; threads++) {
            float[] mean = new float[C], var = new float[C], invstd = new float[C], out = new float[n];
            float[] din = new float[n], dw = new float[C], db = new float[C];
            Threads.with(threads, () -> {
                NormKernels.batchStats(mean, var, in, N, C, S);
                for (int c = 0; c < C; c++) {
                    invstd[c] = (float) (1 / Math.sqrt(var[c] + EPS));
                }
                NormKernels.batchNormForward(out, in, mean, invstd, weight, bias, N, C, S);
                NormKernels.batchNormBackward(din, dw, db, dout, in, mean, invstd, weight, true, N, C, S);
            });
            float[][] got = {mean, var, out, din, dw, db};
            if (first == null) {
                first = got;
                continue;
            }
            for (int k = 0; k < got.length; k++) {
                org.assertj.core.api.Assertions.assertThat(got[k]).as("result %d on %d threads", k, threads)
                        .containsExactly(first[k]);
            }
        }
    }

    /**
     * The one-pass statistics (sums of x - k and its square, k the channel's first element) against the two-pass
     * definition in double, on data whose mean is 10^4 times its spread (where a sum of squares without the shift
     * would cancel), with a first element far from the rest, with a channel whose first elements lie five
     * standard deviations from its mean, and with a guess at the means far from them (the vector path must then sum
     * about the mean a second time), near them, or NaN (not taken: the first elements' mean instead).
     */
    @ParameterizedTest(name = "threads={0} outlier={1}")
    @CsvSource({"1, first", "3, first", "1, firsts", "3, firsts", "1, guess 0", "3, guess 100", "1, guess NaN"})
    void statisticsOfDataFarFromZeroMatchTheTwoPassDefinition(int threads, String outlier) {
        int N = 3, C = 4, S = 1001, n = N * C * S;
        Generator g = new Generator(611);
        float[] in = TestData.uniform(g, n, -0.01f, 0.01f);
        for (int i = 0; i < n; i++) {
            in[i] += 100f;
        }
        float[] guess = null; // a guess at the means (a BatchNorm's running mean): 0 is 10^4 deviations off
        if (outlier.startsWith("guess")) {
            guess = new float[C];
            Arrays.fill(guess, Float.parseFloat(outlier.substring(6)));
        } else if (outlier.equals("first")) {
            in[S] = -50f; // channel 1's first element: a shift far from its mean
        } else { // channel 2's first elements all five standard deviations above its mean (the vector path's shift:
            for (int b = 0; b < N; b++) { // their mean), where one pass in float lanes rounds off 2e-6 of the variance
                in[(b * C + 2) * S] = 100.03f;
            }
        }
        float[] mean = new float[C], var = new float[C];
        float[] means = guess;
        Threads.with(threads, () -> NormKernels.batchStats(mean, var, in, N, C, S, means));
        for (int c = 0; c < C; c++) {
            double sum = 0;
            for (int b = 0; b < N; b++) {
                for (int i = 0; i < S; i++) {
                    sum += in[(b * C + c) * S + i];
                }
            }
            double mu = sum / (N * S), sq = 0;
            for (int b = 0; b < N; b++) {
                for (int i = 0; i < S; i++) {
                    double d = in[(b * C + c) * S + i] - mu;
                    sq += d * d;
                }
            }
            assertClose("mean of channel " + c, new float[] {mean[c]}, new double[] {mu}, 0, 1e-7);
            assertClose("variance of channel " + c, new float[] {var[c]}, new double[] {sq / (N * S)}, 0, 1e-6);
        }
    }

    @ParameterizedTest(name = "NCS={0} training={1}")
    @MethodSource("naiveCases")
    void naiveBackwardMatchesFiniteDifferences(int[] s, boolean training) {
        int N = s[0], C = s[1], S = s[2], n = N * C * S;
        Generator g = new Generator(700 + Arrays.hashCode(s));
        double[] in = TestData.toDouble(TestData.uniform(g, n, -2f, 3f));
        double[] weight = TestData.toDouble(TestData.uniform(g, C, 0.5f, 1.5f));
        double[] bias = TestData.toDouble(TestData.uniform(g, C));
        double[] rm = TestData.toDouble(TestData.uniform(g, C));
        double[] rv = TestData.toDouble(TestData.uniform(g, C, 0.5f, 2f));
        double[] r = TestData.toDouble(TestData.uniform(g, n));
        double[] din = new double[n], dw = new double[C], db = new double[C];
        NormKernels.batchNormBackwardNaive(din, dw, db, r, in, weight, rm, rv, training, EPS, N, C, S);

        java.util.function.Function<double[][], Double> loss = a -> {
            double[] out = new double[n];
            NormKernels.batchNormForwardNaive(out, a[0], a[1], a[2], rm, rv, training, EPS, N, C, S);
            return FiniteDifferences.dot(out, r);
        };
        double[][] args = {in, weight, bias};
        double[][] analytic = {din, dw, db};
        String[] names = {"din", "dweight", "dbias"};
        for (int k = 0; k < 3; k++) {
            int kk = k;
            double[] fd = FiniteDifferences.gradient(x -> {
                double[][] a = args.clone();
                a[kk] = x;
                return loss.apply(a);
            }, args[k].clone());
            assertClose("batch_norm naive " + names[k] + " vs FD", analytic[k], fd, 1e-7, 1e-6);
        }
    }

    static Stream<Arguments> naiveCases() {
        return Stream.of(SHAPES).flatMap(s -> Stream.of(Arguments.of(s, true), Arguments.of(s, false)));
    }
}
