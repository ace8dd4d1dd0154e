package simpletorch.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10Test {

    @TempDir
    Path dataDir;

    /** Record r has label {@code labelOf(r)}; pixel (c, h, w) of record r is {@link #value}. */
    private static byte[] batch(int records) {
        byte[] bytes = new byte[records * Cifar10.RECORD_BYTES];
        for (int r = 0; r < records; r++) {
            int base = r * Cifar10.RECORD_BYTES;
            bytes[base] = (byte) labelOf(r);
            for (int c = 0; c < 3; c++) {
                for (int h = 0; h < 32; h++) {
                    for (int w = 0; w < 32; w++) {
                        bytes[base + 1 + c * 1024 + h * 32 + w] = (byte) value(r, c, h, w);
                    }
                }
            }
        }
        return bytes;
    }

    private static int labelOf(int r) {
        return (r * 3) % 10;
    }

    private static int value(int r, int c, int h, int w) {
        return (r * 13 + c * 100 + h * 5 + w * 3) & 0xFF;
    }

    @Test
    void recordBytesLandAtTheirChannelRowAndColumn() throws IOException {
        Path file = Files.write(dataDir.resolve("small.bin"), batch(4));
        ImageDataset ds = Cifar10.readBatch(file, 4);
        assertThat(ds.size()).isEqualTo(4);
        assertThat(new int[] {ds.channels(), ds.height(), ds.width()}).containsExactly(3, 32, 32);
        assertThat(ds.label(3)).isEqualTo(9);
        assertThat(ds.pixel(2, 1, 7, 30)).isEqualTo(value(2, 1, 7, 30));
        assertThat(ds.pixel(3, 2, 31, 0)).isEqualTo(value(3, 2, 31, 0));

        float[] img = new float[3 * 32 * 32];
        ds.copyImage(2, img, 0);
        // CHW: blue (c=2), row 4, column 9
        assertThat(img[2 * 1024 + 4 * 32 + 9]).isEqualTo((value(2, 2, 4, 9) / 255f - 0.5f) / 0.5f);
        assertThat(ds.classes()).isEqualTo(Cifar10.DEFAULT_CLASSES);
    }

    @Test
    void wrongLengthNamesFileExpectedAndActualLength() throws IOException {
        byte[] bytes = batch(2);
        Path file = Files.write(dataDir.resolve("data_batch_1.bin"), java.util.Arrays.copyOf(bytes, bytes.length - 1));
        assertThatThrownBy(() -> Cifar10.readBatch(file, 2))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("expected 6146 bytes")
                .hasMessageContaining("got 6145");
        // A short file in the official layout is checked against the official size.
        Files.createDirectories(dataDir.resolve("cifar-10-batches-bin"));
        Path test = Files.write(dataDir.resolve("cifar-10-batches-bin/test_batch.bin"), batch(2));
        assertThatThrownBy(() -> Cifar10.load(dataDir, false))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(test.toString())
                .hasMessageContaining("expected 30730000 bytes").hasMessageContaining("got 6146");
    }

    @Test
    void labelOutOfRangeNamesFileAndRecord() throws IOException {
        byte[] bytes = batch(3);
        bytes[2 * Cifar10.RECORD_BYTES] = 10;
        Path file = Files.write(dataDir.resolve("bad.bin"), bytes);
        assertThatThrownBy(() -> Cifar10.readBatch(file, 3))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("record 2 has label 10");
    }

    @Test
    void loadsAFullSizeTestBatchWithClassNamesFromMeta() throws IOException {
        Path dir = Files.createDirectories(dataDir.resolve("cifar-10-batches-bin"));
        Files.write(dir.resolve("test_batch.bin"), batch(Cifar10.RECORDS_PER_FILE));
        Files.writeString(dir.resolve("batches.meta.txt"),
                "plane\ncar\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n");
        ImageDataset ds = Cifar10.load(dataDir, false);
        assertThat(ds.size()).isEqualTo(10_000);
        assertThat(ds.name()).isEqualTo("CIFAR-10 test");
        assertThat(ds.classes()).startsWith("plane", "car").endsWith("truck").hasSize(10);
        assertThat(ds.label(9_999)).isEqualTo(labelOf(9_999));
        assertThat(ds.pixel(9_999, 0, 31, 31)).isEqualTo(value(9_999, 0, 31, 31));
    }

    @Test
    void metaFileWithWrongClassCountIsRejected() throws IOException {
        Path meta = Files.writeString(dataDir.resolve("batches.meta.txt"), "a\nb\n");
        assertThatThrownBy(() -> Cifar10.readClassNames(meta))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(meta.toString()).hasMessageContaining("got 2");
        assertThat(Cifar10.readClassNames(dataDir.resolve("absent.txt"))).isEqualTo(Cifar10.DEFAULT_CLASSES);
    }

    @Test
    void missingDirectoryListsWhereItLookedAndHowToGetIt() throws IOException {
        // Four of five training batches is still "not found", not a partial data set.
        Path dir = Files.createDirectories(dataDir.resolve("cifar-10-batches-bin"));
        for (int k = 1; k <= 4; k++) {
            Files.write(dir.resolve("data_batch_" + k + ".bin"), new byte[0]);
        }
        assertThatThrownBy(() -> Cifar10.load(dataDir, true))
                .isInstanceOfSatisfying(DatasetNotFoundException.class, e -> {
                    assertThat(e.searched()).containsExactly(dir, dataDir);
                    assertThat(e.getMessage())
                            .startsWith("CIFAR-10 train not found")
                            .contains("data_batch_1.bin .. data_batch_5.bin")
                            .contains(dir.toString())
                            .contains("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz")
                            .doesNotContain("not built yet");
                });
    }
}
