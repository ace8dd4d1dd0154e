package simpletorch.cli.download;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DownloaderTest {
    @TempDir
    Path dir;

    final TestServer server = newServer();
    final StringWriter log = new StringWriter();

    private static TestServer newServer() {
        try {
            return new TestServer();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Downloader downloader(int attempts) {
        return new Downloader(null, new Downloader.Retry(attempts, Duration.ofMillis(5), Duration.ofMillis(400)), new PrintWriter(log, true), false);
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void aGoodFileIsStreamedVerifiedAndRenamedWithProgressLines() throws IOException {
        byte[] content = random(300_000, 1);
        RemoteFile f = server.remote("good.bin", content, true);
        Path got = downloader(3).fetch(f, dir);
        assertThat(got).isEqualTo(dir.resolve("good.bin"));
        assertThat(Files.readAllBytes(got)).isEqualTo(content);
        assertThat(dir.resolve("good.bin.part")).doesNotExist();
        assertThat(log.toString()).contains("good.bin [").contains("100% 0.3 MB/0.3 MB");
        // A second fetch verifies the local copy and makes no request.
        int requests = server.log.size();
        downloader(3).fetch(f, dir);
        assertThat(server.log).hasSize(requests);
    }

    @Test
    void aWrongChecksumIsRefusedAndNothingIsLeftUnderAnyName() {
        byte[] content = random(5000, 2);
        server.files.put("bad.bin", content);
        RemoteFile f = new RemoteFile("bad.bin", server.base() + "bad.bin", "0123456789abcdef0123456789abcdef", 5000);
        assertThatThrownBy(() -> downloader(3).fetch(f, dir))
                .isInstanceOf(DownloadException.class)
                .hasMessageContaining("checksum mismatch: expected MD5 0123456789abcdef0123456789abcdef, got "
                        + TestServer.md5(content))
                .hasMessageContaining("nothing was written to " + dir.resolve("bad.bin"));
        assertThat(dir.resolve("bad.bin")).doesNotExist();
        assertThat(dir.resolve("bad.bin.part")).doesNotExist();
    }

    @Test
    void aCutOffStreamIsResumedWithARangeRequest() throws IOException {
        byte[] content = random(200_000, 3);
        RemoteFile f = server.remote("cut.bin", content, true);
        server.cutAfter = 70_000;
        server.cuts.set(2);
        Path got = downloader(4).fetch(f, dir);
        assertThat(Files.readAllBytes(got)).isEqualTo(content);
        assertThat(server.log).containsExactly("GET /cut.bin range=-", "GET /cut.bin range=bytes=70000-",
                "GET /cut.bin range=bytes=140000-");
        assertThat(log.toString()).contains("retrying");
    }

    @Test
    void withoutRangeSupportTheDownloadStartsOver() throws IOException {
        byte[] content = random(100_000, 4);
        RemoteFile f = server.remote("norange.bin", content, false); // size unknown: the MD5 decides
        server.rangeSupport = false;
        server.cutAfter = 30_000;
        server.cuts.set(1);
        Path got = downloader(3).fetch(f, dir);
        assertThat(Files.readAllBytes(got)).isEqualTo(content);
        assertThat(server.log).hasSize(2);
    }

    @Test
    void whenRetriesRunOutTheErrorSaysWhatToFetchByHandAndWhere() throws IOException {
        RemoteFile f = server.remote("flaky.bin", random(50_000, 5), true);
        server.cutAfter = 10_000;
        server.cuts.set(100);
        assertThatThrownBy(() -> downloader(3).fetch(f, dir))
                .isInstanceOf(DownloadException.class)
                .hasMessageContaining("could not download " + server.base() + "flaky.bin after 3 attempts")
                .hasMessageContaining("save it as " + dir.resolve("flaky.bin").toAbsolutePath())
                .hasMessageContaining("--mirror");
        assertThat(dir.resolve("flaky.bin")).doesNotExist();
        // What arrived is kept as .part, and the next run resumes from it.
        assertThat(Files.size(dir.resolve("flaky.bin.part"))).isEqualTo(30_000);
        server.cuts.set(0);
        server.log.clear();
        assertThat(Files.readAllBytes(downloader(3).fetch(f, dir))).isEqualTo(server.files.get("flaky.bin"));
        assertThat(server.log).containsExactly("GET /flaky.bin range=bytes=30000-");
    }

    @Test
    void aDownloadKilledHalfWayLeavesNoFinalFileAndTheNextRunSucceeds() throws IOException {
        byte[] content = random(80_000, 6);
        RemoteFile f = server.remote("killed.bin", content, true);
        // What a killed run leaves behind: the first half under the temporary name, nothing under the final one.
        Files.write(dir.resolve("killed.bin.part"), java.util.Arrays.copyOf(content, 40_000));
        assertThat(dir.resolve("killed.bin")).doesNotExist();
        Path got = downloader(2).fetch(f, dir);
        assertThat(Files.readAllBytes(got)).isEqualTo(content);
        assertThat(server.log).containsExactly("GET /killed.bin range=bytes=40000-");
        assertThat(dir.resolve("killed.bin.part")).doesNotExist();
    }

    @Test
    void aDamagedPartialFileIsDownloadedAgainFromTheStart() throws IOException {
        byte[] content = random(60_000, 7);
        RemoteFile f = server.remote("stale.bin", content, true);
        Files.write(dir.resolve("stale.bin.part"), random(20_000, 99)); // not a prefix of the file
        Path got = downloader(2).fetch(f, dir);
        assertThat(Files.readAllBytes(got)).isEqualTo(content);
        assertThat(server.log).containsExactly("GET /stale.bin range=bytes=20000-", "GET /stale.bin range=-");
        assertThat(log.toString()).contains("downloading it again from the start");
    }

    @Test
    void offlineNamesTheUrlTheFileAndWhereToPutIt() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: connections are refused
        }
        RemoteFile f = new RemoteFile("cifar-10-binary.tar.gz", "http://127.0.0.1:" + port + "/cifar-10-binary.tar.gz",
                "c32a1d4ab5d03f1284b67883e8d87530", 170_052_171L);
        assertThatThrownBy(() -> downloader(2).fetch(f, dir))
                .isInstanceOf(DownloadException.class)
                .hasMessageContaining("could not download http://127.0.0.1:" + port + "/cifar-10-binary.tar.gz after 2 attempts")
                .hasMessageContaining("could not connect to 127.0.0.1 (ConnectException")
                .hasMessageContaining("save it as " + dir.resolve("cifar-10-binary.tar.gz").toAbsolutePath())
                .hasMessageContaining("MD5 c32a1d4ab5d03f1284b67883e8d87530");
        assertThat(dir.resolve("cifar-10-binary.tar.gz")).doesNotExist();
    }

    @Test
    void aMirrorServesTheSameNamesAndA404IsNotRetried() throws IOException {
        byte[] content = random(1000, 8);
        server.files.put("m.bin", content);
        RemoteFile f = new RemoteFile("m.bin", "https://official.invalid/path/m.bin", TestServer.md5(content), 1000);
        Downloader viaMirror = new Downloader(server.base() + "mirror", new Downloader.Retry(3, Duration.ofMillis(1), Duration.ofMillis(400)),
                new PrintWriter(log, true), false);
        assertThat(f.source(server.base() + "mirror")).hasToString(server.base() + "mirror/m.bin");
        assertThatThrownBy(() -> viaMirror.fetch(f, dir)).isInstanceOf(DownloadException.class)
                .hasMessageContaining("HTTP 404");
        assertThat(server.log).hasSize(1);
        server.files.put("mirror/m.bin", content);
        assertThat(Files.readAllBytes(viaMirror.fetch(f, dir))).isEqualTo(content);
    }
}
