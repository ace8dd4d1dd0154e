package simpletorch.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import simpletorch.tensor.Generator;

/** Operations on whole data sets. */
public final class Datasets {
    private Datasets() {
    }

    /**
     * Splits {@code dataset} into non-overlapping random subsets of the given lengths, as
     * {@code torch.utils.data.random_split(dataset, lengths, generator)}: one permutation is drawn from
     * {@code generator} and cut into consecutive pieces. The same generator state gives the same split.
     *
     * @throws IllegalArgumentException if a length is negative or the lengths do not add up to the size
     */
    public static List<Subset> randomSplit(Dataset dataset, int[] lengths, Generator generator) {
        long total = 0;
        for (int n : lengths) {
            if (n < 0) {
                throw new IllegalArgumentException("split lengths must be >= 0, got " + Arrays.toString(lengths));
            }
            total += n;
        }
        if (total != dataset.size()) {
            throw new IllegalArgumentException("Sum of input lengths " + Arrays.toString(lengths) + " (" + total
                    + ") does not equal the length of the input dataset (" + dataset.size() + ")");
        }
        int[] order = generator.permutation(dataset.size());
        List<Subset> out = new ArrayList<>(lengths.length);
        int start = 0;
        for (int k = 0; k < lengths.length; k++) {
            out.add(new Subset(dataset, Arrays.copyOfRange(order, start, start + lengths[k]),
                    dataset.name() + " (split " + k + ")"));
            start += lengths[k];
        }
        return out;
    }

    /**
     * Holds out {@code fraction} of {@code dataset} for validation: returns {@code [train, validation]} with
     * {@code round(fraction * size)} validation examples (at least one), chosen at random by a generator seeded
     * with {@code seed}.
     *
     * @throws IllegalArgumentException if {@code fraction} is not in (0, 1) or leaves no training examples
     */
    public static List<Subset> trainValidationSplit(Dataset dataset, double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + fraction);
        }
        int n = dataset.size();
        int val = (int) Math.max(1, Math.round(fraction * n));
        if (val >= n) {
            throw new IllegalArgumentException("a validation fraction of " + fraction + " of " + n
                    + " examples leaves none for training");
        }
        // The same draw as randomSplit(dataset, [n - val, val], new Generator(seed)).
        int[] order = new Generator(seed).permutation(n);
        return List.of(new Subset(dataset, Arrays.copyOfRange(order, 0, n - val), dataset.name() + " (train split)"),
                new Subset(dataset, Arrays.copyOfRange(order, n - val, n), dataset.name() + " (validation split)"));
    }
}
