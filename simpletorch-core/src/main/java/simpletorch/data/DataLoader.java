package simpletorch.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * Iterates a {@link Dataset} in mini-batches, like {@code torch.utils.data.DataLoader(dataset, batch_size,
 * shuffle)} with {@code drop_last=False}: the last batch is smaller when the size is not a multiple of
 * {@code batchSize}.
 *
 * <p>Each call of {@link #iterator()} is one epoch. With {@code shuffle}, it draws a fresh permutation from the
 * generator (advancing it), so epochs differ from each other but replay exactly from the same seed or
 * {@link Generator#state()}.
 */
public final class DataLoader implements Iterable<Batch> {
    private final Dataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final Generator generator;

    /**
     * @param generator the source of the shuffle order, advanced by each {@link #iterator()} call; may be null
     *                  when {@code shuffle} is false
     */
    public DataLoader(Dataset dataset, int batchSize, boolean shuffle, Generator generator) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
        }
        if (shuffle && generator == null) {
            throw new IllegalArgumentException("shuffle needs a Generator, got null");
        }
        this.dataset = dataset;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.generator = generator;
    }

    public Dataset dataset() {
        return dataset;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Batches per epoch: {@code ceil(size / batchSize)}. */
    public int numBatches() {
        return (int) (((long) dataset.size() + batchSize - 1) / batchSize);
    }

    /** One epoch; draws the shuffle order now. */
    @Override
    public Iterator<Batch> iterator() {
        int n = dataset.size();
        int[] order = shuffle ? generator.permutation(n) : null;
        int C = dataset.channels(), H = dataset.height(), W = dataset.width();
        int imageSize = C * H * W;
        return new Iterator<>() {
            private int next = 0;

            @Override
            public boolean hasNext() {
                return next < n;
            }

            @Override
            public Batch next() {
                if (next >= n) {
                    throw new NoSuchElementException("epoch finished after " + n + " examples");
                }
                int B = Math.min(batchSize, n - next);
                float[] images = new float[B * imageSize]; // [B, C, H, W]
                int[] labels = new int[B];
                for (int b = 0; b < B; b++) {
                    int i = order == null ? next + b : order[next + b];
                    dataset.copyImage(i, images, b * imageSize);
                    labels[b] = dataset.label(i);
                }
                next += B;
                return new Batch(new Tensor(images, B, C, H, W), labels);
            }
        };
    }
}
