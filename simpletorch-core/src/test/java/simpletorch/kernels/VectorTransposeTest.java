package simpletorch.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import simpletorch.tensor.Generator;
import simpletorch.testing.TestData;

/** {@link VectorTranspose} against the definition, element by element, with rows and columns at odd distances. */
class VectorTransposeTest {
    @ParameterizedTest(name = "add={0} off={1} stride={2} dst={3} dstStride={4}")
    @CsvSource({"false, 5, 37, 3, 19", "true, 2, 16, 1, 256", "false, 0, 16, 0, 16"})
    void transposesASixteenBySixteenBlock(boolean add, int off, int stride, int dst, int dstStride) {
        assumeTrue(Gemm.vectorEnabled() && VectorTranspose.applies(), "needs 16-float vectors and JDK 25+");
        Generator gen = new Generator(77 + stride);
        float[] in = TestData.uniform(gen, off + 15 * stride + 16);
        float[] out = TestData.uniform(gen, dst + 15 * dstStride + 16 + 1);
        float[] before = out.clone();
        VectorTranspose.transpose(in, off, stride, out, dst, dstStride, add);
        for (int x = 0; x < 16; x++) {
            for (int c = 0; c < 16; c++) {
                int i = dst + x * dstStride + c;
                float expected = add ? before[i] + in[off + c * stride + x] : in[off + c * stride + x];
                assertThat(out[i]).as("column %d, row %d", x, c).isEqualTo(expected);
            }
        }
        if (dstStride > 16) {
            assertThat(out[dst + 16]).as("between two columns").isEqualTo(before[dst + 16]);
        }
        assertThat(out[dst + 15 * dstStride + 16]).as("after the block").isEqualTo(before[dst + 15 * dstStride + 16]);
    }
}
