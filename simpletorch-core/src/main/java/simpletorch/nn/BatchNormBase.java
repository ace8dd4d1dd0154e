package simpletorch.nn;

import java.util.Arrays;
import simpletorch.autograd.Functional;
import simpletorch.tensor.Tensor;

/**
 * What BatchNorm1d and BatchNorm2d share, as PyTorch's {@code _BatchNorm}: parameters {@code weight} (ones) and
 * {@code bias} (zeros) when affine, buffers {@code running_mean} (zeros), {@code running_var} (ones) and
 * {@code num_batches_tracked} (a 0-d count, held as float: exact up to 2^24 batches) when tracking running stats.
 *
 * <p>In training the batch statistics normalise the output and update the running ones with {@code momentum};
 * in evaluation the running statistics are used. With {@code trackRunningStats = false} the batch statistics
 * are used in both modes, as in PyTorch.
 */
abstract class BatchNormBase extends Module {
    public final int numFeatures;
    public final double eps;
    public final double momentum;
    public final Tensor weight;
    public final Tensor bias;
    public final Tensor runningMean;
    public final Tensor runningVar;
    public final Tensor numBatchesTracked;

    BatchNormBase(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        Conv2d.require(numFeatures > 0, "numFeatures must be > 0, got " + numFeatures);
        Conv2d.require(eps > 0, "eps must be > 0, got " + eps);
        Conv2d.require(momentum >= 0 && momentum <= 1, "momentum must be in [0, 1], got " + momentum);
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = affine ? registerParameter("weight", Tensor.ones(numFeatures)) : null;
        this.bias = affine ? registerParameter("bias", Tensor.zeros(numFeatures)) : null;
        this.runningMean = trackRunningStats ? registerBuffer("running_mean", Tensor.zeros(numFeatures)) : null;
        this.runningVar = trackRunningStats ? registerBuffer("running_var", Tensor.ones(numFeatures)) : null;
        this.numBatchesTracked = trackRunningStats ? registerBuffer("num_batches_tracked", Tensor.scalar(0)) : null;
    }

    /** Throws unless the input has one of the shapes this layer takes. */
    abstract void checkInput(Tensor input);

    @Override
    public Tensor forward(Tensor input) {
        return forward(input, false, false);
    }

    /**
     * {@code relu(forward(input))} as one op ({@link Functional#batchNormRelu}): the same values and gradients, the
     * output made and read once. {@link Sequential} runs a BatchNorm followed by a ReLU this way.
     */
    public Tensor forwardRelu(Tensor input) {
        return forward(input, true, false);
    }

    /**
     * {@code max_pool2d(relu(forward(input)), 2)} (2x2 windows, stride 2) as one op
     * ({@link Functional#batchNormReluMaxPool2d}): the same values and gradients. {@link Sequential} runs a BatchNorm,
     * a ReLU and such a MaxPool2d this way ({@link MaxPool2d#forwardAfterBatchNormRelu}).
     */
    public Tensor forwardReluMaxPool2x2(Tensor input) {
        return forward(input, true, true);
    }

    private Tensor forward(Tensor input, boolean relu, boolean pool) {
        checkInput(input);
        if (input.size(1) != numFeatures) {
            throw new IllegalArgumentException(getClass().getSimpleName() + "(" + numFeatures + ") expected " + numFeatures
                    + " channels, got input of shape " + Arrays.toString(input.shape()));
        }
        boolean useBatchStats = isTraining() || runningMean == null;
        if (isTraining() && numBatchesTracked != null) {
            numBatchesTracked.data()[0] += 1;
        }
        if (pool) {
            return Functional.batchNormReluMaxPool2d(input, runningMean, runningVar, weight, bias, useBatchStats,
                    momentum, eps);
        }
        if (relu) {
            return Functional.batchNormRelu(input, runningMean, runningVar, weight, bias, useBatchStats, momentum, eps);
        }
        return Functional.batchNorm(input, runningMean, runningVar, weight, bias, useBatchStats, momentum, eps);
    }

    /** Resets the running statistics to their initial values (zeros, ones, count 0). */
    public void resetRunningStats() {
        if (runningMean != null) {
            Arrays.fill(runningMean.data(), 0f);
            Arrays.fill(runningVar.data(), 1f);
            numBatchesTracked.data()[0] = 0;
        }
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + eps + ", momentum=" + momentum + ", affine=" + (weight != null ? "True" : "False")
                + ", track_running_stats=" + (runningMean != null ? "True" : "False");
    }
}
