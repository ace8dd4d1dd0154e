package simpletorch.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import simpletorch.tensor.Generator;
import simpletorch.testing.Threads;

class DataLoaderTest {

    /** n examples of shape [1, 2, 1]: image i is {i, -i}, label i mod 3. */
    private static Dataset indices(int n) {
        return new Dataset() {
            @Override public String name() { return "indices"; }
            @Override public int size() { return n; }
            @Override public int channels() { return 1; }
            @Override public int height() { return 2; }
            @Override public int width() { return 1; }
            @Override public List<String> classes() { return List.of("a", "b", "c"); }
            @Override public int label(int i) { return i % 3; }
            @Override public void copyImage(int i, float[] dst, int offset) {
                dst[offset] = i;
                dst[offset + 1] = -i;
            }
        };
    }

    /** The example indices of one epoch, in order, checking images and labels agree on the way. */
    private static List<Integer> epoch(DataLoader loader, List<Integer> batchSizes) {
        List<Integer> seen = new ArrayList<>();
        for (Batch b : loader) {
            batchSizes.add(b.size());
            assertThat(b.images().shape()).containsExactly(b.size(), 1, 2, 1);
            float[] x = b.images().data();
            for (int k = 0; k < b.size(); k++) {
                int i = (int) x[2 * k];
                assertThat(x[2 * k + 1]).isEqualTo(-i);
                assertThat(b.labels()[k]).isEqualTo(i % 3);
                seen.add(i);
            }
        }
        return seen;
    }

    private static List<Integer> epoch(DataLoader loader) {
        return epoch(loader, new ArrayList<>());
    }

    @Test
    void withoutShuffleGoesInOrderAndKeepsTheLastPartialBatch() {
        DataLoader loader = new DataLoader(indices(10), 4, false, null);
        List<Integer> sizes = new ArrayList<>();
        assertThat(epoch(loader, sizes)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(sizes).containsExactly(4, 4, 2);
        assertThat(loader.numBatches()).isEqualTo(3);
        assertThat(new DataLoader(indices(8), 4, false, null).numBatches()).isEqualTo(2);
        assertThat(new DataLoader(indices(0), 4, false, null).numBatches()).isZero();
        assertThat(epoch(new DataLoader(indices(0), 4, false, null))).isEmpty();
    }

    @Test
    void shuffleCoversEveryIndexOncePerEpochInANewOrderEachEpoch() {
        DataLoader loader = new DataLoader(indices(103), 10, true, new Generator(42));
        List<Integer> sizes = new ArrayList<>();
        List<Integer> first = epoch(loader, sizes);
        List<Integer> second = epoch(loader);
        assertThat(first).hasSize(103).containsExactlyInAnyOrderElementsOf(range(103));
        assertThat(second).hasSize(103).containsExactlyInAnyOrderElementsOf(range(103));
        assertThat(first).isNotEqualTo(range(103));
        assertThat(second).isNotEqualTo(first);
        assertThat(sizes).hasSize(11).endsWith(3);
    }

    @Test
    void sameSeedGivesSameOrder() {
        DataLoader a = new DataLoader(indices(50), 8, true, new Generator(7));
        DataLoader b = new DataLoader(indices(50), 8, true, new Generator(7));
        DataLoader c = new DataLoader(indices(50), 8, true, new Generator(8));
        List<Integer> a1 = epoch(a);
        assertThat(epoch(b)).isEqualTo(a1);
        assertThat(epoch(a)).isEqualTo(epoch(b));
        assertThat(epoch(c)).isNotEqualTo(a1);
    }

    @Test
    void orderIsDrawnWhenTheEpochStartsSoGeneratorStateReplaysIt() {
        Generator g = new Generator(3);
        DataLoader loader = new DataLoader(indices(20), 6, true, g);
        long saved = g.state();
        List<Integer> first = epoch(loader);
        g.setState(saved);
        assertThat(epoch(loader)).isEqualTo(first);
    }

    @Test
    void worksWithImageDatasetEndToEnd() {
        ImageDataset ds = FakeData.create(5, 3, 4, 4, 10, 1);
        Iterator<Batch> it = new DataLoader(ds, 2, false, null).iterator();
        Batch b = it.next();
        float[] expected = new float[48];
        ds.copyImage(1, expected, 0);
        float[] second = java.util.Arrays.copyOfRange(b.images().data(), 48, 96);
        assertThat(second).containsExactly(expected);
        assertThat(b.labels()).containsExactly(ds.label(0), ds.label(1));
        it.next();
        assertThat(it.next().size()).isEqualTo(1);
        assertThat(it.hasNext()).isFalse();
        assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
    }

    @Test
    void batchesBuiltInLineAcrossThreadsEqualThoseOfOneThreadAndOfThePrefetcher() {
        ImageDataset ds = FakeData.create(70, 3, 8, 8, 10, 5);
        Augmentation aug = new Augmentation(2, true);
        List<float[]> reference = new ArrayList<>();
        List<int[]> referenceLabels = new ArrayList<>();
        Threads.with(1, () -> {
            for (Batch b : new DataLoader(ds, 32, true, new Generator(9), aug, 0)) {
                reference.add(java.util.Arrays.copyOf(b.images().data(), b.size() * 3 * 8 * 8));
                referenceLabels.add(b.labels().clone());
            }
        });
        assertThat(reference).hasSize(3);
        for (int threads : new int[] {2, 3}) {
            for (int prefetch : new int[] {0, 1}) {
                Threads.with(threads, () -> {
                    int k = 0;
                    for (Batch b : new DataLoader(ds, 32, true, new Generator(9), aug, prefetch)) {
                        int size = b.size();
                        assertThat(java.util.Arrays.copyOf(b.images().data(), size * 3 * 8 * 8))
                                .as("batch %d, %d threads, prefetch %d", k, threads, prefetch)
                                .containsExactly(reference.get(k));
                        assertThat(b.labels()).containsExactly(referenceLabels.get(k));
                        k++;
                    }
                    assertThat(k).isEqualTo(3);
                });
            }
        }
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> new DataLoader(indices(3), 0, false, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0");
        assertThatThrownBy(() -> new DataLoader(indices(3), -5, false, null)).hasMessageContaining("got -5");
        assertThatThrownBy(() -> new DataLoader(indices(3), 2, true, null)).hasMessageContaining("Generator");
    }

    private static List<Integer> range(int n) {
        List<Integer> r = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            r.add(i);
        }
        return r;
    }
}
