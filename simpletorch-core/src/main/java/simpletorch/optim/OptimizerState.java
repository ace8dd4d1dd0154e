package simpletorch.optim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an optimiser needs besides the parameters to continue exactly where it stopped, as the {@code state} part
 * of PyTorch's {@code optimizer.state_dict()}: per-parameter buffers and step counts.
 *
 * <p>Keys are {@code "<parameter index>.<name>"} with PyTorch's names, e.g. {@code "0.exp_avg"},
 * {@code "3.momentum_buffer"} in {@code buffers} and {@code "0.step"} in {@code counters}. A parameter that has
 * not been stepped yet has no entries, as in PyTorch. The arrays are copies, not the live buffers.
 *
 * @param buffers  float32 buffers, each as long as its parameter
 * @param counters integer state (step counts)
 */
public record OptimizerState(Map<String, float[]> buffers, Map<String, Long> counters) {
    public OptimizerState {
        buffers = new LinkedHashMap<>(buffers);
        counters = new LinkedHashMap<>(counters);
    }
}
