package simpletorch.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * Round trips through real PyTorch with {@code src/test/python/safetensors_interop.py}: PyTorch loads our file
 * into a model with {@code load_state_dict(strict=True)}, and we read the file it writes. Skipped where
 * {@code /usr/bin/python3} cannot import torch.
 */
class SafeTensorsInteropTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path SCRIPT = Path.of(System.getProperty("basedir", "."))
            .resolve("src/test/python/safetensors_interop.py");

    @TempDir
    Path dir;

    @Test
    void pytorchLoadsOurFileAndWeReadPytorchsFile() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PYTHON), PYTHON + " not found");
        Assumptions.assumeTrue(Files.isRegularFile(SCRIPT), SCRIPT + " not found");

        // Shapes of torch.nn.Conv2d(1, 2, 2) and torch.nn.Linear(3, 2).
        Generator g = new Generator(7);
        Map<String, Tensor> ours = new LinkedHashMap<>();
        ours.put("conv.weight", Tensor.randn(g, 2, 1, 2, 2));
        ours.put("conv.bias", Tensor.randn(g, 2));
        ours.put("fc.weight", Tensor.randn(g, 2, 3));
        ours.put("fc.bias", Tensor.randn(g, 2));
        Map<String, String> metadata = Map.of("format", "pt", "producer", "simpletorch \u2713");
        Path javaFile = dir.resolve("java.safetensors");
        Path pythonFile = dir.resolve("python.safetensors");
        SafeTensors.write(javaFile, ours, metadata);

        Map<String, Object> report = runScript(javaFile, pythonFile);

        // 1. PyTorch read our file.
        Map<String, Object> read = object(report.get("read"));
        assertThat(read.get("metadata")).isEqualTo(metadata);
        Map<String, Object> state = object(read.get("state"));
        assertThat(state.keySet()).containsExactlyInAnyOrderElementsOf(ours.keySet());
        for (Map.Entry<String, Tensor> e : ours.entrySet()) {
            Map<String, Object> t = object(state.get(e.getKey()));
            assertThat(ints(t.get("shape"))).as(e.getKey()).containsExactly(e.getValue().shape());
            assertThat(floats(t.get("values"))).as(e.getKey()).containsExactly(e.getValue().data());
        }
        float[] w = ours.get("conv.weight").data(); // [OC=2, C=1, KH=2, KW=2]
        float[] b = ours.get("conv.bias").data();
        float[] convOut = new float[2 * 2 * 2]; // [1, 2, 2, 2] for x = arange(9) as [1, 1, 3, 3]
        for (int oc = 0; oc < 2; oc++) {
            for (int oh = 0; oh < 2; oh++) {
                for (int ow = 0; ow < 2; ow++) {
                    double acc = b[oc];
                    for (int kh = 0; kh < 2; kh++) {
                        for (int kw = 0; kw < 2; kw++) {
                            acc += w[oc * 4 + kh * 2 + kw] * (double) ((oh + kh) * 3 + (ow + kw));
                        }
                    }
                    convOut[(oc * 2 + oh) * 2 + ow] = (float) acc;
                }
            }
        }
        assertClose("conv_out", floats(read.get("conv_out")), convOut);
        float[] fw = ours.get("fc.weight").data(); // [2, 3]
        float[] fb = ours.get("fc.bias").data();
        float[] fcOut = new float[2];
        for (int o = 0; o < 2; o++) {
            fcOut[o] = (float) (fb[o] + fw[o * 3] * 1.0 + fw[o * 3 + 1] * 2.0 + fw[o * 3 + 2] * 3.0);
        }
        assertClose("fc_out", floats(read.get("fc_out")), fcOut);

        // 2. We read PyTorch's file.
        Map<String, Object> written = object(report.get("written"));
        Map<String, Object> expected = object(written.get("state"));
        SafeTensorsFile theirs = SafeTensors.read(pythonFile);
        assertThat(theirs.metadata()).isEqualTo(written.get("metadata"))
                .containsEntry("note", "h\u00e9llo \uD83D\uDE00");
        assertThat(theirs.tensors().keySet()).containsExactlyElementsOf(expected.keySet());
        for (Map.Entry<String, Object> e : expected.entrySet()) {
            String name = e.getKey();
            Map<String, Object> t = object(e.getValue());
            Tensor got = theirs.tensor(name);
            assertThat(got.shape()).as(name).containsExactly(ints(t.get("shape")));
            assertThat(theirs.dtypes().get(name)).as(name).isEqualTo(t.get("dtype"));
            // torch's own conversion to float32 and ours must agree bit for bit.
            assertThat(got.data()).as(name).containsExactly(floats(t.get("values")));
            if (t.get("exact") != Json.NULL) {
                assertThat(theirs.longs().get(name)).as(name).containsExactly(longs(t.get("exact")));
            }
        }
        assertThat(theirs.dtypes().get("1.num_batches_tracked")).isEqualTo("I64");
        assertThat(theirs.longs().get("1.num_batches_tracked")).containsExactly(1L);
        assertThat(theirs.longs().get("extra.i64")).containsExactly((1L << 53) + 1, -1L);
        assertThat(theirs.tensor("extra.scalar").dim()).isZero();
    }

    private Map<String, Object> runScript(Path javaFile, Path pythonFile) throws Exception {
        Path stderr = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(PYTHON.toString(), SCRIPT.toString(), javaFile.toString(), pythonFile.toString())
                .redirectError(stderr.toFile())
                .start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("interop script timed out");
        }
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        Assumptions.assumeTrue(p.exitValue() != 3, "PyTorch not importable by " + PYTHON + ": " + err.strip());
        assertThat(p.exitValue()).as("interop script failed:\n" + err).isZero();
        return object(Json.parse(new String(out, StandardCharsets.UTF_8)));
    }

    private static void assertClose(String what, float[] actual, float[] expected) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        double maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
        }
        assertThat(maxDiff).as(what + " max abs difference vs PyTorch").isLessThan(1e-5);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object o) {
        return (Map<String, Object>) o;
    }

    private static List<?> list(Object o) {
        return (List<?>) o;
    }

    private static int[] ints(Object o) {
        return list(o).stream().mapToInt(v -> ((Long) v).intValue()).toArray();
    }

    private static long[] longs(Object o) {
        return list(o).stream().mapToLong(v -> (Long) v).toArray();
    }

    /** JSON numbers from Python's repr of float32 values; each parses back to the exact float. */
    private static float[] floats(Object o) {
        List<Object> values = new ArrayList<>(list(o));
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) values.get(i)).floatValue();
        }
        return out;
    }
}
