package simpletorch.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reader for the binary version of CIFAR-100 (https://www.cs.toronto.edu/~kriz/cifar.html): {@code train.bin}
 * (50,000 records) and {@code test.bin} (10,000), each record 3,074 bytes: the coarse label (0-19), the fine
 * label (0-99), then 3,072 pixel bytes in CHW order as in {@link Cifar10}. Fine labels (100 classes) are used
 * unless the 20 coarse superclasses are asked for. Class names come from {@code fine_label_names.txt} /
 * {@code coarse_label_names.txt} in the data directory if present.
 */
public final class Cifar100 {
    public static final int IMAGE_BYTES = Cifar10.IMAGE_BYTES;            // 3072
    public static final int RECORD_BYTES = 2 + IMAGE_BYTES;               // 3074
    public static final int TRAIN_RECORDS = 50_000;
    public static final int TEST_RECORDS = 10_000;
    public static final String DIR_NAME = "cifar-100-binary";

    /** Which label of a record to use. */
    public enum Labels {
        FINE, COARSE
    }

    public static final List<String> FINE_CLASSES = List.of("apple", "aquarium_fish", "baby", "bear", "beaver",
            "bed", "bee", "beetle", "bicycle", "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can",
            "castle", "caterpillar", "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab",
            "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster",
            "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man",
            "maple_tree", "motorcycle", "mountain", "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter",
            "palm_tree", "pear", "pickup_truck", "pine_tree", "plain", "plate", "poppy", "porcupine", "possum",
            "rabbit", "raccoon", "ray", "road", "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk",
            "skyscraper", "snail", "snake", "spider", "squirrel", "streetcar", "sunflower", "sweet_pepper", "table",
            "tank", "telephone", "television", "tiger", "tractor", "train", "trout", "tulip", "turtle", "wardrobe",
            "whale", "willow_tree", "wolf", "woman", "worm");
    public static final List<String> COARSE_CLASSES = List.of("aquatic_mammals", "fish", "flowers",
            "food_containers", "fruit_and_vegetables", "household_electrical_devices", "household_furniture",
            "insects", "large_carnivores", "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
            "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people", "reptiles",
            "small_mammals", "trees", "vehicles_1", "vehicles_2");

    private Cifar100() {
    }

    /** The directories searched, in order: {@code <dataDir>/cifar-100-binary/}, then {@code <dataDir>/}. */
    public static List<Path> searchPath(Path dataDir) {
        return List.of(dataDir.resolve(DIR_NAME), dataDir);
    }

    /**
     * Loads {@code train.bin} (50,000 images) or {@code test.bin} (10,000) from the first directory of
     * {@link #searchPath} that holds it.
     *
     * @throws DatasetNotFoundException if no directory holds the file
     * @throws DatasetFormatException   if the file has the wrong length or a label out of range
     */
    public static ImageDataset load(Path dataDir, boolean train, Labels labels) throws IOException {
        String fileName = train ? "train.bin" : "test.bin";
        String name = "CIFAR-100 " + (train ? "train" : "test");
        List<Path> dirs = searchPath(dataDir);
        for (Path dir : dirs) {
            Path file = dir.resolve(fileName);
            if (Files.isRegularFile(file)) {
                List<String> classes = readClassNames(dir, labels);
                Records r = read(file, train ? TRAIN_RECORDS : TEST_RECORDS, labels);
                return new ImageDataset(name, r.pixels, r.labels, 3, 32, 32, classes, Normalize.tutorial(3));
            }
        }
        throw new DatasetNotFoundException(name, fileName, dirs,
                "To fix: download https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz (CIFAR-100 binary version,"
                        + " MD5 03b5dce01913d631647c71ecec9e9cb8) and extract it into " + dataDir
                        + " so that " + dataDir.resolve(DIR_NAME) + "/ exists.");
    }

    /**
     * Reads one file that must hold exactly {@code records} records, with the default class names. Both labels of
     * every record are checked, whichever is kept.
     *
     * @throws DatasetFormatException naming the file if its length is not {@code records * 3074} or a label is
     *                                out of range
     */
    public static ImageDataset readFile(Path file, int records, Labels labels) throws IOException {
        Records r = read(file, records, labels);
        return new ImageDataset("CIFAR-100 " + file.getFileName(), r.pixels, r.labels, 3, 32, 32,
                labels == Labels.COARSE ? COARSE_CLASSES : FINE_CLASSES, Normalize.tutorial(3));
    }

    private record Records(byte[] pixels, int[] labels) {
    }

    private static Records read(Path file, int records, Labels labels) throws IOException {
        if (records <= 0) {
            throw new IllegalArgumentException("records must be > 0, got " + records);
        }
        long expected = (long) records * RECORD_BYTES;
        long actual = Files.size(file);
        if (actual != expected) {
            throw new DatasetFormatException(file, "expected " + expected + " bytes (" + records + " records of "
                    + RECORD_BYTES + " bytes), got " + actual);
        }
        byte[] pixels = new byte[records * IMAGE_BYTES];
        int[] kept = new int[records];
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            for (int r = 0; r < records; r++) {
                int coarse = in.read();
                int fine = in.read();
                int got = in.readNBytes(pixels, r * IMAGE_BYTES, IMAGE_BYTES);
                if (fine < 0 || got < IMAGE_BYTES) {
                    throw new DatasetFormatException(file, "truncated while reading record " + r
                            + " (the file changed while being read?)");
                }
                if (coarse >= COARSE_CLASSES.size()) {
                    throw new DatasetFormatException(file, "record " + r + " has coarse label " + coarse
                            + ", outside [0, " + COARSE_CLASSES.size() + ")");
                }
                if (fine >= FINE_CLASSES.size()) {
                    throw new DatasetFormatException(file, "record " + r + " has fine label " + fine
                            + ", outside [0, " + FINE_CLASSES.size() + ")");
                }
                kept[r] = labels == Labels.COARSE ? coarse : fine;
            }
        }
        return new Records(pixels, kept);
    }

    /**
     * Class names from {@code fine_label_names.txt} or {@code coarse_label_names.txt} in {@code dir} (one per line,
     * blank lines skipped), or the built-in lists if the file does not exist.
     *
     * @throws DatasetFormatException if the file does not hold exactly 100 (fine) or 20 (coarse) names
     */
    public static List<String> readClassNames(Path dir, Labels labels) throws IOException {
        List<String> defaults = labels == Labels.COARSE ? COARSE_CLASSES : FINE_CLASSES;
        Path file = dir.resolve(labels == Labels.COARSE ? "coarse_label_names.txt" : "fine_label_names.txt");
        if (!Files.isRegularFile(file)) {
            return defaults;
        }
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                names.add(line.strip());
            }
        }
        if (names.size() != defaults.size()) {
            throw new DatasetFormatException(file, "expected " + defaults.size() + " class names, got "
                    + names.size());
        }
        return List.copyOf(names);
    }
}
