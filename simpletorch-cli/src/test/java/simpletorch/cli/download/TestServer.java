package simpletorch.cli.download;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local HTTP server on 127.0.0.1 for download tests: serves byte arrays by name, honours {@code Range: bytes=N-}
 * when asked to, can cut responses off mid-stream, and logs every request with its Range header.
 */
final class TestServer implements AutoCloseable {
    final Map<String, byte[]> files = new ConcurrentHashMap<>();
    /** "GET /name range=bytes=N-" per request, or "range=-" without one. */
    final List<String> log = new CopyOnWriteArrayList<>();
    volatile boolean rangeSupport = true;
    /** The next {@code cuts} responses stop after {@code cutAfter} body bytes and drop the connection. */
    final AtomicInteger cuts = new AtomicInteger();
    volatile int cutAfter = 1000;
    private final HttpServer server;

    TestServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    RemoteFile remote(String name, byte[] content, boolean withSize) throws IOException {
        files.put(name, content);
        return new RemoteFile(name, base() + name, md5(content), withSize ? content.length : -1);
    }

    static String md5(byte[] content) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        String name = ex.getRequestURI().getPath().substring(1);
        String range = ex.getRequestHeaders().getFirst("Range");
        log.add(ex.getRequestMethod() + " /" + name + " range=" + (range == null ? "-" : range));
        byte[] data = files.get(name);
        if (data == null) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        int from = 0;
        int status = 200;
        if (range != null && rangeSupport && range.startsWith("bytes=") && range.endsWith("-")) {
            from = Integer.parseInt(range.substring(6, range.length() - 1));
            if (from >= data.length) {
                ex.sendResponseHeaders(416, -1);
                ex.close();
                return;
            }
            status = 206;
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
        }
        ex.getResponseHeaders().add("Accept-Ranges", rangeSupport ? "bytes" : "none");
        int length = data.length - from;
        ex.sendResponseHeaders(status, length);
        OutputStream body = ex.getResponseBody();
        if (cuts.getAndUpdate(c -> Math.max(0, c - 1)) > 0) {
            int n = Math.min(cutAfter, length);
            body.write(data, from, n);
            body.flush();
            // Leave the response short: closing a fixed-length body early drops the connection.
            try {
                body.close();
            } catch (IOException expected) {
                // "insufficient bytes written to stream"
            }
            ex.close();
            return;
        }
        body.write(data, from, length);
        body.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
