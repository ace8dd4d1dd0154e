package simpletorch.cli.download;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import simpletorch.data.Cifar10;
import simpletorch.data.ImageDataset;

class TarExtractorTest {
    @TempDir
    Path tmp;

    /** One tar entry: a regular file of {@code size} bytes of {@code fill}, or a link/device when {@code type} says so. */
    record Entry(String name, long size, byte fill, byte type, String linkTarget, byte[] content) {
        static Entry file(String name, long size, int fill) {
            return new Entry(name, size, (byte) fill, TarArchiveEntry.LF_NORMAL, null, null);
        }

        Entry withDir() {
            return new Entry(name, 0, (byte) 0, TarArchiveEntry.LF_DIR, null, null);
        }

        static Entry text(String name, String text) {
            byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            return new Entry(name, b.length, (byte) 0, TarArchiveEntry.LF_NORMAL, null, b);
        }

        static Entry special(String name, byte type, String target) {
            return new Entry(name, 0, (byte) 0, type, target, null);
        }
    }

    static Path tarGz(Path file, List<Entry> entries) throws IOException {
        try (OutputStream os = Files.newOutputStream(file);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(os))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (Entry e : entries) {
                TarArchiveEntry te = new TarArchiveEntry(e.name(), e.type(), true);
                if (e.linkTarget() != null) {
                    te.setLinkName(e.linkTarget());
                }
                if (e.type() == TarArchiveEntry.LF_NORMAL) {
                    te.setSize(e.size());
                }
                tar.putArchiveEntry(te);
                if (e.content() != null) {
                    tar.write(e.content());
                    tar.closeArchiveEntry();
                    continue;
                }
                byte[] chunk = new byte[1 << 16];
                java.util.Arrays.fill(chunk, e.fill());
                for (long left = e.size(); left > 0; left -= chunk.length) {
                    tar.write(chunk, 0, (int) Math.min(chunk.length, left));
                }
                tar.closeArchiveEntry();
            }
        }
        return file;
    }

    private static List<Path> everything(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> !p.equals(root)).sorted().toList();
        }
    }

    @Test
    void onlyExpectedRegularFilesAreExtractedAndTheRestIsSkipped() throws IOException {
        Path archive = tarGz(tmp.resolve("a.tar.gz"), List.of(Entry.file("./set/", 0, 0).withDir(),
                Entry.file("./set/a.bin", 10, 1), Entry.file("set/readme.html", 5, 2), Entry.file("set/b.txt", 3, 3)));
        Path data = Files.createDirectories(tmp.resolve("data"));
        List<Path> out = TarExtractor.extract(archive, data, Map.of("set/a.bin", 10L, "set/b.txt", -1L));
        assertThat(out).hasSize(2);
        assertThat(everything(data)).containsExactly(data.resolve("set"), data.resolve("set/a.bin"), data.resolve("set/b.txt"));
        assertThat(Files.readAllBytes(data.resolve("set/a.bin"))).containsOnly(1).hasSize(10);
    }

    @Test
    void dotDotAbsolutePathsLinksAndDevicesAreRefusedAndNothingIsWritten() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Map<String, Long> expected = Map.of("set/a.bin", 4L);
        List<List<Entry>> evil = List.of(
                List.of(Entry.file("set/a.bin", 4, 1), Entry.file("../x", 4, 9)),
                List.of(Entry.file("set/a.bin", 4, 1), Entry.file("set/../../x", 4, 9)),
                List.of(Entry.file("/tmp/abs-x", 4, 9), Entry.file("set/a.bin", 4, 1)),
                List.of(Entry.special("set/a.bin", TarArchiveEntry.LF_SYMLINK, "/etc/passwd")),
                List.of(Entry.file("set/a.bin", 4, 1), Entry.special("set/link", TarArchiveEntry.LF_LINK, "set/a.bin")),
                List.of(Entry.special("set/dev", TarArchiveEntry.LF_CHR, null), Entry.file("set/a.bin", 4, 1)));
        List<String> reasons = List.of("climbs out with '..'", "climbs out with '..'", "absolute path", "symbolic link",
                "hard link", "character device");
        for (int k = 0; k < evil.size(); k++) {
            Path archive = tarGz(tmp.resolve("evil" + k + ".tar.gz"), evil.get(k));
            assertThatThrownBy(() -> TarExtractor.extract(archive, data, expected))
                    .isInstanceOf(DownloadException.class)
                    .hasMessageContaining("evil" + k + ".tar.gz").hasMessageContaining(reasons.get(k))
                    .hasMessageContaining("refusing the archive");
            assertThat(everything(data)).as("after evil%d", k).allMatch(Files::isDirectory);
            assertThat(tmp.resolve("x")).doesNotExist();
            assertThat(Path.of("/tmp/abs-x")).doesNotExist();
        }
    }

    @Test
    void aMissingOrWrongSizedEntryLeavesNoFinalFile() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Path archive = tarGz(tmp.resolve("short.tar.gz"), List.of(Entry.file("set/a.bin", 3, 1), Entry.file("set/b.bin", 4, 1)));
        assertThatThrownBy(() -> TarExtractor.extract(archive, data, Map.of("set/a.bin", -1L, "set/b.bin", 5L)))
                .isInstanceOf(DownloadException.class).hasMessageContaining("'set/b.bin' has 4 bytes, expected 5");
        assertThatThrownBy(() -> TarExtractor.extract(archive, data, Map.of("set/a.bin", 3L, "set/c.bin", 5L)))
                .isInstanceOf(DownloadException.class).hasMessageContaining("expected entry 'set/c.bin' is missing");
        assertThat(everything(data)).allMatch(Files::isDirectory);
    }

    /**
     * End to end with a real-sized CIFAR-10 archive (six 30,730,000-byte batches; a few hundred KB gzipped) served
     * from 127.0.0.1: downloaded, verified, extracted, loaded; a second run fetches nothing; with only the archive
     * present it is verified and extracted without a request.
     */
    @Test
    void cifar10IsFetchedVerifiedExtractedAndLoaded() throws IOException {
        List<Entry> entries = new java.util.ArrayList<>();
        for (String f : List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                "data_batch_5.bin", "test_batch.bin")) {
            entries.add(Entry.file("cifar-10-batches-bin/" + f, Cifar10.FILE_BYTES, 7)); // label 7, all pixels 7
        }
        entries.add(Entry.text("cifar-10-batches-bin/batches.meta.txt", String.join("\n", Cifar10.DEFAULT_CLASSES) + "\n\n"));
        entries.add(Entry.file("cifar-10-batches-bin/readme.html", 10, 'x'));
        Path archive = tarGz(tmp.resolve("cifar-10-binary.tar.gz"), entries);
        byte[] bytes = Files.readAllBytes(archive);
        StringWriter log = new StringWriter();
        try (TestServer server = new TestServer()) {
            RemoteFile remote = server.remote("cifar-10-binary.tar.gz", bytes, true);
            DatasetSource source = DatasetSource.cifar10().withFiles(List.of(remote));
            Downloader d = new Downloader(null, new Downloader.Retry(2, Duration.ofMillis(1), Duration.ofSeconds(5)),
                    new PrintWriter(log, true), false);
            Path data = tmp.resolve("data");
            assertThat(source.isPresent(data)).isFalse();
            assertThat(source.ensure(data, d, new PrintWriter(log, true))).isTrue();
            ImageDataset train = Cifar10.load(data, true);
            assertThat(train.size()).isEqualTo(50_000);
            assertThat(train.label(49_999)).isEqualTo(7);
            assertThat(Cifar10.load(data, false).size()).isEqualTo(10_000);
            assertThat(data.resolve("cifar-10-batches-bin/readme.html")).doesNotExist();
            assertThat(server.log).hasSize(1);

            assertThat(source.ensure(data, d, new PrintWriter(log, true))).isFalse();
            assertThat(server.log).hasSize(1);

            // Only the archive left: verified and extracted, no request.
            Files.delete(data.resolve("cifar-10-batches-bin/test_batch.bin"));
            assertThat(source.ensure(data, d, new PrintWriter(log, true))).isTrue();
            assertThat(server.log).hasSize(1);
            assertThat(Files.size(data.resolve("cifar-10-batches-bin/test_batch.bin"))).isEqualTo(Cifar10.FILE_BYTES);
            assertThat(log.toString()).contains("Verifying " + data.resolve("cifar-10-binary.tar.gz"));
        }
    }
}
