package simpletorch.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import simpletorch.tensor.Generator;
import simpletorch.testing.TestData;

/**
 * The 1x1 stride-2 shortcut's even phase against im2col and col2im bit for bit (Conv2dKernelsTest checks the whole
 * convolution against the naive twin): the gather as im2col's column matrix, the scatter's add leaving the odd rows
 * and columns exactly as they were (-0 and NaN among them) and adding into the even ones as col2im does.
 */
class VectorPhasesTest {
    @ParameterizedTest(name = "C={0} H={1} W={2}")
    @CsvSource({"3, 32, 32", "2, 12, 16", "2, 8, 16", "1, 4, 64"})
    void evenPhaseIsIm2colAndCol2im(int C, int H, int W) {
        ConvGeometry g = new ConvGeometry(2, C, H, W, 3, 1, 1, 2, 2, 0, 0);
        assumeTrue(Gemm.vectorEnabled() && VectorPhases.appliesToPointwise(g), "needs the Vector API and this width");
        Generator gen = new Generator(90 + H * W);
        int image = C * H * W, P = g.OH() * g.OW(), ld = P + 5;
        float[] in = TestData.uniform(gen, 2 * image);
        float[] want = new float[C * ld], got = new float[C * ld];
        Conv2dKernels.im2col(want, ld, in, image, g); // the second image: an offset into in
        VectorPhases.evenPhase(got, ld, in, image, g);
        assertThat(got).as("gathered phase").containsExactly(want);

        float[] dcols = TestData.uniform(gen, C * P);
        float[] din = TestData.uniform(gen, 2 * image);
        din[image + 1] = -0f;      // odd column of an even row
        din[image + W] = -0f;      // odd row
        din[image + W + 2] = Float.NaN;
        din[image] = -0f;          // an even element: -0 + x as col2im adds it
        float[] wantDin = din.clone(), gotDin = din.clone();
        Conv2dKernels.col2imAdd(wantDin, image, dcols, g);
        VectorPhases.addEvenPhase(gotDin, image, dcols, g);
        for (int i = 0; i < din.length; i++) {
            assertThat(Float.floatToRawIntBits(gotDin[i])).as("din[%d]", i)
                    .isEqualTo(Float.floatToRawIntBits(wantDin[i]));
        }
    }
}
