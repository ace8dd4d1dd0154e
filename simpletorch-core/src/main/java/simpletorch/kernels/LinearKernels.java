package simpletorch.kernels;

/**
 * A fully connected layer, {@code out = in * weight^T + bias}, with PyTorch's weight layout [OUT, IN].
 * Rows of the batch are split across {@link Parallel} workers. A layer with few outputs (a classifier head)
 * takes {@link VectorLinear}'s dot products instead of the GEMM when the Vector API is on.
 */
public final class LinearKernels {
    private LinearKernels() {
    }

    /**
     * @param out    [B, OUT], overwritten
     * @param in     [B, IN]
     * @param weight [OUT, IN]
     * @param bias   [OUT], or null
     */
    public static void forward(float[] out, float[] in, float[] weight, float[] bias, int B, int IN, int OUT) {
        if (Gemm.vectorEnabled() && OUT <= VectorLinear.MAX_OUT) {
            VectorLinear.forward(out, in, weight, bias, B, IN, OUT);
            return;
        }
        Parallel.parallelFor(B, (worker, from, to) -> {
            // out[b, OUT] = in[b, IN] * weight[OUT, IN]^T
            Gemm.sgemm(false, true, to - from, OUT, IN, in, from * IN, IN, weight, 0, IN, out, from * OUT, OUT, false);
            if (bias != null) {
                for (int b = from; b < to; b++) {
                    for (int o = 0; o < OUT; o++) {
                        out[b * OUT + o] += bias[o];
                    }
                }
            }
        });
    }

    /**
     * Adds into each gradient that is not null.
     *
     * @param din     [B, IN], += dout * weight
     * @param dweight [OUT, IN], += dout^T * in
     * @param dbias   [OUT], += column sums of dout
     * @param dout    [B, OUT]
     * @param in      [B, IN]
     * @param weight  [OUT, IN]
     */
    public static void backward(float[] din, float[] dweight, float[] dbias, float[] dout, float[] in, float[] weight,
                                int B, int IN, int OUT) {
        backward(din, true, dweight, dbias, dout, in, weight, B, IN, OUT);
    }

    /**
     * As {@link #backward(float[], float[], float[], float[], float[], float[], int, int, int)}; with
     * {@code accumulateDin} false din is overwritten instead of added into (a gradient nothing has written yet).
     */
    public static void backward(float[] din, boolean accumulateDin, float[] dweight, float[] dbias, float[] dout,
                                float[] in, float[] weight, int B, int IN, int OUT) {
        boolean narrow = Gemm.vectorEnabled() && OUT <= VectorLinear.MAX_OUT;
        if (din != null && narrow) {
            VectorLinear.backwardInput(din, accumulateDin, dout, weight, B, IN, OUT);
        } else if (din != null) {
            Parallel.parallelFor(B, (worker, from, to) -> // din[b, IN] (+)= dout[b, OUT] * weight[OUT, IN]
                    Gemm.sgemm(false, false, to - from, IN, OUT, dout, from * OUT, OUT, weight, 0, IN, din, from * IN, IN,
                            accumulateDin));
        }
        if (dweight != null && narrow) {
            VectorLinear.backwardWeight(dweight, dout, in, B, IN, OUT);
        } else if (dweight != null) {
            // Split over output rows: each worker owns its rows of dweight, so no reduction is needed.
            Parallel.parallelFor(OUT, (worker, from, to) -> // dweight[o, IN] += dout[B, o]^T * in[B, IN]
                    Gemm.sgemm(true, false, to - from, IN, B, dout, from, OUT, in, 0, IN, dweight, from * IN, IN, true));
        }
        if (dbias != null) {
            for (int b = 0; b < B; b++) {
                for (int o = 0; o < OUT; o++) {
                    dbias[o] += dout[b * OUT + o];
                }
            }
        }
    }

    /** The definition, in double. Writes out. */
    public static void forwardNaive(double[] out, double[] in, double[] weight, double[] bias, int B, int IN, int OUT) {
        Gemm.gemmNaive(out, in, weight, B, OUT, IN, false, true, false);
        if (bias != null) {
            for (int b = 0; b < B; b++) {
                for (int o = 0; o < OUT; o++) {
                    out[b * OUT + o] += bias[o];
                }
            }
        }
    }

    /** The definition of the backward pass, in double; adds into each gradient that is not null. */
    public static void backwardNaive(double[] din, double[] dweight, double[] dbias, double[] dout, double[] in,
                                     double[] weight, int B, int IN, int OUT) {
        if (din != null) {
            Gemm.gemmNaive(din, dout, weight, B, IN, OUT, false, false, true);
        }
        if (dweight != null) {
            Gemm.gemmNaive(dweight, dout, in, OUT, IN, B, true, false, true);
        }
        if (dbias != null) {
            for (int b = 0; b < B; b++) {
                for (int o = 0; o < OUT; o++) {
                    dbias[o] += dout[b * OUT + o];
                }
            }
        }
    }
}
