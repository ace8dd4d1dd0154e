package simpletorch.nn;

import simpletorch.autograd.Functional;
import simpletorch.tensor.Tensor;

/** x * sigmoid(x) (Swish), as {@code torch.nn.SiLU}. Any shape. */
public final class SiLU extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return Functional.silu(input);
    }
}
