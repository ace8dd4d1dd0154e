package simpletorch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import simpletorch.kernels.Parallel;

/**
 * The directory a training run writes: {@code config.json}, {@code metrics.csv}, {@code training_history.png},
 * {@code model.safetensors}, {@code best.safetensors} and the checkpoints ({@link Checkpoints}). Every file is
 * replaced atomically, so the directory is usable at any moment.
 */
final class RunDirectory {
    static final String CONFIG = "config.json";
    static final String METRICS = "metrics.csv";
    static final String HISTORY_PNG = "training_history.png";
    static final String MODEL = "model.safetensors";
    static final String BEST = "best.safetensors";

    private final Path dir;

    private RunDirectory(Path dir) {
        this.dir = dir;
    }

    Path path() {
        return dir;
    }

    Path resolve(String name) {
        return dir.resolve(name);
    }

    /**
     * A new run directory: {@code out} if given (it must not hold a run already), else
     * {@code runs/<dataset>-<model>-<yyyyMMdd-HHmmss>} with a suffix if that exists.
     */
    static RunDirectory create(Path out, String dataset, String model) throws IOException {
        Path dir = out;
        if (dir == null) {
            String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            Path base = Path.of("runs", dataset.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + model + "-" + stamp);
            dir = base;
            for (int k = 2; Files.exists(dir); k++) {
                dir = Path.of(base + "-" + k);
            }
        } else if (Files.exists(dir.resolve(CONFIG)) || Files.exists(dir.resolve(Checkpoints.POINTER))) {
            throw new Main.UserError("--out: " + dir + " already holds a run; continue it with --resume " + dir
                    + " or choose another directory");
        } else if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new Main.UserError("--out: " + dir + " exists and is not a directory");
        }
        Files.createDirectories(dir);
        return new RunDirectory(dir);
    }

    /** An existing run directory, for {@code --resume}. */
    static RunDirectory open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new Main.UserError("--resume: no such directory: " + dir);
        }
        if (!Files.isRegularFile(dir.resolve(CONFIG))) {
            throw new Main.UserError("--resume: " + dir + " has no " + CONFIG + "; it is not a run directory");
        }
        return new RunDirectory(dir);
    }

    /** Writes {@code config.json}: the effective options and the environment that ran them. */
    void writeConfig(TrainOptions options, List<String> commandLine) throws IOException {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("options", options);
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("java_version", Runtime.version().toString());
        env.put("java_vm", System.getProperty("java.vm.name") + " (" + System.getProperty("java.vendor") + ")");
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        env.put("threads", Parallel.threads());
        env.put("available_processors", Runtime.getRuntime().availableProcessors());
        env.put("seed", options.seed());
        env.put("command_line", commandLine);
        env.put("started", LocalDateTime.now().toString());
        config.put("environment", env);
        AtomicFiles.writeString(dir.resolve(CONFIG), Json.pretty(config));
    }

    /** The options {@code config.json} recorded. */
    TrainOptions readOptions() throws IOException {
        Path file = dir.resolve(CONFIG);
        try {
            JsonNode root = Json.MAPPER.readTree(Files.readString(file));
            JsonNode options = root.get("options");
            if (options == null) {
                throw new Main.UserError(file + " has no \"options\"");
            }
            return Json.MAPPER.treeToValue(options, TrainOptions.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new Main.UserError(file + " is corrupt: " + e.getOriginalMessage());
        }
    }

    /** Rewrites {@code metrics.csv} and {@code training_history.png} from the whole history. */
    void writeMetrics(List<EpochMetrics> history) throws IOException {
        StringBuilder csv = new StringBuilder(EpochMetrics.CSV_HEADER).append('\n');
        for (EpochMetrics m : history) {
            csv.append(m.csvRow()).append('\n');
        }
        AtomicFiles.writeString(dir.resolve(METRICS), csv.toString());
        Charts.trainingHistory(dir.resolve(HISTORY_PNG), history);
    }
}
