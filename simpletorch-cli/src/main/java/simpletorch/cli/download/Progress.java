package simpletorch.cli.download;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A download progress display: on a terminal one line redrawn in place
 * ({@code cifar-10-binary.tar.gz [=====>    ] 81.2/162.2 MB  3.4 MB/s  0:24 left}); otherwise (a log file, CI) a
 * plain line at every 10% or every 10 seconds, whichever comes first.
 */
final class Progress {
    private static final long REDRAW_NANOS = 200_000_000L;
    private static final long LINE_NANOS = 10_000_000_000L;

    private final PrintWriter out;
    private final boolean terminal;
    private final String label;
    private final long total; // -1 when unknown
    private final long startBytes;
    private final long startNanos = System.nanoTime();
    private long lastNanos = startNanos;
    private int lastDecile;

    Progress(PrintWriter out, boolean terminal, String label, long total, long startBytes) {
        this.out = out;
        this.terminal = terminal;
        this.label = label;
        this.total = total;
        this.startBytes = startBytes;
        this.lastDecile = total > 0 ? (int) (10 * startBytes / total) : 0;
    }

    /** Reports {@code bytes} held so far; prints only when due. */
    void update(long bytes) {
        long now = System.nanoTime();
        if (terminal) {
            if (now - lastNanos >= REDRAW_NANOS) {
                lastNanos = now;
                out.print("\r" + line(bytes, now) + "   ");
                out.flush();
            }
            return;
        }
        int decile = total > 0 ? (int) (10 * bytes / total) : 0;
        if (decile > lastDecile || now - lastNanos >= LINE_NANOS) {
            lastDecile = decile;
            lastNanos = now;
            out.println(line(bytes, now));
            out.flush();
        }
    }

    /** The final line. */
    void done(long bytes) {
        String line = line(bytes, System.nanoTime());
        out.println(terminal ? "\r" + line + "   " : line);
        out.flush();
    }

    String line(long bytes, long now) {
        double seconds = Math.max(1e-9, (now - startNanos) / 1e9);
        double rate = (bytes - startBytes) / seconds; // bytes per second in this session
        StringBuilder sb = new StringBuilder(label).append(' ');
        if (total > 0) {
            int width = 24;
            int filled = (int) Math.min(width, width * bytes / total);
            sb.append('[').append("=".repeat(filled)).append(filled < width ? ">" : "")
                    .append(" ".repeat(Math.max(0, width - filled - 1))).append("] ");
            sb.append(String.format(Locale.ROOT, "%3d%% %s/%s", 100 * bytes / total, mb(bytes), mb(total)));
        } else {
            sb.append(mb(bytes));
        }
        sb.append(String.format(Locale.ROOT, "  %s/s", mb((long) rate)));
        if (total > 0 && rate > 0 && bytes < total) {
            sb.append("  ").append(duration((total - bytes) / rate)).append(" left");
        } else if (bytes >= total && total > 0) {
            sb.append("  in ").append(duration(seconds));
        }
        return sb.toString();
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
