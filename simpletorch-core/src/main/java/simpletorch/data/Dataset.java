package simpletorch.data;

import java.util.List;

/**
 * A finite, indexable set of labelled images, all of the same shape {@code [C, H, W]} — the map-style
 * {@code torch.utils.data.Dataset} specialised to image classification.
 *
 * <p>{@link #copyImage} returns the image <em>after</em> the dataset's transform (for the datasets here:
 * ToTensor then Normalize), so a {@link DataLoader} only has to stack images.
 */
public interface Dataset {

    /** A short name for messages and logs, e.g. {@code "Fashion-MNIST train"}. */
    String name();

    /** The number of examples. */
    int size();

    int channels();

    int height();

    int width();

    /** The number of classes; every label lies in {@code [0, numClasses())}. */
    default int numClasses() {
        return classes().size();
    }

    /** The class names in label order. */
    List<String> classes();

    /** The label of example {@code i}, in {@code [0, numClasses())}. */
    int label(int i);

    /**
     * Writes the transformed image {@code i} as {@code C*H*W} floats in CHW order into
     * {@code dst[offset .. offset + C*H*W)}. Modifies {@code dst} only.
     */
    void copyImage(int i, float[] dst, int offset);
}
