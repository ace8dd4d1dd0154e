package simpletorch.data;

import java.util.Arrays;

/**
 * torchvision's {@code ToTensor()} followed by {@code Normalize(mean, std)}: a uint8 pixel {@code p} of channel
 * {@code c} becomes {@code (p / 255 - mean[c]) / std[c]}.
 *
 * <p>The arrays are copied in and out, so a {@code Normalize} cannot be changed after construction.
 *
 * @param mean per-channel mean, in units of the [0, 1] pixel scale
 * @param std  per-channel standard deviation, each {@code > 0}
 */
public record Normalize(float[] mean, float[] std) {

    public Normalize {
        if (mean == null || std == null) {
            throw new IllegalArgumentException("mean and std must not be null");
        }
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("mean and std must have the same non-zero length, got "
                    + mean.length + " and " + std.length);
        }
        for (int c = 0; c < std.length; c++) {
            if (!(std[c] > 0) || Float.isInfinite(std[c])) {
                throw new IllegalArgumentException("std must be finite and > 0, got std[" + c + "] = " + std[c]);
            }
            if (!Float.isFinite(mean[c])) {
                throw new IllegalArgumentException("mean must be finite, got mean[" + c + "] = " + mean[c]);
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** The PyTorch CIFAR-10 tutorial's transform: mean 0.5 and std 0.5 on every channel, mapping [0, 255] to [-1, 1]. */
    public static Normalize tutorial(int channels) {
        if (channels <= 0) {
            throw new IllegalArgumentException("channels must be > 0, got " + channels);
        }
        float[] half = new float[channels];
        Arrays.fill(half, 0.5f);
        return new Normalize(half, half);
    }

    public int channels() {
        return mean.length;
    }

    /** A copy of the per-channel means. */
    @Override
    public float[] mean() {
        return mean.clone();
    }

    /** A copy of the per-channel standard deviations. */
    @Override
    public float[] std() {
        return std.clone();
    }

    /** The transformed value of uint8 pixel {@code pixel} (0..255) in channel {@code channel}. */
    public float apply(int channel, int pixel) {
        // Same float32 steps as torchvision (divide, subtract, divide) so values match bit for bit.
        float x = pixel / 255f;
        return (x - mean[channel]) / std[channel];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalize n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Normalize(mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + ")";
    }
}
