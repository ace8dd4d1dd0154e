package simpletorch.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;
import simpletorch.tensor.Generator;

/**
 * Your own images, laid out like torchvision's {@code ImageFolder}: one subfolder per class (sorted by name to
 * give the labels) holding PNG or JPEG files, searched recursively. If the root holds {@code train/} (and
 * optionally {@code test/}) those are the splits; otherwise every class is split at random, seeded, into train and
 * test. Each image goes through {@link Images#loadAndResize} (shorter side to {@code imageSize}, centre crop).
 *
 * <p>Unreadable files are reported through the log, by name, and skipped; a class left without a readable image
 * is an error, since it would be a label the model can never learn.
 */
public final class ImageFolder {

    /**
     * @param channels     1 (greyscale) or 3 (RGB)
     * @param imageSize    the side of the square images, {@code >= 1}
     * @param testFraction the share of each class held out for test when there is no {@code train/} folder,
     *                     in [0, 1)
     * @param seed         seeds the split
     */
    public record Options(int channels, int imageSize, double testFraction, long seed) {
        public Options {
            if (channels != 1 && channels != 3) {
                throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
            }
            if (imageSize < 1 || imageSize > 4096) {
                throw new IllegalArgumentException("imageSize must be in [1, 4096], got " + imageSize);
            }
            if (!(testFraction >= 0 && testFraction < 1)) {
                throw new IllegalArgumentException("testFraction must be in [0, 1), got " + testFraction);
            }
        }
    }

    /**
     * @param train   the training split
     * @param test    the test split (may be empty only when {@code testFraction} is 0 or every class has one image)
     * @param skipped one {@code "file: reason"} line per unreadable file
     */
    public record Result(ImageDataset train, ImageDataset test, List<String> skipped) {
    }

    private ImageFolder() {
    }

    /** True for names ending in .png, .jpg or .jpeg, any case. */
    public static boolean isImageFile(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    /**
     * Loads both splits.
     *
     * @param log receives one line per skipped file as it happens; may be null
     * @throws DatasetNotFoundException if {@code root} is not a directory
     * @throws DatasetFormatException   if there are no class folders, a class has no readable image, or
     *                                  {@code test/} names a class that {@code train/} lacks
     */
    public static Result load(Path root, Options options, Consumer<String> log) throws IOException {
        Consumer<String> sink = log == null ? s -> { } : log;
        if (!Files.isDirectory(root)) {
            throw new DatasetNotFoundException("Image folder " + root, "a directory with one subfolder per class",
                    List.of(root), "To fix: give --dataset folder:PATH where PATH/<class>/*.png|*.jpg (or PATH/train/<class>/..."
                    + " and PATH/test/<class>/...) exist.");
        }
        String name = root.getFileName() == null ? root.toString() : root.getFileName().toString();
        List<String> skipped = new ArrayList<>();
        Path trainDir = root.resolve("train");
        if (Files.isDirectory(trainDir)) {
            List<String> classes = classFolders(trainDir);
            Split train = decodeAll(trainDir, classes, options, skipped, sink, true);
            Path testDir = root.resolve("test");
            Split test = new Split(options, classes.size());
            if (Files.isDirectory(testDir)) {
                for (String c : classFolders(testDir)) {
                    if (!classes.contains(c)) {
                        throw new DatasetFormatException(testDir.resolve(c), "test class '" + c
                                + "' has no folder under " + trainDir + " (classes: " + classes + ")");
                    }
                }
                test = decodeAll(testDir, classes, options, skipped, sink, false);
            }
            return new Result(train.toDataset(name + " train", classes), test.toDataset(name + " test", classes),
                    List.copyOf(skipped));
        }
        List<String> classes = classFolders(root);
        Split all = decodeAll(root, classes, options, skipped, sink, true);
        // Stratified split: each class's images are permuted with the seeded generator, the first share goes to test.
        Generator g = new Generator(options.seed());
        Split train = new Split(options, classes.size());
        Split test = new Split(options, classes.size());
        for (int c = 0; c < classes.size(); c++) {
            List<byte[]> images = all.images.get(c);
            int n = images.size();
            int nTest = (int) Math.round(n * options.testFraction());
            if (options.testFraction() > 0 && n >= 2) {
                nTest = Math.max(1, Math.min(n - 1, nTest));
            } else if (n < 2) {
                nTest = 0;
            }
            int[] perm = g.permutation(n);
            for (int k = 0; k < n; k++) {
                (k < nTest ? test : train).add(c, images.get(perm[k]));
            }
        }
        return new Result(train.toDataset(name + " train", classes), test.toDataset(name + " test", classes),
                List.copyOf(skipped));
    }

    /** The sorted names of the non-hidden subdirectories of {@code dir}. */
    private static List<String> classFolders(Path dir) throws IOException {
        List<String> names;
        try (Stream<Path> s = Files.list(dir)) {
            names = s.filter(Files::isDirectory)
                    .map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith("."))
                    .sorted()
                    .toList();
        }
        if (names.isEmpty()) {
            throw new DatasetFormatException(dir, "no class folders: expected one subfolder per class holding PNG or JPEG files");
        }
        return names;
    }

    private static Split decodeAll(Path dir, List<String> classes, Options options, List<String> skipped,
                                   Consumer<String> log, boolean requireEvery) throws IOException {
        Split split = new Split(options, classes.size());
        for (int c = 0; c < classes.size(); c++) {
            Path classDir = dir.resolve(classes.get(c));
            if (!Files.isDirectory(classDir)) {
                continue; // a test/ folder may lack a class
            }
            List<Path> files;
            try (Stream<Path> s = Files.walk(classDir)) {
                files = s.filter(Files::isRegularFile).filter(ImageFolder::isImageFile)
                        .filter(p -> !p.getFileName().toString().startsWith("."))
                        .sorted().toList();
            }
            int bad = 0;
            for (Path f : files) {
                try {
                    split.add(c, Images.loadAndResize(f, options.channels(), options.imageSize()));
                } catch (DatasetFormatException e) {
                    bad++;
                    String line = "skipped " + e.getMessage();
                    skipped.add(line);
                    log.accept(line);
                }
            }
            if (split.images.get(c).isEmpty() && (requireEvery || !files.isEmpty())) {
                throw new DatasetFormatException(classDir, "class '" + classes.get(c) + "' has no readable PNG or JPEG"
                        + " image (" + files.size() + " image files, " + bad + " unreadable)");
            }
        }
        return split;
    }

    /** Decoded images per class, in the order added. */
    private static final class Split {
        final Options options;
        final List<List<byte[]>> images = new ArrayList<>();

        Split(Options options, int numClasses) {
            this.options = options;
            for (int c = 0; c < numClasses; c++) {
                images.add(new ArrayList<>());
            }
        }

        void add(int label, byte[] image) {
            images.get(label).add(image);
        }

        ImageDataset toDataset(String name, List<String> classes) {
            ByteArrayOutputStream pixels = new ByteArrayOutputStream();
            List<Integer> labels = new ArrayList<>();
            for (int c = 0; c < images.size(); c++) {
                for (byte[] img : images.get(c)) {
                    pixels.writeBytes(img);
                    labels.add(c);
                }
            }
            int s = options.imageSize();
            return new ImageDataset(name, pixels.toByteArray(), labels.stream().mapToInt(Integer::intValue).toArray(),
                    options.channels(), s, s, classes, Normalize.tutorial(options.channels()));
        }
    }
}
