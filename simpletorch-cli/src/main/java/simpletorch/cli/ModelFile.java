package simpletorch.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import simpletorch.data.Normalize;
import simpletorch.io.SafeTensors;
import simpletorch.io.SafeTensorsFile;
import simpletorch.models.Models;
import simpletorch.nn.Module;
import simpletorch.tensor.Tensor;

/**
 * A model file ({@code model.safetensors}, {@code best.safetensors}): the state dict under PyTorch's names and,
 * in the metadata, all that is needed to use it without the run that made it: the model and its constructor
 * arguments, the input shape, the class names, the normalisation, the data set, the epoch and its metrics.
 *
 * <p>Metadata values are strings (the format allows nothing else); structured ones hold JSON.
 */
record ModelFile(String model, int channels, int height, int width, List<String> classes, float[] mean, float[] std,
                 String dataset, long datasetSeed, int epoch, Map<String, Object> metrics) {

    static final String FORMAT = "simpletorch-model-1";

    int numClasses() {
        return classes.size();
    }

    Normalize normalize() {
        return new Normalize(mean, std);
    }

    /** A fresh model of the kind the metadata names ({@link Models}: a class name such as ResNet20). */
    Module newModel() {
        return Models.create(model, channels, height, width, classes.size());
    }

    Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("model", model);
        Map<String, Integer> args = new LinkedHashMap<>(); // in a fixed order: the same run writes the same bytes
        args.put("channels", channels);
        args.put("height", height);
        args.put("width", width);
        args.put("num_classes", classes.size());
        m.put("model_args", Json.compact(args));
        m.put("input_shape", "[" + channels + ", " + height + ", " + width + "]");
        m.put("num_classes", Integer.toString(classes.size()));
        m.put("classes", Json.compact(classes));
        m.put("normalize_mean", Json.compact(mean));
        m.put("normalize_std", Json.compact(std));
        m.put("dataset", dataset);
        m.put("dataset_seed", Long.toString(datasetSeed));
        m.put("epoch", Integer.toString(epoch));
        m.put("metrics", Json.compact(metrics));
        return m;
    }

    /** Writes {@code model}'s state dict with this description (atomically). */
    void write(Path file, Module net) throws IOException {
        SafeTensors.write(file, new LinkedHashMap<>(net.stateDict()), metadata());
    }

    /** A model file with its model, weights loaded. */
    record Loaded(ModelFile description, Module model) {
    }

    /**
     * Reads {@code file}, checks its metadata, builds the model it names and loads its weights (strictly).
     *
     * @throws Main.UserError naming the file and what is wrong with it
     */
    static Loaded load(Path file) throws IOException {
        SafeTensorsFile st = SafeTensors.read(file);
        ModelFile d = fromMetadata(file, st.metadata());
        Module net = d.newModel();
        Map<String, Tensor> state = st.tensors();
        try {
            net.loadStateDict(state, true);
        } catch (IllegalArgumentException e) {
            throw new Main.UserError(file + " does not fit the model its metadata describes: " + e.getMessage());
        }
        return new Loaded(d, net);
    }

    private static ModelFile fromMetadata(Path file, Map<String, String> m) {
        String model = m.get("model");
        if (model == null || m.get("model_args") == null || m.get("classes") == null) {
            throw new Main.UserError(file + " is not a SimpleTorch model file: its metadata lacks "
                    + (model == null ? "model" : m.get("model_args") == null ? "model_args" : "classes")
                    + " (files from `train --save` before run directories existed, or from PyTorch, can be used "
                    + "with `train --weights`)");
        }
        try {
            Models.get(model);
        } catch (IllegalArgumentException e) {
            throw new Main.UserError(file + ": " + e.getMessage());
        }
        try {
            Map<String, Integer> args = Json.COMPACT.readValue(m.get("model_args"), new TypeReference<>() { });
            List<String> classes = Json.COMPACT.readValue(m.get("classes"), new TypeReference<>() { });
            float[] mean = Json.COMPACT.readValue(m.getOrDefault("normalize_mean", "[0.5]"), float[].class);
            float[] std = Json.COMPACT.readValue(m.getOrDefault("normalize_std", "[0.5]"), float[].class);
            Map<String, Object> metrics = Json.COMPACT.readValue(m.getOrDefault("metrics", "{}"), new TypeReference<>() { });
            int channels = required(file, args, "channels"), numClasses = required(file, args, "num_classes");
            if (classes.size() != numClasses) {
                throw new Main.UserError(file + ": metadata names " + classes.size() + " classes but num_classes is "
                        + numClasses);
            }
            if (mean.length != channels || std.length != channels) {
                throw new Main.UserError(file + ": normalisation has " + mean.length + " means and " + std.length
                        + " stds for " + channels + " channels");
            }
            return new ModelFile(model, channels, required(file, args, "height"), required(file, args, "width"), classes,
                    mean, std, m.getOrDefault("dataset", ""), Long.parseLong(m.getOrDefault("dataset_seed", "0")),
                    Integer.parseInt(m.getOrDefault("epoch", "0")), metrics);
        } catch (JsonProcessingException | NumberFormatException e) {
            throw new Main.UserError(file + ": malformed metadata: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static int required(Path file, Map<String, Integer> args, String key) {
        Integer v = args.get(key);
        if (v == null || v < 1) {
            throw new Main.UserError(file + ": model_args lacks a positive " + key + ", got " + args);
        }
        return v;
    }
}
