package simpletorch.nn;

import java.util.ArrayList;
import java.util.List;
import simpletorch.tensor.Tensor;

/** Runs its modules in order, as {@code torch.nn.Sequential}; they are named "0", "1", ... in the state dict. */
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
        for (Module m : modules) {
            x = m.forward(x);
        }
        return x;
    }
}
