package simpletorch.nn;

import simpletorch.autograd.Functional;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * Channel dropout, as {@code torch.nn.Dropout2d(p)}: in training each [H, W] plane of an [N, C, H, W] input is
 * zeroed with probability p and the rest are scaled by 1/(1-p); in evaluation it is the identity.
 */
public final class Dropout2d extends Module {
    public final double p;
    private final Generator generator;

    public Dropout2d() {
        this(0.5);
    }

    public Dropout2d(double p) {
        this(p, null);
    }

    /** @param generator where masks are drawn from; null for the default generator */
    public Dropout2d(double p, Generator generator) {
        Conv2d.require(p >= 0 && p <= 1, "dropout probability has to be between 0 and 1, but got " + p);
        this.p = p;
        this.generator = generator;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.dropout2d(input, p, isTraining(), generator);
    }

    @Override
    protected String extraRepr() {
        return "p=" + p + ", inplace=False";
    }
}
