package simpletorch.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Conv2dKernels#col2imAdd} for stride-1 convolutions, on the Vector API: the columns are added into a
 * zero-bordered copy of the image gradient, where every row of every kernel offset lands whole (no clipping at
 * the borders, so whole-vector adds), and the interior is then added into din. The clipped scalar loops this
 * replaces were ~10% of a training step's samples. Only called when {@link Gemm#vectorEnabled()}.
 */
final class VectorCol2im {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorCol2im() {
    }

    static boolean applies(ConvGeometry g) {
        return g.strideH() == 1 && g.strideW() == 1;
    }

    /** din[dinOff, +C*H*W) += col2im(dcols), dcols being [C*KH*KW, OH*OW]. */
    static void add(float[] din, int dinOff, float[] dcols, ConvGeometry g) {
        int C = g.C(), H = g.H(), W = g.W(), OH = g.OH(), OW = g.OW(), KH = g.KH(), KW = g.KW();
        int Hp = OH + KH - 1, Wp = OW + KW - 1; // = H + 2*padH, W + 2*padW at stride 1
        float[] pd = Scratch.get(Scratch.PADDED_DIN, C * Hp * Wp); // [C][Hp][Wp]
        java.util.Arrays.fill(pd, 0, C * Hp * Wp, 0f);
        int src = 0;
        for (int c = 0; c < C; c++) {
            for (int kh = 0; kh < KH; kh++) {
                for (int kw = 0; kw < KW; kw++) {
                    for (int oh = 0; oh < OH; oh++, src += OW) {
                        addRow(pd, (c * Hp + oh + kh) * Wp + kw, dcols, src, OW);
                    }
                }
            }
        }
        int PH = g.padH(), PW = g.padW();
        for (int c = 0; c < C; c++) {
            for (int ih = 0; ih < H; ih++) {
                addRow(din, dinOff + (c * H + ih) * W, pd, (c * Hp + ih + PH) * Wp + PW, W);
            }
        }
    }

    /** y[yOff, +n) += x[xOff, +n). */
    private static void addRow(float[] y, int yOff, float[] x, int xOff, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, y, yOff + i).add(FloatVector.fromArray(S, x, xOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += x[xOff + i];
        }
    }
}
