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
        return crossEntropyForward(probs, logits, targets, 0, B, C);
    }

    /**
     * Cross-entropy with label smoothing {@code eps}, as {@code CrossEntropyLoss(label_smoothing=eps)}: per row,
     * {@code (1 - eps) * -log p[target] + eps * mean_j(-log p[j])}, averaged over the batch. With
     * {@code L = logsumexp(row)}, {@code -log p[j] = L - logits[j]}, so the smoothing term is {@code L - mean(row)}.
     *
     * @param probs  [B, C], overwritten with the softmax, which the backward pass needs
     * @param logits [B, C]
     * @return the mean loss
     */
    public static double crossEntropyForward(float[] probs, float[] logits, int[] targets, float eps, int B, int C) {
        checkTargets(targets, B, C);
        double loss = 0;
        for (int b = 0; b < B; b++) {
            int row = b * C;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < C; j++) {
                max = Math.max(max, logits[row + j]);
            }
            double sum = 0;
            double logitSum = 0;
            for (int j = 0; j < C; j++) {
                double e = Math.exp(logits[row + j] - max);
                probs[row + j] = (float) e;
                sum += e;
                logitSum += logits[row + j];
            }
            for (int j = 0; j < C; j++) {
                probs[row + j] = (float) (probs[row + j] / sum);
            }
            double logSumExp = max + Math.log(sum);
            double nll = logSumExp - logits[row + targets[b]];
            loss += eps == 0 ? nll : (1 - eps) * nll + eps * (logSumExp - logitSum / C);
        }
        return loss / B;
    }

    /** dlogits += dloss / B * (softmax - onehot(target)). Adds into dlogits [B, C]. */
    public static void crossEntropyBackward(float[] dlogits, float[] probs, int[] targets, float dloss, int B, int C) {
        crossEntropyBackward(dlogits, probs, targets, 0, dloss, B, C);
    }

    /**
     * dlogits += dloss / B * (softmax - (1 - eps) * onehot(target) - eps / C), the gradient of the smoothed loss.
     * Adds into dlogits [B, C].
     */
    public static void crossEntropyBackward(float[] dlogits, float[] probs, int[] targets, float eps, float dloss,
                                            int B, int C) {
        float scale = dloss / B;
        float uniform = scale * eps / C;
        float onTarget = scale * (1 - eps);
        for (int b = 0; b < B; b++) {
            int row = b * C;
            for (int j = 0; j < C; j++) {
                dlogits[row + j] += eps == 0 ? scale * probs[row + j] : scale * probs[row + j] - uniform;
            }
            dlogits[row + targets[b]] -= onTarget;
        }
    }

    /** The definition in double: mean over b of log(sum_j exp(logits[b][j])) - logits[b][target[b]]. */
    public static double crossEntropyNaive(double[] logits, int[] targets, int B, int C) {
        return crossEntropyNaive(logits, targets, 0, B, C);
    }

    /**
     * The smoothed definition in double: mean over b of the cross-entropy between the target distribution
     * {@code q[j] = (1 - eps) * onehot(target)[j] + eps / C} and softmax(logits): {@code sum_j q[j] * -log p[j]}.
     */
    public static double crossEntropyNaive(double[] logits, int[] targets, double eps, int B, int C) {
        double loss = 0;
        for (int b = 0; b < B; b++) {
            double sum = 0;
            for (int j = 0; j < C; j++) {
                sum += Math.exp(logits[b * C + j]);
            }
            for (int j = 0; j < C; j++) {
                double q = (j == targets[b] ? 1 - eps : 0) + eps / C;
                loss += q * (Math.log(sum) - logits[b * C + j]);
            }
        }
        return loss / B;
    }

    /** The gradient of {@link #crossEntropyNaive} times dloss, in double; adds into dlogits. */
    public static void crossEntropyBackwardNaive(double[] dlogits, double[] logits, int[] targets, double dloss,
                                                 int B, int C) {
        crossEntropyBackwardNaive(dlogits, logits, targets, 0, dloss, B, C);
    }

    /** The gradient of the smoothed {@link #crossEntropyNaive} times dloss: (p - q) * dloss / B; adds into dlogits. */
    public static void crossEntropyBackwardNaive(double[] dlogits, double[] logits, int[] targets, double eps,
                                                 double dloss, int B, int C) {
        for (int b = 0; b < B; b++) {
            double sum = 0;
            for (int j = 0; j < C; j++) {
                sum += Math.exp(logits[b * C + j]);
            }
            for (int j = 0; j < C; j++) {
                double p = Math.exp(logits[b * C + j]) / sum;
                double q = (j == targets[b] ? 1 - eps : 0) + eps / C;
                dlogits[b * C + j] += dloss / B * (p - q);
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
