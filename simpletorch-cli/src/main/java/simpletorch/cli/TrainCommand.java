package simpletorch.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import simpletorch.autograd.Profiler;
import simpletorch.data.Augmentation;
import simpletorch.data.DataLoader;
import simpletorch.data.Dataset;
import simpletorch.data.Datasets;
import simpletorch.data.ImageDataset;
import simpletorch.data.Subset;
import simpletorch.io.SafeTensors;
import simpletorch.kernels.Parallel;
import simpletorch.models.Models;
import simpletorch.nn.Module;
import simpletorch.nn.CrossEntropyLoss;
import simpletorch.optim.Adam;
import simpletorch.optim.AdamW;
import simpletorch.optim.CosineWithWarmup;
import simpletorch.optim.LRScheduler;
import simpletorch.optim.OneCycleLR;
import simpletorch.optim.Optimizer;
import simpletorch.optim.SGD;
import simpletorch.optim.StepLR;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;
import simpletorch.train.JitWarmup;
import simpletorch.train.Trainer;

/**
 * {@code simpletorch train}: the tutorial's training run, grown into a tool. With no options it does what the
 * tutorial does (CIFAR-10 from ./data, SimpleNet, SGD lr 0.01, batch 32, one shuffled epoch, seed 42, a loss line
 * every 100 batches, then the test accuracy) and also writes a run directory ({@link RunDirectory}) with the
 * configuration, metrics, curves, model files and checkpoints that {@code --resume} continues from.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a model on an image data set (defaults reproduce the tutorial's run: SimpleNet on CIFAR-10).")
final class TrainCommand implements Callable<Integer> {
    /** Options that may accompany --resume; everything else comes from the run's config.json. */
    private static final Set<String> RESUME_OPTIONS = Set.of("--resume", "--epochs", "--threads", "--log-every", "--data-dir",
            "--stop-after", "--no-download", "--mirror", "--download-attempts", "--no-jit-warmup", "--profile");

    @Spec
    CommandSpec spec;

    @Mixin
    DatasetOptions data;

    @Option(names = "--model", defaultValue = "simplenet", completionCandidates = ModelsCommand.Names.class,
            description = "simplenet, simplenet-bn, vgg-small or resnet20 (default: ${DEFAULT-VALUE}); `simpletorch models` lists them.")
    String model;

    @Option(names = "--epochs", defaultValue = "1", description = "Passes over the training set (default: ${DEFAULT-VALUE}); with --resume, the epoch to continue to.")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "32", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--optimizer", defaultValue = "sgd", description = "sgd, adam or adamw (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--lr", defaultValue = "0.01", description = "Learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--momentum", defaultValue = "0", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
    double momentum;

    @Option(names = "--nesterov", description = "SGD with Nesterov momentum (needs --momentum > 0).")
    boolean nesterov;

    @Option(names = "--weight-decay", description = "Weight decay: L2 added to the gradient for sgd and adam, decoupled for adamw (default: 0; 0.01 for adamw, as PyTorch).")
    Double weightDecay;

    @Option(names = "--beta1", defaultValue = "0.9", description = "Adam/AdamW beta1 (default: ${DEFAULT-VALUE}).")
    double beta1;

    @Option(names = "--beta2", defaultValue = "0.999", description = "Adam/AdamW beta2 (default: ${DEFAULT-VALUE}).")
    double beta2;

    @Option(names = "--eps", defaultValue = "1e-8", description = "Adam/AdamW epsilon (default: ${DEFAULT-VALUE}).")
    double eps;

    @Option(names = "--scheduler", defaultValue = "none", description = "Learning-rate schedule: none, step (per epoch), cosine (per batch, linear warm-up) or onecycle (per batch) (default: ${DEFAULT-VALUE}).")
    String scheduler;

    @Option(names = "--step-size", defaultValue = "1", paramLabel = "EPOCHS", description = "step: multiply the rate by --gamma every this many epochs (default: ${DEFAULT-VALUE}).")
    int stepSize;

    @Option(names = "--gamma", defaultValue = "0.1", description = "step: the factor (default: ${DEFAULT-VALUE}).")
    double gamma;

    @Option(names = "--warmup-epochs", defaultValue = "0", paramLabel = "EPOCHS", description = "cosine: epochs of linear warm-up from 0 to --lr (default: ${DEFAULT-VALUE}).")
    int warmupEpochs;

    @Option(names = "--max-lr", description = "onecycle: the peak rate (default: --lr). Starts at max/25, ends at max/25e4; momentum cycles 0.95-0.85.")
    Double maxLr;

    @Option(names = "--label-smoothing", defaultValue = "0", description = "Label smoothing of the training loss, in [0, 1) (default: ${DEFAULT-VALUE}).")
    double labelSmoothing;

    @Option(names = "--val-split", defaultValue = "0", paramLabel = "F", description = "Hold out this fraction of the training set (seeded) for validation (default: ${DEFAULT-VALUE}, none).")
    double valSplit;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for initialisation, shuffling and the validation split (default: ${DEFAULT-VALUE}).")
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

    @Option(names = "--save", paramLabel = "FILE", description = "Also write the trained weights to this safetensors file.")
    Path save;

    @Option(names = "--profile", description = "Time every op, forward and backward, and print the breakdown after training.")
    boolean profile;

    @Option(names = "--no-jit-warmup",
            description = "Do not train a throwaway copy of the model on random data while the data set loads (that"
                    + " lets the JIT compile the kernels before the first epoch; it changes no result).")
    boolean noJitWarmup;

    @Option(names = "--log-every", defaultValue = "100", paramLabel = "N", description = "Print the loss every N batches (default: ${DEFAULT-VALUE}).")
    int logEvery;

    @Option(names = "--random-crop", defaultValue = "0", paramLabel = "PAD",
            description = "Augment training images: pad by PAD pixels and crop back at a random offset (e.g. 4 for CIFAR; default: off).")
    int randomCrop;

    @Option(names = "--hflip", description = "Augment training images: mirror left-right with probability 1/2.")
    boolean hflip;

    @Option(names = "--out", paramLabel = "DIR", description = "The run directory (default: runs/<dataset>-<model>-<timestamp>).")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue the run in DIR from its last checkpoint up to --epochs, with its recorded options.")
    Path resume;

    @Option(names = "--stop-after", paramLabel = "EPOCH", description = "Stop after this epoch, as if interrupted; continue later with --resume.")
    Integer stopAfter;

    @Override
    public Integer call() throws IOException {
        PrintWriter pw = spec.commandLine().getOut();
        TrainOptions options;
        RunDirectory run;
        Checkpoints.Restored restored = null;
        if (resume != null) {
            checkResumeOptions();
            run = RunDirectory.open(resume);
            TrainOptions recorded = run.readOptions();
            var parsed = spec.commandLine().getParseResult();
            options = recorded.withRuntime(threads != null ? threads : recorded.threads(),
                    parsed.hasMatchedOption("--log-every") ? logEvery : recorded.logEvery(),
                    parsed.hasMatchedOption("--data-dir") ? data.dataDir.toString() : recorded.dataDir());
            if (parsed.hasMatchedOption("--epochs") && epochs != recorded.epochs()) {
                if (recorded.scheduler().equals("cosine") || recorded.scheduler().equals("onecycle")) {
                    throw new Main.UserError("--resume: the run's " + recorded.scheduler() + " schedule spans its "
                            + recorded.epochs() + " epochs; it cannot be continued to " + epochs);
                }
                options = options.withEpochs(epochs);
            }
            restored = Checkpoints.readLatest(resume); // fails before anything is written
            if (options.threads() != recorded.threads()) {
                pw.printf("Note: %d threads instead of the run's %d; results will not be bit-identical to an "
                        + "uninterrupted run%n", options.threads(), recorded.threads());
            }
        } else {
            validate();
            options = effectiveOptions();
            run = null;
        }
        DatasetOptions dataset = data.recorded(options); // a resumed run reads its data as it was recorded

        pw.println("Using device: cpu");
        pw.printf("Threads: %d, Java %s%n", options.threads(), Runtime.version().feature());
        Main.setThreads(options.threads(), pw);
        pw.println("Loading " + dataset.displayName() + " dataset...");
        pw.flush();
        DatasetOptions.Splits splits = loadWhileWarmingUp(dataset, options, pw);
        ImageDataset train = splits.train();
        ImageDataset test = splits.test();
        if (options.trainLimit() != null) {
            train = train.subset(options.trainLimit());
        }
        if (options.testLimit() != null) {
            test = test.subset(options.testLimit());
        }
        pw.printf("Dataset size: %d images, image size: [%d, %d, %d], number of classes: %d%n",
                train.size(), train.channels(), train.height(), train.width(), train.numClasses());
        Dataset trainSet = train;
        Dataset valSet = null;
        if (options.valSplit() > 0) {
            List<Subset> split;
            try {
                split = Datasets.trainValidationSplit(train, options.valSplit(), options.seed());
            } catch (IllegalArgumentException e) {
                throw new Main.UserError("--val-split: " + e.getMessage());
            }
            trainSet = split.get(0);
            valSet = split.get(1);
            pw.printf("Validation split: %d images for training, %d for validation%n", trainSet.size(), valSet.size());
        }

        Generator.manualSeed(options.seed());
        Models.Entry entry = Models.get(options.model());
        Module model = entry.create(train.channels(), train.height(), train.width(), train.numClasses());
        if (options.weights() != null && restored == null) {
            loadWeights(model, Path.of(options.weights()));
            pw.println("Loaded weights from " + options.weights());
        }
        pw.printf(Locale.ROOT, "Model: %s, %,d parameters%n", entry.className(), model.numParameters());

        // The shuffle stream is separate from the initialisation stream, so --weights does not change the order.
        Generator shuffle = new Generator(options.seed() ^ 0x5DEECE66DL);
        // Augmentation draws from the same generator, after the permutation, so one state resumes both.
        DataLoader loader = new DataLoader(trainSet, options.batchSize(), options.shuffle(), shuffle,
                new Augmentation(options.randomCrop(), options.hflip()), DataLoader.defaultPrefetch());
        Optimizer opt = newOptimizer(model, options);
        LRScheduler schedule = newScheduler(opt, options, loader.numBatches());
        boolean perBatch = schedule != null && !options.scheduler().equals("step");
        Trainer trainer = new Trainer(model, opt, new CrossEntropyLoss((float) options.labelSmoothing()),
                perBatch ? schedule : null);

        List<EpochMetrics> history = new ArrayList<>();
        double bestVal = Double.NaN;
        int bestEpoch = 0;
        int startEpoch = 1;
        if (restored != null) {
            applyCheckpoint(restored, model, opt, schedule, shuffle);
            history.addAll(restored.state().history());
            bestVal = restored.state().bestValAccuracy();
            bestEpoch = restored.state().bestEpoch();
            startEpoch = restored.state().epoch() + 1;
            int deleted = AtomicFiles.deleteLeftovers(run.path());
            pw.printf("Resuming %s from epoch %d (%s)%s%n", run.path(), restored.state().epoch(),
                    restored.file().getFileName(), deleted > 0 ? ", removed " + deleted + " unfinished temporary file(s)" : "");
            if (startEpoch > options.epochs()) {
                pw.printf("The run already has %d epoch(s); pass a larger --epochs to continue it.%n", restored.state().epoch());
            }
        } else {
            run = RunDirectory.create(out, dataset.stem(), entry.className());
            run.writeConfig(options, List.of(spec.commandLine().getParseResult().originalArgs().toArray(String[]::new)));
        }
        pw.println("Run directory: " + run.path());
        ModelFile description = new ModelFile(entry.className(), train.channels(), train.height(), train.width(),
                train.classes(), train.transform().mean(), train.transform().std(), options.dataset(), options.seed(),
                0, Map.of());

        int remaining = options.epochs() - startEpoch + 1;
        if (remaining > 0) {
            pw.println("Training for " + remaining + (remaining == 1 ? " epoch..." : " epochs..."));
        }
        pw.flush();
        boolean terminal = isSystemOut() && ProgressBar.stdoutIsTerminal();
        int endEpoch = stopAfter == null ? options.epochs() : Math.min(stopAfter, options.epochs());
        for (int epoch = startEpoch; epoch <= endEpoch; epoch++) {
            ProgressBar bar = new ProgressBar(pw, terminal, options.logEvery(), loader.numBatches(),
                    String.format(Locale.ROOT, "Epoch %d/%d", epoch, options.epochs()));
            Trainer.EpochResult result;
            Profiler.reset();
            Profiler.setEnabled(profile);
            try {
                result = trainer.trainEpoch(loader, bar::onBatch);
            } catch (Trainer.NonFiniteLossException e) {
                bar.finish();
                throw new Main.UserError("epoch " + epoch + ", batch " + e.batch() + ": " + e.getMessage()
                        + (epoch > 1 ? "; the checkpoint of epoch " + (epoch - 1) + " in " + run.path() + " is intact" : ""));
            }
            bar.finish();
            Profiler.setEnabled(false);
            if (profile) {
                pw.printf(Locale.ROOT, "Profile of epoch %d (wall time %.2f s):%n", epoch, result.seconds());
                ProfileReport.print(pw, result.seconds());
            }
            if (schedule != null && !perBatch) {
                schedule.step();
            }
            Trainer.Evaluation val = valSet == null ? null : Trainer.evaluate(model, new DataLoader(valSet, 256, false, null));
            EpochMetrics m = new EpochMetrics(epoch, result.meanLoss(), result.accuracy(),
                    val == null ? Double.NaN : val.meanLoss(), val == null ? Double.NaN : val.accuracy(), opt.lr(),
                    result.seconds(), result.imagesPerSecond());
            history.add(m);
            pw.println(epochLine(m, options.epochs()));

            Map<String, Object> metrics = metricsOf(m);
            if (val != null && (bestEpoch == 0 || val.accuracy() > bestVal)) {
                bestVal = val.accuracy();
                bestEpoch = epoch;
                withEpoch(description, epoch, metrics).write(run.resolve(RunDirectory.BEST), model);
            }
            TrainingState state = new TrainingState(epoch, opt.lr(), schedule == null ? null : schedule.state(),
                    opt.state().counters(), shuffle.state(), Generator.defaultGenerator().state(), history,
                    bestVal, bestEpoch);
            Checkpoints.write(run.path(), state, model, opt);
            withEpoch(description, epoch, metrics).write(run.resolve(RunDirectory.MODEL), model);
            run.writeMetrics(history);
            pw.flush();
        }
        if (endEpoch < options.epochs()) {
            pw.printf("Stopped after epoch %d of %d (--stop-after); continue with --resume %s%n", endEpoch,
                    options.epochs(), run.path());
            pw.flush();
            return 0;
        }
        pw.println("Training finished!");

        Trainer.Evaluation eval = Trainer.evaluate(model, new DataLoader(test, 256, false, null));
        pw.printf(Locale.ROOT, "Test accuracy: %.2f%% (%d/%d)%n", 100 * eval.accuracy(), eval.correct(), eval.total());
        int lastEpoch = history.isEmpty() ? 0 : history.get(history.size() - 1).epoch();
        Map<String, Object> finalMetrics = history.isEmpty() ? new LinkedHashMap<>() : metricsOf(history.get(history.size() - 1));
        finalMetrics.put("test_accuracy", eval.accuracy());
        finalMetrics.put("test_loss", eval.meanLoss());
        ModelFile last = withEpoch(description, lastEpoch, finalMetrics);
        last.write(run.resolve(RunDirectory.MODEL), model);
        if (!history.isEmpty()) {
            run.writeMetrics(history);
        }
        if (bestEpoch > 0) {
            pw.printf(Locale.ROOT, "Best validation accuracy: %.2f%% (epoch %d), saved to %s%n", 100 * bestVal, bestEpoch,
                    run.resolve(RunDirectory.BEST));
        }
        pw.println("Saved model to " + run.resolve(RunDirectory.MODEL));
        if (save != null) {
            last.write(save, model);
            pw.println("Saved weights to " + save);
        }
        pw.flush();
        return 0;
    }

    /**
     * Loads the data set; meanwhile, unless {@code --no-jit-warmup}, this thread trains a throwaway copy of the model
     * on random data of the expected shape so that the JIT compiles the kernels while the other core loads
     * ({@link JitWarmup}). The warm-up stops when loading is done (it adds at most the step in progress) and runs
     * before the real model is seeded and built, so no result changes.
     */
    private DatasetOptions.Splits loadWhileWarmingUp(DatasetOptions dataset, TrainOptions options, PrintWriter pw)
            throws IOException {
        int[] shape = dataset.expectedImageShape();
        if (noJitWarmup || shape == null) {
            return dataset.load(spec, pw, options.seed());
        }
        FutureTask<DatasetOptions.Splits> loading = new FutureTask<>(() -> dataset.load(spec, pw, options.seed()));
        Thread loader = new Thread(loading, "simpletorch-load");
        loader.setDaemon(true);
        loader.start();
        JitWarmup.Result warm = null;
        try {
            int classes = dataset.expectedClasses();
            Module throwaway = Models.get(options.model()).create(shape[0], shape[1], shape[2], classes);
            Trainer trainer = new Trainer(throwaway, newOptimizer(throwaway, options),
                    new CrossEntropyLoss((float) options.labelSmoothing()), null);
            warm = JitWarmup.run(trainer, options.batchSize(), shape, classes, JitWarmup.DEFAULT_MAX_STEPS,
                    loading::isDone);
        } catch (RuntimeException e) {
            // A model that does not fit the expected shape: no warm-up; the real model reports the problem.
        }
        DatasetOptions.Splits splits;
        try {
            splits = loading.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while loading " + dataset.displayName(), e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IOException(cause);
        }
        if (profile && warm != null) {
            pw.printf(Locale.ROOT, "JIT warm-up while loading: %d throwaway step%s in %.2f s%n", warm.steps(),
                    warm.steps() == 1 ? "" : "s", warm.seconds());
        }
        return splits;
    }

    /** Whether this command prints to the process's standard output (tests give it a StringWriter). */
    private boolean isSystemOut() {
        return spec.commandLine().getOut() == Main.STDOUT;
    }

    private static ModelFile withEpoch(ModelFile d, int epoch, Map<String, Object> metrics) {
        return new ModelFile(d.model(), d.channels(), d.height(), d.width(), d.classes(), d.mean(), d.std(), d.dataset(),
                d.datasetSeed(), epoch, metrics);
    }

    private static Map<String, Object> metricsOf(EpochMetrics m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("train_loss", m.trainLoss());
        out.put("train_accuracy", m.trainAccuracy());
        if (m.hasValidation()) {
            out.put("val_loss", m.valLoss());
            out.put("val_accuracy", m.valAccuracy());
        }
        out.put("lr", m.lr());
        return out;
    }

    static String epochLine(EpochMetrics m, int epochs) {
        String val = m.hasValidation()
                ? String.format(Locale.ROOT, " | val loss %.4f, acc %.2f%%", m.valLoss(), 100 * m.valAccuracy())
                : "";
        return String.format(Locale.ROOT, "Epoch [%d/%d] train loss %.4f, acc %.2f%%%s | lr %.6g | %.1f s, %.0f images/s",
                m.epoch(), epochs, m.trainLoss(), 100 * m.trainAccuracy(), val, m.lr(), m.seconds(), m.imagesPerSecond());
    }

    private void applyCheckpoint(Checkpoints.Restored r, Module model, Optimizer opt, LRScheduler schedule,
                                 Generator shuffle) {
        TrainingState s = r.state();
        if ((schedule == null) != (s.scheduler() == null)) {
            throw new Main.UserError("--resume: " + r.file() + " does not match config.json's schedule");
        }
        try {
            model.loadStateDict(r.model(), true);
            opt.loadState(r.optimizer());
        } catch (IllegalArgumentException e) {
            throw new Main.UserError("--resume: " + r.file() + " does not fit the run's model and optimizer: " + e.getMessage());
        }
        opt.setLr(s.lr());
        if (schedule != null) {
            schedule.loadState(s.scheduler());
        }
        shuffle.setState(s.shuffleGeneratorState());
        Generator.defaultGenerator().setState(s.defaultGeneratorState());
    }

    static Optimizer newOptimizer(Module model, TrainOptions o) {
        return switch (o.optimizer()) {
            case "sgd" -> new SGD(model.parameters(), new SGD.Options(o.lr(), o.momentum(), 0, o.weightDecay(), o.nesterov()));
            case "adam" -> new Adam(model.parameters(), new Adam.Options(o.lr(), o.beta1(), o.beta2(), o.eps(), o.weightDecay()));
            case "adamw" -> new AdamW(model.parameters(), new Adam.Options(o.lr(), o.beta1(), o.beta2(), o.eps(), o.weightDecay()));
            default -> throw new Main.UserError("unknown optimizer '" + o.optimizer() + "'");
        };
    }

    /** The schedule, or null; its length is counted in optimiser steps (batches) except for step, in epochs. */
    static LRScheduler newScheduler(Optimizer opt, TrainOptions o, int batchesPerEpoch) {
        int total = o.epochs() * batchesPerEpoch;
        return switch (o.scheduler()) {
            case "none" -> null;
            case "step" -> new StepLR(opt, o.stepSize(), o.gamma());
            case "cosine" -> new CosineWithWarmup(opt, o.warmupEpochs() * batchesPerEpoch, total);
            case "onecycle" -> new OneCycleLR(opt, new OneCycleLR.Options(o.maxLr(), total, 0.3, 25, 1e4,
                    true, 0.85, 0.95));
            default -> throw new Main.UserError("unknown scheduler '" + o.scheduler() + "'");
        };
    }

    private TrainOptions effectiveOptions() {
        double wd = weightDecay != null ? weightDecay : optimizer.equals("adamw") ? 0.01 : 0;
        // An image folder is recorded by its absolute path, so evaluate and --resume find it from anywhere.
        String datasetName = data.folder() == null ? data.dataset : "folder:" + data.folder().toAbsolutePath().normalize();
        return new TrainOptions(datasetName, data.dataDir.toString(), data.labels, data.imageSize, data.channels,
                data.testFraction, randomCrop, hflip, epochs, batchSize, optimizer, lr, momentum, nesterov,
                wd, beta1, beta2, eps, scheduler, stepSize, gamma, warmupEpochs, maxLr != null ? maxLr : lr,
                labelSmoothing, valSplit, seed, threads != null ? threads : Parallel.threads(), !noShuffle, trainLimit,
                testLimit, weights == null ? null : weights.toString(), logEvery, Models.get(model).name());
    }

    private void checkResumeOptions() {
        require(epochs >= 1, "--epochs must be >= 1, got " + epochs);
        require(threads == null || threads >= 1, "--threads must be >= 1, got " + threads);
        require(logEvery >= 1, "--log-every must be >= 1, got " + logEvery);
        require(stopAfter == null || stopAfter >= 1, "--stop-after must be >= 1, got " + stopAfter);
        List<String> others = new ArrayList<>();
        for (var o : spec.commandLine().getParseResult().matchedOptions()) {
            if (!RESUME_OPTIONS.contains(o.longestName())) {
                others.add(o.longestName());
            }
        }
        require(others.isEmpty(), "--resume continues a run with the options in its config.json; only --epochs, "
                + "--threads, --log-every, --data-dir, --profile, --no-jit-warmup and the download options may be given with it,"
                + " got " + String.join(", ", others));
    }

    /** Rejects bad values before any work is done, so a typo does not cost a training run. */
    private void validate() {
        data.validate(spec);
        require(randomCrop >= 0 && randomCrop <= 64, "--random-crop must be in [0, 64], got " + randomCrop);
        require(epochs >= 1, "--epochs must be >= 1, got " + epochs);
        require(Models.names().contains(model), "--model must be one of " + String.join(", ", Models.names())
                + ", got '" + model + "'");
        require(batchSize >= 1, "--batch-size must be >= 1, got " + batchSize);
        require(lr >= 0 && Double.isFinite(lr), "--lr must be a finite number >= 0, got " + lr);
        require(List.of("sgd", "adam", "adamw").contains(optimizer), "--optimizer must be sgd, adam or adamw, got '" + optimizer + "'");
        require(momentum >= 0 && momentum < 1, "--momentum must be in [0, 1), got " + momentum);
        require(momentum == 0 || optimizer.equals("sgd"), "--momentum applies to sgd; Adam's momentum is --beta1");
        require(!nesterov || optimizer.equals("sgd"), "--nesterov applies to sgd only");
        require(!nesterov || momentum > 0, "--nesterov needs --momentum > 0");
        require(weightDecay == null || (weightDecay >= 0 && Double.isFinite(weightDecay)), "--weight-decay must be >= 0, got " + weightDecay);
        require(beta1 >= 0 && beta1 < 1, "--beta1 must be in [0, 1), got " + beta1);
        require(beta2 >= 0 && beta2 < 1, "--beta2 must be in [0, 1), got " + beta2);
        require(eps >= 0 && Double.isFinite(eps), "--eps must be >= 0, got " + eps);
        require(List.of("none", "step", "cosine", "onecycle").contains(scheduler),
                "--scheduler must be none, step, cosine or onecycle, got '" + scheduler + "'");
        require(stepSize >= 1, "--step-size must be >= 1, got " + stepSize);
        require(gamma > 0 && Double.isFinite(gamma), "--gamma must be > 0, got " + gamma);
        require(warmupEpochs >= 0 && warmupEpochs <= epochs, "--warmup-epochs must be in [0, --epochs], got " + warmupEpochs);
        require(maxLr == null || (maxLr > 0 && Double.isFinite(maxLr)), "--max-lr must be > 0, got " + maxLr);
        require(!scheduler.equals("onecycle") || maxLr != null || lr > 0, "--scheduler onecycle needs --max-lr or --lr > 0");
        require(labelSmoothing >= 0 && labelSmoothing < 1, "--label-smoothing must be in [0, 1), got " + labelSmoothing);
        require(valSplit >= 0 && valSplit < 1, "--val-split must be in [0, 1), got " + valSplit);
        require(threads == null || threads >= 1, "--threads must be >= 1, got " + threads);
        require(trainLimit == null || trainLimit >= 1, "--train-limit must be >= 1, got " + trainLimit);
        require(testLimit == null || testLimit >= 1, "--test-limit must be >= 1, got " + testLimit);
        require(logEvery >= 1, "--log-every must be >= 1, got " + logEvery);
        require(stopAfter == null || stopAfter >= 1, "--stop-after must be >= 1, got " + stopAfter);
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
        if (out != null && (Files.exists(out.resolve(RunDirectory.CONFIG)) || Files.exists(out.resolve(Checkpoints.POINTER)))) {
            throw new Main.UserError("--out: " + out + " already holds a run; continue it with --resume " + out
                    + " or choose another directory");
        }
    }

    private static void loadWeights(Module model, Path file) throws IOException {
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
