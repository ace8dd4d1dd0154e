package simpletorch.optim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

    /** The parameters, in the order given to the constructor (the indices of {@link OptimizerState}'s keys). */
    public List<Tensor> params() {
        return params;
    }

    /** A copy of the buffers and step counts, for a checkpoint; see {@link OptimizerState}. */
    public abstract OptimizerState state();

    /**
     * Restores what {@link #state()} returned, as {@code load_state_dict}. Every key and length is checked before
     * anything is changed, so a failed load leaves the optimiser as it was.
     *
     * @throws IllegalArgumentException naming the unknown key or the mismatched length
     */
    public abstract void loadState(OptimizerState state);

    /**
     * The momentum a one-cycle schedule varies: SGD's {@code momentum}, Adam's {@code beta1}. Optimisers without
     * one throw {@link UnsupportedOperationException}.
     */
    public double momentum() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no momentum to cycle");
    }

    /** Sets what {@link #momentum()} returns, as a schedule does between steps. */
    public void setMomentum(double momentum) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no momentum to cycle");
    }

    /**
     * Checks that {@code state} holds only the given buffer and counter names for existing parameter indices, with
     * buffers as long as their parameters; the message names the first offending key.
     */
    protected void checkState(OptimizerState state, Set<String> bufferNames, Set<String> counterNames) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, float[]> e : state.buffers().entrySet()) {
            int index = parameterIndex(e.getKey(), bufferNames, problems);
            if (index >= 0 && e.getValue().length != params.get(index).numel()) {
                problems.add("buffer " + e.getKey() + " has " + e.getValue().length + " values, parameter " + index
                        + " has " + params.get(index).numel());
            }
        }
        for (Map.Entry<String, Long> e : state.counters().entrySet()) {
            if (parameterIndex(e.getKey(), counterNames, problems) >= 0 && e.getValue() < 0) {
                problems.add("counter " + e.getKey() + " is negative: " + e.getValue());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("optimizer state does not fit this " + getClass().getSimpleName()
                    + " of " + params.size() + " parameters: " + String.join("; ", problems));
        }
    }

    private int parameterIndex(String key, Set<String> names, List<String> problems) {
        int dot = key.indexOf('.');
        if (dot > 0 && names.contains(key.substring(dot + 1))) {
            try {
                int index = Integer.parseInt(key.substring(0, dot));
                if (index >= 0 && index < params.size()) {
                    return index;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
        }
        problems.add("unexpected key " + key);
        return -1;
    }

    /** Changes the learning rate, as a schedule does between steps. */
    public void setLr(double lr) {
        if (!(lr >= 0)) {
            throw new IllegalArgumentException("Invalid learning rate: " + lr);
        }
        this.lr = lr;
    }
}
