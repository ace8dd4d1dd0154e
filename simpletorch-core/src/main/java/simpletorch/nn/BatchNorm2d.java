package simpletorch.nn;

import java.util.Arrays;
import simpletorch.tensor.Tensor;

/**
 * Batch normalisation over the channels of images, as {@code torch.nn.BatchNorm2d} (eps 1e-5, momentum 0.1):
 * {@code y = (x - mean) / sqrt(var + eps) * weight + bias} per channel, with the batch's mean and biased variance
 * over N, H and W in training (the running statistics are updated with the unbiased variance) and the running
 * statistics in evaluation.
 *
 * <p>Shape: [N, C, H, W] to the same. State dict: {@code weight}, {@code bias} [C]; buffers {@code running_mean},
 * {@code running_var} [C] and {@code num_batches_tracked} [] (int64 in PyTorch; float here, which PyTorch's
 * {@code load_state_dict} copies into its int64 buffer).
 *
 * <pre>{@code
 * BatchNorm2d bn1 = new BatchNorm2d(16); // nn.BatchNorm2d(16)
 * }</pre>
 */
public final class BatchNorm2d extends BatchNormBase {
    public BatchNorm2d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1, true, true);
    }

    public BatchNorm2d(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    @Override
    void checkInput(Tensor input) {
        if (input.dim() != 4) {
            throw new IllegalArgumentException("BatchNorm2d expected input of shape [N, C, H, W], got "
                    + Arrays.toString(input.shape()));
        }
    }
}
