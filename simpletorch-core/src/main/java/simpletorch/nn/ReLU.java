package simpletorch.nn;

import simpletorch.autograd.Functional;
import simpletorch.tensor.Tensor;

/** max(x, 0) element-wise, as {@code torch.nn.ReLU}. Any shape. */
public final class ReLU extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return Functional.relu(input);
    }
}
