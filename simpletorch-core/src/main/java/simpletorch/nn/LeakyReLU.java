package simpletorch.nn;

import simpletorch.autograd.Functional;
import simpletorch.tensor.Tensor;

/** x > 0 ? x : negativeSlope * x element-wise, as {@code torch.nn.LeakyReLU} (default slope 0.01). Any shape. */
public final class LeakyReLU extends Module {
    public final float negativeSlope;

    public LeakyReLU() {
        this(0.01f);
    }

    public LeakyReLU(float negativeSlope) {
        Conv2d.require(Float.isFinite(negativeSlope), "negativeSlope must be finite, got " + negativeSlope);
        this.negativeSlope = negativeSlope;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.leakyRelu(input, negativeSlope);
    }

    @Override
    protected String extraRepr() {
        return "negative_slope=" + negativeSlope;
    }
}
