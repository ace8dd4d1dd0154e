package simpletorch.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static simpletorch.data.IdxFiles.gzip;
import static simpletorch.data.IdxFiles.idx;
import static simpletorch.data.IdxFiles.images;
import static simpletorch.data.IdxFiles.labels;
import static simpletorch.data.IdxFiles.write;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxTest {
    private static final List<String> DIGITS = MnistDatasets.Kind.MNIST.classes();

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void roundTripsImagesAndLabelsPlainAndGzipped(boolean gz) throws IOException {
        byte[] img = images(5, 3, 4, 200);
        byte[] lab = labels(5);
        Path imagesFile = write(dir.resolve("img"), gz ? gzip(img) : img);
        Path labelsFile = write(dir.resolve("lab"), gz ? gzip(lab) : lab);

        Idx.Images read = Idx.readImages(imagesFile);
        assertThat(new int[] {read.count(), read.rows(), read.cols()}).containsExactly(5, 3, 4);
        assertThat(read.pixels()).containsExactly(Arrays.copyOfRange(img, 16, img.length));
        assertThat(Idx.readLabels(labelsFile, 10)).containsExactly(0, 1, 2, 3, 4);

        ImageDataset ds = Idx.load("tiny", imagesFile, labelsFile, DIGITS);
        assertThat(ds.size()).isEqualTo(5);
        assertThat(new int[] {ds.channels(), ds.height(), ds.width()}).containsExactly(1, 3, 4);
        // image 2, row 1, col 3 is file pixel 2*12 + 1*4 + 3 = 31
        assertThat(ds.pixel(2, 0, 1, 3)).isEqualTo((31 * 7 + 200) & 0xFF);
        assertThat(ds.label(4)).isEqualTo(4);
    }

    @Test
    void detectsGzipByContentNotByName() throws IOException {
        Path gzNamedPlain = write(dir.resolve("labels.gz"), labels(3));
        Path plainNamedGz = write(dir.resolve("labels-idx1-ubyte"), gzip(labels(3)));
        assertThat(Idx.readLabels(gzNamedPlain, 10)).containsExactly(0, 1, 2);
        assertThat(Idx.readLabels(plainNamedGz, 10)).containsExactly(0, 1, 2);
    }

    @Test
    void wrongMagicIsReportedInHexWithTheFileName() throws IOException {
        Path labelsFile = write(dir.resolve("actually-labels"), labels(3));
        assertThatThrownBy(() -> Idx.readImages(labelsFile))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(labelsFile.toString())
                .hasMessageContaining("wrong magic number 0x00000801, expected 0x00000803");
        Path text = write(dir.resolve("readme.txt"), "hello world, not IDX".getBytes());
        assertThatThrownBy(() -> Idx.readLabels(text, 10))
                .hasMessageContaining(text.toString()).hasMessageContaining("0x68656C6C");
    }

    @Test
    void truncatedImagesAreReportedWithExpectedAndActualLength() throws IOException {
        byte[] full = images(3, 2, 2, 0);
        Path file = write(dir.resolve("short-images.gz"), gzip(Arrays.copyOf(full, full.length - 2)));
        assertThatThrownBy(() -> Idx.readImages(file))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("expected 12 data bytes, got 10");
        Path header = write(dir.resolve("short-header"), Arrays.copyOf(full, 9));
        assertThatThrownBy(() -> Idx.readImages(header))
                .hasMessageContaining(header.toString()).hasMessageContaining("expected 16 bytes, got 9");
    }

    @Test
    void truncatedLabelsAreReported() throws IOException {
        byte[] full = labels(20);
        Path file = write(dir.resolve("short-labels"), Arrays.copyOf(full, full.length - 5));
        assertThatThrownBy(() -> Idx.readLabels(file, 10))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("expected 20 data bytes, got 15");
    }

    @Test
    void cutGzipStreamIsAFormatError() throws IOException {
        byte[] gz = gzip(images(50, 28, 28, 1));
        Path file = write(dir.resolve("cut.gz"), Arrays.copyOf(gz, gz.length / 2));
        assertThatThrownBy(() -> Idx.readImages(file))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(file.toString());
    }

    @Test
    void trailingGarbageIsReported() throws IOException {
        byte[] lab = labels(4);
        byte[] longer = Arrays.copyOf(lab, lab.length + 3);
        Path file = write(dir.resolve("long-labels"), longer);
        assertThatThrownBy(() -> Idx.readLabels(file, 10))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("trailing garbage: 3 bytes");
    }

    @Test
    void countMismatchBetweenImagesAndLabelsNamesBothFiles() throws IOException {
        Path imagesFile = write(dir.resolve("img"), images(5, 2, 2, 0));
        Path labelsFile = write(dir.resolve("lab"), labels(4));
        assertThatThrownBy(() -> Idx.load("x", imagesFile, labelsFile, DIGITS))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(labelsFile.toString())
                .hasMessageContaining(imagesFile.toString())
                .hasMessageContaining("has 4 labels").hasMessageContaining("has 5 images");
    }

    @Test
    void labelOutOfRangeNamesFileIndexAndValue() throws IOException {
        Path file = write(dir.resolve("lab"), idx(Idx.LABELS_MAGIC, new int[] {3}, new byte[] {1, 9, 10}));
        assertThatThrownBy(() -> Idx.readLabels(file, 10))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("label at index 2 is 10");
        Path unsigned = write(dir.resolve("lab2"), idx(Idx.LABELS_MAGIC, new int[] {1}, new byte[] {(byte) 200}));
        assertThatThrownBy(() -> Idx.readLabels(unsigned, 10)).hasMessageContaining("is 200");
    }

    @Test
    void absurdHeaderIsRejectedWithoutAllocatingIt() throws IOException {
        Path file = write(dir.resolve("huge"), idx(Idx.IMAGES_MAGIC, new int[] {1_000_000, 28, 28}, new byte[10]));
        assertThatThrownBy(() -> Idx.readImages(file))
                .hasMessageContaining("expected 784000000 data bytes, got 10");
        Path tooBig = write(dir.resolve("too-big"), idx(Idx.IMAGES_MAGIC, new int[] {Integer.MAX_VALUE, 28, 28},
                new byte[0]));
        assertThatThrownBy(() -> Idx.readImages(tooBig)).hasMessageContaining("more than one array holds");
    }
}
