package simpletorch.data;

import java.util.List;

/**
 * A view of some examples of another data set, in the order of {@code indices}, as
 * {@code torch.utils.data.Subset}. Nothing is copied; example {@code i} of the subset is example
 * {@code indices[i]} of the parent.
 */
public final class Subset implements Dataset {
    private final Dataset parent;
    private final int[] indices;
    private final String name;

    /** @throws IllegalArgumentException if an index is outside the parent */
    public Subset(Dataset parent, int[] indices, String name) {
        for (int k = 0; k < indices.length; k++) {
            if (indices[k] < 0 || indices[k] >= parent.size()) {
                throw new IllegalArgumentException("index " + indices[k] + " at position " + k + " is outside "
                        + parent.name() + " of size " + parent.size());
            }
        }
        this.parent = parent;
        this.indices = indices.clone();
        this.name = name;
    }

    public Dataset parent() {
        return parent;
    }

    /** The parent's index of example {@code i}. */
    public int parentIndex(int i) {
        return indices[i];
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public int channels() {
        return parent.channels();
    }

    @Override
    public int height() {
        return parent.height();
    }

    @Override
    public int width() {
        return parent.width();
    }

    @Override
    public List<String> classes() {
        return parent.classes();
    }

    @Override
    public int label(int i) {
        return parent.label(indices[i]);
    }

    @Override
    public void copyImage(int i, float[] dst, int offset) {
        parent.copyImage(indices[i], dst, offset);
    }

    @Override
    public String toString() {
        return name + ": " + indices.length + " of " + parent.name();
    }
}
