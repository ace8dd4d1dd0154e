package simpletorch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import simpletorch.cli.TrainCommandTest.Run;
import simpletorch.cli.download.DatasetSource;

class ShowDatasetCommandTest {
    @TempDir
    Path tmp;

    @Test
    void printsSizesAndCountsAndDrawsTwoNonBlankPictures() throws IOException {
        Run r = TrainCommandTest.run("show-dataset", "--dataset", "fake", "--out", tmp.toString(), "--samples", "9");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("Dataset size: 50000 images", "Test set size: 10000 images",
                "Image size: [3, 32, 32]", "Number of classes: 10", "Classes: class0, class1");
        assertThat(r.out()).containsPattern("class3 +\\d+ +\\d+");
        BufferedImage grid = ImageIO.read(tmp.resolve("fake_samples.png").toFile());
        assertThat(grid.getWidth()).isGreaterThanOrEqualTo(3 * 96);
        assertThat(grid.getHeight()).isGreaterThanOrEqualTo(3 * 96);
        assertThat(variance(grid)).isGreaterThan(100);
        BufferedImage chart = ImageIO.read(tmp.resolve("class_distribution.png").toFile());
        assertThat(chart.getWidth()).isEqualTo(800);
        assertThat(chart.getHeight()).isEqualTo(500);
        assertThat(variance(chart)).isGreaterThan(100);
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("class_distribution.png", "fake_samples.png"); // no temporary files left
        }
    }

    @Test
    void anImageFolderWithAnUnreadableFileIsShownAndTheFileReported() throws IOException {
        Path pets = tmp.resolve("pets");
        for (String c : new String[] {"cat", "dog"}) {
            Files.createDirectories(pets.resolve(c));
            for (int i = 0; i < 5; i++) {
                BufferedImage img = new BufferedImage(40 + i, 30, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 30; y++) {
                    for (int x = 0; x < 40 + i; x++) {
                        img.setRGB(x, y, c.equals("cat") ? (x * 6) << 16 : (y * 8));
                    }
                }
                ImageIO.write(img, i % 2 == 0 ? "png" : "jpg", pets.resolve(c + "/" + i + (i % 2 == 0 ? ".png" : ".jpg")).toFile());
            }
        }
        Files.writeString(pets.resolve("dog/broken.jpg"), "not a jpeg");
        Path out = tmp.resolve("out");
        Run r = TrainCommandTest.run("show-dataset", "--dataset", "folder:" + pets, "--image-size", "24", "--out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("broken.jpg", "Skipped 1 unreadable image file.", "Dataset size: 8 images",
                "Test set size: 2 images", "Image size: [3, 24, 24]", "Number of classes: 2");
        assertThat(out.resolve("pets_samples.png")).isRegularFile();
        assertThat(out.resolve("class_distribution.png")).isRegularFile();

        Run train = TrainCommandTest.run("train", "--dataset", "folder:" + pets, "--image-size", "16", "--channels", "1",
                "--random-crop", "2", "--hflip", "--batch-size", "4", "--log-every", "1",
                "--out", tmp.resolve("pets-run").toString()); // not the default runs/ in the working directory
        assertThat(train.exitCode()).as(train.err()).isZero();
        assertThat(train.out()).contains("image size: [1, 16, 16], number of classes: 2", "Batch [2], Loss:");
    }

    @Test
    void noDownloadGivesTheNotFoundMessageAndAWrongMirrorFileIsRefused() throws IOException {
        Path data = tmp.resolve("data");
        Run r = TrainCommandTest.run("show-dataset", "--dataset", "mnist", "--data-dir", data.toString(), "--no-download",
                "--out", tmp.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("MNIST (train) not found", "--no-download");
        assertThat(data).doesNotExist();

        // A mirror that serves a file of the right name but the wrong size: refused, nothing under the final name.
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            byte[] body = "not mnist".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        try {
            String mirror = "http://127.0.0.1:" + server.getAddress().getPort() + "/mnist";
            Run m = TrainCommandTest.run("show-dataset", "--dataset", "mnist", "--data-dir", data.toString(),
                    "--mirror", mirror, "--download-attempts", "1", "--out", tmp.toString());
            assertThat(m.exitCode()).isEqualTo(1);
            assertThat(m.err()).contains(mirror + "/train-images-idx3-ubyte.gz", "server offers 9 bytes",
                    "save it as " + data.resolve("mnist/train-images-idx3-ubyte.gz").toAbsolutePath());
            assertThat(data.resolve("mnist/train-images-idx3-ubyte.gz")).doesNotExist();
        } finally {
            server.stop(0);
        }
        assertThat(DatasetOptions.source(DatasetChoice.MNIST)).isEqualTo(DatasetSource.mnist());
    }

    static double variance(BufferedImage img) {
        double sum = 0, sq = 0;
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int p = img.getRGB(x, y);
                double v = ((p >> 16) & 0xFF) + ((p >> 8) & 0xFF) + (p & 0xFF);
                sum += v;
                sq += v * v;
                n++;
            }
        }
        double mean = sum / n;
        return sq / n - mean * mean;
    }
}
