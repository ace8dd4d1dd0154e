package simpletorch.cli.download;

import java.net.URI;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A file to fetch and what it must be once fetched.
 *
 * @param name the file name, both on the server and in the data directory (a mirror holds the same names)
 * @param url  where the official host serves it
 * @param md5  the published MD5, 32 lower-case hex digits
 * @param size the exact size in bytes, or -1 where it is not published (the MD5 still decides)
 */
public record RemoteFile(String name, URI url, String md5, long size) {
    private static final Pattern MD5 = Pattern.compile("[0-9a-f]{32}");

    public RemoteFile {
        if (name == null || name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
            throw new IllegalArgumentException("name must be a plain file name, got '" + name + "'");
        }
        if (url == null || !("http".equals(url.getScheme()) || "https".equals(url.getScheme()))) {
            throw new IllegalArgumentException("url must be http(s), got " + url);
        }
        md5 = md5 == null ? null : md5.toLowerCase(Locale.ROOT);
        if (md5 == null || !MD5.matcher(md5).matches()) {
            throw new IllegalArgumentException("md5 must be 32 hex digits, got '" + md5 + "'");
        }
        if (size < -1 || size == 0) {
            throw new IllegalArgumentException("size must be > 0, or -1 for unknown, got " + size);
        }
    }

    public RemoteFile(String name, String url, String md5, long size) {
        this(name, URI.create(url), md5, size);
    }

    /** Where to fetch from: {@code mirror/name} when a mirror base URL is given, else {@link #url}. */
    public URI source(String mirror) {
        if (mirror == null || mirror.isBlank()) {
            return url;
        }
        String base = mirror.endsWith("/") ? mirror : mirror + "/";
        return URI.create(base).resolve(name);
    }
}
