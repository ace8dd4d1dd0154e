package simpletorch.cli;

/**
 * One row of {@code metrics.csv}: what one epoch did. Validation values are NaN when there is no validation split.
 *
 * @param lr the learning rate at the end of the epoch (after the schedule's step)
 */
record EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double valLoss, double valAccuracy, double lr,
                    double seconds, double imagesPerSecond) {

    static final String CSV_HEADER = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds,images_per_second";

    boolean hasValidation() {
        return !Double.isNaN(valAccuracy);
    }

    /** The CSV row; doubles in Java's shortest round-trip form, NaN as an empty field. */
    String csvRow() {
        return epoch + "," + num(trainLoss) + "," + num(trainAccuracy) + "," + num(valLoss) + "," + num(valAccuracy)
                + "," + num(lr) + "," + num(seconds) + "," + num(imagesPerSecond);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }
}
