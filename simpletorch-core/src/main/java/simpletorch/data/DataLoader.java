package simpletorch.data;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import simpletorch.kernels.Parallel;
import simpletorch.tensor.BufferPool;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * Iterates a {@link Dataset} in mini-batches, like {@code torch.utils.data.DataLoader(dataset, batch_size,
 * shuffle)} with {@code drop_last=False}: the last batch is smaller when the size is not a multiple of
 * {@code batchSize}.
 *
 * <p>Each call of {@link #iterator()} is one epoch. It draws, in this order, the shuffle permutation (with
 * {@code shuffle}) and then, for each position of the epoch in turn, the crop offsets and the flip of the
 * {@link Augmentation} (when there is one), all from the one generator. Every random number of the epoch is thus
 * drawn before the first batch is built: epochs differ from each other but replay exactly from the same seed or
 * {@link Generator#state()}, and saving {@code generator().state()} between epochs is enough to resume.
 *
 * <p>Batches are built {@code prefetch} ahead on a background thread while the caller trains on the current one;
 * without prefetching, the caller builds each batch with the kernels' {@link Parallel} workers, images split between
 * them.
 * Their content depends only on their position, never on timing. An epoch's iterator can be closed
 * ({@link EpochIterator#close()}) to cancel the work ahead when a loop stops early; one that is simply dropped
 * finishes at most {@code prefetch} batches on daemon threads, then nothing.
 */
public final class DataLoader implements Iterable<Batch> {
    /** Background threads for prefetching; daemon, so they never keep the JVM alive. */
    private static final ExecutorService PREFETCH = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "simpletorch-prefetch");
        t.setDaemon(true);
        return t;
    });

    private final Dataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final Generator generator;
    private final Augmentation augmentation;
    private final int prefetch;

    /**
     * A loader without augmentation that prefetches as {@link #defaultPrefetch()} says.
     *
     * @param generator the source of the shuffle order, advanced by each {@link #iterator()} call; may be null
     *                  when {@code shuffle} is false
     */
    public DataLoader(Dataset dataset, int batchSize, boolean shuffle, Generator generator) {
        this(dataset, batchSize, shuffle, generator, Augmentation.NONE, defaultPrefetch());
    }

    /**
     * One batch ahead when a processor is left over by the kernels' workers, else none: on a machine whose cores
     * all run kernels, a loader thread only preempts them (measured on 2 cores with 2 workers: the first
     * convolution of each step took twice as long, and an epoch 8% longer, than with batches built in line).
     */
    public static int defaultPrefetch() {
        return Runtime.getRuntime().availableProcessors() > Parallel.threads() ? 1 : 0;
    }

    /**
     * @param generator    the source of the shuffle order and the augmentation, advanced by each
     *                     {@link #iterator()} call; may be null when there is neither
     * @param augmentation applied to every image; {@link Augmentation#NONE} for none (always, for evaluation)
     * @param prefetch     batches built ahead on a background thread, 0 (build on the caller's thread) to 2
     */
    public DataLoader(Dataset dataset, int batchSize, boolean shuffle, Generator generator,
                      Augmentation augmentation, int prefetch) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be > 0, got " + batchSize);
        }
        if (augmentation == null) {
            throw new IllegalArgumentException("augmentation must not be null; use Augmentation.NONE");
        }
        if ((shuffle || !augmentation.isNone()) && generator == null) {
            throw new IllegalArgumentException((shuffle ? "shuffle" : "augmentation") + " needs a Generator, got null");
        }
        if (prefetch < 0 || prefetch > 2) {
            throw new IllegalArgumentException("prefetch must be in [0, 2], got " + prefetch);
        }
        this.dataset = dataset;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.generator = generator;
        this.augmentation = augmentation;
        this.prefetch = prefetch;
    }

    public Dataset dataset() {
        return dataset;
    }

    public int batchSize() {
        return batchSize;
    }

    /** The generator the epochs draw from (null if none); its {@link Generator#state()} is all a resume needs. */
    public Generator generator() {
        return generator;
    }

    public Augmentation augmentation() {
        return augmentation;
    }

    /** Batches per epoch: {@code ceil(size / batchSize)}. */
    public int numBatches() {
        return (int) (((long) dataset.size() + batchSize - 1) / batchSize);
    }

    /** One epoch; draws the shuffle order and the augmentation now. */
    @Override
    public EpochIterator iterator() {
        int n = dataset.size();
        int[] order = shuffle ? generator.permutation(n) : null;
        if (augmentation.isNone()) {
            return new EpochIterator(order, null, null, null);
        }
        int p = augmentation.padding();
        int[] dy = p > 0 ? new int[n] : null; // [n]: crop offset per epoch position, in [-p, p]
        int[] dx = p > 0 ? new int[n] : null; // [n]
        boolean[] flip = augmentation.hflip() ? new boolean[n] : null; // [n]
        for (int k = 0; k < n; k++) {
            if (p > 0) {
                dy[k] = generator.nextInt(2 * p + 1) - p;
                dx[k] = generator.nextInt(2 * p + 1) - p;
            }
            if (flip != null) {
                flip[k] = generator.nextFloat() < 0.5f;
            }
        }
        return new EpochIterator(order, dy, dx, flip);
    }

    /** One epoch's batches. {@link #close()} cancels the batches being prepared ahead. */
    public final class EpochIterator implements Iterator<Batch>, AutoCloseable {
        private final int n = dataset.size();
        private final int[] order; // [n] or null: epoch position -> dataset index
        private final int[] dy, dx; // [n] or null
        private final boolean[] flip; // [n] or null
        private final ArrayDeque<Future<Batch>> ahead = new ArrayDeque<>();
        private int nextStart = 0;     // first position of the next batch handed out
        private int submittedEnd = 0;  // positions [0, submittedEnd) have been handed out or submitted
        private boolean closed;

        private EpochIterator(int[] order, int[] dy, int[] dx, boolean[] flip) {
            this.order = order;
            this.dy = dy;
            this.dx = dx;
            this.flip = flip;
            fill();
        }

        @Override
        public boolean hasNext() {
            return !closed && nextStart < n;
        }

        @Override
        public Batch next() {
            if (closed) {
                throw new IllegalStateException("epoch iterator was closed");
            }
            if (nextStart >= n) {
                throw new NoSuchElementException("epoch finished after " + n + " examples");
            }
            int start = nextStart;
            nextStart = Math.min(n, start + batchSize);
            if (prefetch == 0) {
                submittedEnd = nextStart;
                return build(start);
            }
            Future<Batch> f = ahead.poll();
            fill();
            return await(f);
        }

        /** Cancels the batches prepared ahead; later {@link #hasNext()} is false. */
        @Override
        public void close() {
            closed = true;
            for (Future<Batch> f : ahead) {
                f.cancel(true);
            }
            ahead.clear();
        }

        /** Keeps {@code prefetch} batches submitted beyond the ones handed out. */
        private void fill() {
            while (prefetch > 0 && ahead.size() < prefetch && submittedEnd < n) {
                int start = submittedEnd;
                submittedEnd = Math.min(n, start + batchSize);
                ahead.add(PREFETCH.submit(() -> build(start)));
            }
        }

        private Batch await(Future<Batch> f) {
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException("interrupted while waiting for a batch", e);
            } catch (CancellationException e) {
                throw new IllegalStateException("batch was cancelled", e);
            } catch (ExecutionException e) {
                close();
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException r) {
                    throw r;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException("building a batch failed: " + cause, cause);
            }
        }

        /** The batch of epoch positions {@code [start, start + B)}. Reads only immutable state: thread-safe. */
        private Batch build(int start) {
            int C = dataset.channels(), H = dataset.height(), W = dataset.width();
            int imageSize = C * H * W;
            int B = Math.min(batchSize, n - start);
            float[] images = BufferPool.take(B * imageSize); // [B, C, H, W], every element written below; see Batch.recycle
            int[] labels = new int[B];
            if (prefetch == 0) { // on the caller, between steps: the kernels' workers are free to share the copying
                Parallel.parallelFor(B, (worker, from, to) -> copy(start, from, to, images, labels, imageSize));
            } else { // on the prefetch thread: the workers are busy with the caller's step
                copy(start, 0, B, images, labels, imageSize);
            }
            return new Batch(new Tensor(images, B, C, H, W), labels);
        }

        /** Copies the examples at epoch positions start + [from, to) into places [from, to) of the batch. */
        private void copy(int start, int from, int to, float[] images, int[] labels, int imageSize) {
            for (int b = from; b < to; b++) {
                int k = start + b;
                int i = order == null ? k : order[k];
                if (dy == null && flip == null) {
                    dataset.copyImage(i, images, b * imageSize);
                } else {
                    dataset.copyImage(i, images, b * imageSize, dy == null ? 0 : dy[k], dx == null ? 0 : dx[k],
                            flip != null && flip[k]);
                }
                labels[b] = dataset.label(i);
            }
        }
    }
}
