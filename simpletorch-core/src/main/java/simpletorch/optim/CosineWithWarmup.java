package simpletorch.optim;

/**
 * Linear warm-up from 0 to {@code baseLr} over {@code warmupSteps}, then a half cosine down to 0 at
 * {@code totalSteps} — the schedule of Hugging Face's {@code get_cosine_schedule_with_warmup}, a
 * {@code torch.optim.lr_scheduler.LambdaLR} with
 * <pre>
 *   factor(t) = t / max(1, warmupSteps)                                           if t < warmupSteps
 *   factor(t) = max(0, 0.5 * (1 + cos(pi * (t - warmupSteps) / max(1, totalSteps - warmupSteps))))   otherwise
 * </pre>
 * and {@code lr = baseLr * factor(t)}. With no warm-up it is {@code CosineAnnealingLR(T_max=totalSteps)}. Step
 * it once per batch.
 */
public final class CosineWithWarmup extends LRScheduler {
    private final int warmupSteps;
    private final int totalSteps;

    public CosineWithWarmup(Optimizer optimizer, int warmupSteps, int totalSteps) {
        super(optimizer);
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmupSteps must be >= 0, got " + warmupSteps);
        }
        if (totalSteps < 1 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("totalSteps must be >= 1 and >= warmupSteps (" + warmupSteps + "), got "
                    + totalSteps);
        }
        this.warmupSteps = warmupSteps;
        this.totalSteps = totalSteps;
        initialStep();
    }

    @Override
    protected double computeLr() {
        return baseLr * factor(lastEpoch);
    }

    private double factor(int t) {
        if (t < warmupSteps) {
            return (double) t / Math.max(1, warmupSteps);
        }
        double progress = (double) (t - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * progress)));
    }

    @Override
    public String toString() {
        return "CosineWithWarmup(warmup_steps=" + warmupSteps + ", total_steps=" + totalSteps + ")";
    }
}
