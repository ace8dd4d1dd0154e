package simpletorch.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import simpletorch.examples.TutorialExample;

/** {@code simpletorch example}: runs {@link TutorialExample}, the tutorial's program written against the Java API. */
@Command(name = "example", mixinStandardHelpOptions = true,
        description = "Run the tutorial's program as written in TutorialExample.java (Fashion-MNIST, one epoch).")
final class ExampleCommand implements Callable<Integer> {
    @Option(names = "--data-dir", defaultValue = "data", description = "Where Fashion-MNIST is looked for besides its Debian location.")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        TutorialExample.main(new String[] {dataDir.toString()});
        return 0;
    }
}
