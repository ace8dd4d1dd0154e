package simpletorch.train;

import java.util.Locale;
import java.util.function.Supplier;
import simpletorch.autograd.GradMode;
import simpletorch.autograd.Profiler;
import simpletorch.data.Batch;
import simpletorch.data.DataLoader;
import simpletorch.nn.CrossEntropyLoss;
import simpletorch.nn.Module;
import simpletorch.optim.LRScheduler;
import simpletorch.optim.Optimizer;
import simpletorch.tensor.Tensor;
import simpletorch.tensor.TensorScope;

/**
 * The tutorial's training and evaluation loops, readable line for line against the PyTorch original:
 * <pre>{@code
 * for images, labels in train_loader:          for (Batch batch : loader) {
 *     optimizer.zero_grad()                         optimizer.zeroGrad();
 *     outputs = model(images)                       Tensor outputs = model.forward(batch.images());
 *     loss = criterion(outputs, labels)             Tensor loss = criterion.forward(outputs, batch.labels());
 *     loss.backward()                               loss.backward();
 *     optimizer.step()                              optimizer.step();
 * }</pre>
 */
public final class Trainer {
    /** Told about every finished batch; used to print progress. */
    @FunctionalInterface
    public interface BatchListener {
        /** @param batch 1-based index of the batch within the epoch */
        void onBatch(int batch, float loss);
    }

    /** What one epoch did. */
    public record EpochResult(double meanLoss, double accuracy, int images, int batches, double seconds) {
        public double imagesPerSecond() {
            return images / seconds;
        }
    }

    /** What an evaluation found. */
    public record Evaluation(int correct, int total, double meanLoss) {
        public double accuracy() {
            return total == 0 ? 0 : (double) correct / total;
        }
    }

    /** Thrown when the loss stops being a finite number, so that training does not go on with garbage weights. */
    public static final class NonFiniteLossException extends RuntimeException {
        private final int batch;

        public NonFiniteLossException(int batch, float loss) {
            super("loss became " + loss + " at batch " + batch + "; training stopped (try a smaller learning rate)");
            this.batch = batch;
        }

        /** The 1-based batch within the epoch whose loss was not finite; that batch's update was not applied. */
        public int batch() {
            return batch;
        }
    }

    /**
     * The profiler's row for the time a training loop waits for its next batch: building it (split over the
     * kernels' threads) or, when a loader thread builds it ahead, handing it over.
     */
    public static final Supplier<String> DATA_LOADING = () -> "data loading";

    private final Module model;
    private final Optimizer optimizer;
    /** The optimiser's step in the profiler's table ("sgd step", "adam step"), as `bench` names it. */
    private final Supplier<String> stepLabel;
    /** The optimiser's zeroing of the gradients in the profiler's table ("sgd zero_grad"). */
    private final Supplier<String> zeroGradLabel;
    private final CrossEntropyLoss criterion;
    private final LRScheduler batchScheduler;
    private int lastStepCorrect;

    public Trainer(Module model, Optimizer optimizer) {
        this(model, optimizer, new CrossEntropyLoss(), null);
    }

    /**
     * @param criterion      the training loss (label smoothing lives here)
     * @param batchScheduler a schedule stepped after every optimiser step, as PyTorch's per-batch schedules are
     *                       (OneCycleLR, cosine with warm-up); null for none. Per-epoch schedules are the
     *                       caller's, stepped after {@link #trainEpoch}.
     */
    public Trainer(Module model, Optimizer optimizer, CrossEntropyLoss criterion, LRScheduler batchScheduler) {
        this.model = model;
        this.optimizer = optimizer;
        String optimizerName = optimizer.getClass().getSimpleName().toLowerCase(Locale.ROOT);
        String stepName = optimizerName + " step", zeroGradName = optimizerName + " zero_grad";
        this.stepLabel = () -> stepName;
        this.zeroGradLabel = () -> zeroGradName;
        this.criterion = criterion;
        this.batchScheduler = batchScheduler;
    }

