package simpletorch.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar100Test {
    @TempDir
    Path dir;

    /** Record r: coarse label r % 20, fine label (r * 7) % 100, pixel k = (r + k) & 0xFF. */
    private static byte[] records(int n) {
        byte[] b = new byte[n * Cifar100.RECORD_BYTES];
        for (int r = 0; r < n; r++) {
            int base = r * Cifar100.RECORD_BYTES;
            b[base] = (byte) (r % 20);
            b[base + 1] = (byte) ((r * 7) % 100);
            for (int k = 0; k < Cifar100.IMAGE_BYTES; k++) {
                b[base + 2 + k] = (byte) (r + k);
            }
        }
        return b;
    }

    @Test
    void fineLabelsByDefaultCoarseOnRequestPixelsInChwOrder() throws IOException {
        Path f = Files.write(dir.resolve("small.bin"), records(30));
        ImageDataset fine = Cifar100.readFile(f, 30, Cifar100.Labels.FINE);
        ImageDataset coarse = Cifar100.readFile(f, 30, Cifar100.Labels.COARSE);
        assertThat(fine.numClasses()).isEqualTo(100);
        assertThat(coarse.numClasses()).isEqualTo(20);
        assertThat(fine.label(29)).isEqualTo((29 * 7) % 100);
        assertThat(coarse.label(29)).isEqualTo(9);
        assertThat(fine.pixel(3, 1, 2, 5)).isEqualTo((3 + 1024 + 2 * 32 + 5) & 0xFF);
        assertThat(Cifar100.FINE_CLASSES).hasSize(100).doesNotHaveDuplicates();
        assertThat(Cifar100.FINE_CLASSES.get(0)).isEqualTo("apple");
        assertThat(Cifar100.FINE_CLASSES.get(99)).isEqualTo("worm");
        assertThat(Cifar100.COARSE_CLASSES).hasSize(20).doesNotHaveDuplicates();
    }

    @Test
    void wrongLengthAndLabelsOutOfRangeNameTheFile() throws IOException {
        Path shortFile = Files.write(dir.resolve("short.bin"), java.util.Arrays.copyOf(records(3), 3 * 3074 - 1));
        assertThatThrownBy(() -> Cifar100.readFile(shortFile, 3, Cifar100.Labels.FINE))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("short.bin").hasMessageContaining("expected 9222 bytes");
        byte[] bad = records(3);
        bad[3074 + 1] = (byte) 100; // fine label of record 1
        Path badFine = Files.write(dir.resolve("fine.bin"), bad);
        assertThatThrownBy(() -> Cifar100.readFile(badFine, 3, Cifar100.Labels.COARSE))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("fine.bin").hasMessageContaining("record 1 has fine label 100");
        bad = records(3);
        bad[2 * 3074] = (byte) 20;
        Path badCoarse = Files.write(dir.resolve("coarse.bin"), bad);
        assertThatThrownBy(() -> Cifar100.readFile(badCoarse, 3, Cifar100.Labels.FINE))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("record 2 has coarse label 20");
    }

    @Test
    void loadInsistsOnTheFullFileAndReadsClassNamesFromTheArchive() throws IOException {
        Path d = Files.createDirectories(dir.resolve(Cifar100.DIR_NAME));
        assertThatThrownBy(() -> Cifar100.load(dir, false, Cifar100.Labels.FINE))
                .isInstanceOf(DatasetNotFoundException.class).hasMessageContaining("cifar-100-binary.tar.gz");
        Files.write(d.resolve("test.bin"), records(10));
        assertThatThrownBy(() -> Cifar100.load(dir, false, Cifar100.Labels.FINE))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("test.bin");

        StringBuilder names = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            names.append("super").append(i).append('\n');
        }
        Files.writeString(d.resolve("coarse_label_names.txt"), names + "\n");
        assertThat(Cifar100.readClassNames(d, Cifar100.Labels.COARSE)).hasSize(20).startsWith("super0");
        assertThat(Cifar100.readClassNames(d, Cifar100.Labels.FINE)).isEqualTo(Cifar100.FINE_CLASSES);
        Files.writeString(d.resolve("fine_label_names.txt"), "only\ntwo\n");
        assertThatThrownBy(() -> Cifar100.readClassNames(d, Cifar100.Labels.FINE))
                .isInstanceOf(DatasetFormatException.class).hasMessageContaining("fine_label_names.txt");
    }
}
