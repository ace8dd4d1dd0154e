package simpletorch.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import simpletorch.kernels.Parallel;

/** The {@code simpletorch} command: one subcommand per job. */
@Command(name = "simpletorch", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train and use image classifiers built on the SimpleTorch engine.",
        subcommands = {TrainCommand.class, EvaluateCommand.class, PredictCommand.class, ShowDatasetCommand.class,
                ModelsCommand.class, BenchCommand.class, ExampleCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** The process's standard output; commands draw progress bars only on this, and only on a terminal. */
    static final PrintWriter STDOUT = new PrintWriter(System.out, true);

    static {
        System.setProperty("java.awt.headless", "true"); // figures are drawn to PNG files, never to a screen
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (0 success, 1 failure, 2 usage error). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The configured command line; tests redirect its output with setOut/setErr. */
    static CommandLine commandLine() {
        return new CommandLine(new Main()).setExecutionExceptionHandler(new ErrorHandler()).setOut(STDOUT);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Sets the kernels' thread count and says so when it is more than the processors: the workers spin between a
     * step's parallel loops, so threads beyond the cores only take turns on them (Zen 5, 2 vCPUs, `bench`: 21,600
     * images/s on 4 threads against 33,000 on 2).
     */
    static void setThreads(int threads, PrintWriter out) {
        Parallel.setThreads(threads);
        int processors = Runtime.getRuntime().availableProcessors();
        if (threads > processors) {
            out.printf("Note: %d threads on %d processors: the threads take turns on the cores, which is slower than "
                    + "--threads %d%n", threads, processors, processors);
        }
    }

    /** Version line with the JVM that runs it, which matters for speed. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"simpletorch " + (v == null ? "(development build)" : v),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }

    /**
     * Turns the failures a user can cause (missing or corrupt files, bad values) into one clear line on stderr
     * and exit code 1, instead of a stack trace.
     */
    static final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parseResult) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            cmd.getErr().println("error: " + message);
            if (!(e instanceof java.io.IOException || e instanceof IllegalArgumentException
                    || e instanceof IllegalStateException || e instanceof UserError)) {
                e.printStackTrace(cmd.getErr()); // a bug, not bad input: keep the trace for the report
            }
            cmd.getErr().flush();
            return 1;
        }
    }

    /** A failure caused by the user's input, reported without a stack trace. */
    static final class UserError extends RuntimeException {
        UserError(String message) {
            super(message);
        }
    }
}
