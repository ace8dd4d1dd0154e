package simpletorch.optim;

/**
 * The one-cycle policy (Smith and Topin, 2018) exactly as {@code torch.optim.lr_scheduler.OneCycleLR} with its
 * defaults ({@code anneal_strategy='cos'}, {@code three_phase=False}): the learning rate rises from
 * {@code maxLr / divFactor} to {@code maxLr} over the first {@code pctStart} of {@code totalSteps}, then falls to
 * {@code maxLr / divFactor / finalDivFactor}, each phase along a half cosine. With {@code cycleMomentum} the
 * momentum (SGD's momentum, Adam's beta1) moves the opposite way between {@code maxMomentum} and
 * {@code baseMomentum}. Step it once per batch; it allows {@code totalSteps} steps.
 *
 * <p>Like PyTorch, it ignores the optimiser's learning rate at construction.
 */
public final class OneCycleLR extends LRScheduler {
    /**
     * OneCycleLR's arguments besides the optimiser.
     *
     * @param pctStart       the fraction of the steps spent raising the rate (PyTorch: 0.3)
     * @param divFactor      initial rate = maxLr / divFactor (PyTorch: 25)
     * @param finalDivFactor final rate = initial rate / finalDivFactor (PyTorch: 1e4)
     * @param cycleMomentum  vary the momentum inversely to the rate (PyTorch: true, between 0.85 and 0.95)
     */
    public record Options(double maxLr, int totalSteps, double pctStart, double divFactor, double finalDivFactor,
                          boolean cycleMomentum, double baseMomentum, double maxMomentum) {
        public Options {
            if (!(maxLr > 0) || Double.isInfinite(maxLr)) {
                throw new IllegalArgumentException("max_lr must be finite and > 0, got " + maxLr);
            }
            if (totalSteps < 1) {
                throw new IllegalArgumentException("Expected positive integer total_steps, but got " + totalSteps);
            }
            if (!(pctStart >= 0 && pctStart <= 1)) {
                throw new IllegalArgumentException("Expected float between 0 and 1 pct_start, but got " + pctStart);
            }
            if (!(divFactor > 0) || !(finalDivFactor > 0)) {
                throw new IllegalArgumentException("div_factor and final_div_factor must be > 0, got " + divFactor
                        + " and " + finalDivFactor);
            }
        }

        /** PyTorch's defaults: pct_start 0.3, div_factor 25, final_div_factor 1e4, momentum cycled 0.85..0.95. */
        public static Options of(double maxLr, int totalSteps) {
            return new Options(maxLr, totalSteps, 0.3, 25, 1e4, true, 0.85, 0.95);
        }
    }

    private final Options options;
    private final double initialLr;
    private final double minLr;
    private final double warmupEnd; // the last step of the rising phase, as PyTorch computes it (may be fractional)

    public OneCycleLR(Optimizer optimizer, Options options) {
        super(optimizer);
        this.options = options;
        this.initialLr = options.maxLr() / options.divFactor();
        this.minLr = initialLr / options.finalDivFactor();
        this.warmupEnd = options.pctStart() * options.totalSteps() - 1;
        if (options.cycleMomentum()) {
            optimizer.setMomentum(options.maxMomentum()); // throws when the optimiser has no momentum, as PyTorch
        }
        optimizer.setLr(initialLr);
        initialStep();
    }

    @Override
    protected double computeLr() {
        int step = lastEpoch;
        if (step > options.totalSteps()) {
            throw new IllegalStateException("Tried to step " + step + " times. The specified number of total steps is "
                    + options.totalSteps());
        }
        double lr, momentum;
        double end = options.totalSteps() - 1;
        if (step <= warmupEnd) {
            double pct = warmupEnd > 0 ? step / warmupEnd : 1; // PyTorch divides 0 by 0 here and fails
            lr = annealCos(initialLr, options.maxLr(), pct);
            momentum = annealCos(options.maxMomentum(), options.baseMomentum(), pct);
        } else {
            double pct = (step - warmupEnd) / (end - warmupEnd);
            lr = annealCos(options.maxLr(), minLr, pct);
            momentum = annealCos(options.baseMomentum(), options.maxMomentum(), pct);
        }
        if (options.cycleMomentum()) {
            optimizer.setMomentum(momentum);
        }
        return lr;
    }

    /** Cosine from {@code start} (pct 0) to {@code end} (pct 1), written as PyTorch's {@code _annealing_cos}. */
    private static double annealCos(double start, double end, double pct) {
        double cosOut = Math.cos(Math.PI * pct) + 1;
        return end + (start - end) / 2.0 * cosOut;
    }

    /** Restores the step count and recomputes the rate and momentum for it (both are functions of the step). */
    @Override
    public void loadState(State state) {
        lastEpoch = state.lastEpoch();
        optimizer.setLr(computeLr());
    }

    @Override
    public String toString() {
        return "OneCycleLR(max_lr=" + options.maxLr() + ", total_steps=" + options.totalSteps() + ")";
    }
}
