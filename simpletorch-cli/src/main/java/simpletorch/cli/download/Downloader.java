package simpletorch.cli.download;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fetches a {@link RemoteFile} so that its final name only ever holds a complete, verified copy.
 *
 * <p>The bytes go to {@code <name>.part} in the target directory. A network error is retried with exponential
 * back-off; each retry asks for the rest with an HTTP {@code Range} request and appends when the server answers
 * 206, or starts over when it answers 200. A {@code .part} left by a killed run is resumed the same way. When all
 * bytes are in, size and MD5 are checked; only then is the file fsynced and renamed to its final name. A wrong
 * checksum deletes the {@code .part} (after one fresh retry if the bytes came from a resume, which could have
 * stitched two versions of a file together) and fails with both checksums in the message.
 */
public final class Downloader {
    /**
     * How many attempts a file gets, the first back-off (doubled after each failure), and how long a body may
     * deliver no bytes before the attempt counts as failed (HttpClient has no read timeout of its own).
     */
    public record Retry(int attempts, Duration firstBackoff, Duration stallTimeout) {
        public Retry {
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts must be >= 1, got " + attempts);
            }
            if (firstBackoff.isNegative()) {
                throw new IllegalArgumentException("firstBackoff must be >= 0, got " + firstBackoff);
            }
            if (stallTimeout.isNegative() || stallTimeout.isZero()) {
                throw new IllegalArgumentException("stallTimeout must be > 0, got " + stallTimeout);
            }
        }

