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
 * Reader for the binary version of CIFAR-10 (https://www.cs.toronto.edu/~kriz/cifar.html). Each batch file
 * holds 10,000 records of 3,073 bytes: one label byte (0-9), then 3,072 pixel bytes — the red plane, the green
 * plane, the blue plane, each 32 x 32 row-major. That is CHW order already, so records are copied as they are.
 * Images are {@code [3, 32, 32]} under {@link Normalize#tutorial}{@code (3)}.
 */
public final class Cifar10 {
    public static final int CHANNELS = 3;
    public static final int HEIGHT = 32;
    public static final int WIDTH = 32;
    public static final int IMAGE_BYTES = CHANNELS * HEIGHT * WIDTH;       // 3072
    public static final int RECORD_BYTES = 1 + IMAGE_BYTES;               // 3073
    public static final int RECORDS_PER_FILE = 10_000;
    public static final long FILE_BYTES = (long) RECORD_BYTES * RECORDS_PER_FILE; // 30,730,000
    public static final String DIR_NAME = "cifar-10-batches-bin";
    public static final List<String> DEFAULT_CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer",
            "dog", "frog", "horse", "ship", "truck");

    private static final List<String> TRAIN_FILES = List.of("data_batch_1.bin", "data_batch_2.bin",
            "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
    private static final List<String> TEST_FILES = List.of("test_batch.bin");

    private Cifar10() {
    }

    /** The directories searched, in order: {@code <dataDir>/cifar-10-batches-bin/}, then {@code <dataDir>/}. */
    public static List<Path> searchPath(Path dataDir) {
        return List.of(dataDir.resolve(DIR_NAME), dataDir);
    }

    /**
     * Loads the training set ({@code data_batch_1..5.bin}, 50,000 images) or the test set ({@code test_batch.bin},
     * 10,000) from the first directory of {@link #searchPath} that holds all its files. Class names come from
     * {@code batches.meta.txt} there if present, else {@link #DEFAULT_CLASSES}.
     *
     * @throws DatasetNotFoundException if no directory holds the files
     * @throws DatasetFormatException   if a file has the wrong length or a label outside 0-9
     */
    public static ImageDataset load(Path dataDir, boolean train) throws IOException {
        List<String> files = train ? TRAIN_FILES : TEST_FILES;
        String name = "CIFAR-10 " + (train ? "train" : "test");
        List<Path> dirs = searchPath(dataDir);
        for (Path dir : dirs) {
            if (files.stream().allMatch(f -> Files.isRegularFile(dir.resolve(f)))) {
                int n = files.size() * RECORDS_PER_FILE;
                byte[] pixels = new byte[n * IMAGE_BYTES];
                int[] labels = new int[n];
                for (int k = 0; k < files.size(); k++) {
                    readInto(dir.resolve(files.get(k)), RECORDS_PER_FILE, pixels, labels, k * RECORDS_PER_FILE);
                }
                return new ImageDataset(name, pixels, labels, CHANNELS, HEIGHT, WIDTH,
                        readClassNames(dir.resolve("batches.meta.txt")), Normalize.tutorial(CHANNELS));
            }
        }
        String lookedFor = train ? "data_batch_1.bin .. data_batch_5.bin" : "test_batch.bin";
        throw new DatasetNotFoundException(name, lookedFor, dirs,
                "To fix: download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (CIFAR-10 binary version,"
                        + " MD5 c32a1d4ab5d03f1284b67883e8d87530) and extract it into " + dataDir
                        + " so that " + dataDir.resolve(DIR_NAME) + "/ exists.");
    }

    /**
     * Reads one batch file that must hold exactly {@code records} records (10,000 for the official files),
     * with {@link #DEFAULT_CLASSES}. Meant for tests and tools; {@link #load} is the usual entry.
     */
    public static ImageDataset readBatch(Path file, int records) throws IOException {
        if (records <= 0) {
            throw new IllegalArgumentException("records must be > 0, got " + records);
        }
        byte[] pixels = new byte[records * IMAGE_BYTES];
        int[] labels = new int[records];
        readInto(file, records, pixels, labels, 0);
        return new ImageDataset("CIFAR-10 " + file.getFileName(), pixels, labels, CHANNELS, HEIGHT, WIDTH,
                DEFAULT_CLASSES, Normalize.tutorial(CHANNELS));
    }

    /**
     * Class names from a {@code batches.meta.txt} (one per line, blank lines skipped), or {@link #DEFAULT_CLASSES}
     * if the file does not exist.
     *
     * @throws DatasetFormatException if the file does not hold exactly 10 names
     */
    public static List<String> readClassNames(Path metaFile) throws IOException {
        if (!Files.isRegularFile(metaFile)) {
            return DEFAULT_CLASSES;
        }
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(metaFile, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                names.add(line.strip());
            }
        }
        if (names.size() != DEFAULT_CLASSES.size()) {
            throw new DatasetFormatException(metaFile, "expected " + DEFAULT_CLASSES.size()
                    + " class names, got " + names.size() + ": " + names);
        }
        return List.copyOf(names);
    }

    /**
     * Reads {@code records} records of {@code file} into {@code pixels} (from image {@code first} on, CHW) and
     * {@code labels} (from index {@code first} on). Modifies {@code pixels} and {@code labels}.
     */
    private static void readInto(Path file, int records, byte[] pixels, int[] labels, int first) throws IOException {
        long expected = (long) records * RECORD_BYTES;
        long actual = Files.size(file);
        if (actual != expected) {
            throw new DatasetFormatException(file, "expected " + expected + " bytes (" + records + " records of "
                    + RECORD_BYTES + " bytes), got " + actual);
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            for (int r = 0; r < records; r++) {
                int label = in.read();
                int got = in.readNBytes(pixels, (first + r) * IMAGE_BYTES, IMAGE_BYTES);
                if (label < 0 || got < IMAGE_BYTES) {
                    throw new DatasetFormatException(file, "truncated while reading record " + r
                            + " (the file changed while being read?)");
                }
                if (label >= DEFAULT_CLASSES.size()) {
                    throw new DatasetFormatException(file, "record " + r + " has label " + label
                            + ", outside [0, " + DEFAULT_CLASSES.size() + ")");
                }
                labels[first + r] = label;
            }
        }
    }
}
