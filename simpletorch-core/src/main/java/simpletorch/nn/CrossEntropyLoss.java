package simpletorch.nn;

import simpletorch.autograd.Functional;
import simpletorch.tensor.Tensor;

/**
 * Cross-entropy between logits and class indices, averaged over the batch, as {@code torch.nn.CrossEntropyLoss()}.
 *
 * <p>Shape: logits [B, C], targets B integers in [0, C); the result is a 0-d tensor.
 */
public final class CrossEntropyLoss {
    public Tensor forward(Tensor logits, int[] targets) {
        return Functional.crossEntropy(logits, targets);
    }

    @Override
    public String toString() {
        return "CrossEntropyLoss()";
    }
}
