package simpletorch.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import simpletorch.io.SafeTensors;
import simpletorch.io.SafeTensorsException;
import simpletorch.io.SafeTensorsFile;
import simpletorch.nn.Module;
import simpletorch.optim.Optimizer;
import simpletorch.optim.OptimizerState;
import simpletorch.tensor.Tensor;

/**
 * The training state of a run directory, for {@code --resume}.
 *
 * <p>Each epoch writes {@code checkpoint-epoch-NNNN.safetensors}: the model's tensors as {@code model.<name>},
 * the optimiser's buffers as {@code optimizer.<index>.<buffer>}, and the {@link TrainingState} as JSON in the
 * metadata. Only when that file is complete (written to a temporary file, forced to disk, renamed) is the
 * pointer {@code checkpoint.json} replaced, the same way, to name it; then checkpoints older than the previous one
 * are deleted. A run killed at any moment therefore leaves a pointer that names a complete checkpoint, and the
 * one before it stays on disk.
 */
final class Checkpoints {
    static final String POINTER = "checkpoint.json";
    static final String FORMAT = "simpletorch-checkpoint-1";

    /** The content of {@code checkpoint.json}. */
    record Pointer(String latest, String previous, int epoch) {
    }

    /** A checkpoint as read, not yet applied. */
    record Restored(Path file, TrainingState state, Map<String, Tensor> model, OptimizerState optimizer) {
    }

    private Checkpoints() {
    }

    static String fileName(int epoch) {
        return String.format(Locale.ROOT, "checkpoint-epoch-%04d.safetensors", epoch);
    }

    /** Writes the checkpoint of {@code state.epoch()}, then flips the pointer to it. */
    static void write(Path dir, TrainingState state, Module model, Optimizer optimizer) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        model.stateDict().forEach((name, t) -> tensors.put("model." + name, t));
        OptimizerState opt = optimizer.state();
        opt.buffers().forEach((key, buf) -> tensors.put("optimizer." + key, new Tensor(buf, buf.length)));
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", FORMAT);
        metadata.put("state", Json.compact(state));
        String name = fileName(state.epoch());
        SafeTensors.write(dir.resolve(name), tensors, metadata);

        Pointer old = readPointer(dir);
        String previous = old == null || old.latest().equals(name) ? null : old.latest();
        AtomicFiles.writeString(dir.resolve(POINTER), Json.pretty(new Pointer(name, previous, state.epoch())));

        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String f = p.getFileName().toString();
                if (f.startsWith("checkpoint-epoch-") && f.endsWith(".safetensors") && !f.equals(name)
                        && !f.equals(previous)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** The pointer, or null when the directory has none. */
    static Pointer readPointer(Path dir) throws IOException {
        Path file = dir.resolve(POINTER);
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return Json.MAPPER.readValue(Files.readString(file), Pointer.class);
        } catch (JsonProcessingException e) {
            throw new Main.UserError(file + " is corrupt: " + firstLine(e));
        }
    }

    /**
     * Reads the checkpoint the pointer names, checking its format.
     *
     * @throws Main.UserError when the directory has no checkpoint or the checkpoint is damaged, naming the file
     */
    static Restored readLatest(Path dir) throws IOException {
        Pointer pointer = readPointer(dir);
        if (pointer == null) {
            throw new Main.UserError("--resume: " + dir + " has no " + POINTER + "; it is not a run directory or no "
                    + "epoch finished before the run stopped");
        }
        Path file = dir.resolve(pointer.latest());
        if (!pointer.latest().matches("checkpoint-epoch-\\d{4,}\\.safetensors")) {
            throw new Main.UserError(dir.resolve(POINTER) + " names an unexpected file: " + pointer.latest());
        }
        SafeTensorsFile st;
        try {
            st = SafeTensors.read(file);
        } catch (NoSuchFileException e) {
            throw new Main.UserError("--resume: " + file + " (named by " + POINTER + ") is missing");
        } catch (SafeTensorsException e) {
            throw new Main.UserError("--resume: checkpoint " + file + " is damaged: " + e.getMessage()
                    + (pointer.previous() != null ? "; the previous checkpoint is " + dir.resolve(pointer.previous()) : ""));
        }
        if (!FORMAT.equals(st.metadata().get("format")) || st.metadata().get("state") == null) {
            throw new Main.UserError("--resume: " + file + " is not a SimpleTorch checkpoint (format "
                    + st.metadata().get("format") + ")");
        }
        TrainingState state;
        try {
            state = Json.COMPACT.readValue(st.metadata().get("state"), TrainingState.class);
        } catch (JsonProcessingException e) {
            throw new Main.UserError("--resume: " + file + " holds a malformed training state: " + firstLine(e));
        }
        if (state.epoch() != pointer.epoch()) {
            throw new Main.UserError("--resume: " + file + " is epoch " + state.epoch() + " but " + POINTER + " says "
                    + pointer.epoch());
        }
        Map<String, Tensor> model = new LinkedHashMap<>();
        Map<String, float[]> buffers = new LinkedHashMap<>();
        st.tensors().forEach((name, t) -> {
            if (name.startsWith("model.")) {
                model.put(name.substring("model.".length()), t);
            } else if (name.startsWith("optimizer.")) {
                buffers.put(name.substring("optimizer.".length()), t.data());
            } else {
                throw new Main.UserError("--resume: " + file + " holds an unexpected tensor " + name);
            }
        });
        return new Restored(file, state, model, new OptimizerState(buffers, state.optimizerCounters()));
    }

    private static String firstLine(Exception e) {
        String m = e.getMessage();
        return m == null ? e.toString() : m.lines().findFirst().orElse(m);
    }
}
