package simpletorch.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import simpletorch.tensor.Generator;

class AugmentationTest {

    /** n images of [1, 4, 5]; pixel (y, x) of image i is 10*y + x + 1 (never 0, so padding is recognisable). */
    private static ImageDataset grid(int n) {
        int H = 4, W = 5;
        byte[] px = new byte[n * H * W];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    px[(i * H + y) * W + x] = (byte) (10 * y + x + 1);
                }
            }
            labels[i] = i % 2;
        }
        // Identity-like transform: mean 0, std 1/255 maps byte p to p exactly.
        return new ImageDataset("grid", px, labels, 1, H, W, List.of("a", "b"),
                new Normalize(new float[] {0}, new float[] {1f / 255}));
    }

    @Test
    void shiftAndFlipAreIndexArithmeticWithZeroPadding() {
        ImageDataset d = grid(1);
        float[] out = new float[20];
        d.copyImage(0, out, 0, 1, -2, false); // out(y, x) = src(y + 1, x - 2)
        assertThat(out[0]).isZero();                      // (0,0) <- (1,-2): padding
        assertThat(out[2]).isEqualTo(11);                 // (0,2) <- (1,0)
        assertThat(out[3 * 5 + 4]).isZero();              // row 3 <- row 4: padding
        d.copyImage(0, out, 0, 0, 0, true);               // mirrored
        assertThat(out[0]).isEqualTo(5);
        assertThat(out[4]).isEqualTo(1);
        // The generic default (through a buffer) agrees with ImageDataset's direct indexing.
        Dataset generic = new Dataset() {
            @Override public String name() { return "g"; }
            @Override public int size() { return 1; }
            @Override public int channels() { return 1; }
            @Override public int height() { return 4; }
            @Override public int width() { return 5; }
            @Override public List<String> classes() { return List.of("a"); }
            @Override public int label(int i) { return 0; }
            @Override public void copyImage(int i, float[] dst, int offset) { d.copyImage(i, dst, offset); }
        };
        float[] a = new float[20], b = new float[20];
        for (int dy = -2; dy <= 2; dy++) {
            for (int dx = -2; dx <= 2; dx++) {
                for (boolean flip : new boolean[] {false, true}) {
                    d.copyImage(0, a, 0, dy, dx, flip);
                    generic.copyImage(0, b, 0, dy, dx, flip);
                    assertThat(a).as("dy %d dx %d flip %s", dy, dx, flip).containsExactly(b);
                }
            }
        }
    }

    @Test
    void augmentedEpochsAreSeededAndReplayFromTheGeneratorState() {
        ImageDataset d = grid(50);
        Generator g = new Generator(3);
        DataLoader loader = new DataLoader(d, 8, true, g, new Augmentation(2, true), 2);
        long before = g.state();
        List<float[]> first = images(loader);
        long after = g.state();
        List<float[]> second = images(loader);
        assertThat(second).usingRecursiveComparison().isNotEqualTo(first);
        g.setState(before);
        assertThat(images(loader)).usingRecursiveComparison().isEqualTo(first);
        assertThat(g.state()).isEqualTo(after);
        // Prefetch does not change the content: the same run without a background thread.
        DataLoader sync = new DataLoader(d, 8, true, new Generator(3), new Augmentation(2, true), 0);
        assertThat(images(sync)).usingRecursiveComparison().isEqualTo(first);
        // Some images moved and some were flipped; none lost its pixels' range.
        long padded = first.stream().flatMap(x -> java.util.stream.IntStream.range(0, x.length).mapToObj(k -> x[k]))
                .filter(v -> v == 0f).count();
        assertThat(padded).isPositive();
    }

    @Test
    void earlyStopAndCloseCancelCleanly() {
        DataLoader loader = new DataLoader(grid(100), 4, false, null, Augmentation.NONE, 2);
        try (DataLoader.EpochIterator it = loader.iterator()) {
            assertThat(it.next().size()).isEqualTo(4);
        }
        DataLoader.EpochIterator it = loader.iterator();
        it.next();
        it.close();
        assertThat(it.hasNext()).isFalse();
        assertThatThrownBy(it::next).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new DataLoader(grid(2), 1, false, null, new Augmentation(1, false), 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("augmentation needs a Generator");
    }

    @Test
    void anExceptionWhileBuildingABatchReachesTheCaller() {
        Dataset failing = new Dataset() {
            @Override public String name() { return "f"; }
            @Override public int size() { return 10; }
            @Override public int channels() { return 1; }
            @Override public int height() { return 1; }
            @Override public int width() { return 1; }
            @Override public List<String> classes() { return List.of("a"); }
            @Override public int label(int i) { return 0; }
            @Override public void copyImage(int i, float[] dst, int offset) {
                if (i == 5) {
                    throw new IllegalStateException("image 5 is bad");
                }
            }
        };
        DataLoader loader = new DataLoader(failing, 2, false, null, Augmentation.NONE, 1);
        DataLoader.EpochIterator it = loader.iterator();
        it.next();
        it.next();
        assertThatThrownBy(it::next).isInstanceOf(IllegalStateException.class).hasMessage("image 5 is bad");
    }

    private static List<float[]> images(DataLoader loader) {
        List<float[]> all = new ArrayList<>();
        for (Batch b : loader) {
            all.add(b.images().data().clone());
        }
        return all;
    }
}
