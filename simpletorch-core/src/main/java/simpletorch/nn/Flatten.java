package simpletorch.nn;

import simpletorch.autograd.Functional;
import simpletorch.tensor.Tensor;

/** Flattens dimensions from {@code startDim} on, as {@code torch.nn.Flatten} (default startDim 1): [N, C, H, W] to [N, C*H*W]. */
public final class Flatten extends Module {
    public final int startDim;

    public Flatten() {
        this(1);
    }

    public Flatten(int startDim) {
        this.startDim = startDim;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.flatten(input, startDim);
    }

    @Override
    protected String extraRepr() {
        return "start_dim=" + startDim + ", end_dim=-1";
    }
}
