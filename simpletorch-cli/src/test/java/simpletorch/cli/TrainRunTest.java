package simpletorch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static simpletorch.cli.TrainCommandTest.args;
import static simpletorch.cli.TrainCommandTest.run;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import simpletorch.io.SafeTensors;
import simpletorch.io.SafeTensorsFile;
import simpletorch.tensor.Tensor;

/** What a training run writes, and resuming it. */
class TrainRunTest {
    @TempDir
    Path tmp;

    static final String[] TINY = {"train", "--dataset", "fake", "--train-limit", "96", "--test-limit", "64",
            "--batch-size", "16", "--log-every", "3", "--threads", "1"};

    /** The number of distinct colours, to tell a drawn figure from a blank one. */
    static int colours(BufferedImage img) {
        Set<Integer> seen = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                seen.add(img.getRGB(x, y));
            }
        }
        return seen.size();
    }

    @Test
    void aRunWritesConfigMetricsCurvesAndModelFiles() throws IOException {
        Path dir = tmp.resolve("run");
        TrainCommandTest.Run r = run(args(TINY, "--epochs", "2", "--val-split", "0.25", "--optimizer", "adamw",
                "--scheduler", "cosine", "--warmup-epochs", "1", "--label-smoothing", "0.1", "--out", dir.toString()));
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("Validation split: 72 images for training, 24 for validation");
        assertThat(r.out()).containsPattern("Epoch \\[1/2\\] train loss \\d\\.\\d{4}, acc \\d+\\.\\d\\d% \\| val loss \\d\\.\\d{4}, "
                + "acc \\d+\\.\\d\\d% \\| lr [0-9.e-]+ \\| \\d+\\.\\d s, \\d+ images/s");
        assertThat(r.out()).contains("Batch [3], Loss: ", "Training finished!", "Test accuracy: ", "Best validation accuracy");

        JsonNode config = Json.MAPPER.readTree(Files.readString(dir.resolve("config.json")));
        JsonNode o = config.get("options");
        assertThat(o.get("optimizer").asText()).isEqualTo("adamw");
        assertThat(o.get("weightDecay").asDouble()).isEqualTo(0.01); // PyTorch's AdamW default
        assertThat(o.get("scheduler").asText()).isEqualTo("cosine");
        assertThat(o.get("valSplit").asDouble()).isEqualTo(0.25);
        assertThat(o.get("labelSmoothing").asDouble()).isEqualTo(0.1);
        assertThat(o.get("seed").asLong()).isEqualTo(42);
        assertThat(config.get("environment").get("threads").asInt()).isEqualTo(1);
        assertThat(config.get("environment").get("java_version").asText()).isEqualTo(Runtime.version().toString());

        List<String> csv = Files.readAllLines(dir.resolve("metrics.csv"));
        assertThat(csv).hasSize(3);
        assertThat(csv.get(0)).isEqualTo("epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds,images_per_second");
        for (int e = 1; e <= 2; e++) {
            String[] f = csv.get(e).split(",", -1);
            assertThat(f).hasSize(8);
            assertThat(Integer.parseInt(f[0])).isEqualTo(e);
            for (int k = 1; k < 8; k++) {
                assertThat(Double.parseDouble(f[k])).as("column %d of row %d", k, e).isFinite().isGreaterThanOrEqualTo(0);
            }
        }
        // cosine with one warm-up epoch of 5 batches over 10: the rate at the end of epoch 1 is lr * 1 (cos(0))
        assertThat(Double.parseDouble(csv.get(1).split(",")[5])).isEqualTo(0.01);
        assertThat(Double.parseDouble(csv.get(2).split(",")[5])).isEqualTo(0.0);

        BufferedImage png = ImageIO.read(dir.resolve("training_history.png").toFile());
        assertThat(png.getWidth()).isEqualTo(1200);
        assertThat(png.getHeight()).isEqualTo(400);
        assertThat(colours(png)).isGreaterThan(10);

        SafeTensorsFile model = SafeTensors.read(dir.resolve("model.safetensors"));
        Map<String, String> meta = model.metadata();
        assertThat(meta).containsEntry("model", "SimpleNet").containsEntry("dataset", "fake").containsEntry("epoch", "2")
                .containsEntry("input_shape", "[3, 32, 32]");
        // in a fixed order (Map.of's order changes from one JVM to the next): a run's file is the same bytes each time
        assertThat(meta).containsEntry("model_args", "{\"channels\":3,\"height\":32,\"width\":32,\"num_classes\":10}");
        assertThat(Json.MAPPER.readTree(meta.get("classes")).get(3).asText()).isEqualTo("class3");
        assertThat(Json.MAPPER.readTree(meta.get("normalize_std")).get(0).asDouble()).isEqualTo(0.5);
        assertThat(Json.MAPPER.readTree(meta.get("metrics")).has("test_accuracy")).isTrue();
        assertThat(model.tensors()).containsKeys("conv1.weight", "fc1.bias");
        assertThat(dir.resolve("best.safetensors")).isRegularFile();
        assertThat(Json.MAPPER.readTree(Files.readString(dir.resolve("checkpoint.json"))).get("epoch").asInt()).isEqualTo(2);
        // the previous checkpoint is kept, older ones are not
        assertThat(dir.resolve("checkpoint-epoch-0001.safetensors")).isRegularFile();
        assertThat(dir.resolve("checkpoint-epoch-0002.safetensors")).isRegularFile();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".tmp-"));
        }
    }

    private static Map<String, Tensor> weights(Path file) throws IOException {
        return SafeTensors.read(file).tensors();
    }

    private static void assertSameWeights(Path a, Path b) throws IOException {
        Map<String, Tensor> wa = weights(a), wb = weights(b);
        assertThat(wb.keySet()).isEqualTo(wa.keySet());
        wa.forEach((k, t) -> assertThat(wb.get(k).data()).as(k).isEqualTo(t.data()));
    }

    /** metrics.csv without the timing columns, which differ between runs. */
    private static List<String> metricsWithoutTimes(Path dir) throws IOException {
        return Files.readAllLines(dir.resolve("metrics.csv")).stream()
                .map(l -> String.join(",", List.of(l.split(",", -1)).subList(0, 6))).toList();
    }

    @Test
    void resumingAnInterruptedRunEndsBitIdenticalToAnUninterruptedOne() throws IOException {
        String[] opts = args(TINY, "--epochs", "3", "--val-split", "0.2", "--optimizer", "adam", "--scheduler", "onecycle",
                "--max-lr", "0.01", "--label-smoothing", "0.05");
        Path straight = tmp.resolve("straight"), interrupted = tmp.resolve("interrupted");
        TrainCommandTest.Run a = run(args(opts, "--out", straight.toString()));
        assertThat(a.exitCode()).as(a.err()).isZero();
        TrainCommandTest.Run b1 = run(args(opts, "--out", interrupted.toString(), "--stop-after", "1"));
        assertThat(b1.exitCode()).as(b1.err()).isZero();
        assertThat(b1.out()).contains("Stopped after epoch 1 of 3").doesNotContain("Test accuracy");

        // Killed during epoch 2's checkpoint: a complete file the pointer does not name yet, and a partial temp file.
        Files.write(interrupted.resolve("checkpoint-epoch-0002.safetensors"), new byte[] {1, 2, 3});
        Path partial = interrupted.resolve(".checkpoint.json.tmp-123");
        Files.writeString(partial, "{\"lat");
        TrainCommandTest.Run b2 = run("train", "--resume", interrupted.toString());
        assertThat(b2.exitCode()).as(b2.err()).isZero();
        assertThat(b2.out()).contains("Resuming " + interrupted + " from epoch 1", "removed 1 unfinished temporary file",
                "Training for 2 epochs...", "Epoch [2/3]", "Epoch [3/3]").doesNotContain("Epoch [1/3]");
        assertThat(partial).doesNotExist();

        assertSameWeights(straight.resolve("model.safetensors"), interrupted.resolve("model.safetensors"));
        assertSameWeights(straight.resolve("best.safetensors"), interrupted.resolve("best.safetensors"));
        assertThat(metricsWithoutTimes(interrupted)).hasSize(4).isEqualTo(metricsWithoutTimes(straight));
        assertThat(testAccuracy(b2.out())).isEqualTo(testAccuracy(a.out()));
    }

    @Test
    void aFinishedRunCanBeContinuedToMoreEpochsWithSgdMomentumStepScheduleAndAugmentation() throws IOException {
        // Augmentation draws from the loader's generator, so the resumed epoch must crop and flip the same way.
        String[] opts = args(TINY, "--optimizer", "sgd", "--momentum", "0.9", "--nesterov", "--weight-decay", "1e-4",
                "--scheduler", "step", "--step-size", "1", "--gamma", "0.5", "--random-crop", "4", "--hflip");
        Path straight = tmp.resolve("two"), resumed = tmp.resolve("one-plus-one");
        assertThat(run(args(opts, "--epochs", "2", "--out", straight.toString())).exitCode()).isZero();
        assertThat(run(args(opts, "--epochs", "1", "--out", resumed.toString())).exitCode()).isZero();
        TrainCommandTest.Run r = run("train", "--resume", resumed.toString(), "--epochs", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertSameWeights(straight.resolve("model.safetensors"), resumed.resolve("model.safetensors"));
        assertThat(metricsWithoutTimes(resumed)).isEqualTo(metricsWithoutTimes(straight));
        assertThat(Double.parseDouble(metricsWithoutTimes(resumed).get(2).split(",")[5])).isEqualTo(0.0025);
        assertThat(resumed.resolve("best.safetensors")).doesNotExist(); // no validation split
    }

    private static String testAccuracy(String out) {
        return out.lines().filter(l -> l.startsWith("Test accuracy")).findFirst().orElseThrow();
    }

    @Test
    void aDivergingRunStopsAtOnceNamingEpochAndBatchAndWritesNoModel() {
        Path dir = tmp.resolve("nan");
        TrainCommandTest.Run r = run(args(TINY, "--lr", "1e30", "--out", dir.toString()));
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).containsPattern("error: epoch 1, batch \\d+: loss became (NaN|Infinity)");
        assertThat(r.err()).doesNotContain("\tat ");
        assertThat(dir.resolve("model.safetensors")).doesNotExist();
        assertThat(dir.resolve("checkpoint.json")).doesNotExist();
    }

    /**
     * The JIT warm-up trains a throwaway model while the data loads, before the real model is seeded: the real run
     * is the same bit for bit with or without it. A seed no other test uses makes the fake data load for real (the
     * loaded splits are cached), so that the warm-up has time to take steps.
     */
    @Test
    void theJitWarmUpWhileLoadingChangesNoResult() throws IOException {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        String[] opts = args(TINY, "--model", "simplenet-bn", "--seed", "9137");
        TrainCommandTest.Run warm = run(args(opts, "--profile", "--out", a.toString()));
        TrainCommandTest.Run cold = run(args(opts, "--no-jit-warmup", "--out", b.toString()));

        assertThat(warm.exitCode()).isZero();
        assertThat(cold.exitCode()).isZero();
        assertThat(warm.out()).containsPattern("JIT warm-up while loading: [1-9][0-9]* throwaway steps? in ");
        assertThat(warm.out()).as("--profile's table, the convolutions with their GFLOPS")
                .containsPattern("(?m)^op +forward s +backward s +share +calls +GFLOPS$")
                .containsPattern("(?m)^conv2d 3->16 k3x3 s1 p1 @32x32 .* [0-9]+\\.[0-9]$")
                .containsPattern("(?m)^sgd step +[0-9.]+ ")
                .containsPattern("(?m)^sgd zero_grad +[0-9.]+ ")
                .containsPattern("(?m)^data loading +[0-9.]+ ");
        assertThat(cold.out()).doesNotContain("JIT warm-up");
        assertSameWeights(a.resolve("model.safetensors"), b.resolve("model.safetensors"));
        assertThat(metricsWithoutTimes(a)).isEqualTo(metricsWithoutTimes(b));
    }

    @Test
    void theSameSeedAndThreadsGiveIdenticalMetricsAndWeights() throws IOException {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        assertThat(run(args(TINY, "--optimizer", "adam", "--lr", "0.001", "--out", a.toString())).exitCode()).isZero();
        assertThat(run(args(TINY, "--optimizer", "adam", "--lr", "0.001", "--out", b.toString())).exitCode()).isZero();
        assertSameWeights(a.resolve("model.safetensors"), b.resolve("model.safetensors"));
        assertThat(metricsWithoutTimes(a)).isEqualTo(metricsWithoutTimes(b));
    }

    @Test
    void progressBarRedrawsOneLineWithTheRunningLoss() {
        java.io.StringWriter sw = new java.io.StringWriter();
        ProgressBar bar = new ProgressBar(new java.io.PrintWriter(sw), true, 2, 4, "Epoch 1/1");
        bar.onBatch(1, 2.0f);
        bar.onBatch(2, 1.0f);
        assertThat(bar.render(2)).isEqualTo("Epoch 1/1 [" + "=".repeat(15) + " ".repeat(15) + "] 2/4  loss 1.5000");
        bar.finish();
        assertThat(sw.toString()).startsWith("\rEpoch 1/1 [=======").contains("\rBatch [2], Loss: 1.0000\n\rEpoch 1/1 [")
                .endsWith("\r");
        java.io.StringWriter plain = new java.io.StringWriter();
        ProgressBar lines = new ProgressBar(new java.io.PrintWriter(plain), false, 2, 4, "Epoch 1/1");
        for (int k = 1; k <= 4; k++) {
            lines.onBatch(k, k);
        }
        lines.finish();
        assertThat(plain.toString()).isEqualTo("Batch [2], Loss: 2.0000\nBatch [4], Loss: 4.0000\n");
    }
}
