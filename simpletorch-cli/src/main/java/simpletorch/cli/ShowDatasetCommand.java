package simpletorch.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import simpletorch.cli.plots.ClassDistributionChart;
import simpletorch.cli.plots.Pngs;
import simpletorch.cli.plots.SampleGrid;
import simpletorch.data.ImageDataset;
import simpletorch.tensor.Generator;

/**
 * {@code simpletorch show-dataset}: what the tutorial prints and draws about its data: sizes, image shape, classes
 * and per-class counts, {@code <dataset>_samples.png} and {@code class_distribution.png}.
 */
@Command(name = "show-dataset", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print a data set's size, image size, classes and per-class counts; draw samples and the class distribution.")
final class ShowDatasetCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    DatasetOptions data;

    @Option(names = "--out", defaultValue = ".", paramLabel = "DIR", description = "Where the PNG files go (default: the current directory).")
    Path out;

    @Option(names = "--samples", defaultValue = "16", paramLabel = "N", description = "Images in the sample grid (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for picking samples and for a folder's train/test split (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws IOException {
        System.setProperty("java.awt.headless", "true");
        data.validate(spec);
        if (samples < 1 || samples > 400) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--samples must be in [1, 400], got " + samples);
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new Main.UserError("--out: " + out + " is not a directory");
        }
        PrintWriter w = spec.commandLine().getOut();
        w.println("Loading " + data.displayName() + " dataset...");
        w.flush();
        DatasetOptions.Splits splits = data.load(spec, w, seed);
        ImageDataset train = splits.train(), test = splits.test();
        List<String> classes = train.classes();
        int[] trainCount = counts(train), testCount = counts(test);

        w.printf("Dataset size: %d images%n", train.size());
        w.printf("Test set size: %d images%n", test.size());
        w.printf("Image size: [%d, %d, %d]%n", train.channels(), train.height(), train.width());
        w.printf("Number of classes: %d%n", classes.size());
        w.println("Classes: " + String.join(", ", classes));
        int nameWidth = Math.max(5, classes.stream().mapToInt(String::length).max().orElse(5));
        w.printf(Locale.ROOT, "%-" + nameWidth + "s  %7s  %7s%n", "class", "train", "test");
        for (int c = 0; c < classes.size(); c++) {
            w.printf(Locale.ROOT, "%-" + nameWidth + "s  %7d  %7d%n", classes.get(c), trainCount[c], testCount[c]);
        }

        int n = Math.min(samples, train.size());
        int[] perm = new Generator(seed).permutation(train.size());
        int[] picked = java.util.Arrays.copyOf(perm, n);
        int columns = (int) Math.ceil(Math.sqrt(n));
        Path samplesFile = out.resolve(data.stem() + "_samples.png");
        Pngs.write(SampleGrid.render(train, picked, columns), samplesFile);
        w.println("Saved " + n + " samples to " + samplesFile);
        Path chartFile = out.resolve("class_distribution.png");
        Pngs.write(ClassDistributionChart.render("Class distribution: " + data.displayName(), classes, trainCount, testCount), chartFile);
        w.println("Saved the class distribution to " + chartFile);
        w.flush();
        return 0;
    }

    private static int[] counts(ImageDataset d) {
        int[] c = new int[d.numClasses()];
        for (int i = 0; i < d.size(); i++) {
            c[d.label(i)]++;
        }
        return c;
    }
}
