package simpletorch.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FakeDataTest {

    private static float[] allImages(ImageDataset ds) {
        int n = ds.channels() * ds.height() * ds.width();
        float[] out = new float[ds.size() * n];
        for (int i = 0; i < ds.size(); i++) {
            ds.copyImage(i, out, i * n);
        }
        return out;
    }

    private static int[] allLabels(ImageDataset ds) {
        int[] out = new int[ds.size()];
        for (int i = 0; i < ds.size(); i++) {
            out[i] = ds.label(i);
        }
        return out;
    }

    @Test
    void sameSeedGivesSameDataAndAnotherSeedDifferentData() {
        ImageDataset a = FakeData.create(50, 3, 8, 6, 10, 123);
        ImageDataset b = FakeData.create(50, 3, 8, 6, 10, 123);
        ImageDataset c = FakeData.create(50, 3, 8, 6, 10, 124);
        assertThat(allImages(b)).containsExactly(allImages(a));
        assertThat(allLabels(b)).containsExactly(allLabels(a));
        assertThat(allImages(c)).isNotEqualTo(allImages(a));
        assertThat(allLabels(c)).isNotEqualTo(allLabels(a));
    }

    @Test
    void pixelsAreTheGeneratorsDrawsInOrderAfterTheLabels() {
        // The pixels are drawn by index on several threads; they must be what drawing them one by one gives.
        ImageDataset ds = FakeData.create(37, 3, 5, 7, 10, 99);
        simpletorch.tensor.Generator g = new simpletorch.tensor.Generator(99);
        for (int i = 0; i < 37; i++) {
            assertThat(ds.label(i)).isEqualTo(g.nextInt(10));
        }
        for (int i = 0; i < 37; i++) {
            for (int c = 0; c < 3; c++) {
                for (int h = 0; h < 5; h++) {
                    for (int w = 0; w < 7; w++) {
                        assertThat(ds.pixel(i, c, h, w)).as("image %d [%d, %d, %d]", i, c, h, w).isEqualTo(g.nextInt(256));
                    }
                }
            }
        }
    }

    @Test
    void hasTheRequestedShapeAndLabelsInRangeCoveringEveryClass() {
        ImageDataset ds = FakeData.create(500, 1, 28, 28, 7, 5);
        assertThat(ds.size()).isEqualTo(500);
        assertThat(new int[] {ds.channels(), ds.height(), ds.width()}).containsExactly(1, 28, 28);
        assertThat(ds.classes()).hasSize(7).startsWith("class0").endsWith("class6");
        int[] labels = allLabels(ds);
        assertThat(java.util.Arrays.stream(labels).min().getAsInt()).isZero();
        assertThat(java.util.Arrays.stream(labels).max().getAsInt()).isEqualTo(6);
        assertThat(java.util.Arrays.stream(labels).distinct().count()).isEqualTo(7);
        // Tutorial transform: every value in [-1, 1], both ends reached somewhere in 392,000 uniform bytes.
        float[] x = allImages(ds);
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (float v : x) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertThat(min).isEqualTo(-1f);
        assertThat(max).isEqualTo(1f);
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> FakeData.create(-1, 3, 32, 32, 10, 0)).hasMessageContaining("got -1");
        assertThatThrownBy(() -> FakeData.create(10, 3, 32, 32, 0, 0)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> FakeData.create(10, 3, 0, 32, 10, 0)).hasMessageContaining("[3, 0, 32]");
        assertThatThrownBy(() -> FakeData.create(1_000_000, 3, 224, 224, 10, 0))
                .hasMessageContaining("more than one array holds");
    }
}
