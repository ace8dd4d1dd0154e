package simpletorch.kernels;

/**
 * The fast path of {@link Conv2dKernels}, on {@link VectorGemm}'s packed operands. One image per task, split
 * across {@link Parallel} workers; the weights are packed once per call and shared read-only. The bias rides in
 * the micro-kernel's initial accumulators.
 *
 * <p>Three products per image (P = OH*OW pixels, CKK = C*KH*KW patch size, cols = im2col of the image):
 * <pre>
 *   forward   out[OC, P]         = weight[OC, CKK] * cols[CKK, P]
 *   input     dcols[CKK, P]      = weight^T[CKK, OC] * dout[OC, P]     then col2im adds dcols into din
 *   weight    dweight^T[CKK, OC] += cols[CKK, P] * dout^T[P, OC]       transposed into dweight at the end
 * </pre>
 * The weight gradient is computed transposed so that both of its operands pack from contiguous rows (cols by
 * rows of P, dout gathered by pixel): the untransposed form needs cols^T, a gather over the whole image.
 *
 * <p>Touches the Vector API through {@link VectorGemm}: only called when {@link Gemm#vectorEnabled()}.
 */
final class VectorConv2d {
    private VectorConv2d() {
    }

    static void forward(float[] out, float[] in, float[] weight, float[] bias, ConvGeometry g) {
        int P = g.OH() * g.OW();
        int CKK = g.C() * g.KH() * g.KW();
        int OC = g.OC();
        float[] ap = new float[VectorGemm.packedASize(OC, CKK)];
        VectorGemm.packA(ap, weight, 0, CKK, false, OC, CKK);
        Parallel.parallelFor(g.N(), (worker, from, to) -> {
            float[] cols = Scratch.get(Scratch.IM2COL, CKK * P);
            float[] bp = Scratch.get(Scratch.PACK_B, VectorGemm.packedBSize(CKK, P));
            for (int n = from; n < to; n++) {
                Conv2dKernels.im2col(cols, in, n * g.inImageSize(), g);
                VectorGemm.packB(bp, cols, 0, P, false, CKK, P);
                VectorGemm.multiply(ap, bp, OC, P, CKK, out, n * OC * P, P, false, bias);
            }
        });
    }

    static void backward(float[] din, float[] dweight, float[] dbias, float[] dout, float[] in, float[] weight,
                         ConvGeometry g) {
        int P = g.OH() * g.OW();
        int CKK = g.C() * g.KH() * g.KW();
        int OC = g.OC();
        int N = g.N();
        float[] weightT = null;
        if (din != null) {
            weightT = new float[VectorGemm.packedASize(CKK, OC)];
            VectorGemm.packA(weightT, weight, 0, CKK, true, CKK, OC);
        }
        float[] wt = weightT;
        // Each worker sums its images' weight gradients privately ([CKK, OC], transposed); the partial sums are
        // added in worker order, so the result depends on the thread count but not on scheduling.
        float[][] dweightT = dweight == null ? null : new float[Math.min(Parallel.threads(), N)][CKK * OC];
        double[][] dbiasPart = dbias == null ? null : new double[Math.min(Parallel.threads(), N)][OC];
        Parallel.parallelFor(N, (worker, from, to) -> {
            float[] cols = Scratch.get(Scratch.IM2COL, CKK * P);
            float[] dcols = Scratch.get(Scratch.DCOLS, CKK * P);
            for (int n = from; n < to; n++) {
                int inOff = n * g.inImageSize();
                int outOff = n * OC * P;
                if (dbias != null) {
                    Conv2dKernels.sumRows(dbiasPart[worker], dout, outOff, OC, P);
                }
                if (dweight != null) {
                    Conv2dKernels.im2col(cols, in, inOff, g);
                    float[] ap = Scratch.get(Scratch.PACK_A, VectorGemm.packedASize(CKK, P));
                    float[] bp = Scratch.get(Scratch.PACK_B, VectorGemm.packedBSize(P, OC));
                    VectorGemm.packA(ap, cols, 0, P, false, CKK, P);
                    VectorGemm.packB(bp, dout, outOff, P, true, P, OC);
                    VectorGemm.multiply(ap, bp, CKK, OC, P, dweightT[worker], 0, OC, true, null);
                }
                if (din != null) {
                    float[] bp = Scratch.get(Scratch.PACK_B, VectorGemm.packedBSize(OC, P));
                    VectorGemm.packB(bp, dout, outOff, P, false, OC, P);
                    VectorGemm.multiply(wt, bp, CKK, P, OC, dcols, 0, P, false, null);
                    Conv2dKernels.col2imAdd(din, inOff, dcols, g);
                }
            }
        });
        if (dbias != null) {
            Conv2dKernels.addPartialSums(dbias, dbiasPart);
        }
        if (dweight != null) {
            for (float[] part : dweightT) {
                for (int oc = 0; oc < OC; oc++) {
                    for (int j = 0; j < CKK; j++) {
                        dweight[oc * CKK + j] += part[j * OC + oc];
                    }
                }
            }
        }
    }
}
