package simpletorch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import simpletorch.io.SafeTensors;
import simpletorch.io.SafeTensorsFile;
import simpletorch.tensor.Tensor;

/**
 * One of the files that {@code src/test/python/make_pytorch_fixtures.py} wrote from PyTorch into
 * {@code src/test/resources/fixtures/}, with the comparisons the agreement tests make against it.
 *
 * <p>Tolerance: an element {@code a} of ours passes against PyTorch's {@code b} when
 * {@code |a - b| <= rtol * (|b| + scale)}, where {@code scale} is the largest {@code |b|} in the tensor. Float32
 * rounding in a sum is proportional to the size of the terms summed, not to the result, so an element that
 * cancels to nearly zero (a gradient entry, a logit near 0) carries an absolute error on the order of the
 * tensor's own magnitude: a purely element-relative test would fail on harmless cancellation, while an
 * absolute 1e-5 would not check a tensor whose values are all around 1e-4. Failure messages give the maximum
 * absolute difference, the maximum element-relative difference and the worst element.
 */
public final class PyTorchFixture {
    private final String name;
    private final SafeTensorsFile file;

    private PyTorchFixture(String name, SafeTensorsFile file) {
        this.name = name;
        this.file = file;
    }

    /** Reads {@code fixtures/<name>} from the test classpath. */
    public static PyTorchFixture load(String name) {
        URL url = PyTorchFixture.class.getResource("/fixtures/" + name);
        if (url == null) {
            throw new IllegalStateException("fixture " + name + " is missing from src/test/resources/fixtures; run "
                    + "/usr/bin/python3 simpletorch-core/src/test/python/make_pytorch_fixtures.py");
        }
        try {
            return new PyTorchFixture(name, SafeTensors.read(Path.of(url.toURI())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public Tensor tensor(String key) {
        return file.tensor(key);
    }

    /** The values of an I64 tensor (class indices) as ints. */
    public int[] ints(String key) {
        long[] values = file.longs().get(key);
        if (values == null) {
            throw new IllegalArgumentException(name + ": " + key + " is not an integer tensor (dtype "
                    + file.dtypes().get(key) + ")");
        }
        return Arrays.stream(values).mapToInt(Math::toIntExact).toArray();
    }

    /** The raw values of an I64 tensor. */
    public long[] longs(String key) {
        long[] values = file.longs().get(key);
        if (values == null) {
            throw new IllegalArgumentException(name + ": " + key + " is not an integer tensor");
        }
        return values.clone();
    }

    /** Whether the fixture holds a tensor named {@code key}. */
    public boolean has(String key) {
        return file.dtypes().containsKey(key);
    }

    /** The tensors whose names start with {@code prefix}, with the prefix removed: a state dict. */
    public Map<String, Tensor> stateDict(String prefix, String... keys) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String key : keys) {
            out.put(key, tensor(prefix + key));
        }
        return out;
    }

    public Map<String, String> metadata() {
        return file.metadata();
    }

    /** The largest differences between two float arrays, and where. */
    public record Diff(double maxAbs, double maxRel, int worst, double worstRatio) {
        public String describe(float[] actual, float[] expected) {
            return String.format("max abs diff %.3g, max rel diff %.3g; worst element [%d]: ours %s, PyTorch %s",
                    maxAbs, maxRel, worst, actual[worst], expected[worst]);
        }
    }

    /** Differences of {@code actual} from {@code expected}, measured against {@code rtol * (|b| + scale)}. */
    public static Diff diff(float[] actual, float[] expected, double rtol) {
        double scale = 0;
        for (float b : expected) {
            scale = Math.max(scale, Math.abs(b));
        }
        double maxAbs = 0, maxRel = 0, worstRatio = -1;
        int worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double a = actual[i], b = expected[i];
            double d = Math.abs(a - b);
            if (Double.isNaN(d)) {
                d = Double.POSITIVE_INFINITY;
            }
            maxAbs = Math.max(maxAbs, d);
            maxRel = Math.max(maxRel, d / Math.max(Math.abs(b), Float.MIN_NORMAL));
            double ratio = d / (rtol * (Math.abs(b) + scale) + Double.MIN_VALUE);
            if (ratio > worstRatio) {
                worstRatio = ratio;
                worst = i;
            }
        }
        return new Diff(maxAbs, maxRel, worst, worstRatio);
    }

    /**
     * Asserts that {@code actual} has {@code expected}'s shape and agrees with it elementwise within
     * {@code rtol} (see the class comment); returns the differences so a test can print them.
     */
    public static Diff assertClose(String what, Tensor actual, Tensor expected, double rtol) {
        assertThat(actual.shape()).as(what + " shape").isEqualTo(expected.shape());
        return assertClose(what, actual.data(), expected.data(), rtol);
    }

    public static Diff assertClose(String what, float[] actual, float[] expected, double rtol) {
        assertThat(actual).as(what + " length").hasSameSizeAs(expected);
        Diff d = diff(actual, expected, rtol);
        if (!(d.worstRatio() <= 1)) {
            fail(what + " differs from PyTorch beyond rtol " + rtol + " (|a-b| <= rtol*(|b| + max|b|)): "
                    + d.describe(actual, expected));
        }
        System.out.printf("%-58s max abs %.3g  max rel %.3g  (%.2f of the tolerance)%n", what, d.maxAbs(),
                d.maxRel(), d.worstRatio());
        return d;
    }
}
