package simpletorch.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A data set's files are in none of the places a loader looks. The message names the data set, every place
 * searched, and how to get the files.
 */
public class DatasetNotFoundException extends IOException {
    private final String dataset;
    private final List<Path> searched;

    /**
     * @param dataset   e.g. {@code "CIFAR-10 (train)"}
     * @param lookedFor the files that were wanted, e.g. {@code "data_batch_1.bin .. data_batch_5.bin"}
     * @param searched  the directories searched, in order
     * @param fix       what the user should do
     */
    public DatasetNotFoundException(String dataset, String lookedFor, List<Path> searched, String fix) {
        super(message(dataset, lookedFor, searched, fix));
        this.dataset = dataset;
        this.searched = List.copyOf(searched);
    }

    private static String message(String dataset, String lookedFor, List<Path> searched, String fix) {
        StringBuilder sb = new StringBuilder();
        sb.append(dataset).append(" not found. Looked for ").append(lookedFor).append(" in:");
        for (Path p : searched) {
            sb.append("\n  ").append(p);
        }
        sb.append("\n").append(fix);
        return sb.toString();
    }

    public String dataset() {
        return dataset;
    }

    /** The directories searched, in order. */
    public List<Path> searched() {
        return searched;
    }
}
