package simpletorch.nn;

import simpletorch.autograd.Functional;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * Dropout, as {@code torch.nn.Dropout(p)}: in training each element is zeroed with probability p and the rest are
 * scaled by 1/(1-p); in evaluation it is the identity. No parameters. Any shape.
 *
 * <p>The mask is drawn from the given generator, or from {@link Generator#defaultGenerator()} (seeded with
 * {@code Generator.manualSeed}, saved in checkpoints) when none is given. It does not reproduce PyTorch's masks.
 */
public final class Dropout extends Module {
    public final double p;
    private final Generator generator;

    /** p = 0.5, as PyTorch's default. */
    public Dropout() {
        this(0.5);
    }

    public Dropout(double p) {
        this(p, null);
    }

    /** @param generator where masks are drawn from; null for the default generator */
    public Dropout(double p, Generator generator) {
        Conv2d.require(p >= 0 && p <= 1, "dropout probability has to be between 0 and 1, but got " + p);
        this.p = p;
        this.generator = generator;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.dropout(input, p, isTraining(), generator);
    }

    @Override
    protected String extraRepr() {
        return "p=" + p + ", inplace=False";
    }
}
