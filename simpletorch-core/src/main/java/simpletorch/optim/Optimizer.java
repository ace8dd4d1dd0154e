package simpletorch.optim;

import java.util.List;
import simpletorch.tensor.Tensor;

/** The base of the optimisers, as {@code torch.optim.Optimizer}: a list of parameters and a learning rate. */
public abstract class Optimizer {
    protected final List<Tensor> params;
    protected double lr;

    protected Optimizer(List<Tensor> params, double lr) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        if (!(lr >= 0)) {
            throw new IllegalArgumentException("Invalid learning rate: " + lr);
        }
        this.params = List.copyOf(params);
        this.lr = lr;
    }

    /** Updates every parameter that has a gradient. */
    public abstract void step();

    /** Zeroes every parameter's gradient. */
    public void zeroGrad() {
        for (Tensor p : params) {
            p.zeroGrad();
        }
    }

    public double lr() {
        return lr;
    }

    /** Changes the learning rate, as a schedule does between steps. */
    public void setLr(double lr) {
        if (!(lr >= 0)) {
            throw new IllegalArgumentException("Invalid learning rate: " + lr);
        }
        this.lr = lr;
    }
}
