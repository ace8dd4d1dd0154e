package simpletorch.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static simpletorch.data.IdxFiles.gzip;
import static simpletorch.data.IdxFiles.images;
import static simpletorch.data.IdxFiles.labels;
import static simpletorch.data.IdxFiles.write;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import simpletorch.data.MnistDatasets.Kind;

class MnistDatasetsTest {
    private static final Path DEBIAN_FASHION = Path.of("/usr/share/datasets/fashion-mnist");

    @TempDir
    Path dataDir;

    @Test
    void findsTorchvisionLayoutBeforeTheSystemDirectory() throws IOException {
        Path raw = dataDir.resolve("FashionMNIST/raw");
        write(raw.resolve("t10k-images-idx3-ubyte"), images(7, 28, 28, 3));
        write(raw.resolve("t10k-labels-idx1-ubyte.gz"), gzip(labels(7)));
        ImageDataset ds = MnistDatasets.load(Kind.FASHION_MNIST, dataDir, false);
        assertThat(ds.size()).isEqualTo(7);
        assertThat(ds.name()).isEqualTo("Fashion-MNIST test");
        assertThat(ds.classes()).containsExactly("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
        assertThat(ds.label(6)).isEqualTo(6);
    }

    @Test
    void ownSubdirectoryComesBeforeTheDataDirItself() throws IOException {
        write(dataDir.resolve("mnist/train-images-idx3-ubyte.gz"), gzip(images(3, 28, 28, 0)));
        write(dataDir.resolve("mnist/train-labels-idx1-ubyte.gz"), gzip(labels(3)));
        write(dataDir.resolve("train-images-idx3-ubyte"), images(2, 28, 28, 0));
        write(dataDir.resolve("train-labels-idx1-ubyte"), labels(2));
        ImageDataset ds = MnistDatasets.load(Kind.MNIST, dataDir, true);
        assertThat(ds.size()).isEqualTo(3);
        assertThat(ds.classes()).containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
        // With the subdirectory gone, the files in dataDir itself are found.
        Files.delete(dataDir.resolve("mnist/train-labels-idx1-ubyte.gz"));
        assertThat(MnistDatasets.load(Kind.MNIST, dataDir, true).size()).isEqualTo(2);
    }

    @Test
    void missingDatasetListsEveryPlaceSearchedAndWhatToDo() throws IOException {
        // Only the images file: a half-present split is not found either.
        write(dataDir.resolve("mnist/t10k-images-idx3-ubyte"), images(1, 28, 28, 0));
        assertThatThrownBy(() -> MnistDatasets.load(Kind.MNIST, dataDir, false))
                .isInstanceOfSatisfying(DatasetNotFoundException.class, e -> {
                    assertThat(e.searched()).containsExactly(dataDir.resolve("mnist"),
                            dataDir.resolve("MNIST/raw"), dataDir);
                    assertThat(e.getMessage())
                            .startsWith("MNIST (test) not found")
                            .contains("t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]")
                            .contains(dataDir.resolve("mnist").toString())
                            .contains(dataDir.resolve("MNIST/raw").toString())
                            .doesNotContain("not built yet");
                });
    }

    @Test
    void fashionSearchPathEndsWithDebiansDirectory() {
        assertThat(MnistDatasets.searchPath(Kind.FASHION_MNIST, dataDir)).containsExactly(
                dataDir.resolve("fashion-mnist"), dataDir.resolve("FashionMNIST/raw"), dataDir, DEBIAN_FASHION);
    }

    @Test
    void realFashionMnistFromDebianPackage() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(DEBIAN_FASHION),
                DEBIAN_FASHION + " absent: apt-get install dataset-fashion-mnist");
        ImageDataset train = MnistDatasets.load(Kind.FASHION_MNIST, dataDir, true);
        ImageDataset test = MnistDatasets.load(Kind.FASHION_MNIST, dataDir, false);
        assertThat(train.size()).isEqualTo(60_000);
        assertThat(test.size()).isEqualTo(10_000);
        assertThat(new int[] {train.channels(), train.height(), train.width()}).containsExactly(1, 28, 28);
        assertThat(train.numClasses()).isEqualTo(10);

        int[] perClass = new int[10];
        for (int i = 0; i < train.size(); i++) {
            perClass[train.label(i)]++;
        }
        assertThat(perClass).containsOnly(6000);

        // Values read independently with Python's gzip module from the same files.
        int[] firstTrain = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
        int[] firstTest = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
        for (int i = 0; i < 10; i++) {
            assertThat(train.label(i)).as("train label %d", i).isEqualTo(firstTrain[i]);
            assertThat(test.label(i)).as("test label %d", i).isEqualTo(firstTest[i]);
        }
        assertThat(pixelSum(train, 0)).isEqualTo(76247);
        assertThat(train.pixel(0, 0, 14, 14)).isEqualTo(217);
        assertThat(pixelSum(test, 0)).isEqualTo(33456);
        assertThat(test.pixel(0, 0, 14, 14)).isEqualTo(110);
    }

    private static int pixelSum(ImageDataset ds, int i) {
        int sum = 0;
        for (int h = 0; h < ds.height(); h++) {
            for (int w = 0; w < ds.width(); w++) {
                sum += ds.pixel(i, 0, h, w);
            }
        }
        return sum;
    }
}
