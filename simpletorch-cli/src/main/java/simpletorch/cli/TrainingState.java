package simpletorch.cli;

import java.util.List;
import java.util.Map;
import simpletorch.optim.LRScheduler;

/**
 * Everything besides tensors that a resumed run needs to continue exactly: stored as JSON in the checkpoint's
 * metadata.
 *
 * @param epoch                 the last completed epoch
 * @param lr                    the optimiser's learning rate at the end of that epoch
 * @param scheduler             the schedule's position, null without a schedule
 * @param optimizerCounters     the optimiser's integer state (Adam's step counts)
 * @param shuffleGeneratorState the DataLoader's shuffle generator at the start of the next epoch
 * @param defaultGeneratorState the default generator (initialisation) at the same moment
 * @param history               one row per completed epoch, for metrics.csv and the curves
 * @param bestValAccuracy       the best validation accuracy so far (NaN without validation)
 * @param bestEpoch             the epoch that reached it (0 for none)
 */
record TrainingState(int epoch, double lr, LRScheduler.State scheduler, Map<String, Long> optimizerCounters,
                     long shuffleGeneratorState, long defaultGeneratorState, List<EpochMetrics> history,
                     double bestValAccuracy, int bestEpoch) {
    TrainingState {
        optimizerCounters = Map.copyOf(optimizerCounters);
        history = List.copyOf(history);
    }
}
