package simpletorch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static simpletorch.cli.TrainCommandTest.run;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import simpletorch.io.SafeTensors;

/** {@code train --model}, {@code models}, and evaluate/resume rebuilding the model a file or run names. */
class ModelChoiceTest {
    @TempDir
    Path tmp;

    private static final String[] TINY_FAKE = {"train", "--dataset", "fake", "--train-limit", "64", "--test-limit", "32",
            "--batch-size", "16", "--log-every", "100", "--threads", "1"};

    @Test
    void modelsListsEveryModelWithItsParameterCountForTheDataset() {
        TrainCommandTest.Run r = run("models", "--dataset", "fashion-mnist");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("Fashion-MNIST (images [1, 28, 28], 10 classes)")
                .containsPattern("simplenet +20,490 parameters")
                .containsPattern("simplenet-bn +20,538 parameters")
                .containsPattern("vgg-small +65,834 parameters")
                .containsPattern("resnet20 +272,186 parameters");
        assertThat(run("models").out()).containsPattern("simplenet +25,578 parameters").containsPattern("resnet20 +272,474");
    }

    @Test
    void trainsEvaluatesAndResumesTheChosenModel() {
        Path dir = tmp.resolve("bn");
        TrainCommandTest.Run r = run(TrainCommandTest.args(TINY_FAKE, "--model", "simplenet-bn", "--epochs", "2",
                "--stop-after", "1", "--out", dir.toString()));
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("Model: SimpleNetBN, 25,626 parameters");
        TrainCommandTest.Run resumed = run("train", "--resume", dir.toString());
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        assertThat(resumed.out()).contains("Model: SimpleNetBN").contains("Test accuracy:");
        TrainCommandTest.Run eval = run("evaluate", dir.resolve("model.safetensors").toString(), "--test-limit", "32");
        assertThat(eval.exitCode()).as(eval.err()).isZero();
        assertThat(eval.out()).containsPattern("[Aa]ccuracy");
    }

    @Test
    void resnet20ModelFileNamesItsModelAndHoldsRunningStatistics() throws Exception {
        Path dir = tmp.resolve("resnet");
        TrainCommandTest.Run r = run(TrainCommandTest.args(TINY_FAKE, "--model", "resnet20", "--out", dir.toString()));
        assertThat(r.exitCode()).as(r.err()).isZero();
        var file = SafeTensors.read(dir.resolve("model.safetensors"));
        assertThat(file.metadata()).containsEntry("model", "ResNet20");
        assertThat(file.tensors()).containsKeys("bn1.running_mean", "layer3.0.downsample.1.num_batches_tracked");
        assertThat(file.tensor("bn1.num_batches_tracked").item()).as("64 images in batches of 16").isEqualTo(4f);
    }

    @Test
    void anUnknownModelIsAUsageError() {
        TrainCommandTest.Run r = run(TrainCommandTest.args(TINY_FAKE, "--model", "resnet18", "--out", tmp.resolve("x").toString()));
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--model must be one of simplenet, simplenet-bn, vgg-small, resnet20, got 'resnet18'");
    }
}
