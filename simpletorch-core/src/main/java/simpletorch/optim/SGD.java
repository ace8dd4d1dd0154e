package simpletorch.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import simpletorch.tensor.Tensor;

/**
 * Stochastic gradient descent with PyTorch's exact update rule ({@code torch.optim.SGD}). For each parameter p
 * with gradient g:
 * <pre>
 *   g = g + weightDecay * p                          (if weightDecay != 0)
 *   buf = g                                          (first step, if momentum != 0)
 *   buf = momentum * buf + (1 - dampening) * g       (later steps)
 *   g = nesterov ? g + momentum * buf : buf
 *   p = p - lr * g
 * </pre>
 */
public final class SGD extends Optimizer {
    /** SGD's hyper-parameters, validated as PyTorch validates them. */
    public record Options(double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        public Options {
            if (!(lr >= 0)) {
                throw new IllegalArgumentException("Invalid learning rate: " + lr);
            }
            if (!(momentum >= 0)) {
                throw new IllegalArgumentException("Invalid momentum value: " + momentum);
            }
            if (!(weightDecay >= 0)) {
                throw new IllegalArgumentException("Invalid weight_decay value: " + weightDecay);
            }
            if (nesterov && (momentum <= 0 || dampening != 0)) {
                throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening, got momentum "
                        + momentum + ", dampening " + dampening);
            }
        }

        /** Plain SGD with the given learning rate. */
        public static Options of(double lr) {
            return new Options(lr, 0, 0, 0, false);
        }
    }

    private Options options;
    private final float[][] momentumBuffers;

    /** Plain SGD, as {@code optim.SGD(params, lr=lr)}. */
    public SGD(List<Tensor> params, double lr) {
        this(params, Options.of(lr));
    }

    public SGD(List<Tensor> params, Options options) {
        super(params, options.lr());
        this.options = options;
        this.momentumBuffers = new float[this.params.size()][];
    }

    public Options options() {
        return options;
    }

    @Override
    public double momentum() {
        return options.momentum();
    }

    /** Sets the momentum (a one-cycle schedule does this); validated as the constructor validates it. */
    @Override
    public void setMomentum(double momentum) {
        options = new Options(options.lr(), momentum, options.dampening(), options.weightDecay(), options.nesterov());
    }

    /** Buffers {@code "<i>.momentum_buffer"} of the parameters that have one; no counters. */
    @Override
    public OptimizerState state() {
        Map<String, float[]> buffers = new LinkedHashMap<>();
        for (int k = 0; k < params.size(); k++) {
            if (momentumBuffers[k] != null) {
                buffers.put(k + ".momentum_buffer", momentumBuffers[k].clone());
            }
        }
        return new OptimizerState(buffers, Map.of());
    }

    @Override
    public void loadState(OptimizerState state) {
        checkState(state, Set.of("momentum_buffer"), Set.of());
        java.util.Arrays.fill(momentumBuffers, null);
        state.buffers().forEach((key, buf) ->
                momentumBuffers[Integer.parseInt(key.substring(0, key.indexOf('.')))] = buf.clone());
    }

    /** The momentum buffer of parameter {@code i} (in the order given), or null before the first step. */
    public float[] momentumBuffer(int i) {
        return momentumBuffers[i];
    }

    @Override
    public void step() {
        float lr = (float) this.lr;
        float momentum = (float) options.momentum();
        float dampening = (float) options.dampening();
        float weightDecay = (float) options.weightDecay();
        for (int k = 0; k < params.size(); k++) {
            Tensor param = params.get(k);
            float[] grad = param.grad();
            if (grad == null) {
                continue; // like PyTorch, a parameter that got no gradient is left alone
            }
            float[] p = param.data();
            boolean first = momentum != 0 && momentumBuffers[k] == null;
            if (first) {
                momentumBuffers[k] = new float[p.length];
            }
            float[] buf = momentumBuffers[k];
            for (int i = 0; i < p.length; i++) {
                float g = weightDecay != 0 ? grad[i] + weightDecay * p[i] : grad[i];
                if (momentum != 0) {
                    buf[i] = first ? g : momentum * buf[i] + (1 - dampening) * g;
                    g = options.nesterov() ? g + momentum * buf[i] : buf[i];
                }
                p[i] -= lr * g;
            }
        }
    }
}
