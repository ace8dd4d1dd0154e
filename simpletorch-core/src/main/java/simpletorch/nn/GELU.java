package simpletorch.nn;

import simpletorch.autograd.Functional;
import simpletorch.tensor.Tensor;

/**
 * x * Phi(x), Phi the standard normal CDF, as {@code torch.nn.GELU()} (the exact erf form, PyTorch's default;
 * the tanh approximation is not offered). Any shape.
 */
public final class GELU extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return Functional.gelu(input);
    }

    @Override
    protected String extraRepr() {
        return "approximate='none'";
    }
}
