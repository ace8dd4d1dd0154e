package simpletorch.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import simpletorch.cli.download.DatasetSource;
import simpletorch.cli.download.DownloadException;
import simpletorch.cli.download.Downloader;
import simpletorch.data.Cifar100;
import simpletorch.data.DatasetFormatException;
import simpletorch.data.DatasetNotFoundException;
import simpletorch.data.ImageDataset;
import simpletorch.data.ImageFolder;

/**
 * The data-set options shared by {@code train} and {@code show-dataset} (a picocli mixin), and loading both
 * splits with them: built-in sets are downloaded when missing (unless {@code --no-download}), image folders are
 * decoded and split.
 */
final class DatasetOptions {
    /** The environment variable that sets {@code --mirror}. */
    static final String MIRROR_ENV = "SIMPLETORCH_MIRROR";

    @Option(names = "--dataset", defaultValue = "cifar10", paramLabel = "NAME",
            description = "cifar10, cifar100, fashion-mnist, mnist, fake, or folder:PATH for your own images"
                    + " (PATH/<class>/*.png|*.jpg, optionally under PATH/train and PATH/test) (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Option(names = "--data-dir", defaultValue = "data", description = "Where data sets are looked for and downloaded to (default: ./${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--no-download", description = "Never download; fail if the files are not in --data-dir.")
    boolean noDownload;

    @Option(names = "--mirror", paramLabel = "URL",
            description = "Base URL that serves the same file names as the official hosts (default: $" + MIRROR_ENV + " if set). Checksums are checked whatever the source.")
    String mirror;

    @Option(names = "--download-attempts", defaultValue = "5", paramLabel = "N", description = "Tries per file before giving up (default: ${DEFAULT-VALUE}).")
    int downloadAttempts;

    @Option(names = "--labels", defaultValue = "fine", paramLabel = "fine|coarse",
            description = "CIFAR-100: the 100 fine classes or the 20 coarse superclasses (default: ${DEFAULT-VALUE}).")
    String labels;

    @Option(names = "--image-size", defaultValue = "32", paramLabel = "N", description = "folder: side of the square images after resize and centre crop (default: ${DEFAULT-VALUE}).")
    int imageSize;

    @Option(names = "--channels", defaultValue = "3", paramLabel = "3|1", description = "folder: 3 for RGB, 1 for greyscale (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--test-fraction", defaultValue = "0.2", paramLabel = "F", description = "folder without train/ and test/: share of each class held out for test (default: ${DEFAULT-VALUE}).")
    double testFraction;

    /**
     * These options with the data set of a recorded run (dataset, data directory, labels, image size, channels,
     * test fraction) and this command line's download settings.
     */
    DatasetOptions recorded(TrainOptions o) {
        DatasetOptions d = new DatasetOptions();
        d.dataset = o.dataset();
        d.dataDir = Path.of(o.dataDir());
        d.labels = o.labels() == null ? "fine" : o.labels();
        d.imageSize = o.imageSize() > 0 ? o.imageSize() : imageSize;
        d.channels = o.channels() > 0 ? o.channels() : channels;
        d.testFraction = o.testFraction();
        d.noDownload = noDownload;
        d.mirror = mirror;
        d.downloadAttempts = downloadAttempts;
        return d;
    }

    /** Both splits of the chosen data set. */
    record Splits(ImageDataset train, ImageDataset test) {
    }

    /** Checks the values; a bad one is a usage error (exit code 2). */
    void validate(CommandSpec spec) {
        if (folder() == null) {
            choice(spec);
        } else if (dataset.length() == "folder:".length()) {
            throw new ParameterException(spec.commandLine(), "--dataset folder:PATH needs a PATH, got '" + dataset + "'");
        }
        if (!labels.equals("fine") && !labels.equals("coarse")) {
            throw new ParameterException(spec.commandLine(), "--labels must be fine or coarse, got '" + labels + "'");
        }
        if (imageSize < 1 || imageSize > 1024) {
            throw new ParameterException(spec.commandLine(), "--image-size must be in [1, 1024], got " + imageSize);
        }
        if (channels != 1 && channels != 3) {
            throw new ParameterException(spec.commandLine(), "--channels must be 1 or 3, got " + channels);
        }
        if (!(testFraction >= 0 && testFraction < 1)) {
            throw new ParameterException(spec.commandLine(), "--test-fraction must be in [0, 1), got " + testFraction);
        }
        if (downloadAttempts < 1) {
            throw new ParameterException(spec.commandLine(), "--download-attempts must be >= 1, got " + downloadAttempts);
        }
    }

    /** The image folder of {@code folder:PATH}, else null. */
    Path folder() {
        return dataset.startsWith("folder:") ? Path.of(dataset.substring("folder:".length())) : null;
    }

    private DatasetChoice choice(CommandSpec spec) {
        try {
            return new DatasetChoice.Converter().convert(dataset);
        } catch (picocli.CommandLine.TypeConversionException e) {
            throw new ParameterException(spec.commandLine(), "--dataset: " + e.getMessage());
        }
    }

    /**
     * The shape every image will have, [channels, height, width], known before loading (an image folder's images are
     * resized to it); null if this is not a valid choice.
     */
    int[] expectedImageShape() {
        if (folder() != null) {
            return new int[] {channels, imageSize, imageSize};
        }
        try {
            return new DatasetChoice.Converter().convert(dataset).imageShape();
        } catch (picocli.CommandLine.TypeConversionException e) {
            return null;
        }
    }

    /** The number of classes if known before loading; for an image folder, a guess (10). */
    int expectedClasses() {
        if (folder() != null) {
            return 10;
        }
        DatasetChoice c = new DatasetChoice.Converter().convert(dataset);
        return c == DatasetChoice.CIFAR100 && labels.equals("coarse") ? Cifar100.COARSE_CLASSES.size() : c.numClasses();
    }

    /** For messages: {@code CIFAR-10}, {@code image folder pets}, ... */
    String displayName() {
        Path f = folder();
        if (f != null) {
            return "image folder " + f;
        }
        DatasetChoice c = new DatasetChoice.Converter().convert(dataset);
        return c == DatasetChoice.CIFAR100 && labels.equals("coarse") ? "CIFAR-100 (coarse labels)" : c.displayName;
    }

    /** A name for files and metadata: the option value ({@code cifar10}), or the folder's name. */
    String stem() {
        Path f = folder();
        if (f == null) {
            return dataset;
        }
        Path name = f.toAbsolutePath().normalize().getFileName();
        return name == null ? "folder" : name.toString().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]+", "_");
    }

    /**
     * Loads both splits, downloading a built-in data set first when it is missing (or damaged and ours to repair)
     * and downloading is allowed.
     *
     * @param seed seeds the image folder's split and the fake data
     */
    Splits load(CommandSpec spec, PrintWriter out, long seed) throws IOException {
        Path f = folder();
        if (f != null) {
            ImageFolder.Result r = ImageFolder.load(f, new ImageFolder.Options(channels, imageSize, testFraction, seed),
                    line -> {
                        out.println("warning: " + line);
                        out.flush();
                    });
            if (!r.skipped().isEmpty()) {
                out.println("Skipped " + r.skipped().size() + " unreadable image file"
                        + (r.skipped().size() == 1 ? "" : "s") + ".");
            }
            return new Splits(r.train(), r.test());
        }
        DatasetChoice c = choice(spec);
        DatasetSource source = source(c);
        try {
            return loadBuiltIn(c, seed);
        } catch (DatasetNotFoundException | DatasetFormatException e) {
            if (source == null) {
                throw e;
            }
            if (noDownload) {
                if (e instanceof DatasetNotFoundException) {
                    throw new IOException(e.getMessage() + "\n(Not downloaded because of --no-download; without it the"
                            + " files are fetched into " + dataDir + ".)", e);
                }
                throw e;
            }
            boolean changed;
            try {
                changed = source.ensure(dataDir, downloader(out), out);
            } catch (DownloadException d) {
                throw new DownloadException(source.displayName() + " is not in " + dataDir + " and could not be"
                        + " downloaded: " + d.getMessage(), d);
            }
            if (!changed) {
                throw e; // the files we manage are fine, so the problem is elsewhere (e.g. a file the user put there)
            }
            return loadBuiltIn(c, seed);
        }
    }

    private Splits loadBuiltIn(DatasetChoice c, long seed) throws IOException {
        if (c == DatasetChoice.CIFAR100) {
            Cifar100.Labels l = labels.equals("coarse") ? Cifar100.Labels.COARSE : Cifar100.Labels.FINE;
            return new Splits(Cifar100.load(dataDir, true, l), Cifar100.load(dataDir, false, l));
        }
        return new Splits(c.load(dataDir, true, seed), c.load(dataDir, false, seed));
    }

    /** Where a built-in data set is downloaded from; null for those that are not downloaded. */
    static DatasetSource source(DatasetChoice c) {
        return switch (c) {
            case CIFAR10 -> DatasetSource.cifar10();
            case CIFAR100 -> DatasetSource.cifar100();
            case MNIST -> DatasetSource.mnist();
            case FASHION_MNIST -> DatasetSource.fashionMnist();
            case FAKE -> null;
        };
    }

    Downloader downloader(PrintWriter out) {
        String m = mirror != null ? mirror : System.getenv(MIRROR_ENV);
        if (m != null && m.isBlank()) {
            m = null;
        }
        boolean terminal = System.console() != null;
        return new Downloader(m, new Downloader.Retry(downloadAttempts, Duration.ofSeconds(2), Duration.ofSeconds(60)), out, terminal);
    }
}
