package simpletorch.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import simpletorch.tensor.Tensor;

/**
 * The base of every layer and model, as {@code torch.nn.Module}: it owns named parameters, buffers and child
 * modules, and gives them PyTorch's dotted names ({@code conv1.weight}), so a state dict maps one to one onto a
 * PyTorch model's.
 *
 * <p>Lifecycle: construct (parameters are created and initialised as PyTorch does by default), then call
 * {@link #forward} in {@link #train()} or {@link #eval()} mode.
 */
public abstract class Module {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Computes this module's output for one input. */
    public abstract Tensor forward(Tensor input);

    /** Registers a trainable tensor under {@code name} and marks it as requiring a gradient. */
    protected Tensor registerParameter(String name, Tensor parameter) {
        checkName(name);
        parameters.put(name, parameter.requiresGrad(true));
        return parameter;
    }

    /** Registers a tensor that is saved in the state dict but not trained (BatchNorm's running statistics). */
    protected Tensor registerBuffer(String name, Tensor buffer) {
        checkName(name);
        buffers.put(name, buffer);
        return buffer;
    }

    /** Registers a child module; its parameters are named {@code name.<its names>}. */
    protected <M extends Module> M registerModule(String name, M module) {
        checkName(name);
        children.put(name, module);
        return module;
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("a parameter or module name must be non-empty and contain no '.', got '" + name + "'");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("'" + name + "' is already registered in " + getClass().getSimpleName());
        }
    }

    /** Every parameter with its dotted name, in registration order (own parameters first, then children's). */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, false);
        return out;
    }

    public List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** The direct children, by name. */
    public Map<String, Module> children() {
        return java.util.Collections.unmodifiableMap(children);
    }

    /** Parameters and buffers by dotted name, in PyTorch's {@code state_dict()} order. The tensors are live. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true);
        return out;
    }

    private void collect(String prefix, Map<String, Tensor> out, boolean withBuffers) {
        parameters.forEach((name, t) -> out.put(prefix + name, t));
        if (withBuffers) {
            buffers.forEach((name, t) -> out.put(prefix + name, t));
        }
        children.forEach((name, m) -> m.collect(prefix + name + ".", out, withBuffers));
    }

    /**
     * Copies the values of {@code stateDict} into this module's parameters and buffers, as
     * {@code load_state_dict}. Every check runs before anything is copied, so a failed load changes nothing.
     *
     * @param strict when true, every key of this module must be present and no other key may be
     * @throws IllegalArgumentException naming the missing, unexpected or mis-shaped keys
     */
    public void loadStateDict(Map<String, Tensor> stateDict, boolean strict) {
        Map<String, Tensor> own = stateDict();
        List<String> problems = new ArrayList<>();
        if (strict) {
            Set<String> missing = new LinkedHashSet<>(own.keySet());
            missing.removeAll(stateDict.keySet());
            Set<String> unexpected = new LinkedHashSet<>(stateDict.keySet());
            unexpected.removeAll(own.keySet());
            if (!missing.isEmpty()) {
                problems.add("Missing key(s) in state_dict: " + String.join(", ", missing));
            }
            if (!unexpected.isEmpty()) {
                problems.add("Unexpected key(s) in state_dict: " + String.join(", ", unexpected));
            }
        }
        for (Map.Entry<String, Tensor> e : stateDict.entrySet()) {
            Tensor target = own.get(e.getKey());
            if (target != null && !Arrays.equals(target.shape(), e.getValue().shape())) {
                problems.add("size mismatch for " + e.getKey() + ": copying a param with shape "
                        + Arrays.toString(e.getValue().shape()) + " from checkpoint, the shape in current model is "
                        + Arrays.toString(target.shape()));
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Error(s) in loading state_dict for " + getClass().getSimpleName()
                    + ":\n\t" + String.join("\n\t", problems));
        }
        for (Map.Entry<String, Tensor> e : stateDict.entrySet()) {
            Tensor target = own.get(e.getKey());
            if (target != null) {
                System.arraycopy(e.getValue().data(), 0, target.data(), 0, target.numel());
            }
        }
    }

    /** Training mode (the default): affects layers such as Dropout and BatchNorm. Returns this module. */
    public Module train() {
        return setTraining(true);
    }

    /** Evaluation mode. Returns this module. */
    public Module eval() {
        return setTraining(false);
    }

    private Module setTraining(boolean mode) {
        training = mode;
        children.values().forEach(m -> m.setTraining(mode));
        return this;
    }

    public boolean isTraining() {
        return training;
    }

    /** Zeroes every parameter's gradient. */
    public void zeroGrad() {
        for (Tensor p : parameters()) {
            p.zeroGrad();
        }
    }

    /** The number of trainable scalars. */
    public long numParameters() {
        long n = 0;
        for (Tensor p : parameters()) {
            n += p.numel();
        }
        return n;
    }

    /** One line describing this module's own settings, as PyTorch's {@code extra_repr}. */
    protected String extraRepr() {
        return "";
    }

    /** A tree of the module and its children, in PyTorch's format. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append('(').append(extraRepr());
        if (!children.isEmpty()) {
            sb.append('\n');
            children.forEach((name, m) -> sb.append("  (").append(name).append("): ")
                    .append(m.toString().replace("\n", "\n  ")).append('\n'));
        }
        return sb.append(')').toString();
    }
}
