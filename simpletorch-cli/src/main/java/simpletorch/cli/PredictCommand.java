package simpletorch.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import simpletorch.autograd.GradMode;
import simpletorch.data.Images;
import simpletorch.data.Normalize;
import simpletorch.nn.Module;
import simpletorch.tensor.Tensor;

/**
 * {@code simpletorch predict CHECKPOINT IMAGE...}: classifies image files with a model file. Each image is
 * converted as the training data was: greyscale or RGB to match the model, shorter side resized and centre-cropped
 * to the model's input size ({@link Images#loadAndResize}), then normalised with the checkpoint's mean and std.
 */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Classify PNG or JPEG images with a model file; prints the top classes with probabilities.")
final class PredictCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CHECKPOINT", description = "A model file written by train (model.safetensors).")
    Path checkpoint;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "IMAGE", description = "PNG or JPEG files, any size.")
    List<Path> images;

    @Option(names = "--top", defaultValue = "3", paramLabel = "K", description = "Classes shown per image (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--json", description = "Print the predictions as JSON.")
    boolean json;

    /** One class and its probability. */
    record Guess(String label, int index, double probability) {
    }

    /** The predictions for one file. */
    record Prediction(String file, List<Guess> top) {
    }

    @Override
    public Integer call() throws IOException {
        if (top < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--top must be >= 1, got " + top);
        }
        ModelFile.Loaded loaded = ModelFile.load(checkpoint);
        ModelFile d = loaded.description();
        if (d.height() != d.width()) {
            throw new Main.UserError(checkpoint + ": the model takes " + d.height() + "x" + d.width()
                    + " images; predict handles square inputs only");
        }
        if (d.channels() != 1 && d.channels() != 3) {
            throw new Main.UserError(checkpoint + ": the model takes " + d.channels() + " channels; images give 1 or 3");
        }
        int C = d.channels(), S = d.height(), k = Math.min(top, d.numClasses());
        Normalize norm = d.normalize();
        // Read every file before computing anything, so a bad file fails the command without partial output.
        float[] batch = new float[images.size() * C * S * S]; // [N, C, S, S]
        for (int i = 0; i < images.size(); i++) {
            byte[] px = Images.loadAndResize(images.get(i), C, S);
            for (int c = 0; c < C; c++) {
                for (int j = 0; j < S * S; j++) {
                    int o = c * S * S + j;
                    batch[i * C * S * S + o] = norm.apply(c, px[o] & 0xFF);
                }
            }
        }
        Module model = loaded.model();
        model.eval();
        float[] logits;
        try (var ignored = GradMode.noGrad()) {
            logits = model.forward(new Tensor(batch, images.size(), C, S, S)).data();
        }
        int n = d.numClasses();
        List<Prediction> predictions = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            double[] p = softmax(logits, i * n, n);
            Integer[] order = new Integer[n];
            for (int j = 0; j < n; j++) {
                order[j] = j;
            }
            // Highest probability first; ties keep the lower class index first, as torch.topk's sorted output.
            java.util.Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
            List<Guess> guesses = new ArrayList<>();
            for (int j = 0; j < k; j++) {
                guesses.add(new Guess(d.classes().get(order[j]), order[j], p[order[j]]));
            }
            predictions.add(new Prediction(images.get(i).toString(), guesses));
        }
        PrintWriter pw = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("checkpoint", checkpoint.toString());
            doc.put("predictions", predictions);
            pw.print(Json.pretty(doc));
        } else {
            for (Prediction pr : predictions) {
                pw.println(pr.file() + ":");
                for (Guess g : pr.top()) {
                    pw.printf(Locale.ROOT, "  %-20s %6.2f%%%n", g.label(), 100 * g.probability());
                }
            }
        }
        pw.flush();
        return 0;
    }

    /** Softmax of {@code z[offset .. offset+n)} in double, shifted by the maximum. */
    private static double[] softmax(float[] z, int offset, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, z[offset + j]);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int j = 0; j < n; j++) {
            p[j] = Math.exp(z[offset + j] - max);
            sum += p[j];
        }
        for (int j = 0; j < n; j++) {
            p[j] /= sum;
        }
        return p;
    }
}
