package simpletorch.data;

import java.io.IOException;
import java.nio.file.Path;

/** A data set file exists but is not what its format promises; the message names the file and the problem. */
public class DatasetFormatException extends IOException {
    private final Path file;

    public DatasetFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public DatasetFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The offending file. */
    public Path file() {
        return file;
    }
}
