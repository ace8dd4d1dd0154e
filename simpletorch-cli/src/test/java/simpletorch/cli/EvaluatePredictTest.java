package simpletorch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static simpletorch.cli.TrainCommandTest.args;
import static simpletorch.cli.TrainCommandTest.run;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import simpletorch.autograd.GradMode;
import simpletorch.data.FakeData;
import simpletorch.data.ImageDataset;
import simpletorch.models.SimpleNet;
import simpletorch.tensor.Tensor;

class EvaluatePredictTest {
    @TempDir
    static Path shared;
    static Path runDir;

    @TempDir
    Path tmp;

    @BeforeAll
    static void train() {
        runDir = shared.resolve("run");
        TrainCommandTest.Run r = run(args(TrainRunTest.TINY, "--out", runDir.toString()));
        assertThat(r.exitCode()).as(r.err()).isZero();
    }

    @Test
    void evaluatePrintsPerClassMetricsAndDrawsTheFigures() throws IOException {
        TrainCommandTest.Run r = run("evaluate", runDir.resolve("model.safetensors").toString(), "--test-limit", "50");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("Accuracy: \\d+\\.\\d\\d% \\(\\d+/50\\)");
        assertThat(r.out()).contains("precision", "recall", "f1", "support", "macro avg", "Confusion matrix");
        // the confusion matrix rows add up to the 50 images
        long sum = r.out().lines().filter(l -> l.matches("\\d \\S+\\s+.*")).filter(l -> l.startsWith(l.charAt(0) + " class"))
                .mapToLong(l -> java.util.Arrays.stream(l.trim().split("\\s+")).skip(2).mapToLong(Long::parseLong).sum()).sum();
        assertThat(sum).isEqualTo(50);
        BufferedImage cm = ImageIO.read(runDir.resolve("confusion_matrix.png").toFile());
        assertThat(cm.getWidth()).isGreaterThan(300);
        assertThat(TrainRunTest.colours(cm)).isGreaterThan(3);
        BufferedImage mis = ImageIO.read(runDir.resolve("misclassified.png").toFile());
        assertThat(mis.getHeight()).isGreaterThan(100);
        assertThat(TrainRunTest.colours(mis)).isGreaterThan(50); // random-pixel images, not a blank canvas
    }

