package simpletorch.data;

/**
 * Training-time augmentation as torchvision's {@code RandomCrop(size, padding)} followed by
 * {@code RandomHorizontalFlip()}: the image is padded by {@code padding} pixels of value 0 on every side, a window
 * of the original size is cut at a uniformly random offset, and it is mirrored left-right with probability 1/2.
 * {@link DataLoader} applies it by index arithmetic while it copies a batch, so no image is copied twice.
 *
 * @param padding pixels added on each side before the random crop; 0 for no crop
 * @param hflip   whether to flip left-right with probability 1/2
 */
public record Augmentation(int padding, boolean hflip) {
    /** No augmentation. */
    public static final Augmentation NONE = new Augmentation(0, false);

    public Augmentation {
        if (padding < 0 || padding > 1024) {
            throw new IllegalArgumentException("padding must be in [0, 1024], got " + padding);
        }
    }

    /** True when this draws no random numbers and changes no image. */
    public boolean isNone() {
        return padding == 0 && !hflip;
    }
}
