package simpletorch.optim;

import java.util.List;
import simpletorch.tensor.Tensor;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter, 2019), as {@code torch.optim.AdamW}: each step first
 * shrinks the weights, {@code p = p * (1 - lr * weightDecay)}, then applies Adam's update with the plain gradient.
 * PyTorch's default weight decay for AdamW is 0.01. See {@link Adam} for the full rule.
 */
public final class AdamW extends Adam {
    /** {@code optim.AdamW(params, lr=lr)}: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public AdamW(List<Tensor> params, double lr) {
        this(params, new Options(lr, 0.9, 0.999, 1e-8, 0.01));
    }

    public AdamW(List<Tensor> params, Options options) {
        super(params, options, true);
    }
}
