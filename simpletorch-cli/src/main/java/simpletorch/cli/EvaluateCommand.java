package simpletorch.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import simpletorch.autograd.GradMode;
import simpletorch.data.Batch;
import simpletorch.data.DataLoader;
import simpletorch.data.ImageDataset;
import simpletorch.nn.Module;
import simpletorch.tensor.Tensor;
import simpletorch.tensor.TensorScope;

/**
 * {@code simpletorch evaluate CHECKPOINT}: the model's accuracy on a test split, per-class precision, recall and F1,
 * the confusion matrix (printed and drawn), and a grid of misclassified images.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate a model file on the test split of its data set: accuracy, per-class precision/recall/F1, "
                + "confusion_matrix.png and misclassified.png.")
final class EvaluateCommand implements Callable<Integer> {
    static final String CONFUSION_PNG = "confusion_matrix.png";
    static final String MISCLASSIFIED_PNG = "misclassified.png";
    private static final int MAX_SHOWN = 36;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CHECKPOINT", description = "A model file written by train (model.safetensors or best.safetensors).")
    Path checkpoint;

    /** The data-set options of train; without --dataset, the data set named in the checkpoint is used. */
    @Mixin
    DatasetOptions data;

    @Option(names = "--test-limit", paramLabel = "N", description = "Evaluate on the first N test images only.")
    Integer testLimit;

    @Option(names = "--batch-size", defaultValue = "256", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--threads", description = "Worker threads (default: the number of processors).")
    Integer threads;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the figures go (default: the checkpoint's directory).")
    Path out;

    @Override
    public Integer call() throws IOException {
        require(batchSize >= 1, "--batch-size must be >= 1, got " + batchSize);
        require(testLimit == null || testLimit >= 1, "--test-limit must be >= 1, got " + testLimit);
        require(threads == null || threads >= 1, "--threads must be >= 1, got " + threads);
        if (!Files.isRegularFile(checkpoint)) {
            throw new Main.UserError("no such file: " + checkpoint);
        }
        Path outDir = out != null ? out : checkpoint.toAbsolutePath().getParent();
        if (!Files.isDirectory(outDir)) {
            throw new Main.UserError("--out: directory " + outDir + " does not exist");
        }
        PrintWriter pw = spec.commandLine().getOut();
        if (threads != null) {
            Main.setThreads(threads, pw);
        }
        ModelFile.Loaded loaded = ModelFile.load(checkpoint);
        ModelFile d = loaded.description();
        var parsed = spec.commandLine().getParseResult();
        if (!parsed.hasMatchedOption("--dataset")) {
            data.dataset = d.dataset(); // e.g. cifar10, or folder:PATH with the model's image size and channels
            if (!parsed.hasMatchedOption("--image-size")) {
                data.imageSize = d.height();
            }
            if (!parsed.hasMatchedOption("--channels")) {
                data.channels = d.channels();
            }
            if (!parsed.hasMatchedOption("--labels") && d.numClasses() == 20) {
                data.labels = "coarse"; // CIFAR-100's superclasses
            }
        }
        data.validate(spec);
        ImageDataset test = data.load(spec, pw, d.datasetSeed()).test();
        if (testLimit != null) {
            test = test.subset(testLimit);
        }
        if (test.channels() != d.channels() || test.height() != d.height() || test.width() != d.width()
                || test.numClasses() != d.numClasses()) {
            throw new Main.UserError(data.displayName() + " has images of [" + test.channels() + ", " + test.height() + ", "
                    + test.width() + "] in " + test.numClasses() + " classes; " + checkpoint + " expects [" + d.channels()
                    + ", " + d.height() + ", " + d.width() + "] in " + d.numClasses());
        }
        // The model's own normalisation, whatever the data set's default is.
        test = test.withTransform(d.normalize());
        pw.printf("Evaluating %s (epoch %d) on %s: %d images%n", checkpoint, d.epoch(), test.name(), test.size());
        pw.flush();

        int n = d.numClasses();
        long[][] confusion = new long[n][n];
        List<Charts.Tile> wrong = new ArrayList<>();
        Module model = loaded.model();
        model.eval();
        int index = 0;
        try (var ignored = GradMode.noGrad()) {
            for (Batch batch : new DataLoader(test, batchSize, false, null)) {
                // Logits are copied out, so the batch's activations can be reused by the next batch.
                float[] z;
                try (var scope = TensorScope.open()) {
                    z = model.forward(batch.images()).data().clone();
                }
                for (int b = 0; b < batch.size(); b++, index++) {
                    int pred = 0;
                    for (int j = 1; j < n; j++) {
                        if (z[b * n + j] > z[b * n + pred]) {
                            pred = j;
                        }
                    }
                    int truth = batch.labels()[b];
                    confusion[truth][pred]++;
                    if (pred != truth && wrong.size() < MAX_SHOWN) {
                        wrong.add(tile(test, index, "true: " + d.classes().get(truth) + " / pred: " + d.classes().get(pred)));
                    }
                }
            }
        }
        printReport(pw, confusion, d.classes());
        Charts.confusionMatrix(outDir.resolve(CONFUSION_PNG), confusion, d.classes());
        Charts.imageGrid(outDir.resolve(MISCLASSIFIED_PNG), wrong.isEmpty() ? "No misclassified images"
                : "Misclassified test images (first " + wrong.size() + ")", wrong);
        pw.println("Wrote " + outDir.resolve(CONFUSION_PNG) + " and " + outDir.resolve(MISCLASSIFIED_PNG));
        pw.flush();
        return 0;
    }

    private static Charts.Tile tile(ImageDataset ds, int i, String caption) {
        int C = ds.channels(), H = ds.height(), W = ds.width();
        int[] px = new int[C * H * W];
        for (int c = 0; c < C; c++) {
            for (int h = 0; h < H; h++) {
                for (int w = 0; w < W; w++) {
                    px[(c * H + h) * W + w] = ds.pixel(i, c, h, w);
                }
            }
        }
        return new Charts.Tile(px, C, H, W, caption);
    }

    /** Accuracy, then precision/recall/F1/support per class and their macro average, then the matrix. */
    static void printReport(PrintWriter pw, long[][] confusion, List<String> classes) {
        int n = classes.size();
        long total = 0, correct = 0;
        for (int t = 0; t < n; t++) {
            for (int p = 0; p < n; p++) {
                total += confusion[t][p];
            }
            correct += confusion[t][t];
        }
        pw.printf(Locale.ROOT, "Accuracy: %.2f%% (%d/%d)%n%n", total == 0 ? 0 : 100.0 * correct / total, correct, total);
        int width = Math.max(12, classes.stream().mapToInt(String::length).max().orElse(0));
        pw.printf(Locale.ROOT, "%-" + width + "s %9s %9s %9s %8s%n", "class", "precision", "recall", "f1", "support");
        double sumP = 0, sumR = 0, sumF = 0;
        for (int k = 0; k < n; k++) {
            long tp = confusion[k][k], predicted = 0, actual = 0;
            for (int j = 0; j < n; j++) {
                predicted += confusion[j][k];
                actual += confusion[k][j];
            }
            // As scikit-learn's zero_division=0: an undefined ratio is reported as 0.
            double precision = predicted == 0 ? 0 : (double) tp / predicted;
            double recall = actual == 0 ? 0 : (double) tp / actual;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            sumP += precision;
            sumR += recall;
            sumF += f1;
            pw.printf(Locale.ROOT, "%-" + width + "s %9.4f %9.4f %9.4f %8d%n", classes.get(k), precision, recall, f1, actual);
        }
        pw.printf(Locale.ROOT, "%-" + width + "s %9.4f %9.4f %9.4f %8d%n%n", "macro avg", sumP / n, sumR / n, sumF / n, total);
        pw.println("Confusion matrix (rows: true class, columns: predicted class):");
        int cw = Math.max(6, Long.toString(total).length() + 1);
        StringBuilder header = new StringBuilder(" ".repeat(width));
        for (int p = 0; p < n; p++) {
            header.append(String.format(Locale.ROOT, "%" + cw + "d", p));
        }
        pw.println(header);
        for (int t = 0; t < n; t++) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s", t + " " + classes.get(t)));
            for (int p = 0; p < n; p++) {
                row.append(String.format(Locale.ROOT, "%" + cw + "d", confusion[t][p]));
            }
            pw.println(row);
        }
    }

    private void require(boolean ok, String message) {
        if (!ok) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), message);
        }
    }
}
