package simpletorch.nn;

import simpletorch.autograd.Functional;
import simpletorch.tensor.Tensor;

/**
 * Cross-entropy between logits and class indices, averaged over the batch, as {@code torch.nn.CrossEntropyLoss()}.
 *
 * <p>Shape: logits [B, C], targets B integers in [0, C); the result is a 0-d tensor.
 */
public final class CrossEntropyLoss {
    private final float labelSmoothing;

    public CrossEntropyLoss() {
        this(0);
    }

    /**
     * {@code nn.CrossEntropyLoss(label_smoothing=labelSmoothing)}: per row,
     * {@code (1 - eps) * nll + eps * mean_j(-log p[j])}.
     *
     * @throws IllegalArgumentException if {@code labelSmoothing} is outside [0, 1]
     */
    public CrossEntropyLoss(float labelSmoothing) {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException("label_smoothing must be between 0.0 and 1.0. Got: " + labelSmoothing);
        }
        this.labelSmoothing = labelSmoothing;
    }

    public float labelSmoothing() {
        return labelSmoothing;
    }

    public Tensor forward(Tensor logits, int[] targets) {
        return Functional.crossEntropy(logits, targets, labelSmoothing);
    }

    @Override
    public String toString() {
        return labelSmoothing == 0 ? "CrossEntropyLoss()" : "CrossEntropyLoss(label_smoothing=" + labelSmoothing + ")";
    }
}
