package simpletorch.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import simpletorch.tensor.Generator;
import simpletorch.testing.TestData;

/** {@link VectorTranspose} against the definition, element by element, with rows and columns at odd distances. */
class VectorTransposeTest {
    @Test
    void transposesASixteenBySixteenBlock() {
        assumeTrue(Gemm.vectorEnabled() && VectorTranspose.applies(), "needs 16-float vectors and JDK 25+");
        Generator gen = new Generator(77);
        int off = 5, stride = 37, dst = 3, dstStride = 19;
        float[] in = TestData.uniform(gen, off + 15 * stride + 16);
        float[] out = TestData.uniform(gen, dst + 15 * dstStride + 16);
        float[] before = out.clone();
        VectorTranspose.transpose(in, off, stride, out, dst, dstStride, false);
        for (int x = 0; x < 16; x++) {
            for (int c = 0; c < 16; c++) {
                assertThat(out[dst + x * dstStride + c]).as("column %d, row %d", x, c)
                        .isEqualTo(in[off + c * stride + x]);
            }
        }
        assertThat(out[dst - 1]).as("before the block").isEqualTo(before[dst - 1]);
        assertThat(out[dst + 16]).as("between two columns").isEqualTo(before[dst + 16]);
    }

    @Test
    void addsTheTransposedBlockIntoWhatIsThere() {
        assumeTrue(Gemm.vectorEnabled() && VectorTranspose.applies(), "needs 16-float vectors and JDK 25+");
        Generator gen = new Generator(78);
        int off = 2, stride = 16, dst = 1, dstStride = 256;
        float[] in = TestData.uniform(gen, off + 15 * stride + 16);
        float[] out = TestData.uniform(gen, dst + 15 * dstStride + 16);
        float[] before = out.clone();
        VectorTranspose.transpose(in, off, stride, out, dst, dstStride, true);
        for (int x = 0; x < 16; x++) {
            for (int c = 0; c < 16; c++) {
                int i = dst + x * dstStride + c;
                assertThat(out[i]).as("column %d, row %d", x, c).isEqualTo(before[i] + in[off + c * stride + x]);
            }
        }
        assertThat(out[dst + 16]).as("between two columns").isEqualTo(before[dst + 16]);
    }
}
