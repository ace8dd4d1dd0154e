package simpletorch.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import simpletorch.autograd.GradMode;
import simpletorch.io.SafeTensors;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * A checkpoint we write loads into the PyTorch SimpleNet with {@code load_state_dict(strict=True)} and gives the
 * same logits there, via {@code src/test/python/simplenet_checkpoint.py}. Skipped where {@code /usr/bin/python3}
 * cannot import torch (CI installs Debian's python3-torch).
 */
class SimpleNetCheckpointInteropTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path SCRIPT = Path.of(System.getProperty("basedir", "."))
            .resolve("src/test/python/simplenet_checkpoint.py");

    @TempDir
    Path dir;

    @Test
    void pytorchLoadsOurCheckpointStrictlyAndComputesTheSameLogits() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PYTHON), PYTHON + " not found");
        for (int[] shape : new int[][] {{3, 32}, {1, 28}}) {
            Generator.manualSeed(11);
            SimpleNet net = new SimpleNet(shape[0], shape[1], shape[1], 10);
            Tensor x = Tensor.randn(new Generator(12), 5, shape[0], shape[1], shape[1]);
            Tensor ours;
            try (var ignored = GradMode.noGrad()) {
                ours = net.forward(x);
            }
            Path checkpoint = dir.resolve("simplenet-" + shape[0] + ".safetensors");
            Path input = dir.resolve("input.safetensors");
            Path output = dir.resolve("logits.safetensors");
            SafeTensors.write(checkpoint, new LinkedHashMap<>(net.stateDict()), Map.of("model", "SimpleNet"));
            SafeTensors.write(input, Map.of("input", x));

            Process p = new ProcessBuilder(PYTHON.toString(), SCRIPT.toString(), checkpoint.toString(),
                    input.toString(), output.toString()).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            Assumptions.assumeTrue(p.exitValue() != 3, "torch is not importable by " + PYTHON);
            assertThat(p.exitValue()).as(log).isZero();

            float[] theirs = SafeTensors.read(output).tensor("logits").data();
            float[] mine = ours.data();
            assertThat(theirs).hasSameSizeAs(mine);
            double maxDiff = 0;
            for (int i = 0; i < mine.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(mine[i] - theirs[i]));
            }
            // Logits are O(1) sums of a few thousand float32 products: 1e-5 absolute is float32 agreement.
            assertThat(maxDiff).as("max |ours - torch| for input %s", java.util.Arrays.toString(x.shape())).isLessThan(1e-5);
        }
    }
}
