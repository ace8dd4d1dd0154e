package simpletorch.nn;

import java.util.Arrays;
import simpletorch.tensor.Tensor;

/**
 * Batch normalisation over features, as {@code torch.nn.BatchNorm1d} (eps 1e-5, momentum 0.1): per feature C,
 * statistics over N (and L). Same state dict as {@link BatchNorm2d}.
 *
 * <p>Shape: [N, C] or [N, C, L] to the same.
 */
public final class BatchNorm1d extends BatchNormBase {
    public BatchNorm1d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1, true, true);
    }

    public BatchNorm1d(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    @Override
    void checkInput(Tensor input) {
        if (input.dim() != 2 && input.dim() != 3) {
            throw new IllegalArgumentException("BatchNorm1d expected input of shape [N, C] or [N, C, L], got "
                    + Arrays.toString(input.shape()));
        }
    }
}
