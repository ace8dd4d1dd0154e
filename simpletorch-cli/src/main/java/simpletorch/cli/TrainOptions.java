package simpletorch.cli;

/**
 * Every option of a training run after defaults are applied: what {@code config.json} records and what
 * {@code --resume} reads back. Paths are strings so the JSON stays readable.
 *
 * @param dataset      the --dataset value: a built-in name or folder:PATH
 * @param labels       CIFAR-100's fine or coarse labels
 * @param imageSize    folder data sets: the side images are resized and cropped to
 * @param channels     folder data sets: 3 (RGB) or 1 (greyscale)
 * @param testFraction folder data sets without train/ and test/: the share held out for testing
 * @param randomCrop   augmentation: padding of the random crop, 0 for none
 * @param hflip        augmentation: random horizontal flips
 * @param valSplit     the fraction of the training set held out for validation; 0 for none
 * @param maxLr        the peak rate of the one-cycle schedule
 * @param warmupEpochs epochs of linear warm-up of the cosine schedule
 * @param threads      the worker threads the run used (results are bit-identical only for the same count)
 * @param model        the {@link simpletorch.models.Models} name ({@code simplenet} when absent, as in older runs)
 */
record TrainOptions(String dataset, String dataDir, String labels, int imageSize, int channels, double testFraction,
                    int randomCrop, boolean hflip, int epochs, int batchSize, String optimizer, double lr,
                    double momentum, boolean nesterov, double weightDecay, double beta1, double beta2, double eps,
                    String scheduler, int stepSize, double gamma, int warmupEpochs, double maxLr,
                    double labelSmoothing, double valSplit, long seed, int threads, boolean shuffle, Integer trainLimit,
                    Integer testLimit, String weights, int logEvery, String model) {

    /** Runs recorded before {@code --model} existed trained SimpleNet. */
    TrainOptions {
        model = model == null ? "simplenet" : model;
    }

    TrainOptions withEpochs(int newEpochs) {
        return new TrainOptions(dataset, dataDir, labels, imageSize, channels, testFraction, randomCrop, hflip, newEpochs, batchSize, optimizer, lr, momentum, nesterov, weightDecay,
                beta1, beta2, eps, scheduler, stepSize, gamma, warmupEpochs, maxLr, labelSmoothing, valSplit, seed,
                threads, shuffle, trainLimit, testLimit, weights, logEvery, model);
    }

    TrainOptions withRuntime(int newThreads, int newLogEvery, String newDataDir) {
        return new TrainOptions(dataset, newDataDir, labels, imageSize, channels, testFraction, randomCrop, hflip, epochs, batchSize, optimizer, lr, momentum, nesterov, weightDecay,
                beta1, beta2, eps, scheduler, stepSize, gamma, warmupEpochs, maxLr, labelSmoothing, valSplit, seed,
                newThreads, shuffle, trainLimit, testLimit, weights, newLogEvery, model);
    }
}
