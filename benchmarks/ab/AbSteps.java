import java.util.Iterator;
import simpletorch.data.Batch;
import simpletorch.data.DataLoader;
import simpletorch.data.FakeData;
import simpletorch.data.ImageDataset;
import simpletorch.kernels.Parallel;
import simpletorch.models.Models;
import simpletorch.nn.CrossEntropyLoss;
import simpletorch.nn.Module;
import simpletorch.optim.SGD;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * One engine's side of {@link CommitAB}: loaded once per build, each copy with its own model, data, optimiser and
 * worker threads. Trains on CIFAR-shaped fake data, batch 32, SGD lr 0.01, as {@code ./simpletorch bench} does.
 */
public final class AbSteps {
    private static Module net;
    private static SGD optimizer;
    private static CrossEntropyLoss criterion;
    private static DataLoader loader;
    private static Iterator<Batch> batches;

    private AbSteps() {
    }

    /** Runs {@code steps} training steps of {@code model} on {@code threads} threads; returns milliseconds per step. */
    public static double steps(String model, int threads, int steps) {
        if (net == null) {
            Parallel.setThreads(threads);
            ImageDataset data = FakeData.create(6400, 3, 32, 32, 10, 42);
            Generator.manualSeed(42);
            net = Models.create(model, 3, 32, 32, 10);
            net.train();
            optimizer = new SGD(net.parameters(), 0.01);
            criterion = new CrossEntropyLoss();
            loader = new DataLoader(data, 32, true, new Generator(1));
            batches = loader.iterator();
        }
        long start = System.nanoTime();
        for (int s = 0; s < steps; s++) {
            if (!batches.hasNext()) {
                batches = loader.iterator();
            }
            Batch b = batches.next();
            optimizer.zeroGrad();
            Tensor loss = criterion.forward(net.forward(b.images()), b.labels());
            loss.backward();
            optimizer.step();
            loss.releaseGraph();
            b.recycle();
        }
        return (System.nanoTime() - start) / 1e6 / steps;
    }
}
