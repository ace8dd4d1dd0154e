package simpletorch.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads MNIST and Fashion-MNIST from their four IDX files ({@code train-images-idx3-ubyte},
 * {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}, each plain
 * or with {@code .gz}), searching the directories of {@link #searchPath} in order. Images are
 * {@code [1, 28, 28]} under {@link Normalize#tutorial}{@code (1)}.
 */
public final class MnistDatasets {

    /** Which of the two IDX data sets. */
    public enum Kind {
        MNIST("MNIST", "mnist", "MNIST", List.of(),
                List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")),
        FASHION_MNIST("Fashion-MNIST", "fashion-mnist", "FashionMNIST",
                List.of(Path.of("/usr/share/datasets/fashion-mnist")),
                List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"));

        private final String displayName;
        private final String dirName;
        private final String torchvisionDirName;
        private final List<Path> systemDirs;
        private final List<String> classes;

        Kind(String displayName, String dirName, String torchvisionDirName, List<Path> systemDirs,
             List<String> classes) {
            this.displayName = displayName;
            this.dirName = dirName;
            this.torchvisionDirName = torchvisionDirName;
            this.systemDirs = systemDirs;
            this.classes = classes;
        }

        public String displayName() {
            return displayName;
        }

        /** The class names in label order. */
        public List<String> classes() {
            return classes;
        }
    }

    private MnistDatasets() {
    }

    /**
     * The directories searched, in order: {@code <dataDir>/mnist/} or {@code <dataDir>/fashion-mnist/};
     * torchvision's {@code <dataDir>/MNIST/raw/} or {@code <dataDir>/FashionMNIST/raw/}; {@code <dataDir>/};
     * and for Fashion-MNIST {@code /usr/share/datasets/fashion-mnist/} (Debian's {@code dataset-fashion-mnist}).
     */
    public static List<Path> searchPath(Kind kind, Path dataDir) {
        List<Path> dirs = new ArrayList<>();
        dirs.add(dataDir.resolve(kind.dirName));
        dirs.add(dataDir.resolve(kind.torchvisionDirName).resolve("raw"));
        dirs.add(dataDir);
        dirs.addAll(kind.systemDirs);
        return dirs;
    }

    /**
     * Loads the training set (60,000 images) or the test set (10,000) from the first directory in
     * {@link #searchPath} that holds both files of the split.
     *
     * @throws DatasetNotFoundException if no directory has them
     * @throws DatasetFormatException   if the files found are malformed
     */
    public static ImageDataset load(Kind kind, Path dataDir, boolean train) throws IOException {
        String prefix = train ? "train" : "t10k";
        String imagesName = prefix + "-images-idx3-ubyte";
        String labelsName = prefix + "-labels-idx1-ubyte";
        String split = train ? "train" : "test";
        List<Path> dirs = searchPath(kind, dataDir);
        for (Path dir : dirs) {
            Path images = find(dir, imagesName);
            Path labels = find(dir, labelsName);
            if (images != null && labels != null) {
                return Idx.load(kind.displayName + " " + split, images, labels, kind.classes);
            }
        }
        throw new DatasetNotFoundException(kind.displayName + " (" + split + ")",
                imagesName + "[.gz] and " + labelsName + "[.gz]", dirs, fix(kind, dataDir));
    }

    /** The plain file if present, else the gzipped one, else null. */
    private static Path find(Path dir, String name) {
        for (Path p : List.of(dir.resolve(name), dir.resolve(name + ".gz"))) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    private static String fix(Kind kind, Path dataDir) {
        Path target = dataDir.resolve(kind.dirName);
        return switch (kind) {
            case FASHION_MNIST -> "To fix: run `apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or put the four"
                    + " IDX files (gzipped or not) from https://github.com/zalandoresearch/fashion-mnist into "
                    + target + "/.";
            case MNIST -> "To fix: put the four IDX files (gzipped or not), e.g. from torchvision's mirror"
                    + " https://ossci-datasets.s3.amazonaws.com/mnist/, into " + target + "/.";
        };
    }
}
