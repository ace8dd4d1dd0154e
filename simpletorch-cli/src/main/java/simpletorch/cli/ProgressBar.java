package simpletorch.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Per-batch progress. On a terminal: one line redrawn with a carriage return, showing the batch, a bar and the
 * running mean loss; the tutorial's {@code Batch [N], Loss: x} lines are printed above it. Elsewhere (a pipe, a
 * file, a test): only those lines, every {@code logEvery} batches.
 */
final class ProgressBar {
    private static final int WIDTH = 30;

    private final PrintWriter out;
    private final boolean terminal;
    private final int logEvery;
    private final int total;
    private final String prefix;
    private double lossSum;
    private int lastDrawnLength;

    ProgressBar(PrintWriter out, boolean terminal, int logEvery, int total, String prefix) {
        this.out = out;
        this.terminal = terminal;
        this.logEvery = logEvery;
        this.total = total;
        this.prefix = prefix;
    }

    /** Whether standard output is an interactive terminal (on JDK 22+, where console() is never null, asks it). */
    static boolean stdoutIsTerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // before JDK 22 a non-null console means a terminal
        }
    }

    void onBatch(int batch, float loss) {
        lossSum += loss;
        if (batch % logEvery == 0) {
            if (terminal) {
                clear();
            }
            out.printf(Locale.ROOT, "Batch [%d], Loss: %.4f%n", batch, loss);
        }
        if (terminal) {
            draw(batch);
        }
        if (batch % logEvery == 0 || terminal) {
            out.flush();
        }
    }

    /** Removes the bar so the epoch's summary line starts clean. */
    void finish() {
        if (terminal) {
            clear();
            out.flush();
        }
    }

    String render(int batch) {
        int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * batch / total);
        return String.format(Locale.ROOT, "%s [%s%s] %d/%d  loss %.4f", prefix, "=".repeat(filled),
                " ".repeat(WIDTH - filled), batch, total, lossSum / Math.max(1, batch));
    }

    private void draw(int batch) {
        String line = render(batch);
        out.print("\r" + line);
        lastDrawnLength = line.length();
    }

    private void clear() {
        if (lastDrawnLength > 0) {
            out.print("\r" + " ".repeat(lastDrawnLength) + "\r");
            lastDrawnLength = 0;
        }
    }
}
