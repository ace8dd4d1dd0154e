package simpletorch.kernels;

import simpletorch.tensor.Generator;
import simpletorch.testing.TestData;

/**
 * A random {@code conv2d(3x3, padding 1) -> relu -> max_pool2d(2)} layer for the tests of the kernels that work from
 * the pool's winners: its input and weights, the pool's output and winners from the naive convolution (in double)
 * and the scalar pool, a random pooled gradient, and that gradient routed to the winners (the convolution's output
 * gradient, for the dense definitions).
 */
record PooledLayerCase(ConvGeometry g, float[] in, float[] weight, float[] out, int[] argmax, float[] dpool,
                       float[] dconv) {

    static PooledLayerCase random(Generator gen, int N, int C, int H, int W, int OC) {
        ConvGeometry g = new ConvGeometry(N, C, H, W, OC, 3, 3, 1, 1, 1, 1);
        PoolGeometry pg = new PoolGeometry(N, OC, H, W, 2, 2, 2, 2, 0, 0);
        float[] in = TestData.uniform(gen, N * C * H * W);
        float[] weight = TestData.uniform(gen, OC * C * 9);
        float[] bias = TestData.uniform(gen, OC);
        double[] conv = new double[N * OC * H * W];
        Conv2dKernels.forwardNaive(conv, TestData.toDouble(in), TestData.toDouble(weight), TestData.toDouble(bias), g);
        int pooled = N * OC * (H / 2) * (W / 2);
        float[] out = new float[pooled];
        int[] argmax = new int[pooled];
        PoolKernels.maxPool2dReluForward(out, argmax, TestData.toFloat(conv), pg);
        float[] dpool = TestData.uniform(gen, pooled);
        float[] dconv = new float[N * OC * H * W];
        PoolKernels.maxPool2dReluBackward(dconv, dpool, out, argmax, pg, false);
        return new PooledLayerCase(g, in, weight, out, argmax, dpool, dconv);
    }
}