        public static final Retry DEFAULT = new Retry(5, Duration.ofSeconds(2), Duration.ofSeconds(60));
    }

    /** Closes bodies that stall; one daemon thread for all downloads. */
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "simpletorch-download-watchdog");
        t.setDaemon(true);
        return t;
    });

    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private final HttpClient client;
    private final String mirror;
    private final Retry retry;
    private final PrintWriter out;
    private final boolean terminal;

    /**
     * @param mirror   base URL holding the same file names, or null for the official hosts
     * @param out      where progress and notices go
     * @param terminal whether {@code out} is a terminal (progress redrawn in place) or a log (plain lines)
     */
    public Downloader(String mirror, Retry retry, PrintWriter out, boolean terminal) {
        this.client = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(30))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
        this.mirror = mirror;
        this.retry = retry;
        this.out = out;
        this.terminal = terminal;
    }

    public String mirror() {
        return mirror;
    }

    /**
     * Makes {@code dir/<file.name>} a verified copy of {@code file}: an existing copy is checked and kept when
     * good, replaced when not; otherwise the file is downloaded.
     *
     * @return the final path
     * @throws DownloadException when the file cannot be fetched or does not verify; the message names the URL,
     *                           the file to fetch by hand and where to put it
     */
    public Path fetch(RemoteFile file, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve(file.name());
        if (Files.isRegularFile(target)) {
            String problem = verify(file, target);
            if (problem == null) {
                return target;
            }
            out.println(target + " is damaged (" + problem + "); downloading it again.");
            Files.delete(target);
        }
        Path part = dir.resolve(file.name() + ".part");
        URI source = file.source(mirror);
        boolean fresh = false; // true once a download has started from byte 0 after a checksum failure
        while (true) {
            boolean resumed = download(file, source, part, target);
            String problem = verify(file, part);
            if (problem == null) {
                break;
            }
            Files.deleteIfExists(part);
            if (resumed && !fresh) {
                out.println(file.name() + ": " + problem + " after resuming; downloading it again from the start.");
                fresh = true;
                continue;
            }
            throw new DownloadException(source + ": " + problem + ". The download was deleted; nothing was written to "
                    + target + ". " + (mirror != null ? "The mirror " + mirror + " may hold another file of that name."
                    : "The server may be serving a different file; try --mirror URL, or fetch it by hand.")
                    + howToFetchByHand(file, source, target));
        }
        try (FileChannel ch = FileChannel.open(part, StandardOpenOption.WRITE)) {
            ch.force(true); // the bytes must be on disk before the name says the file is complete
        }
        try {
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    /** Null when {@code path} has the expected size and MD5, else what is wrong. */
    public static String verify(RemoteFile file, Path path) throws IOException {
        long size = Files.size(path);
        if (file.size() > 0 && size != file.size()) {
            return "expected " + file.size() + " bytes, got " + size;
        }
        String md5 = md5(path);
        if (!md5.equals(file.md5())) {
            return "checksum mismatch: expected MD5 " + file.md5() + ", got " + md5;
        }
        return null;
    }

    static String md5(Path path) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no MD5", e);
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(path)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                digest.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * Brings {@code part} to the full file, retrying network errors. Returns whether any bytes came from an
     * earlier attempt or run (a resume).
     */
    private boolean download(RemoteFile file, URI source, Path part, Path target) throws IOException {
        boolean resumed = false;
        IOException last = null;
        Duration backoff = retry.firstBackoff();
        for (int attempt = 1; attempt <= retry.attempts(); attempt++) {
            try {
                long have = Files.exists(part) ? Files.size(part) : 0;
                if (file.size() > 0 && have > file.size()) {
                    Files.delete(part); // longer than the file can be: not a prefix of it
                    have = 0;
                }
                if (file.size() > 0 && have == file.size()) {
                    return true;
                }
                resumed |= transfer(file, source, part, have);
                return resumed;
            } catch (FatalHttpException e) {
                throw new DownloadException(source + ": " + e.getMessage() + "." + howToFetchByHand(file, source, target), e);
            } catch (IOException e) {
                last = e;
                if (attempt < retry.attempts()) {
                    out.println(file.name() + ": " + describe(e, source) + "; retrying in " + backoff.toMillis() / 1000.0
                            + " s (attempt " + (attempt + 1) + " of " + retry.attempts() + ")");
                    out.flush();
                    sleep(backoff);
                    backoff = backoff.multipliedBy(2);
                }
            }
        }
        throw new DownloadException("could not download " + source + " after " + retry.attempts() + " attempts: "
                + describe(last, source) + "." + howToFetchByHand(file, source, target), last);
    }

    /**
     * One HTTP request: asks for bytes from {@code have} on and appends them to {@code part} (or rewrites it when
     * the server ignores the range). Returns true if it appended to earlier bytes.
     *
     * @throws IOException on a network error or a short body (retryable)
     * @throws FatalHttpException on an answer that retrying will not change (404, wrong size)
     */
    private boolean transfer(RemoteFile file, URI source, Path part, long have) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(source).GET()
                .timeout(Duration.ofSeconds(60)) // until the headers arrive
                .header("User-Agent", "simpletorch (Java HttpClient)");
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
        int status = response.statusCode();
        long start;
        try (InputStream body = response.body()) {
            if (status == 206 && have > 0) {
                Matcher m = CONTENT_RANGE.matcher(response.headers().firstValue("Content-Range").orElse(""));
                if (!m.matches() || Long.parseLong(m.group(1)) != have) {
                    throw new IOException("server answered the range request with Content-Range '"
                            + response.headers().firstValue("Content-Range").orElse("") + "'");
                }
                start = have;
            } else if (status == 200) {
                start = 0; // no range support: start over
                long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
                if (file.size() > 0 && length >= 0 && length != file.size()) {
                    throw new FatalHttpException("server offers " + length + " bytes but " + file.name() + " is "
                            + file.size() + " bytes (a different file?)");
                }
            } else if (status == 416) {
                Files.deleteIfExists(part); // our partial file does not fit the server's; start over next attempt
                throw new IOException("server refused to resume (HTTP 416)");
            } else if (status >= 500 || status == 408 || status == 429) {
                throw new IOException("HTTP " + status);
            } else {
                throw new FatalHttpException("HTTP " + status);
            }
            long expected = file.size() > 0 ? file.size()
                    : response.headers().firstValueAsLong("Content-Length").stream().map(l -> l + start).findFirst().orElse(-1);
            Progress progress = new Progress(out, terminal, file.name(), expected, start);
            long bytes = start;
            AtomicLong lastData = new AtomicLong(System.nanoTime());
            AtomicBoolean stalled = new AtomicBoolean();
            long stallNanos = retry.stallTimeout().toNanos();
            long period = Math.max(1, retry.stallTimeout().toMillis() / 4);
            ScheduledFuture<?> watchdog = WATCHDOG.scheduleAtFixedRate(() -> {
                if (System.nanoTime() - lastData.get() > stallNanos && !stalled.getAndSet(true)) {
                    try {
                        body.close(); // unblocks the read below
                    } catch (IOException ignored) {
                        // closing is all we can do
                    }
                }
            }, period, period, TimeUnit.MILLISECONDS);
            StandardOpenOption mode = start > 0 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
            try (OutputStream os = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = body.read(buf)) > 0; ) {
                    lastData.set(System.nanoTime());
                    os.write(buf, 0, n);
                    bytes += n;
                    if (expected > 0 && bytes > expected) {
                        throw new FatalHttpException("server sent more than the " + expected + " bytes expected");
                    }
                    progress.update(bytes);
                }
            } catch (IOException e) {
                if (stalled.get()) {
                    throw new IOException("no data for " + retry.stallTimeout().toMillis() / 1000.0 + " s after " + bytes + " bytes", e);
                }
                throw e;
            } finally {
                watchdog.cancel(false);
                if (bytes > start) {
                    progress.done(bytes);
                }
            }
            if (stalled.get()) {
                throw new IOException("no data for " + retry.stallTimeout().toMillis() / 1000.0 + " s after " + bytes + " bytes");
            }
            if (expected > 0 && bytes < expected) {
                throw new IOException("connection closed after " + bytes + " of " + expected + " bytes");
            }
        }
        return start > 0;
    }

    /**
     * One line for a failed attempt: the exception and the first message along its causes (the HTTP client's
     * ConnectException often has none of its own: "Connection refused" is its cause's), and for a connection that was
     * never made, the host it was made to.
     */
    private static String describe(IOException e, URI source) {
        if (e == null) {
            return "unknown error";
        }
        String m = null;
        for (Throwable c = e; c != null && m == null; c = c.getCause()) {
            m = c.getMessage() == null || c.getMessage().isBlank() ? null : c.getMessage();
        }
        String what = e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
        return e instanceof java.net.ConnectException && source.getHost() != null
                ? "could not connect to " + source.getHost() + " (" + what + ")" : what;
    }

    private String howToFetchByHand(RemoteFile file, URI source, Path target) {
        return "\nTo fix: fetch " + file.url() + (source.equals(file.url()) ? "" : " (or " + source + ")")
                + " by hand (browser, curl or wget) and save it as " + target.toAbsolutePath()
                + " (MD5 " + file.md5() + (file.size() > 0 ? ", " + file.size() + " bytes" : "")
                + "), then run again; or give --mirror URL (or set SIMPLETORCH_MIRROR) to a host that serves "
                + file.name() + ".";
    }

    private static void sleep(Duration d) throws IOException {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting to retry");
        }
    }

    /** An HTTP answer that retrying will not change. */
    private static final class FatalHttpException extends IOException {
        FatalHttpException(String message) {
            super(message);
        }
    }
}