    /** The model this trainer trains. */
    public Module model() {
        return model;
    }

    /** One pass over {@code loader} in training mode. */
    public EpochResult trainEpoch(DataLoader loader, BatchListener listener) {
        model.train();
        long start = System.nanoTime();
        double lossSum = 0;
        int correct = 0, images = 0, batches = 0;
        try (DataLoader.EpochIterator epoch = loader.iterator()) { // closed early: the batches ahead are cancelled
            while (epoch.hasNext()) {
                long t = Profiler.start();
                Batch batch = epoch.next();
                Profiler.forward(t, DATA_LOADING);
                float value = step(batch.images(), batch.labels(), batches + 1);
                batches++;
                images += batch.size();
                lossSum += value;
                correct += lastStepCorrect;
                batch.recycle(); // the batch's buffers become the next batch's
                if (listener != null) {
                    listener.onBatch(batches, value);
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new EpochResult(batches == 0 ? 0 : lossSum / batches, images == 0 ? 0 : (double) correct / images,
                images, batches, seconds);
    }

    /**
     * One optimiser step on one batch: zero the gradients, forward, loss, backward, step (and the per-batch
     * schedule). The step's activations and gradients are released to become the next step's buffers; the images
     * tensor stays the caller's.
     *
     * @param batchNumber the 1-based batch within the epoch, for the message when the loss is not finite
     * @return the batch's loss; {@link #lastStepCorrect()} then says how many of its images were classified right
     * @throws NonFiniteLossException if the loss is not a finite number (the update is then not applied)
     */
    public float step(Tensor images, int[] labels, int batchNumber) {
        long z = Profiler.start();
        optimizer.zeroGrad();
        Profiler.forward(z, zeroGradLabel);
        Tensor outputs = model.forward(images);
        Tensor loss = criterion.forward(outputs, labels);
        float value = loss.item();
        if (!Float.isFinite(value)) {
            throw new NonFiniteLossException(batchNumber, value);
        }
        loss.backward();
        long t = Profiler.start();
        optimizer.step();
        Profiler.forward(t, stepLabel);
        if (batchScheduler != null) {
            batchScheduler.step();
        }
        lastStepCorrect = countCorrect(outputs, labels);
        loss.releaseGraph();
        return value;
    }

    /** How many images of the last {@link #step}'s batch had their highest logit at their label. */
    public int lastStepCorrect() {
        return lastStepCorrect;
    }

    /** Accuracy and mean loss of {@code model} over a loader, in evaluation mode and without a graph. */
    public static Evaluation evaluate(Module model, DataLoader loader) {
        model.eval();
        CrossEntropyLoss criterion = new CrossEntropyLoss();
        int correct = 0, total = 0;
        double lossSum = 0;
        try (var ignored = GradMode.noGrad()) {
            for (Batch batch : loader) {
                try (var scope = TensorScope.open()) { // the batch's activations are reused by the next batch
                    Tensor outputs = model.forward(batch.images());
                    lossSum += (double) criterion.forward(outputs, batch.labels()).item() * batch.size();
                    correct += countCorrect(outputs, batch.labels());
                    total += batch.size();
                }
                batch.recycle();
            }
        }
        return new Evaluation(correct, total, total == 0 ? 0 : lossSum / total);
    }

    /** How many rows of [B, C] logits have their maximum at the target class (first maximum on ties, as argmax). */
    public static int countCorrect(Tensor logits, int[] targets) {
        int B = logits.size(0), C = logits.size(1);
        float[] d = logits.data();
        int correct = 0;
        for (int b = 0; b < B; b++) {
            int best = 0;
            for (int j = 1; j < C; j++) {
                if (d[b * C + j] > d[b * C + best]) {
                    best = j;
                }
            }
            if (best == targets[b]) {
                correct++;
            }
        }
        return correct;
    }
}
