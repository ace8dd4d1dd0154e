package simpletorch.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import simpletorch.data.Augmentation;
import simpletorch.data.DataLoader;
import simpletorch.data.ImageDataset;
import simpletorch.io.SafeTensors;
import simpletorch.kernels.Parallel;
import simpletorch.models.SimpleNet;
import simpletorch.optim.SGD;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;
import simpletorch.train.Trainer;

/**
 * {@code simpletorch train}: the tutorial's training run. With no options it does what the tutorial does: CIFAR-10
 * from ./data, SimpleNet, SGD lr 0.01, batch 32, one shuffled epoch, seed 42, a loss line every 100 batches, then
 * the test accuracy.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train SimpleNet on an image data set (defaults reproduce the tutorial's run).")
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    DatasetOptions data;

    @Option(names = "--epochs", defaultValue = "1", description = "Passes over the training set (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "32", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "0.01", description = "Learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--momentum", defaultValue = "0", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
    double momentum;

    @Option(names = "--weight-decay", defaultValue = "0", description = "L2 penalty, as SGD's weight_decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for initialisation and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", description = "Worker threads (default: the number of processors).")
    Integer threads;

    @Option(names = "--no-shuffle", description = "Visit the training images in file order.")
    boolean noShuffle;

    @Option(names = "--train-limit", paramLabel = "N", description = "Train on the first N images only.")
    Integer trainLimit;

    @Option(names = "--test-limit", paramLabel = "N", description = "Evaluate on the first N test images only.")
    Integer testLimit;

    @Option(names = "--weights", paramLabel = "FILE", description = "Start from this safetensors state dict instead of a random initialisation.")
    Path weights;

    @Option(names = "--save", paramLabel = "FILE", description = "Write the trained weights to this safetensors file.")
    Path save;

    @Option(names = "--random-crop", defaultValue = "0", paramLabel = "PAD",
            description = "Augment training images: pad by PAD pixels and crop back at a random offset (e.g. 4 for CIFAR; default: off).")
    int randomCrop;

    @Option(names = "--hflip", description = "Augment training images: mirror left-right with probability 1/2.")
    boolean hflip;

    @Option(names = "--log-every", defaultValue = "100", paramLabel = "N", description = "Print the loss every N batches (default: ${DEFAULT-VALUE}).")
    int logEvery;

    @Override
    public Integer call() throws IOException {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        if (threads != null) {
            Parallel.setThreads(threads);
        }
        out.println("Using device: cpu");
        out.printf("Threads: %d, Java %s%n", Parallel.threads(), Runtime.version().feature());
        out.println("Loading " + data.displayName() + " dataset...");
        out.flush();
        DatasetOptions.Splits splits = data.load(spec, out, seed);
        ImageDataset train = splits.train();
        ImageDataset test = splits.test();
        if (trainLimit != null) {
            train = train.subset(trainLimit);
        }
        if (testLimit != null) {
            test = test.subset(testLimit);
        }
        out.printf("Dataset size: %d images, image size: [%d, %d, %d], number of classes: %d%n",
                train.size(), train.channels(), train.height(), train.width(), train.numClasses());

        Generator.manualSeed(seed);
        SimpleNet model = new SimpleNet(train.channels(), train.height(), train.width(), train.numClasses());
        if (weights != null) {
            loadWeights(model, weights);
            out.println("Loaded weights from " + weights);
        }
        out.printf(Locale.ROOT, "Model: SimpleNet, %,d parameters%n", model.numParameters());

        SGD optimizer = new SGD(model.parameters(), new SGD.Options(lr, momentum, 0, weightDecay, false));
        Trainer trainer = new Trainer(model, optimizer);
        // The shuffle stream is separate from the initialisation stream, so --weights does not change the order.
        // Augmentation draws from the same generator, after the permutation, so one state resumes both.
        DataLoader loader = new DataLoader(train, batchSize, !noShuffle, new Generator(seed ^ 0x5DEECE66DL),
                new Augmentation(randomCrop, hflip), 1);

        out.println("Training for " + epochs + (epochs == 1 ? " epoch..." : " epochs..."));
        out.flush();
        for (int epoch = 1; epoch <= epochs; epoch++) {
            Trainer.EpochResult result;
            try {
                result = trainer.trainEpoch(loader, (batch, loss) -> {
                    if (batch % logEvery == 0) {
                        out.printf(Locale.ROOT, "Batch [%d], Loss: %.4f%n", batch, loss);
                        out.flush();
                    }
                });
            } catch (Trainer.NonFiniteLossException e) {
                throw new Main.UserError("epoch " + epoch + ": " + e.getMessage());
            }
            out.printf(Locale.ROOT, "Epoch [%d/%d] done: mean loss %.4f, train accuracy %.2f%%, %.1f s, %.0f images/s%n",
                    epoch, epochs, result.meanLoss(), 100 * result.accuracy(), result.seconds(), result.imagesPerSecond());
            out.flush();
        }
        out.println("Training finished!");

        Trainer.Evaluation eval = Trainer.evaluate(model, new DataLoader(test, 256, false, null));
        out.printf(Locale.ROOT, "Test accuracy: %.2f%% (%d/%d)%n", 100 * eval.accuracy(), eval.correct(), eval.total());
        if (save != null) {
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("model", "SimpleNet");
            metadata.put("input_shape", "[" + train.channels() + ", " + train.height() + ", " + train.width() + "]");
            metadata.put("num_classes", Integer.toString(train.numClasses()));
            metadata.put("dataset", data.stem());
            metadata.put("classes", String.join(",", train.classes()));
            metadata.put("epochs", Integer.toString(epochs));
            metadata.put("test_accuracy", String.format(Locale.ROOT, "%.4f", eval.accuracy()));
            SafeTensors.write(save, new LinkedHashMap<>(model.stateDict()), metadata);
            out.println("Saved weights to " + save);
        }
        out.flush();
        return 0;
    }

    /** Rejects bad values before any work is done, so a typo does not cost a training run. */
    private void validate() {
        data.validate(spec);
        require(randomCrop >= 0 && randomCrop <= 64, "--random-crop must be in [0, 64], got " + randomCrop);
        require(epochs >= 1, "--epochs must be >= 1, got " + epochs);
        require(batchSize >= 1, "--batch-size must be >= 1, got " + batchSize);
        require(lr >= 0 && Double.isFinite(lr), "--lr must be a finite number >= 0, got " + lr);
        require(momentum >= 0 && momentum < 1, "--momentum must be in [0, 1), got " + momentum);
        require(weightDecay >= 0 && Double.isFinite(weightDecay), "--weight-decay must be >= 0, got " + weightDecay);
        require(threads == null || threads >= 1, "--threads must be >= 1, got " + threads);
        require(trainLimit == null || trainLimit >= 1, "--train-limit must be >= 1, got " + trainLimit);
        require(testLimit == null || testLimit >= 1, "--test-limit must be >= 1, got " + testLimit);
        require(logEvery >= 1, "--log-every must be >= 1, got " + logEvery);
        if (weights != null && !Files.isRegularFile(weights)) {
            throw new Main.UserError("--weights: no such file: " + weights);
        }
        if (save != null) {
            Path dir = save.toAbsolutePath().getParent();
            if (Files.isDirectory(save)) {
                throw new Main.UserError("--save: " + save + " is a directory; give a file name such as model.safetensors");
            }
            if (dir != null && !Files.isDirectory(dir)) {
                throw new Main.UserError("--save: directory " + dir + " does not exist");
            }
        }
    }

    private static void loadWeights(SimpleNet model, Path file) throws IOException {
        Map<String, Tensor> state = SafeTensors.read(file).tensors();
        try {
            model.loadStateDict(state, true);
        } catch (IllegalArgumentException e) {
            throw new Main.UserError(file + " does not fit this model: " + e.getMessage());
        }
    }

    /** A bad option value is a usage error (exit code 2), like an unknown option. */
    private void require(boolean ok, String message) {
        if (!ok) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), message);
        }
    }
}
