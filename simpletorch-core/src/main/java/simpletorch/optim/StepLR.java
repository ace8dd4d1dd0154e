package simpletorch.optim;

/**
 * Multiplies the learning rate by {@code gamma} every {@code stepSize} steps, as
 * {@code torch.optim.lr_scheduler.StepLR}: {@code lr = baseLr * gamma^floor(epoch / stepSize)}, computed the way
 * PyTorch does (multiplying the current rate), so the rates agree bit for bit. Step it once per epoch.
 */
public final class StepLR extends LRScheduler {
    private final int stepSize;
    private final double gamma;

    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer);
        if (stepSize < 1) {
            throw new IllegalArgumentException("step_size must be >= 1, got " + stepSize);
        }
        if (!(gamma > 0) || Double.isInfinite(gamma)) {
            throw new IllegalArgumentException("gamma must be finite and > 0, got " + gamma);
        }
        this.stepSize = stepSize;
        this.gamma = gamma;
        initialStep();
    }

    @Override
    protected double computeLr() {
        if (lastEpoch == 0 || lastEpoch % stepSize != 0) {
            return optimizer.lr();
        }
        return optimizer.lr() * gamma;
    }

    @Override
    public String toString() {
        return "StepLR(step_size=" + stepSize + ", gamma=" + gamma + ")";
    }
}
