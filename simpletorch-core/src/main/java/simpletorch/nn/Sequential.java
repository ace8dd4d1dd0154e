package simpletorch.nn;

import java.util.ArrayList;
import java.util.List;
import simpletorch.tensor.Tensor;

/**
 * Runs its modules in order, as {@code torch.nn.Sequential}; they are named "0", "1", ... in the state dict. A ReLU
 * directly followed by a MaxPool2d runs as one fused op ({@link MaxPool2d#forwardAfterRelu}), and a BatchNorm
 * directly followed by a ReLU (not itself followed by a MaxPool2d) as another ({@link BatchNormBase#forwardRelu}),
 * with the same values and gradients.
 */
public final class Sequential extends Module {
    private final List<Module> modules = new ArrayList<>();

    public Sequential(Module... modules) {
        for (Module m : modules) {
            add(m);
        }
    }

    /** Appends a module under the next index. Returns this. */
    public Sequential add(Module module) {
        modules.add(registerModule(Integer.toString(modules.size()), module));
        return this;
    }

    public Module get(int index) {
        return modules.get(index);
    }

    public int size() {
        return modules.size();
    }

    @Override
    public Tensor forward(Tensor input) {
        Tensor x = input;
        for (int i = 0; i < modules.size(); i++) {
            Module m = modules.get(i);
            Module next = i + 1 < modules.size() ? modules.get(i + 1) : null;
            if (m instanceof ReLU && next instanceof MaxPool2d pool) {
                x = pool.forwardAfterRelu(x); // ReLU then max-pooling, fused: the same numbers
                i++;
            } else if (m instanceof BatchNormBase bn && next instanceof ReLU
                    && !(i + 2 < modules.size() && modules.get(i + 2) instanceof MaxPool2d)) {
                x = bn.forwardRelu(x); // BatchNorm then ReLU, fused: the same numbers
                i++;
            } else {
                x = m.forward(x);
            }
        }
        return x;
    }
}
