package simpletorch.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import simpletorch.tensor.Tensor;

/**
 * What {@link SafeTensors#read} found in a file; all maps are unmodifiable and keep the header's order.
 *
 * @param tensors  every tensor, converted to float32 whatever its stored dtype
 * @param dtypes   each tensor's stored dtype as the header spells it ({@code "F32"}, {@code "I64"}, ...)
 * @param longs    the exact values of the integer and bool tensors ({@code I64}, {@code I32}, ...), which float32
 *                 cannot hold beyond 2^24 — e.g. BatchNorm's {@code num_batches_tracked}
 * @param metadata the header's {@code __metadata__}, empty when absent
 */
public record SafeTensorsFile(Map<String, Tensor> tensors, Map<String, String> dtypes, Map<String, long[]> longs,
                              Map<String, String> metadata) {
    public SafeTensorsFile {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(tensors, "tensors")));
        dtypes = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(dtypes, "dtypes")));
        longs = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(longs, "longs")));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(metadata, "metadata")));
    }

    /** The tensor called {@code name}; throws if there is none, listing what there is. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor named \"" + name + "\"; the file has " + tensors.keySet());
        }
        return t;
    }
}
