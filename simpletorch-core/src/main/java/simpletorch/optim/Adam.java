package simpletorch.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import simpletorch.tensor.Tensor;

/**
 * Adam (Kingma and Ba, 2015) with PyTorch 1.13's exact update rule ({@code torch.optim.Adam}, the single-tensor
 * path). For each parameter p with gradient g, at step t = 1, 2, ...:
 * <pre>
 *   g = g + weightDecay * p                                   (Adam: L2 added to the gradient)
 *   p = p * (1 - lr * weightDecay)                            (AdamW instead: decoupled decay, before the update)
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g * g
 *   stepSize = lr / (1 - beta1^t)
 *   denom = sqrt(v) / sqrt(1 - beta2^t) + eps
 *   p = p - stepSize * m / denom
 * </pre>
 * The scalars are computed in double, as Python does, and rounded to float once per use, as PyTorch's kernels
 * do. AMSGrad is not implemented.
 */
public class Adam extends Optimizer {
    /** Adam's hyper-parameters, validated as PyTorch validates them. */
    public record Options(double lr, double beta1, double beta2, double eps, double weightDecay) {
        public Options {
            if (!(lr >= 0)) {
                throw new IllegalArgumentException("Invalid learning rate: " + lr);
            }
            if (!(eps >= 0)) {
                throw new IllegalArgumentException("Invalid epsilon value: " + eps);
            }
            if (!(beta1 >= 0 && beta1 < 1)) {
                throw new IllegalArgumentException("Invalid beta parameter at index 0: " + beta1);
            }
            if (!(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("Invalid beta parameter at index 1: " + beta2);
            }
            if (!(weightDecay >= 0)) {
                throw new IllegalArgumentException("Invalid weight_decay value: " + weightDecay);
            }
        }

        /** PyTorch's defaults for Adam: betas (0.9, 0.999), eps 1e-8, no weight decay. */
        public static Options of(double lr) {
            return new Options(lr, 0.9, 0.999, 1e-8, 0);
        }
    }

    private Options options;
    private final boolean decoupledWeightDecay;
    private final float[][] expAvg;
    private final float[][] expAvgSq;
    private final long[] steps;

    /** {@code optim.Adam(params, lr=lr)} with the other defaults. */
    public Adam(List<Tensor> params, double lr) {
        this(params, Options.of(lr));
    }

    public Adam(List<Tensor> params, Options options) {
        this(params, options, false);
    }

    /** For {@link AdamW}: {@code decoupled} applies the weight decay to the weights instead of the gradient. */
    protected Adam(List<Tensor> params, Options options, boolean decoupled) {
        super(params, options.lr());
        this.options = options;
        this.decoupledWeightDecay = decoupled;
        this.expAvg = new float[this.params.size()][];
        this.expAvgSq = new float[this.params.size()][];
        this.steps = new long[this.params.size()];
    }

    /** The hyper-parameters, with the current learning rate and beta1 (a schedule may have changed them). */
    public Options options() {
        return new Options(lr, options.beta1(), options.beta2(), options.eps(), options.weightDecay());
    }

    /** beta1, which a one-cycle schedule varies as its momentum. */
    @Override
    public double momentum() {
        return options.beta1();
    }

    @Override
    public void setMomentum(double beta1) {
        options = new Options(options.lr(), beta1, options.beta2(), options.eps(), options.weightDecay());
    }

    /** The number of steps parameter {@code i} has taken. */
    public long step(int i) {
        return steps[i];
    }

    @Override
    public void step() {
        double beta1 = options.beta1(), beta2 = options.beta2();
        float wd = (float) options.weightDecay();
        float decay = (float) (1 - lr * options.weightDecay());
        float b1 = (float) beta1, oneMinusB1 = (float) (1 - beta1);
        float b2 = (float) beta2, oneMinusB2 = (float) (1 - beta2);
        float eps = (float) options.eps();
        for (int k = 0; k < params.size(); k++) {
            Tensor param = params.get(k);
            float[] grad = param.grad();
            if (grad == null) {
                continue; // like PyTorch, a parameter that got no gradient is left alone
            }
            float[] p = param.data();
            if (expAvg[k] == null) {
                expAvg[k] = new float[p.length];
                expAvgSq[k] = new float[p.length];
            }
            float[] m = expAvg[k], v = expAvgSq[k];
            long t = ++steps[k];
            double biasCorrection1 = 1 - Math.pow(beta1, t);
            double biasCorrection2 = 1 - Math.pow(beta2, t);
            float negStepSize = (float) -(lr / biasCorrection1);
            float bc2Sqrt = (float) Math.sqrt(biasCorrection2);
            for (int i = 0; i < p.length; i++) {
                float g = grad[i];
                if (decoupledWeightDecay) {
                    p[i] *= decay;
                } else if (wd != 0) {
                    g = g + wd * p[i];
                }
                m[i] = m[i] * b1 + oneMinusB1 * g;
                v[i] = v[i] * b2 + oneMinusB2 * g * g;
                float denom = (float) Math.sqrt(v[i]) / bc2Sqrt + eps;
                p[i] = p[i] + negStepSize * m[i] / denom;
            }
        }
    }

    /** Buffers {@code "<i>.exp_avg"}, {@code "<i>.exp_avg_sq"} and counters {@code "<i>.step"}, as PyTorch names them. */
    @Override
    public OptimizerState state() {
        Map<String, float[]> buffers = new LinkedHashMap<>();
        Map<String, Long> counters = new LinkedHashMap<>();
        for (int k = 0; k < params.size(); k++) {
            if (expAvg[k] != null) {
                buffers.put(k + ".exp_avg", expAvg[k].clone());
                buffers.put(k + ".exp_avg_sq", expAvgSq[k].clone());
                counters.put(k + ".step", steps[k]);
            }
        }
        return new OptimizerState(buffers, counters);
    }

    @Override
    public void loadState(OptimizerState state) {
        checkState(state, Set.of("exp_avg", "exp_avg_sq"), Set.of("step"));
        for (int k = 0; k < params.size(); k++) {
            boolean a = state.buffers().containsKey(k + ".exp_avg");
            boolean b = state.buffers().containsKey(k + ".exp_avg_sq");
            boolean c = state.counters().containsKey(k + ".step");
            if (a != b || b != c) {
                throw new IllegalArgumentException("optimizer state for parameter " + k
                        + " must have all of exp_avg, exp_avg_sq and step or none of them");
            }
        }
        for (int k = 0; k < params.size(); k++) {
            float[] m = state.buffers().get(k + ".exp_avg");
            expAvg[k] = m == null ? null : m.clone();
            float[] v = state.buffers().get(k + ".exp_avg_sq");
            expAvgSq[k] = v == null ? null : v.clone();
            Long t = state.counters().get(k + ".step");
            steps[k] = t == null ? 0 : t;
        }
    }
}
