package simpletorch.cli;

import java.io.PrintWriter;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import simpletorch.autograd.Profiler;

/**
 * Prints the {@link Profiler}'s per-op table, slowest first, with each op's share of the wall time and, for the
 * products that count their FLOPs (convolutions, linear layers), the GFLOPS they ran at, forward and backward together.
 */
final class ProfileReport {
    private ProfileReport() {
    }

    static void print(PrintWriter out, double wallSeconds) {
        List<Profiler.Entry> entries = Profiler.entries().stream()
                .sorted(Comparator.comparingLong(Profiler.Entry::totalNanos).reversed()).toList();
        out.printf(Locale.ROOT, "%-40s %10s %10s %7s %8s %7s%n", "op", "forward s", "backward s", "share", "calls",
                "GFLOPS");
        double accounted = 0;
        for (Profiler.Entry e : entries) {
            double total = e.totalNanos() / 1e9;
            accounted += total;
            String gflops = e.totalFlops() == 0 || e.totalNanos() == 0 ? ""
                    : String.format(Locale.ROOT, "%.1f", (double) e.totalFlops() / e.totalNanos());
            out.printf(Locale.ROOT, "%-40s %10.3f %10.3f %6.1f%% %8d %7s%n", e.label(), e.forwardNanos() / 1e9,
                    e.backwardNanos() / 1e9, 100 * total / wallSeconds, e.calls(), gflops);
        }
        out.printf(Locale.ROOT, "%-40s %21.3f %6.1f%%%n", "other (autograd graph, bookkeeping)",
                wallSeconds - accounted, 100 * (wallSeconds - accounted) / wallSeconds);
    }
}
