package simpletorch.nn;

import java.util.ArrayList;
import java.util.List;
import simpletorch.tensor.Tensor;

/**
 * Runs its modules in order, as {@code torch.nn.Sequential}; they are named "0", "1", ... in the state dict. Some
 * runs of modules are one fused op each: a Conv2d, a ReLU and a MaxPool2d ({@link MaxPool2d#forwardAfterConvRelu}:
 * SimpleNet's blocks, each image pooled while its convolution output is in cache and the backward pass from the
 * pool's winners); a BatchNorm, a ReLU and a MaxPool2d ({@link MaxPool2d#forwardAfterBatchNormRelu}: each plane
 * normalised and pooled while in cache); a ReLU directly followed by a MaxPool2d ({@link MaxPool2d#forwardAfterRelu});
 * a BatchNorm directly followed by a ReLU not itself followed by a MaxPool2d ({@link BatchNormBase#forwardRelu}). The
 * same values; the same gradients, but for a convolution's weight, bias and input gradients from the pool's winners,
 * which group their sums differently and agree to rounding ({@code Functional.conv2dReluMaxPool2d}).
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
            Module afterNext = i + 2 < modules.size() ? modules.get(i + 2) : null;
            if (m instanceof Conv2d conv && next instanceof ReLU && afterNext instanceof MaxPool2d pool) {
                x = pool.forwardAfterConvRelu(conv, x); // convolution, ReLU and max-pooling, fused
                i += 2;
            } else if (m instanceof BatchNormBase bn && next instanceof ReLU && afterNext instanceof MaxPool2d pool) {
                x = pool.forwardAfterBatchNormRelu(bn, x); // BatchNorm, ReLU and max-pooling, fused
                i += 2;
            } else if (m instanceof ReLU && next instanceof MaxPool2d pool) {
                x = pool.forwardAfterRelu(x); // ReLU then max-pooling, fused: the same numbers
                i++;
            } else if (m instanceof BatchNormBase bn && next instanceof ReLU && !(afterNext instanceof MaxPool2d)) {
                x = bn.forwardRelu(x); // BatchNorm then ReLU, fused: the same numbers
                i++;
            } else {
                x = m.forward(x);
            }
        }
        return x;
    }
}
