package simpletorch.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ImageDatasetTest {
    private static final List<String> ABC = List.of("a", "b", "c");

    /** Three [2, 1, 2] images whose pixel bytes are 0..11, in order. */
    private static ImageDataset threeImages() {
        byte[] pixels = new byte[12];
        for (int k = 0; k < 12; k++) {
            pixels[k] = (byte) (k * 20 + 15); // up to 235, exercises the unsigned range
        }
        return new ImageDataset("tiny", pixels, new int[] {2, 0, 1}, 2, 1, 2, ABC,
                new Normalize(new float[] {0f, 0f}, new float[] {1f, 1f}));
    }

    @Test
    void copyImageWritesTheTransformedCHWBlockAtTheOffset() {
        ImageDataset ds = threeImages();
        float[] dst = new float[7];
        dst[0] = 42f;
        ds.copyImage(1, dst, 1);
        assertThat(dst[0]).isEqualTo(42f);
        for (int k = 0; k < 4; k++) {
            assertThat(dst[1 + k]).isEqualTo(((4 + k) * 20 + 15) / 255f);
        }
        assertThat(dst[5]).isZero();
        assertThat(ds.pixel(2, 1, 0, 1)).isEqualTo(11 * 20 + 15);
        assertThat(ds.label(0)).isEqualTo(2);
        assertThat(ds.numClasses()).isEqualTo(3);
    }

    /**
     * Every pixel value through CIFAR-10's per-channel normalization: copyImage (a vector at a time where the JDK's
     * JIT takes the Vector API, the table otherwise) gives Normalize.apply's floats bit for bit, tails included.
     */
    @Test
    void copyImageGivesTheTransformsFloatsBitForBit() {
        int channels = 3, height = 9, width = 29; // 261 pixels a channel: whole vectors and a tail
        int hw = height * width;
        byte[] pixels = new byte[2 * channels * hw];
        for (int k = 0; k < pixels.length; k++) {
            pixels[k] = (byte) (k * 7 + k / 256); // every value 0..255 in every channel
        }
        Normalize cifar = new Normalize(new float[] {0.4914f, 0.4822f, 0.4465f}, new float[] {0.2470f, 0.2435f, 0.2616f});
        ImageDataset ds = new ImageDataset("all", pixels, new int[] {0, 1}, channels, height, width, List.of("a", "b"),
                cifar);
        float[] dst = new float[2 * channels * hw + 1];
        ds.copyImage(1, dst, 1);
        for (int c = 0; c < channels; c++) {
            for (int k = 0; k < hw; k++) {
                int p = pixels[(channels + c) * hw + k] & 0xFF;
                assertThat(Float.floatToRawIntBits(dst[1 + c * hw + k])).as("channel %d, pixel %d (value %d)", c, k, p)
                        .isEqualTo(Float.floatToRawIntBits(cifar.apply(c, p)));
            }
        }
        assertThat(dst[0]).isZero();
    }

    @Test
    void bytesAbove127AreReadAsUnsigned() {
        ImageDataset ds = new ImageDataset("white", new byte[] {(byte) 255}, new int[] {0}, 1, 1, 1,
                List.of("x"), Normalize.tutorial(1));
        float[] dst = new float[1];
        ds.copyImage(0, dst, 0);
        assertThat(dst[0]).isEqualTo(1f);
        assertThat(ds.pixel(0, 0, 0, 0)).isEqualTo(255);
    }

    @Test
    void rejectsLabelsOutOfRangeNamingIndexAndValue() {
        assertThatThrownBy(() -> new ImageDataset("bad", new byte[3], new int[] {0, 3, 1}, 1, 1, 1, ABC,
                Normalize.tutorial(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("index 1").hasMessageContaining("is 3");
        assertThatThrownBy(() -> new ImageDataset("bad", new byte[3], new int[] {0, -1, 1}, 1, 1, 1, ABC,
                Normalize.tutorial(1)))
                .hasMessageContaining("is -1");
    }

    @Test
    void rejectsMismatchedPixelCountAndTransformChannels() {
        assertThatThrownBy(() -> new ImageDataset("bad", new byte[5], new int[] {0, 1}, 1, 1, 2, ABC,
                Normalize.tutorial(1)))
                .hasMessageContaining("got 5");
        assertThatThrownBy(() -> new ImageDataset("bad", new byte[4], new int[] {0, 1}, 2, 1, 1, ABC,
                Normalize.tutorial(3)))
                .hasMessageContaining("3 channels but the images have 2");
    }

    @Test
    void subsetKeepsTheFirstNAndClampsToTheSize() {
        ImageDataset ds = threeImages();
        ImageDataset two = ds.subset(2);
        assertThat(two.size()).isEqualTo(2);
        assertThat(two.label(1)).isEqualTo(0);
        assertThat(two.pixel(1, 1, 0, 1)).isEqualTo(ds.pixel(1, 1, 0, 1));
        assertThatThrownBy(() -> two.label(2)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("index 2");
        assertThat(ds.subset(3)).isSameAs(ds);
        assertThat(ds.subset(1000)).isSameAs(ds);
        assertThatThrownBy(() -> ds.subset(0)).hasMessageContaining("got 0");
    }

    @Test
    void withTransformChangesOnlyTheTransform() {
        ImageDataset ds = threeImages().withTransform(Normalize.tutorial(2));
        float[] dst = new float[4];
        ds.copyImage(0, dst, 0);
        assertThat(dst[0]).isEqualTo((15 / 255f - 0.5f) / 0.5f);
        assertThat(ds.label(0)).isEqualTo(2);
    }
}
