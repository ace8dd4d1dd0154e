package simpletorch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The launcher's JIT compile commands ({@code jit/compile-commands.txt}) name methods of the engine's kernels by
 * name: a renamed method would silently drop its command. Each command must be well formed and name a method that is
 * declared in the engine's sources.
 */
class KernelCompileCommandsTest {
    private static final Path COMMANDS = Path.of("jit", "compile-commands.txt");
    private static final Path KERNELS = Path.of("..", "simpletorch-core", "src", "main", "java");
    private static final Pattern COMMAND = Pattern.compile("dontinline ((?:\\w+\\.)+)(\\w+)::(\\w+)");

    @Test
    void everyCommandNamesADeclaredKernelMethod() throws IOException {
        List<String> commands = Files.readAllLines(COMMANDS).stream()
                .map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                .toList();
        assertThat(commands).isNotEmpty();
        for (String command : commands) {
            Matcher m = COMMAND.matcher(command);
            assertThat(m.matches()).as("a dontinline command of the form package.Class::method: %s", command).isTrue();
            Path source = KERNELS.resolve(m.group(1).replace('.', '/') + m.group(2) + ".java");
            assertThat(source).as("the class of %s", command).exists();
            Pattern declaration = Pattern.compile("(?m)^\\s+(?:(?:private|static|final|public)\\s+)+[\\w\\[\\]<>]+\\s+"
                    + Pattern.quote(m.group(3)) + "\\(");
            assertThat(declaration.matcher(Files.readString(source)).find())
                    .as("a declaration of %s in %s", m.group(3), source).isTrue();
        }
    }
}
