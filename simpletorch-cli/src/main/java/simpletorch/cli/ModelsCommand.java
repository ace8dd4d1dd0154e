package simpletorch.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import simpletorch.models.Models;

/** {@code simpletorch models}: the models {@code train --model} takes, with their parameter counts for a data set. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List the models that `train --model` accepts, with their parameter counts for a data set's image shape.")
final class ModelsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--dataset", defaultValue = "cifar10", converter = DatasetChoice.Converter.class,
            completionCandidates = DatasetChoice.Names.class,
            description = "The data set whose image shape and classes size the models (default: ${DEFAULT-VALUE}).")
    DatasetChoice dataset;

    @Override
    public Integer call() {
        PrintWriter pw = spec.commandLine().getOut();
        int[] s = dataset.imageShape();
        pw.printf(Locale.ROOT, "Models for %s (images [%d, %d, %d], %d classes):%n", dataset.displayName, s[0], s[1], s[2],
                dataset.numClasses());
        for (Models.Entry e : Models.all()) {
            long n = Models.parameterCount(e.name(), s[0], s[1], s[2], dataset.numClasses());
            pw.printf(Locale.ROOT, "  %-13s %10s parameters  %s%n", e.name(), String.format(Locale.ROOT, "%,d", n),
                    e.description());
        }
        pw.flush();
        return 0;
    }

    /** The model names, for help text and completion. */
    static final class Names implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Models.names().iterator();
        }
    }
}
