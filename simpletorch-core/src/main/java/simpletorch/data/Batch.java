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

    /**
     * Hands the images' storage back for the next batch (training loops call it once a step is done, so that
     * steady-state training allocates nothing); {@link #images()} is unusable afterwards.
     */
    public void recycle() {
        images.recycle();
    }

    /** The number of examples, {@code B}. */
    public int size() {
        return labels.length;
    }
}
