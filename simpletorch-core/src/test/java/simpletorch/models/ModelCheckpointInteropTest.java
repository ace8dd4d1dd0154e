package simpletorch.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import simpletorch.PyTorchFixture;
import simpletorch.autograd.GradMode;
import simpletorch.io.SafeTensors;
import simpletorch.io.SafeTensorsFile;
import simpletorch.nn.Module;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * A state dict we write for a model with BatchNorm (all F32, {@code num_batches_tracked} included) loads into the
 * same architecture in PyTorch with {@code load_state_dict(strict=True)}, which copies the count into its int64
 * buffer, and gives the same evaluation-mode logits ({@code src/test/python/model_checkpoint.py}). Skipped where
 * {@code /usr/bin/python3} cannot import torch.
 */
class ModelCheckpointInteropTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path SCRIPT = Path.of(System.getProperty("basedir", "."))
            .resolve("src/test/python/model_checkpoint.py");

    @org.junit.jupiter.api.io.TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}x{2}x{2}")
    @CsvSource({"simplenet-bn, 1, 28", "vgg-small, 3, 32", "resnet20, 3, 32"})
    void pytorchLoadsOurStateDictStrictlyAndComputesTheSameLogits(String name, int c, int size) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PYTHON), PYTHON + " not found");
        Generator.manualSeed(21);
        Module model = Models.create(name, c, size, size, 10);
        Generator g = new Generator(22);
        try (var ignored = GradMode.noGrad()) {
            for (int step = 0; step < 3; step++) { // running statistics and counts that are not the initial ones
                model.forward(Tensor.randn(g, 4, c, size, size));
            }
        }
        model.eval();
        Tensor x = Tensor.randn(g, 3, c, size, size);
        Tensor ours;
        try (var ignored = GradMode.noGrad()) {
            ours = model.forward(x);
        }
        Path checkpoint = dir.resolve(name + ".safetensors");
        Path input = dir.resolve("input.safetensors");
        Path output = dir.resolve("output.safetensors");
        SafeTensors.write(checkpoint, new LinkedHashMap<>(model.stateDict()), Map.of("model", name));
        SafeTensors.write(input, Map.of("input", x));

        Process p = new ProcessBuilder(PYTHON.toString(), SCRIPT.toString(), name, checkpoint.toString(),
                input.toString(), output.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        Assumptions.assumeTrue(p.exitValue() != 3, "torch is not importable by " + PYTHON);
        assertThat(p.exitValue()).as(log).isZero();

        SafeTensorsFile theirs = SafeTensors.read(output);
        PyTorchFixture.assertClose(name + " logits after PyTorch loaded our file", ours, theirs.tensor("logits"), 1e-5);
        int counts = 0;
        for (var e : model.stateDict().entrySet()) {
            if (e.getKey().endsWith("num_batches_tracked")) {
                assertThat(theirs.dtypes().get(e.getKey())).isEqualTo("I64");
                assertThat(theirs.longs().get(e.getKey())).as(e.getKey()).containsExactly(3L);
                assertThat(e.getValue().item()).isEqualTo(3f);
                counts++;
            }
        }
        assertThat(counts).isPositive();
    }
}
