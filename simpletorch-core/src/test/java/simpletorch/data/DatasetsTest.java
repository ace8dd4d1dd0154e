package simpletorch.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import simpletorch.tensor.Generator;

class DatasetsTest {
    private final ImageDataset data = FakeData.create(100, 1, 4, 4, 3, 5);

    private static Set<Integer> parentIndices(Subset s) {
        Set<Integer> out = new HashSet<>();
        for (int i = 0; i < s.size(); i++) {
            out.add(s.parentIndex(i));
        }
        return out;
    }

    @Test
    void validationSplitIsSeededDisjointAndComplete() {
        List<Subset> a = Datasets.trainValidationSplit(data, 0.2, 11);
        List<Subset> b = Datasets.trainValidationSplit(data, 0.2, 11);
        List<Subset> c = Datasets.trainValidationSplit(data, 0.2, 12);
        assertThat(a.get(0).size()).isEqualTo(80);
        assertThat(a.get(1).size()).isEqualTo(20);
        Set<Integer> train = parentIndices(a.get(0)), val = parentIndices(a.get(1));
        assertThat(train).hasSize(80).doesNotContainAnyElementsOf(val);
        Set<Integer> all = new HashSet<>(train);
        all.addAll(val);
        assertThat(all).hasSize(100);
        assertThat(parentIndices(b.get(1))).isEqualTo(val);
        assertThat(parentIndices(c.get(1))).isNotEqualTo(val);
        // it is random_split(data, [80, 20], Generator(seed))
        assertThat(parentIndices(Datasets.randomSplit(data, new int[] {80, 20}, new Generator(11)).get(1))).isEqualTo(val);
    }

    @Test
    void aSubsetShowsItsParentsExamples() {
        Subset s = new Subset(data, new int[] {7, 3}, "two");
        float[] mine = new float[16], parent = new float[16];
        s.copyImage(1, mine, 0);
        data.copyImage(3, parent, 0);
        assertThat(mine).isEqualTo(parent);
        assertThat(s.label(0)).isEqualTo(data.label(7));
        assertThat(s.classes()).isEqualTo(data.classes());
        assertThatThrownBy(() -> new Subset(data, new int[] {100}, "bad")).hasMessageContaining("index 100");
    }

    @Test
    void badFractionsAndLengthsAreRejected() {
        assertThatThrownBy(() -> Datasets.trainValidationSplit(data, 1.0, 1)).hasMessageContaining("(0, 1), got 1.0");
        assertThatThrownBy(() -> Datasets.trainValidationSplit(FakeData.create(1, 1, 4, 4, 3, 5), 0.5, 1))
                .hasMessageContaining("leaves none for training");
        assertThatThrownBy(() -> Datasets.randomSplit(data, new int[] {50, 49}, new Generator(1)))
                .hasMessageContaining("does not equal the length of the input dataset (100)");
    }
}
