package simpletorch.data;

import java.util.Arrays;
import simpletorch.tensor.Tensor;

/**
 * One mini-batch from a {@link DataLoader}.
 *
 * @param images {@code [B, C, H, W]}, transformed
 * @param labels {@code [B]}, class indices
 */
public record Batch(Tensor images, int[] labels) {

    public Batch {
        if (images.dim() != 4 || images.size(0) != labels.length) {
            throw new IllegalArgumentException("expected images of shape [" + labels.length
                    + ", C, H, W] for " + labels.length + " labels, got " + Arrays.toString(images.shape()));
        }
    }

    /** The number of examples, {@code B}. */
    public int size() {
        return labels.length;
    }
}
