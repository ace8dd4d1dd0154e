package simpletorch.examples;

import java.io.IOException;
import java.nio.file.Path;
import simpletorch.autograd.Functional;
import simpletorch.autograd.GradMode;
import simpletorch.data.Batch;
import simpletorch.data.DataLoader;
import simpletorch.data.Dataset;
import simpletorch.data.MnistDatasets;
import simpletorch.nn.Conv2d;
import simpletorch.nn.CrossEntropyLoss;
import simpletorch.nn.Linear;
import simpletorch.nn.MaxPool2d;
import simpletorch.nn.Module;
import simpletorch.optim.SGD;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * The tutorial's program written against the SimpleTorch API, line for line. The PyTorch original is in the
 * comments on the right. Runs on Fashion-MNIST (installed by {@code apt-get install dataset-fashion-mnist}) so
 * that it works without a download; change the loader line for CIFAR-10.
 *
 * <pre>./simpletorch example</pre>
 */
public final class TutorialExample {

    /** class SimpleNet(nn.Module): */
    static final class SimpleNet extends Module {
        final Conv2d conv1;
        final Conv2d conv2;
        final MaxPool2d pool;
        final Linear fc1;

        SimpleNet(int channels, int size, int classes) {
            conv1 = registerModule("conv1", new Conv2d(channels, 16, 3, 1, 1));      // nn.Conv2d(3, 16, 3, padding=1)
            conv2 = registerModule("conv2", new Conv2d(16, 32, 3, 1, 1));            // nn.Conv2d(16, 32, 3, padding=1)
            pool = registerModule("pool", new MaxPool2d(2, 2));                      // nn.MaxPool2d(2, 2)
            fc1 = registerModule("fc1", new Linear(32 * (size / 4) * (size / 4), classes)); // nn.Linear(32 * 8 * 8, 10)
        }

        @Override
        public Tensor forward(Tensor x) {
            x = pool.forward(Functional.relu(conv1.forward(x)));  // x = self.pool(F.relu(self.conv1(x)))
            x = pool.forward(Functional.relu(conv2.forward(x)));  // x = self.pool(F.relu(self.conv2(x)))
            x = Functional.flatten(x, 1);                          // x = x.view(x.size(0), -1)
            return fc1.forward(x);                                 // return self.fc1(x)
        }
    }

    /** Trains for one epoch and returns the test accuracy. */
    static double run(Dataset trainSet, Dataset testSet, int logEvery) {
        Generator.manualSeed(42);                                                        // torch.manual_seed(42)
        System.out.println("Using device: cpu");                                         // device = torch.device("cpu")
        DataLoader trainLoader = new DataLoader(trainSet, 32, true, new Generator(42));  // DataLoader(train, batch_size=32, shuffle=True)
        SimpleNet model = new SimpleNet(trainSet.channels(), trainSet.height(), trainSet.numClasses()); // model = SimpleNet()
        CrossEntropyLoss criterion = new CrossEntropyLoss();                            // criterion = nn.CrossEntropyLoss()
        SGD optimizer = new SGD(model.parameters(), 0.01);                              // optimizer = optim.SGD(model.parameters(), lr=0.01)

        System.out.println("Training for 1 epoch...");
        model.train();                                                                   // model.train()
        int i = 0;
        for (Batch batch : trainLoader) {                                                // for i, (images, labels) in enumerate(train_loader):
            optimizer.zeroGrad();                                                        //     optimizer.zero_grad()
            Tensor outputs = model.forward(batch.images());                              //     outputs = model(images)
            Tensor loss = criterion.forward(outputs, batch.labels());                    //     loss = criterion(outputs, labels)
            loss.backward();                                                             //     loss.backward()
            optimizer.step();                                                            //     optimizer.step()
            if (++i % logEvery == 0) {                                                   //     if (i + 1) % 100 == 0:
                System.out.printf("Batch [%d], Loss: %.4f%n", i, loss.item());           //         print(f'Batch [{i+1}], Loss: {loss.item():.4f}')
            }
        }
        System.out.println("Training finished!");

        model.eval();                                                                    // model.eval()
        int correct = 0;
        try (var noGrad = GradMode.noGrad()) {                                           // with torch.no_grad():
            for (Batch batch : new DataLoader(testSet, 256, false, null)) {              //     for images, labels in test_loader:
                float[] logits = model.forward(batch.images()).data();                   //         outputs = model(images)
                int classes = testSet.numClasses();
                for (int b = 0; b < batch.size(); b++) {                                 //         _, predicted = torch.max(outputs, 1)
                    int best = 0;
                    for (int j = 1; j < classes; j++) {
                        if (logits[b * classes + j] > logits[b * classes + best]) {
                            best = j;
                        }
                    }
                    correct += best == batch.labels()[b] ? 1 : 0;                        //         correct += (predicted == labels).sum().item()
                }
            }
        }
        double accuracy = (double) correct / testSet.size();
        System.out.printf("Test accuracy: %.2f%%%n", 100 * accuracy);
        return accuracy;
    }

    public static void main(String[] args) throws IOException {
        Path dataDir = Path.of(args.length > 0 ? args[0] : "data");
        Dataset train = MnistDatasets.load(MnistDatasets.Kind.FASHION_MNIST, dataDir, true);
        Dataset test = MnistDatasets.load(MnistDatasets.Kind.FASHION_MNIST, dataDir, false);
        run(train, test, 100);
    }
}
