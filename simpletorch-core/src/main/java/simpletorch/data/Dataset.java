package simpletorch.data;

import java.util.List;

/**
 * A finite, indexable set of labelled images, all of the same shape {@code [C, H, W]} — the map-style
 * {@code torch.utils.data.Dataset} specialised to image classification.
 *
 * <p>{@link #copyImage} returns the image <em>after</em> the dataset's transform (for the datasets here:
 * ToTensor then Normalize), so a {@link DataLoader} only has to stack images.
 *
 * <p>A loader may call {@link #copyImage} and {@link #label} from several threads at once, for different examples
 * of one batch (as PyTorch's loader workers call {@code __getitem__}): an implementation must not keep per-call state
 * in fields. The datasets here only read arrays that are fixed once loaded.
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

    /**
     * Like {@link #copyImage(int, float[], int)}, moved and mirrored: output pixel {@code (y, x)} is source pixel
     * {@code (y + dy, (flip ? W-1-x : x) + dx)}, and pixels that fall outside the source are
     * {@link #padValue padding}. This is a padded random crop followed by a horizontal flip, as in
     * torchvision's {@code RandomCrop(padding=p)} + {@code RandomHorizontalFlip()}, with {@code dy, dx} in
     * {@code [-p, p]}. Modifies {@code dst} only.
     *
     * <p>This default copies through a temporary buffer; {@link ImageDataset} indexes its bytes directly.
     */
    default void copyImage(int i, float[] dst, int offset, int dy, int dx, boolean flip) {
        int C = channels(), H = height(), W = width();
        float[] tmp = new float[C * H * W]; // [C, H, W]
        copyImage(i, tmp, 0);
        for (int c = 0; c < C; c++) {
            float pad = padValue(c);
            for (int y = 0; y < H; y++) {
                int sy = y + dy;
                for (int x = 0; x < W; x++) {
                    int sx = (flip ? W - 1 - x : x) + dx;
                    dst[offset++] = sy >= 0 && sy < H && sx >= 0 && sx < W ? tmp[(c * H + sy) * W + sx] : pad;
                }
            }
        }
    }

    /** The transformed value that padding takes in channel {@code c}: a black (0) pixel, as torchvision pads. */
    default float padValue(int c) {
        return 0f;
    }
}
