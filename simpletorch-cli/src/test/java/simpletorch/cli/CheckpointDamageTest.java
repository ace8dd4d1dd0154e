package simpletorch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static simpletorch.cli.TrainCommandTest.args;
import static simpletorch.cli.TrainCommandTest.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import simpletorch.io.SafeTensors;
import simpletorch.io.SafeTensorsFile;
import simpletorch.tensor.Tensor;

/** A damaged run directory is a clear error, and --resume changes nothing in it. */
class CheckpointDamageTest {
    @TempDir
    static Path shared;
    static Path original;

    @TempDir
    Path tmp;

    @BeforeAll
    static void trainOneEpoch() {
        original = shared.resolve("run");
        TrainCommandTest.Run r = run(args(TrainRunTest.TINY, "--optimizer", "adam", "--epochs", "2", "--stop-after", "1",
                "--out", original.toString()));
        assertThat(r.exitCode()).as(r.err()).isZero();
    }

    private Path copyOfRun() throws IOException {
        Path dir = tmp.resolve("copy");
        Files.createDirectories(dir);
        try (var files = Files.list(original)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.copy(p, dir.resolve(p.getFileName()));
            }
        }
        return dir;
    }

    private static Map<String, byte[]> snapshot(Path dir) throws IOException {
        Map<String, byte[]> out = new HashMap<>();
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                out.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    /** Resumes {@code dir} expecting failure; checks that the message has {@code expected} and nothing changed. */
    private static void assertResumeFails(Path dir, String... expected) throws IOException {
        Map<String, byte[]> before = snapshot(dir);
        TrainCommandTest.Run r = run("train", "--resume", dir.toString());
        assertThat(r.exitCode()).as(r.out()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: ").contains(expected).doesNotContain("\tat ");
        assertThat(r.out()).doesNotContain("Training for");
        Map<String, byte[]> after = snapshot(dir);
        assertThat(after.keySet()).isEqualTo(before.keySet());
        before.forEach((name, bytes) -> assertThat(after.get(name)).as(name).isEqualTo(bytes));
    }

    private static Path checkpoint(Path dir) {
        return dir.resolve("checkpoint-epoch-0001.safetensors");
    }

    /** Rewrites the checkpoint with {@code edit} applied to its tensors, keeping its metadata. */
    private static void rewrite(Path dir, java.util.function.Consumer<Map<String, Tensor>> edit) throws IOException {
        SafeTensorsFile f = SafeTensors.read(checkpoint(dir));
        Map<String, Tensor> tensors = new LinkedHashMap<>(f.tensors());
        edit.accept(tensors);
        SafeTensors.write(checkpoint(dir), tensors, f.metadata());
    }

    @Test
    void aTruncatedCheckpoint() throws IOException {
        Path dir = copyOfRun();
        byte[] bytes = Files.readAllBytes(checkpoint(dir));
        Files.write(checkpoint(dir), java.util.Arrays.copyOf(bytes, bytes.length - 100));
        assertResumeFails(dir, "checkpoint-epoch-0001.safetensors", "damaged");
    }

    @Test
    void aTensorOfTheWrongShape() throws IOException {
        Path dir = copyOfRun();
        rewrite(dir, t -> t.put("model.fc1.bias", Tensor.zeros(7)));
        assertResumeFails(dir, "does not fit", "size mismatch for fc1.bias");
    }

    @Test
    void aMissingModelTensor() throws IOException {
        Path dir = copyOfRun();
        rewrite(dir, t -> t.remove("model.conv2.weight"));
        assertResumeFails(dir, "Missing key(s) in state_dict: conv2.weight");
    }

    @Test
    void anOptimizerBufferOfTheWrongLength() throws IOException {
        Path dir = copyOfRun();
        rewrite(dir, t -> t.put("optimizer.0.exp_avg", Tensor.zeros(3)));
        assertResumeFails(dir, "buffer 0.exp_avg has 3 values");
    }

    @Test
    void aPointerToAMissingCheckpointOrNoPointer() throws IOException {
        Path dir = copyOfRun();
        Files.delete(checkpoint(dir));
        assertResumeFails(dir, "checkpoint-epoch-0001.safetensors", "is missing");
        Files.delete(dir.resolve("checkpoint.json"));
        assertResumeFails(dir, "has no checkpoint.json");
    }

    @Test
    void optionsOtherThanEpochsAndThreadsAreRefusedWithResume() throws IOException {
        Path dir = copyOfRun();
        TrainCommandTest.Run r = run("train", "--resume", dir.toString(), "--lr", "0.5");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("only --epochs, --threads, --log-every, --data-dir, --profile, --no-jit-warmup and the download options"
                + " may be given with it, got --lr");
        TrainCommandTest.Run again = run(args(TrainRunTest.TINY, "--out", dir.toString()));
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).contains("already holds a run; continue it with --resume");
    }
}
