package simpletorch.benchmarks;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import simpletorch.kernels.Gemm;
import simpletorch.kernels.Parallel;

/**
 * Runs each benchmark's setup and one call of each benchmark method, at the default parameters, so that a kernel
 * change that breaks a benchmark shows up in {@code mvn test} instead of at the end of a long run. Times nothing.
 */
class BenchmarkSetupTest {
    private final int threadsBefore = Parallel.threads();
    private final boolean vectorBefore = Gemm.vectorEnabled();

    @AfterEach
    void restore() {
        Parallel.setThreads(threadsBefore);
        Gemm.setVectorEnabled(vectorBefore);
    }

    @ParameterizedTest
    @EnumSource(ConvBench.Shape.class)
    void conv(ConvBench.Shape shape) {
        ConvBench b = new ConvBench();
        b.shape = shape;
        b.threads = 2;
        b.vector = Gemm.VECTOR_AVAILABLE;
        b.setUp();
        assertWritten("conv forward " + shape, b.forward());
        assertWritten("conv backward " + shape, b.backward());
    }

    /** The fused layer exists with the Vector API on JDK 25 and later; elsewhere its setup must say why it cannot run. */
    @ParameterizedTest
    @EnumSource(FusedConvBench.Shape.class)
    void fusedConv(FusedConvBench.Shape shape) {
        FusedConvBench b = new FusedConvBench();
        b.shape = shape;
        b.threads = 2;
        if (!simpletorch.kernels.Conv2dKernels.fusesReluMaxPool2x2(shape.g)) {
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, b::setUp);
            assertTrue(e.getMessage().contains("JDK 25"), e.getMessage());
            return;
        }
        b.setUp();
        assertWritten("fused forward " + shape, b.forward());
        assertWritten("fused backward " + shape, b.backward());
    }

    @ParameterizedTest
    @ValueSource(strings = {"512x512x512", "32x256x144", "16x1024x27"})
    void gemm(String mnk) {
        GemmBench b = new GemmBench();
        b.mnk = mnk;
        b.vector = Gemm.VECTOR_AVAILABLE;
        b.setUp();
        assertWritten("sgemm " + mnk, b.sgemm());
    }

    @Test
    void pool() {
        PoolBench b = new PoolBench();
        b.threads = 2;
        b.setUp();
        assertWritten("maxPool2dForward", b.maxPool2dForward());
        assertWritten("maxPool2dBackward", b.maxPool2dBackward());
    }

    @Test
    void elementwise() {
        ElementwiseBench b = new ElementwiseBench();
        b.threads = 2;
        b.setUp();
        assertWritten("reluForward", b.reluForward());
        assertWritten("reluBackward", b.reluBackward());
    }

    @Test
    void linear() {
        LinearBench b = new LinearBench();
        b.threads = 2;
        b.vector = Gemm.VECTOR_AVAILABLE;
        b.setUp();
        assertWritten("linear forward", b.forward());
        assertWritten("linear backward", b.backward());
    }

    @Test
    void loss() {
        LossBench b = new LossBench();
        b.setUp();
        double loss = b.crossEntropyForward();
        assertTrue(loss > 0 && Double.isFinite(loss), "cross-entropy of random logits: " + loss);
        assertWritten("crossEntropyBackward", b.crossEntropyBackward());
    }

    /** The kernel wrote something: every value finite, and not all zero. */
    private static void assertWritten(String what, float[] a) {
        boolean nonZero = false;
        for (int i = 0; i < a.length; i++) {
            assertTrue(Float.isFinite(a[i]), what + ": element " + i + " is " + a[i]);
            nonZero |= a[i] != 0;
        }
        assertTrue(nonZero, what + ": all " + a.length + " elements are zero");
    }
}