    @Test
    void aModelTrainedOnAnImageFolderIsEvaluatedOnThatFolderWithoutDatasetOptions() throws IOException {
        // Two classes of 12x12 PNGs: dark and bright, with a train/ and test/ split.
        Path folder = tmp.resolve("shapes");
        java.util.Random random = new java.util.Random(4);
        for (String split : List.of("train", "test")) {
            for (String cls : List.of("dark", "bright")) {
                Path dir = Files.createDirectories(folder.resolve(split).resolve(cls));
                for (int i = 0; i < (split.equals("train") ? 16 : 6); i++) {
                    BufferedImage img = new BufferedImage(12, 12, BufferedImage.TYPE_INT_RGB);
                    for (int y = 0; y < 12; y++) {
                        for (int x = 0; x < 12; x++) {
                            int v = (cls.equals("dark") ? 20 : 200) + random.nextInt(40);
                            img.setRGB(x, y, v << 16 | v << 8 | v);
                        }
                    }
                    ImageIO.write(img, "png", dir.resolve(i + ".png").toFile());
                }
            }
        }
        Path out = tmp.resolve("folder-run");
        TrainCommandTest.Run trained = run("train", "--dataset", "folder:" + folder, "--image-size", "8", "--channels", "1",
                "--epochs", "2", "--batch-size", "8", "--out", out.toString(), "--no-download");
        assertThat(trained.exitCode()).as(trained.err()).isZero();
        // No --dataset: the model file names the folder (by its absolute path), its image size and channels.
        TrainCommandTest.Run r = run("evaluate", out.resolve("model.safetensors").toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("Accuracy: \\d+\\.\\d\\d% \\(\\d+/12\\)");
        assertThat(r.out()).contains("dark", "bright");
    }

    @Test
    void evaluateRejectsAFileWithoutModelMetadata() throws IOException {
        Path bare = tmp.resolve("bare.safetensors");
        simpletorch.io.SafeTensors.write(bare, new java.util.LinkedHashMap<>(new SimpleNet().stateDict()));
        TrainCommandTest.Run r = run("evaluate", bare.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains(bare.toString(), "is not a SimpleTorch model file");
    }

    private Path png(String name, BufferedImage img, String format) throws IOException {
        Path p = tmp.resolve(name);
        assertThat(ImageIO.write(img, format, p.toFile())).isTrue();
        return p;
    }

    private static BufferedImage noise(int w, int h, int type, long seed) {
        BufferedImage img = new BufferedImage(w, h, type);
        simpletorch.tensor.Generator g = new simpletorch.tensor.Generator(seed);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (int) g.nextLong() | 0xFF000000);
            }
        }
        return img;
    }

    @Test
    void predictHandlesOddSizesAndModesAndPrintsJson() throws IOException {
        Path grey1x1 = png("grey.png", new BufferedImage(1, 1, BufferedImage.TYPE_BYTE_GRAY), "png");
        Path rgba = png("rgba.png", noise(50, 17, BufferedImage.TYPE_INT_ARGB, 1), "png");
        Path large = png("large.jpg", noise(1200, 900, BufferedImage.TYPE_INT_RGB, 2), "jpg");
        Path model = runDir.resolve("model.safetensors");
        TrainCommandTest.Run r = run("predict", model.toString(), grey1x1.toString(), rgba.toString(), large.toString(),
                "--top", "2", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode doc = Json.MAPPER.readTree(r.out());
        JsonNode preds = doc.get("predictions");
        assertThat(preds).hasSize(3);
        for (JsonNode p : preds) {
            JsonNode top = p.get("top");
            assertThat(top).hasSize(2);
            double p0 = top.get(0).get("probability").asDouble(), p1 = top.get(1).get("probability").asDouble();
            assertThat(p0).isBetween(0.0, 1.0).isGreaterThanOrEqualTo(p1);
            assertThat(p0 + p1).isLessThanOrEqualTo(1.0 + 1e-12);
            assertThat(top.get(0).get("label").asText()).startsWith("class");
        }
        assertThat(preds.get(2).get("file").asText()).isEqualTo(large.toString());

        TrainCommandTest.Run text = run("predict", model.toString(), rgba.toString());
        assertThat(text.exitCode()).isZero();
        assertThat(text.out()).startsWith(rgba + ":\n").containsPattern("  class\\d\\s+\\d+\\.\\d\\d%");
        assertThat(text.out().lines().count()).isEqualTo(4); // the file and the default top 3
    }

    @Test
    void predictNormalisesAsTrainingDid() throws IOException {
        // A 32x32 image is used as it is, so its probabilities equal the model's on the same data-set image.
        ImageDataset test = FakeData.create(1, 3, 32, 32, 10, 99);
        BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                img.setRGB(x, y, (test.pixel(0, 0, y, x) << 16) | (test.pixel(0, 1, y, x) << 8) | test.pixel(0, 2, y, x));
            }
        }
        Path file = png("same.png", img, "png");
        ModelFile.Loaded loaded = ModelFile.load(runDir.resolve("model.safetensors"));
        float[] x = new float[3 * 32 * 32];
        test.copyImage(0, x, 0);
        float[] z;
        try (var ignored = GradMode.noGrad()) {
            z = loaded.model().forward(new Tensor(x, 1, 3, 32, 32)).data();
        }
        int best = 0;
        double sum = 0;
        for (int j = 0; j < 10; j++) {
            best = z[j] > z[best] ? j : best;
        }
        for (int j = 0; j < 10; j++) {
            sum += Math.exp(z[j] - z[best]);
        }
        TrainCommandTest.Run r = run("predict", runDir.resolve("model.safetensors").toString(), file.toString(), "--json", "--top", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode top = Json.MAPPER.readTree(r.out()).get("predictions").get(0).get("top").get(0);
        assertThat(top.get("index").asInt()).isEqualTo(best);
        assertThat(top.get("probability").asDouble()).isCloseTo(1 / sum, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void anUnreadableImageFailsNamingTheFile() throws IOException {
        Path bad = tmp.resolve("not-an-image.png");
        Files.writeString(bad, "hello");
        TrainCommandTest.Run r = run("predict", runDir.resolve("model.safetensors").toString(), bad.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains(bad.toString()).doesNotContain("\tat ");
        assertThat(r.out()).isEmpty();
        TrainCommandTest.Run top0 = run("predict", runDir.resolve("model.safetensors").toString(), bad.toString(), "--top", "0");
        assertThat(top0.exitCode()).isEqualTo(2);
        assertThat(top0.err()).contains("--top must be >= 1, got 0");
    }
}
