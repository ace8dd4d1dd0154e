package simpletorch.cli;

import java.io.IOException;
import java.nio.file.Path;
import simpletorch.data.Cifar10;
import simpletorch.data.Cifar100;
import simpletorch.data.FakeData;
import simpletorch.data.ImageDataset;
import simpletorch.data.MnistDatasets;

/**
 * The built-in data sets {@code --dataset} accepts, and how to load each split ({@link DatasetOptions} adds
 * {@code folder:PATH}, downloads and the per-set options).
 */
enum DatasetChoice {
    CIFAR10("cifar10", "CIFAR-10"),
    CIFAR100("cifar100", "CIFAR-100"),
    FASHION_MNIST("fashion-mnist", "Fashion-MNIST"),
    MNIST("mnist", "MNIST"),
    FAKE("fake", "FakeData");

    /** Size of the fake data set's splits: CIFAR-10's. */
    static final int FAKE_TRAIN_SIZE = 50_000;
    static final int FAKE_TEST_SIZE = 10_000;

    final String option;
    final String displayName;

    DatasetChoice(String option, String displayName) {
        this.option = option;
        this.displayName = displayName;
    }

    /** The shape of one image, [channels, height, width], without loading anything. */
    int[] imageShape() {
        return this == MNIST || this == FASHION_MNIST ? new int[] {1, 28, 28} : new int[] {3, 32, 32};
    }

    /** The number of classes (CIFAR-100: its 100 fine labels). */
    int numClasses() {
        return this == CIFAR100 ? 100 : 10; // CIFAR-100's fine labels
    }

    ImageDataset load(Path dataDir, boolean train, long seed) throws IOException {
        return switch (this) {
            case CIFAR10 -> Cifar10.load(dataDir, train);
            case CIFAR100 -> Cifar100.load(dataDir, train, Cifar100.Labels.FINE);
            case FASHION_MNIST -> MnistDatasets.load(MnistDatasets.Kind.FASHION_MNIST, dataDir, train);
            case MNIST -> MnistDatasets.load(MnistDatasets.Kind.MNIST, dataDir, train);
            // CIFAR-shaped random images; the test split uses another seed so it is not the training data.
            case FAKE -> fake(train ? FAKE_TRAIN_SIZE : FAKE_TEST_SIZE, train ? seed : seed + 1);
        };
    }

    /** The last fake splits made, by seed: drawing 184 MB of random pixels takes a second, and datasets are immutable. */
    private static final java.util.Map<Long, ImageDataset> FAKE_CACHE = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(4, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<Long, ImageDataset> eldest) {
                    return size() > 2;
                }
            });

    private static ImageDataset fake(int size, long seed) {
        return FAKE_CACHE.computeIfAbsent(seed * 31 + size, k -> FakeData.create(size, 3, 32, 32, 10, seed));
    }

    /** Parses {@code --dataset}; an unknown name is a usage error that lists the valid ones. */
    static final class Converter implements picocli.CommandLine.ITypeConverter<DatasetChoice> {
        @Override
        public DatasetChoice convert(String value) {
            for (DatasetChoice c : values()) {
                if (c.option.equals(value)) {
                    return c;
                }
            }
            throw new picocli.CommandLine.TypeConversionException(
                    "unknown dataset '" + value + "'; expected one of cifar10, cifar100, fashion-mnist, mnist, fake"
                            + " or folder:PATH");
        }
    }

    /** The option values, for help text and completion. */
    static final class Names implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(values()).map(c -> c.option).iterator();
        }
    }
}
