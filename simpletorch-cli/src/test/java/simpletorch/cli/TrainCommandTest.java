package simpletorch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import simpletorch.io.SafeTensors;
import simpletorch.models.SimpleNet;
import simpletorch.tensor.Tensor;

class TrainCommandTest {
    @TempDir
    Path tmp;

    /** Runs the command line and keeps what it printed. */
    record Run(int exitCode, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private static final String[] SMALL_FAKE = {"train", "--dataset", "fake", "--train-limit", "320", "--test-limit", "200", "--log-every", "5"};

    private int runs;

    /** The arguments plus {@code --out} to a new directory under the test's temporary folder. */
    private String[] fresh(String[] base, String... more) {
        return args(args(base, more), "--out", tmp.resolve("run" + (++runs)).toString());
    }

    static String[] args(String[] base, String... more) {
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void printsTheTutorialsLinesAndATestAccuracy() {
        Run r = run(fresh(SMALL_FAKE, "--seed", "1"));
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("Using device: cpu", "Loading FakeData dataset...", "Training for 1 epoch...",
                "Training finished!");
        assertThat(r.out()).containsPattern("Batch \\[5\\], Loss: \\d\\.\\d{4}\\n");
        assertThat(r.out()).containsPattern("Batch \\[10\\], Loss: \\d\\.\\d{4}\\n");
        assertThat(r.out()).doesNotContain("Batch [11]");
        assertThat(r.out()).containsPattern("Test accuracy: \\d+\\.\\d\\d% \\(\\d+/200\\)");
        assertThat(r.out()).contains("Model: SimpleNet, 25,578 parameters");
    }

    @Test
    void sameSeedGivesTheSameLossesAndNoShuffleChangesThem() {
        Run a = run(fresh(SMALL_FAKE, "--seed", "7", "--threads", "1"));
        Run b = run(fresh(SMALL_FAKE, "--seed", "7", "--threads", "1"));
        Run c = run(fresh(SMALL_FAKE, "--seed", "7", "--threads", "1", "--no-shuffle"));
        assertThat(lossLines(a.out())).isNotEmpty().isEqualTo(lossLines(b.out()));
        assertThat(lossLines(c.out())).isNotEqualTo(lossLines(a.out()));
    }

    private static java.util.List<String> lossLines(String out) {
        return out.lines().filter(l -> l.startsWith("Batch [")).toList();
    }

    @Test
    void saveWritesWeightsThatWeightsLoadsBack() throws IOException {
        Path file = tmp.resolve("model.safetensors");
        Run first = run(fresh(SMALL_FAKE, "--save", file.toString()));
        assertThat(first.exitCode()).as(first.err()).isZero();
        Map<String, Tensor> saved = SafeTensors.read(file).tensors();
        assertThat(saved.keySet()).containsExactly("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias");
        assertThat(SafeTensors.read(file).metadata()).containsEntry("model", "SimpleNet").containsEntry("dataset", "fake");

        // Starting from the saved weights with lr 0 must reproduce their test accuracy exactly.
        Run again = run(fresh(SMALL_FAKE, "--weights", file.toString(), "--lr", "0"));
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(accuracyLine(again.out())).isEqualTo(accuracyLine(first.out()));
        assertThat(again.out()).contains("Loaded weights from " + file);
    }

    private static String accuracyLine(String out) {
        return out.lines().filter(l -> l.startsWith("Test accuracy")).findFirst().orElseThrow();
    }

    @Test
    void weightsOfAnotherShapeAreRejectedNamingTheFileAndNothingIsSaved() throws IOException {
        Path wrong = tmp.resolve("mnist-shaped.safetensors");
        SafeTensors.write(wrong, new LinkedHashMap<>(new SimpleNet(1, 28, 28, 10).stateDict()), Map.of());
        Path save = tmp.resolve("out.safetensors");
        Run r = run(fresh(SMALL_FAKE, "--weights", wrong.toString(), "--save", save.toString()));
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains(wrong.toString(), "size mismatch for conv1.weight");
        assertThat(save).doesNotExist();
    }

    @Test
    void aCorruptWeightsFileIsAClearError() throws IOException {
        Path bad = tmp.resolve("bad.safetensors");
        Files.write(bad, new byte[] {1, 2, 3});
        Run r = run(fresh(SMALL_FAKE, "--weights", bad.toString()));
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: ").contains(bad.toString());
        assertThat(r.err()).doesNotContain("\tat "); // no stack trace for bad input
    }

    @Test
    void badOptionsAreUsageErrors() {
        Run unknown = run("train", "--epochz", "2");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("--epochz");

        Run epochs = run(fresh(SMALL_FAKE, "--epochs", "0"));
        assertThat(epochs.exitCode()).isEqualTo(2);
        assertThat(epochs.err()).contains("--epochs must be >= 1, got 0");

        Run dataset = run("train", "--dataset", "imagenet");
        assertThat(dataset.exitCode()).isEqualTo(2);
        assertThat(dataset.err()).contains("unknown dataset 'imagenet'", "cifar10, cifar100, fashion-mnist, mnist, fake",
                "folder:PATH");

        Run lr = run(fresh(SMALL_FAKE, "--lr", "-1"));
        assertThat(lr.exitCode()).isEqualTo(2);
        assertThat(lr.err()).contains("--lr must be a finite number >= 0, got -1.0");
    }

    @Test
    void aMissingDatasetSaysWhereItLookedAndExitsNonZero() {
        Path empty = tmp.resolve("nothing-here");
        // --no-download: no test touches the internet (downloads are tested against a local server).
        Run r = run("train", "--dataset", "cifar10", "--data-dir", empty.toString(), "--no-download");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("CIFAR-10", empty.toString(), "cifar-10-binary.tar.gz", "--no-download");
        assertThat(r.out()).doesNotContain("Training for");
    }

    @Test
    void aSaveTargetInAMissingDirectoryFailsBeforeTraining() {
        Run r = run(fresh(SMALL_FAKE, "--save", tmp.resolve("no/such/dir/model.safetensors").toString()));
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("does not exist");
        assertThat(r.out()).doesNotContain("Training for");
    }
}
