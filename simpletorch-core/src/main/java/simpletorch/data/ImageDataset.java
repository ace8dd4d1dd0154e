package simpletorch.data;

import java.util.Arrays;
import java.util.List;
import simpletorch.kernels.ElementwiseKernels;

/**
 * Images held in memory as uint8 (one byte per pixel, 4x smaller than float32), converted to floats by a
 * {@link Normalize} transform only when copied out. All of MNIST, Fashion-MNIST, CIFAR-10 and {@link FakeData}
 * end up here.
 *
 * <p>Shape: {@code pixels} is {@code [N, C, H, W]} row-major, so image {@code i} is the block
 * {@code pixels[i*C*H*W .. (i+1)*C*H*W)} in CHW order; {@code labels} is {@code [N]}.
 */
public final class ImageDataset implements Dataset {
    private final String name;
    private final byte[] pixels; // [N, C, H, W], unsigned
    private final int[] labels;  // [N]
    private final int size;
    private final int channels;
    private final int height;
    private final int width;
    private final List<String> classes;
    private final Normalize transform;
    private final float[] table; // [C, 256]: transform.apply(c, p) precomputed
    private final float[] mean, std; // [C]: the transform's, for the vector loop of copyImage

    /**
     * Wraps {@code pixels} and {@code labels} without copying; the caller must not modify them afterwards.
     *
     * @throws IllegalArgumentException if the sizes disagree, a label is outside {@code [0, classes.size())},
     *                                  or the transform's channel count differs from {@code channels}
     */
    public ImageDataset(String name, byte[] pixels, int[] labels, int channels, int height, int width,
                        List<String> classes, Normalize transform) {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image shape must be positive, got [" + channels + ", " + height
                    + ", " + width + "]");
        }
        if (classes.isEmpty()) {
            throw new IllegalArgumentException("a dataset needs at least one class, got none");
        }
        if (transform.channels() != channels) {
            throw new IllegalArgumentException("transform " + transform + " has " + transform.channels()
                    + " channels but the images have " + channels);
        }
        long imageSize = (long) channels * height * width;
        if ((long) labels.length * imageSize != pixels.length) {
            throw new IllegalArgumentException(labels.length + " labels need " + labels.length * imageSize
                    + " pixel bytes of [" + channels + ", " + height + ", " + width + "] images, got " + pixels.length);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes.size()) {
                throw new IllegalArgumentException("label at index " + i + " is " + labels[i] + ", outside [0, "
                        + classes.size() + ")");
            }
        }
        this.name = name;
        this.pixels = pixels;
        this.labels = labels;
        this.size = labels.length;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.classes = List.copyOf(classes);
        this.transform = transform;
        this.mean = transform.mean();
        this.std = transform.std();
        this.table = new float[channels * 256];
        for (int c = 0; c < channels; c++) {
            for (int p = 0; p < 256; p++) {
                table[c * 256 + p] = transform.apply(c, p);
            }
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public int height() {
        return height;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public List<String> classes() {
        return classes;
    }

    public Normalize transform() {
        return transform;
    }

    @Override
    public int label(int i) {
        checkIndex(i);
        return labels[i];
    }

    /** The raw uint8 value (0..255) of image {@code i} at channel {@code c}, row {@code h}, column {@code w}. */
    public int pixel(int i, int c, int h, int w) {
        checkIndex(i);
        if (c < 0 || c >= channels || h < 0 || h >= height || w < 0 || w >= width) {
            throw new IndexOutOfBoundsException("pixel (" + c + ", " + h + ", " + w + ") out of range for images of shape ["
                    + channels + ", " + height + ", " + width + "]");
        }
        return pixels[((i * channels + c) * height + h) * width + w] & 0xFF;
    }

    @Override
    public void copyImage(int i, float[] dst, int offset) {
        checkIndex(i);
        int hw = height * width;
        int src = i * channels * hw;
        if (ElementwiseKernels.normalizesBytes()) { // the same floats as the table's, a vector at a time
            for (int c = 0; c < channels; c++) {
                ElementwiseKernels.normalizeBytes(pixels, src + c * hw, dst, offset + c * hw, hw, mean[c], std[c]);
            }
            return;
        }
        for (int c = 0; c < channels; c++) {
            int t = c * 256;
            for (int k = 0; k < hw; k++) {
                dst[offset++] = table[t + (pixels[src++] & 0xFF)];
            }
        }
    }

    @Override
    public void copyImage(int i, float[] dst, int offset, int dy, int dx, boolean flip) {
        checkIndex(i);
        int H = height, W = width;
        int src = i * channels * H * W;
        for (int c = 0; c < channels; c++) {
            int t = c * 256;
            float pad = table[t]; // torchvision pads the uint8 image with 0 before ToTensor/Normalize
            int plane = src + c * H * W;
            for (int y = 0; y < H; y++) {
                int sy = y + dy;
                if (sy < 0 || sy >= H) {
                    java.util.Arrays.fill(dst, offset, offset + W, pad);
                    offset += W;
                    continue;
                }
                int row = plane + sy * W;
                for (int x = 0; x < W; x++) {
                    int sx = (flip ? W - 1 - x : x) + dx;
                    dst[offset++] = sx >= 0 && sx < W ? table[t + (pixels[row + sx] & 0xFF)] : pad;
                }
            }
        }
    }

    @Override
    public float padValue(int c) {
        return table[c * 256];
    }

    /**
     * The first {@code min(n, size())} examples, sharing nothing with this dataset; {@code this} when
     * {@code n >= size()}. Used for {@code --train-limit N}.
     */
    public ImageDataset subset(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("subset size must be > 0, got " + n);
        }
        if (n >= size) {
            return this;
        }
        int imageSize = channels * height * width;
        return new ImageDataset(name + " (first " + n + ")", Arrays.copyOf(pixels, n * imageSize),
                Arrays.copyOf(labels, n), channels, height, width, classes, transform);
    }

    /** The same images and labels (shared, not copied) under another transform. */
    public ImageDataset withTransform(Normalize newTransform) {
        return new ImageDataset(name, pixels, labels, channels, height, width, classes, newTransform);
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("index " + i + " out of range for " + name + " of size " + size);
        }
    }

    @Override
    public String toString() {
        return name + ": " + size + " images of [" + channels + ", " + height + ", " + width + "], "
                + classes.size() + " classes";
    }
}
