package simpletorch.optim;

/**
 * The base of the learning-rate schedules, as {@code torch.optim.lr_scheduler.LRScheduler}: it remembers the
 * optimiser's learning rate at construction as {@code baseLr}, sets the learning rate for step 0 at once (as
 * PyTorch's constructor does), and each {@link #step()} advances {@code lastEpoch} by one and sets the next rate.
 *
 * <p>Call {@code step()} after {@code optimizer.step()}: once per epoch for {@link StepLR}, once per batch for
 * {@link CosineWithWarmup} and {@link OneCycleLR} (their lengths are counted in optimiser steps).
 */
public abstract class LRScheduler {
    /** Where a schedule stands, for a checkpoint: the step count and the learning rate now in use. */
    public record State(int lastEpoch, double lr) {
        public State {
            if (lastEpoch < 0) {
                throw new IllegalArgumentException("lastEpoch must be >= 0, got " + lastEpoch);
            }
            if (!(lr >= 0) || Double.isInfinite(lr)) {
                throw new IllegalArgumentException("lr must be finite and >= 0, got " + lr);
            }
        }
    }

    protected final Optimizer optimizer;
    protected final double baseLr;
    protected int lastEpoch = -1;

    protected LRScheduler(Optimizer optimizer) {
        this.optimizer = optimizer;
        this.baseLr = optimizer.lr();
    }

    /** Subclasses call this at the end of their constructor: PyTorch's initial step to {@code lastEpoch = 0}. */
    protected final void initialStep() {
        step();
    }

    /** The learning rate for step {@code lastEpoch}, given the rate used so far ({@code optimizer.lr()}). */
    protected abstract double computeLr();

    /** Advances the schedule by one step and sets the optimiser's learning rate. */
    public void step() {
        lastEpoch++;
        optimizer.setLr(computeLr());
    }

    /** The number of steps taken since construction (0 right after it). */
    public int lastEpoch() {
        return lastEpoch;
    }

    public double lr() {
        return optimizer.lr();
    }

    public State state() {
        return new State(lastEpoch, optimizer.lr());
    }

    /** Restores {@link #state()}: the step count and the learning rate (and anything derived from them). */
    public void loadState(State state) {
        lastEpoch = state.lastEpoch();
        optimizer.setLr(state.lr());
    }
}
