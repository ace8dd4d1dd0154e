package simpletorch.kernels;

/**
 * Log-softmax, negative log-likelihood and their fusion, cross-entropy, over a batch of logits [B, C].
 * Each row is shifted by its maximum before exponentiating, so large logits do not overflow.
 */
public final class LossKernels {
    private LossKernels() {
    }

    /** out[b][j] = in[b][j] - log(sum_k exp(in[b][k])). Writes out [B, C]; reads in [B, C]. */
    public static void logSoftmaxForward(float[] out, float[] in, int B, int C) {
        for (int b = 0; b < B; b++) {
            int row = b * C;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < C; j++) {
                max = Math.max(max, in[row + j]);
            }
            double sum = 0;
            for (int j = 0; j < C; j++) {
                sum += Math.exp(in[row + j] - max);
            }
            // (in - max) - log(sum), as PyTorch: rounding max + log(sum) to float first would lose up to half an
            // ulp of max (3e-5 for logits near 1000) in every log-probability.
            float logSum = (float) Math.log(sum);
            for (int j = 0; j < C; j++) {
                out[row + j] = (in[row + j] - max) - logSum;
            }
        }
    }

    /** din += dout - softmax * rowSum(dout), where softmax = exp(out). Adds into din [B, C]. */
    public static void logSoftmaxBackward(float[] din, float[] dout, float[] out, int B, int C) {
        for (int b = 0; b < B; b++) {
            int row = b * C;
            float sum = 0;
            for (int j = 0; j < C; j++) {
                sum += dout[row + j];
            }
            for (int j = 0; j < C; j++) {
                din[row + j] += dout[row + j] - (float) Math.exp(out[row + j]) * sum;
            }
        }
    }

    /** Mean over the batch of -logProbs[b][target[b]]. Reads logProbs [B, C]. */
    public static double nllLossForward(float[] logProbs, int[] targets, int B, int C) {
        checkTargets(targets, B, C);
        double sum = 0;
        for (int b = 0; b < B; b++) {
            sum -= logProbs[b * C + targets[b]];
        }
        return sum / B;
    }

    /** dlogProbs[b][target[b]] += -dloss / B. */
    public static void nllLossBackward(float[] dlogProbs, int[] targets, float dloss, int B, int C) {
        for (int b = 0; b < B; b++) {
            dlogProbs[b * C + targets[b]] -= dloss / B;
        }
    }

    /**
     * Cross-entropy (log-softmax then NLL, mean over the batch) in one pass, as torch.nn.CrossEntropyLoss.
     *
     * @param probs  [B, C], overwritten with the softmax, which the backward pass needs
     * @param logits [B, C]
     * @return the mean loss
     */
    public static double crossEntropyForward(float[] probs, float[] logits, int[] targets, int B, int C) {
        checkTargets(targets, B, C);
        double loss = 0;
        for (int b = 0; b < B; b++) {
            int row = b * C;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < C; j++) {
                max = Math.max(max, logits[row + j]);
            }
            double sum = 0;
            for (int j = 0; j < C; j++) {
                double e = Math.exp(logits[row + j] - max);
                probs[row + j] = (float) e;
                sum += e;
            }
            for (int j = 0; j < C; j++) {
                probs[row + j] = (float) (probs[row + j] / sum);
            }
            loss += max + Math.log(sum) - logits[row + targets[b]];
        }
        return loss / B;
    }

    /** dlogits += dloss / B * (softmax - onehot(target)). Adds into dlogits [B, C]. */
    public static void crossEntropyBackward(float[] dlogits, float[] probs, int[] targets, float dloss, int B, int C) {
        float scale = dloss / B;
        for (int b = 0; b < B; b++) {
            int row = b * C;
            for (int j = 0; j < C; j++) {
                dlogits[row + j] += scale * probs[row + j];
            }
            dlogits[row + targets[b]] -= scale;
        }
    }

    /** The definition in double: mean over b of log(sum_j exp(logits[b][j])) - logits[b][target[b]]. */
    public static double crossEntropyNaive(double[] logits, int[] targets, int B, int C) {
        double loss = 0;
        for (int b = 0; b < B; b++) {
            double sum = 0;
            for (int j = 0; j < C; j++) {
                sum += Math.exp(logits[b * C + j]);
            }
            loss += Math.log(sum) - logits[b * C + targets[b]];
        }
        return loss / B;
    }

    /** The gradient of {@link #crossEntropyNaive} times dloss, in double; adds into dlogits. */
    public static void crossEntropyBackwardNaive(double[] dlogits, double[] logits, int[] targets, double dloss,
                                                 int B, int C) {
        for (int b = 0; b < B; b++) {
            double sum = 0;
            for (int j = 0; j < C; j++) {
                sum += Math.exp(logits[b * C + j]);
            }
            for (int j = 0; j < C; j++) {
                double p = Math.exp(logits[b * C + j]) / sum;
                dlogits[b * C + j] += dloss / B * (p - (j == targets[b] ? 1 : 0));
            }
        }
    }

    /** The definition in double: out[b][j] = in[b][j] - log(sum_k exp(in[b][k])). Writes out. */
    public static void logSoftmaxNaive(double[] out, double[] in, int B, int C) {
        for (int b = 0; b < B; b++) {
            double sum = 0;
            for (int j = 0; j < C; j++) {
                sum += Math.exp(in[b * C + j]);
            }
            for (int j = 0; j < C; j++) {
                out[b * C + j] = in[b * C + j] - Math.log(sum);
            }
        }
    }

    /** The vector-Jacobian product of {@link #logSoftmaxNaive}, in double; adds into din. */
    public static void logSoftmaxBackwardNaive(double[] din, double[] dout, double[] in, int B, int C) {
        for (int b = 0; b < B; b++) {
            double sum = 0, dsum = 0;
            for (int j = 0; j < C; j++) {
                sum += Math.exp(in[b * C + j]);
                dsum += dout[b * C + j];
            }
            for (int j = 0; j < C; j++) {
                din[b * C + j] += dout[b * C + j] - Math.exp(in[b * C + j]) / sum * dsum;
            }
        }
    }

    private static void checkTargets(int[] targets, int B, int C) {
        if (targets.length != B) {
            throw new IllegalArgumentException("expected " + B + " targets, one per row, got " + targets.length);
        }
        for (int b = 0; b < B; b++) {
            if (targets[b] < 0 || targets[b] >= C) {
                throw new IllegalArgumentException("target " + targets[b] + " at index " + b + " is out of bounds for "
                        + C + " classes");
            }
        }
    }
}
