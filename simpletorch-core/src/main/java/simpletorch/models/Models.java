package simpletorch.models;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import simpletorch.nn.Module;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * The models that {@code --model} chooses from, by name, each built for a data set's input shape
 * (channels, height, width) and number of classes. Models draw their initial weights from the default generator.
 */
public final class Models {
    /** Builds a model for [channels, height, width] inputs and {@code numClasses} classes. */
    @FunctionalInterface
    public interface Factory {
        Module create(int channels, int height, int width, int numClasses);
    }

    /**
     * One model of the registry.
     *
     * @param name        what {@code --model} takes, e.g. {@code "resnet20"}
     * @param className   the Java class's name, also what model files record (e.g. {@code "ResNet20"})
     * @param description one line for {@code simpletorch models}
     * @param factory     builds it
     */
    public record Entry(String name, String className, String description, Factory factory) {
        public Module create(int channels, int height, int width, int numClasses) {
            return factory.create(channels, height, width, numClasses);
        }
    }

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

    static {
        add(new Entry("simplenet", "SimpleNet", "the tutorial's net: 2 x (conv 3x3, ReLU, max-pool), linear", SimpleNet::new));
        add(new Entry("simplenet-bn", "SimpleNetBN",
                "the tutorial's net with BatchNorm after each conv and Dropout(0.25) before the linear layer",
                SimpleNetBN::new));
        add(new Entry("vgg-small", "VggSmall",
                "VGG-style: 2 x ([conv 3x3, BatchNorm, ReLU] x 2, max-pool) with 32/64 channels, global avg-pool, linear",
                VggSmall::new));
        add(new Entry("resnet20", "ResNet20",
                "CIFAR ResNet-20 (He et al. 2015): 3 stages of 3 basic blocks, 16/32/64 channels, 1x1-conv shortcuts",
                ResNet20::new));
    }

    private Models() {
    }

    private static void add(Entry e) {
        ENTRIES.put(e.name(), e);
    }

    /** Every model, in the order {@code simpletorch models} lists them. */
    public static List<Entry> all() {
        return List.copyOf(ENTRIES.values());
    }

    /** The names {@code --model} accepts. */
    public static List<String> names() {
        return Collections.unmodifiableList(List.copyOf(ENTRIES.keySet()));
    }

    /**
     * The model called {@code name}: a registry name ({@code resnet20}) or a class name as model files record it
     * ({@code ResNet20}), case-insensitively.
     *
     * @throws IllegalArgumentException listing the known names
     */
    public static Entry get(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        for (Entry e : ENTRIES.values()) {
            if (e.name().equals(key) || e.className().toLowerCase(Locale.ROOT).equals(key)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown model '" + name + "'; known models: " + String.join(", ", names()));
    }

    /** Builds the model called {@code name} for the given input shape. */
    public static Module create(String name, int channels, int height, int width, int numClasses) {
        return get(name).create(channels, height, width, numClasses);
    }

    /**
     * The number of trainable parameters of {@code name} for the given input shape. Builds the model once and
     * restores the default generator afterwards, so counting does not change what is drawn next.
     */
    public static long parameterCount(String name, int channels, int height, int width, int numClasses) {
        Generator g = Generator.defaultGenerator();
        long state = g.state();
        try {
            return create(name, channels, height, width, numClasses).numParameters();
        } finally {
            g.setState(state);
        }
    }

    /** Throws unless the sizes a model is built for make sense: images of at least 4x4 (two 2x poolings), >= 1 channel and class. */
    static void checkShape(String model, int channels, int height, int width, int numClasses) {
        if (height < 4 || width < 4) {
            throw new IllegalArgumentException(model + " needs images of at least 4x4, got " + height + "x" + width);
        }
        if (channels < 1 || numClasses < 1) {
            throw new IllegalArgumentException("channels and numClasses must be >= 1, got " + channels + ", " + numClasses);
        }
    }

    /** Throws unless x is [N, channels, height, width]. */
    static void checkInput(String model, Tensor x, int channels, int height, int width) {
        if (x.dim() != 4 || x.size(1) != channels || x.size(2) != height || x.size(3) != width) {
            throw new IllegalArgumentException(model + " expected input of shape [N, " + channels + ", " + height + ", "
                    + width + "], got " + Arrays.toString(x.shape()));
        }
    }
}
