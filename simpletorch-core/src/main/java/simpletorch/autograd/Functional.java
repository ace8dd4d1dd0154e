package simpletorch.autograd;

import java.util.Arrays;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import simpletorch.kernels.ActivationKernels;
import simpletorch.kernels.AvgPoolKernels;
import simpletorch.kernels.Conv2dKernels;
import simpletorch.kernels.ConvGeometry;
import simpletorch.kernels.ElementwiseKernels;
import simpletorch.kernels.ElementwiseKernels.BinaryOp;
import simpletorch.kernels.Gemm;
import simpletorch.kernels.LinearKernels;
import simpletorch.kernels.LossKernels;
import simpletorch.kernels.NormKernels;
import simpletorch.kernels.Parallel;
import simpletorch.kernels.PoolKernels;
import simpletorch.kernels.PoolGeometry;
import simpletorch.tensor.BufferPool;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Node;
import simpletorch.tensor.Tensor;

/**
 * The differentiable operations, named as in {@code torch} and {@code torch.nn.functional}. Each one checks its
 * arguments, computes its output with a kernel, and — when grad mode is on and an input requires a gradient —
 * records a {@link Node} whose closure adds the input gradients, again with kernels.
 *
 * <p>Intended to be imported statically: {@code relu(conv2d(x, weight, bias, 1, 1))}.
 */
public final class Functional {
    private Functional() {
    }

    // ---- element-wise ---------------------------------------------------------------------------------------

    /** a + b, with broadcasting. */
    public static Tensor add(Tensor a, Tensor b) {
        return binary("add", BinaryOp.ADD, a, b);
    }

    /** a - b, with broadcasting. */
    public static Tensor sub(Tensor a, Tensor b) {
        return binary("sub", BinaryOp.SUB, a, b);
    }

    /** a * b element-wise, with broadcasting. */
    public static Tensor mul(Tensor a, Tensor b) {
        return binary("mul", BinaryOp.MUL, a, b);
    }

    private static Tensor binary(String name, BinaryOp op, Tensor a, Tensor b) {
        int[] shape = broadcastShape(name, a.shape(), b.shape());
        int[] aStrides = broadcastStrides(a.shape(), shape);
        int[] bStrides = broadcastStrides(b.shape(), shape);
        Tensor out = Tensor.empty(shape);
        Supplier<String> label = () -> name + " " + Arrays.toString(a.shape()) + " " + Arrays.toString(b.shape());
        long t = Profiler.start();
        ElementwiseKernels.binaryForward(out.data(), a.data(), aStrides, b.data(), bStrides, shape, op);
        Profiler.forward(t, label);
        if (recording(a, b)) {
            out.setGradFn(new Node(name, new Tensor[] {a, b}, timed(label, () -> binaryBackward(out, a, aStrides, b,
                    bStrides, shape, op))));
        }
        return out;
    }

    /**
     * Same-shape operands (a residual connection's add) write the first gradient into each instead of zeroing it and
     * adding, and the first operand of a sum or difference takes the output's gradient buffer itself (its gradient is
     * that one, unchanged): ResNet-20's block ends then make no pass over zeros. Broadcast operands, and x op x, add
     * into zeroed gradients.
     */
    private static void binaryBackward(Tensor out, Tensor a, int[] aStrides, Tensor b, int[] bStrides, int[] shape,
                                       BinaryOp op) {
        if (a == b || !ElementwiseKernels.sameShape(aStrides, bStrides, shape)) {
            ElementwiseKernels.binaryBackward(gradOf(a), gradOf(b), out.grad(), a.data(), aStrides, b.data(),
                    bStrides, shape, op);
            return;
        }
        boolean passA = op != BinaryOp.MUL && a.requiresGrad() && out.canPassGradTo(a);
        boolean addA = a.grad() != null, addB = b.grad() != null;
        float[] da = !a.requiresGrad() || passA ? null : addA ? a.grad() : a.gradBufferToOverwrite();
        float[] db = !b.requiresGrad() ? null : addB ? b.grad() : b.gradBufferToOverwrite();
        ElementwiseKernels.sameShapeBackward(da, addA, db, addB, out.grad(), a.data(), b.data(), op);
        if (passA) {
            out.passGradTo(a); // after db was made from it
        }
    }

    /**
     * {@code relu(add(a, b))} as one op for same-shape operands (a residual block's end): the sum is never stored,
     * and the backward pass writes both gradients in one pass. The same values and gradients as the two ops, bit for
     * bit; other operands (broadcasting, or a + a) run the two ops.
     */
    public static Tensor addRelu(Tensor a, Tensor b) {
        if (a == b || !Arrays.equals(a.shape(), b.shape())) {
            return relu(add(a, b));
        }
        Tensor out = Tensor.empty(a.shape());
        int n = out.numel();
        Supplier<String> label = () -> "add+relu " + Arrays.toString(a.shape()) + " " + Arrays.toString(b.shape());
        long t = Profiler.start();
        ElementwiseKernels.addReluForward(out.data(), a.data(), b.data(), n);
        Profiler.forward(t, label);
        if (recording(a, b)) {
            out.setGradFn(new Node("add+relu", new Tensor[] {a, b}, timed(label, () -> {
                boolean addA = a.grad() != null, addB = b.grad() != null; // first gradients written, not added
                float[] da = !a.requiresGrad() ? null : addA ? a.grad() : a.gradBufferToOverwrite();
                float[] db = !b.requiresGrad() ? null : addB ? b.grad() : b.gradBufferToOverwrite();
                ElementwiseKernels.addReluBackward(da, addA, db, addB, out.grad(), out.data(), n);
            })));
        }
        return out;
    }

    /** max(x, 0) element-wise. */
    public static Tensor relu(Tensor x) {
        Tensor out = Tensor.empty(x.shape());
        Supplier<String> label = () -> "relu " + Arrays.toString(x.shape());
        long t = Profiler.start();
        ElementwiseKernels.reluForward(out.data(), x.data(), x.numel());
        Profiler.forward(t, label);
        if (recording(x)) {
            out.setGradFn(new Node("relu", new Tensor[] {x}, timed(label,
                    () -> {
                        boolean add = x.grad() != null; // the first gradient into x is written, not added
                        float[] dx = add ? x.grad() : x.gradBufferToOverwrite();
                        ElementwiseKernels.reluBackward(dx, out.grad(), out.data(), x.numel(), add);
                    })));
        }
        return out;
    }

    // ---- reductions -----------------------------------------------------------------------------------------

    /** The sum of all elements, as a 0-d tensor. */
    public static Tensor sum(Tensor x) {
        return scaledSum("sum", x, 1.0);
    }

    /** The mean of all elements, as a 0-d tensor. */
    public static Tensor mean(Tensor x) {
        if (x.numel() == 0) {
            throw new IllegalArgumentException("mean of an empty tensor is undefined, got shape " + Arrays.toString(x.shape()));
        }
        return scaledSum("mean", x, 1.0 / x.numel());
    }

    private static Tensor scaledSum(String name, Tensor x, double scale) {
        Supplier<String> label = () -> name + " " + Arrays.toString(x.shape());
        long t = Profiler.start();
        double s = 0;
        for (float v : x.data()) {
            s += v;
        }
        Tensor out = Tensor.scalar((float) (s * scale));
        Profiler.forward(t, label);
        if (recording(x)) {
            out.setGradFn(new Node(name, new Tensor[] {x}, timed(label, () -> {
                float g = (float) (out.grad()[0] * scale);
                float[] dx = x.gradBuffer();
                for (int i = 0; i < dx.length; i++) {
                    dx[i] += g;
                }
            })));
        }
        return out;
    }

    // ---- shape ----------------------------------------------------------------------------------------------

    /**
     * The same elements in a new shape; one dimension may be -1 and is then inferred. Like PyTorch's reshape of a
     * contiguous tensor, the output is a view: it shares x's storage.
     */
    public static Tensor reshape(Tensor x, int... shape) {
        int[] resolved = resolveShape(x, shape);
        Supplier<String> label = () -> "reshape " + Arrays.toString(x.shape());
        long t = Profiler.start();
        Tensor out = x.view(resolved);
        Profiler.forward(t, label);
        if (recording(x)) {
            out.setGradFn(new Node("reshape", new Tensor[] {x}, timed(label, () -> {
                if (out.passGradTo(x)) { // the first gradient into x: the buffer itself, no copy
                    return;
                }
                float[] g = out.grad();
                if (x.grad() == null) { // a retained gradient stays: a copy, not a zero fill and an add
                    System.arraycopy(g, 0, x.gradBufferToOverwrite(), 0, g.length);
                    return;
                }
                float[] dx = x.grad();
                for (int i = 0; i < dx.length; i++) {
                    dx[i] += g[i];
                }
            })));
        }
        return out;
    }

    /** Flattens dimensions {@code startDim..end} into one, as {@code torch.flatten(x, startDim)}. */
    public static Tensor flatten(Tensor x, int startDim) {
        int[] s = x.shape();
        int start = startDim < 0 ? startDim + s.length : startDim;
        if (start < 0 || start >= Math.max(s.length, 1)) {
            throw new IllegalArgumentException("flatten startDim " + startDim + " out of range for shape " + Arrays.toString(s));
        }
        if (s.length == 0) {
            return reshape(x, 1);
        }
        int[] shape = Arrays.copyOf(s, start + 1);
        int tail = 1;
        for (int d = start; d < s.length; d++) {
            tail *= s[d];
        }
        shape[start] = tail;
        return reshape(x, shape);
    }

    // ---- linear algebra -------------------------------------------------------------------------------------

    /** The matrix product of a [M, K] and b [K, N]. */
    public static Tensor matmul(Tensor a, Tensor b) {
        if (a.dim() != 2 || b.dim() != 2 || a.size(1) != b.size(0)) {
            throw new IllegalArgumentException("matmul expects [M, K] x [K, N], got " + Arrays.toString(a.shape())
                    + " x " + Arrays.toString(b.shape()));
        }
        int M = a.size(0), K = a.size(1), N = b.size(1);
        Tensor out = Tensor.empty(M, N);
        Supplier<String> label = () -> "matmul [" + M + ", " + K + "] x [" + K + ", " + N + "]";
        long product = 2L * M * K * N;
        long t = Profiler.start();
        Gemm.sgemm(false, false, M, N, K, a.data(), 0, K, b.data(), 0, N, out.data(), 0, N, false);
        Profiler.forward(t, label, product);
        if (recording(a, b)) {
            out.setGradFn(new Node("matmul", new Tensor[] {a, b}, timed(label, () -> gradientProducts(product, a, b),
                    () -> {
                        float[] dout = out.grad();
                        if (a.requiresGrad()) { // da[M,K] += dout[M,N] * b^T
                            Gemm.sgemm(false, true, M, K, N, dout, 0, N, b.data(), 0, N, a.gradBuffer(), 0, K, true);
                        }
                        if (b.requiresGrad()) { // db[K,N] += a^T * dout[M,N]
                            Gemm.sgemm(true, false, K, N, M, a.data(), 0, K, dout, 0, N, b.gradBuffer(), 0, N, true);
                        }
                    })));
        }
        return out;
    }

    /**
     * {@code x * weight^T + bias}, as {@code torch.nn.functional.linear}.
     *
     * @param x      [B, IN]
     * @param weight [OUT, IN]
     * @param bias   [OUT], or null
     * @return [B, OUT]
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("linear weight must be [out, in], got " + Arrays.toString(weight.shape()));
        }
        int OUT = weight.size(0), IN = weight.size(1);
        if (x.dim() != 2 || x.size(1) != IN) {
            throw new IllegalArgumentException("linear expected input of shape [B, " + IN + "], got "
                    + Arrays.toString(x.shape()));
        }
        checkBias(bias, OUT, "linear");
        int B = x.size(0);
        Tensor out = Tensor.empty(B, OUT);
        Supplier<String> label = () -> "linear " + IN + "->" + OUT;
        long product = 2L * B * IN * OUT;
        long t = Profiler.start();
        LinearKernels.forward(out.data(), x.data(), weight.data(), data(bias), B, IN, OUT);
        Profiler.forward(t, label, product);
        if (recording(x, weight, bias)) {
            out.setGradFn(new Node("linear", inputs(x, weight, bias), timed(label,
                    () -> gradientProducts(product, x, weight), () -> {
                        // The first gradient into x is written, not added (no zero fill first).
                        boolean addX = x.grad() != null;
                        float[] dx = !x.requiresGrad() ? null : addX ? x.grad() : x.gradBufferToOverwrite();
                        LinearKernels.backward(dx, addX, gradOf(weight), gradOf(bias), out.grad(), x.data(),
                                weight.data(), B, IN, OUT);
                    })));
        }
        return out;
    }

    // ---- convolution and pooling ----------------------------------------------------------------------------

    /** {@link #conv2d(Tensor, Tensor, Tensor, int, int, int, int)} with the same stride and padding both ways. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
        return conv2d(x, weight, bias, stride, stride, padding, padding);
    }

    /**
     * 2-d convolution (cross-correlation), as {@code torch.nn.functional.conv2d}.
     *
     * @param x      [N, C, H, W]
     * @param weight [OC, C, KH, KW]
     * @param bias   [OC], or null
     * @return [N, OC, OH, OW] with {@code OH = (H + 2*padH - KH) / strideH + 1}, likewise OW
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int strideH, int strideW, int padH, int padW) {
        ConvGeometry g = convGeometry(x, weight, bias, strideH, strideW, padH, padW);
        Tensor out = Tensor.empty(g.N(), g.OC(), g.OH(), g.OW());
        Supplier<String> label = () -> convLabel(g);
        long product = convFlops(g);
        long t = Profiler.start();
        Conv2dKernels.forward(out.data(), x.data(), weight.data(), data(bias), g);
        Profiler.forward(t, label, product);
        if (recording(x, weight, bias)) {
            out.setGradFn(new Node("conv2d", inputs(x, weight, bias), timed(label,
                    () -> gradientProducts(product, x, weight), () -> {
                        boolean addX = x.grad() != null; // the first gradient into x is written, not added
                        float[] dx = !x.requiresGrad() ? null : addX ? x.grad() : x.gradBufferToOverwrite();
                        Conv2dKernels.backward(dx, addX, gradOf(weight), gradOf(bias), out.grad(), x.data(),
                                weight.data(), g);
                    })));
        }
        return out;
    }

    /**
     * {@code max_pool2d(relu(conv2d(x, weight, bias, stride, padding)), 2)} as one op: each image is pooled while its
     * convolution output is still in cache, so the batch's convolution output is never written (the backward pass
     * needs only the pool's winners and output, not the convolution's). The same values and gradients as the three
     * ops, bit for bit; where no fused kernel takes the shape ({@link Conv2dKernels#fusesReluMaxPool2x2}), it runs
     * them. Measured (AVX2, 2 threads, a harness, medians of 300 calls): SimpleNet's conv1 + pool at batch 32 693 /
     * 686 -> 688 / 660 us, conv2 + pool 1,310 / 1,354 -> 1,209 / 1,219 us; at batch 256 3% and 6% faster.
     *
     * @param x [N, C, H, W]; the output is [N, OC, OH/2, OW/2], OH and OW as {@link #conv2d} gives them
     */
    public static Tensor conv2dReluMaxPool2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
        ConvGeometry g = convGeometry(x, weight, bias, stride, stride, padding, padding);
        if (!Conv2dKernels.fusesReluMaxPool2x2(g)) {
            return reluMaxPool2d(conv2d(x, weight, bias, stride, padding), 2, 2, 2, 2, 0, 0);
        }
        PoolGeometry pg = new PoolGeometry(g.N(), g.OC(), g.OH(), g.OW(), 2, 2, 2, 2, 0, 0);
        Tensor out = Tensor.empty(g.N(), g.OC(), pg.OH(), pg.OW());
        int[] argmax = BufferPool.takeInts(out.numel()); // given back with the graph, or just below
        Supplier<String> label = () -> convLabel(g) + " +relu+max_pool2d";
        long product = convFlops(g);
        long t = Profiler.start();
        Conv2dKernels.forwardReluMaxPool2x2(out.data(), argmax, x.data(), weight.data(), data(bias), g);
        Profiler.forward(t, label, product);
        if (recording(x, weight, bias)) {
            out.setGradFn(new Node("conv2d_relu_max_pool2d", inputs(x, weight, bias), timed(label,
                    () -> gradientProducts(product, x, weight), () -> {
                        // the convolution's output gradient, unless the backward pass runs from the pool's winners
                        float[] dconv = Conv2dKernels.pooledWeightGrad(g) ? null
                                : BufferPool.take(g.N() * g.OC() * g.OH() * g.OW());
                        // The first gradient into x is written, not added (no zero fill first), as in linear
                        boolean addX = x.grad() != null;
                        float[] dx = !x.requiresGrad() ? null : addX ? x.grad() : x.gradBufferToOverwrite();
                        Conv2dKernels.backwardReluMaxPool2x2(dx, addX, gradOf(weight), gradOf(bias), dconv, out.grad(),
                                out.data(), argmax, x.data(), weight.data(), g);
                        if (dconv != null) {
                            BufferPool.give(dconv);
                        }
                    }), argmax));
        } else {
            BufferPool.giveInts(argmax);
        }
        return out;
    }

    private static ConvGeometry convGeometry(Tensor x, Tensor weight, Tensor bias, int strideH, int strideW, int padH,
                                             int padW) {
        if (weight.dim() != 4) {
            throw new IllegalArgumentException("conv2d weight must be [out, in, kh, kw], got " + Arrays.toString(weight.shape()));
        }
        if (x.dim() != 4 || x.size(1) != weight.size(1)) {
            throw new IllegalArgumentException("conv2d expected input of shape [N, " + weight.size(1)
                    + ", H, W] for weight of shape " + Arrays.toString(weight.shape()) + ", got "
                    + Arrays.toString(x.shape()));
        }
        checkBias(bias, weight.size(0), "conv2d");
        return new ConvGeometry(x.size(0), x.size(1), x.size(2), x.size(3), weight.size(0),
                weight.size(2), weight.size(3), strideH, strideW, padH, padW);
    }

    /** The convolution's multiply-adds, times 2: one per weight for each output pixel of each image. */
    private static long convFlops(ConvGeometry g) {
        return 2L * g.N() * g.OC() * g.C() * g.KH() * g.KW() * g.OH() * g.OW();
    }

    /**
     * A product's backward FLOPs: the input gradient and the weight gradient each cost the forward's product, and
     * count only where computed.
     */
    private static long gradientProducts(long product, Tensor input, Tensor weight) {
        return (input.requiresGrad() ? product : 0) + (weight.requiresGrad() ? product : 0);
    }

    private static String convLabel(ConvGeometry g) {
        return "conv2d " + g.C() + "->" + g.OC() + " k" + g.KH() + "x" + g.KW() + " s" + g.strideH() + " p" + g.padH()
                + " @" + g.H() + "x" + g.W();
    }

    /** {@link #maxPool2d(Tensor, int, int, int, int, int, int)} with a square kernel, stride and padding. */
    public static Tensor maxPool2d(Tensor x, int kernelSize, int stride, int padding) {
        return maxPool2d(x, kernelSize, kernelSize, stride, stride, padding, padding);
    }

    /**
     * 2-d max pooling, as {@code torch.nn.functional.max_pool2d} (floor mode, no dilation).
     *
     * @param x [N, C, H, W]
     * @return [N, C, OH, OW] with {@code OH = (H + 2*padH - KH) / strideH + 1}, likewise OW
     */
    public static Tensor maxPool2d(Tensor x, int KH, int KW, int strideH, int strideW, int padH, int padW) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException("max_pool2d expected input of shape [N, C, H, W], got "
                    + Arrays.toString(x.shape()));
        }
        PoolGeometry g = new PoolGeometry(x.size(0), x.size(1), x.size(2), x.size(3), KH, KW, strideH, strideW, padH, padW);
        Tensor out = Tensor.empty(g.N(), g.C(), g.OH(), g.OW());
        int[] argmax = BufferPool.takeInts(out.numel()); // given back with the graph, or just below
        Supplier<String> label = () -> "max_pool2d k" + KH + "x" + KW + " s" + strideH + " @" + g.H() + "x" + g.W()
                + " x" + g.C();
        long t = Profiler.start();
        PoolKernels.maxPool2dForward(out.data(), argmax, x.data(), g);
        Profiler.forward(t, label);
        if (recording(x)) {
            out.setGradFn(new Node("max_pool2d", new Tensor[] {x}, timed(label,
                    () -> {
                        boolean add = x.grad() != null; // the first gradient into x is written, not added
                        float[] dx = add ? x.grad() : x.gradBufferToOverwrite();
                        PoolKernels.maxPool2dBackward(dx, out.grad(), argmax, g, add);
                    }), argmax));
        } else {
            BufferPool.giveInts(argmax);
        }
        return out;
    }

    /**
     * {@code max_pool2d(relu(x))} in one op, computed as {@code relu(max_pool2d(x))}: max-pooling commutes with
     * ReLU (both are monotone), so the values are the same bit for bit, and so are the gradients (a window whose
     * maximum is not positive passes no gradient either way). ReLU then runs on the pooled quarter of the data and
     * its backward pass is folded into the pool's: no full-size ReLU output or gradient is written or read.
     *
     * @param x [N, C, H, W]
     */
    public static Tensor reluMaxPool2d(Tensor x, int KH, int KW, int strideH, int strideW, int padH, int padW) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException("max_pool2d expected input of shape [N, C, H, W], got "
                    + Arrays.toString(x.shape()));
        }
        PoolGeometry g = new PoolGeometry(x.size(0), x.size(1), x.size(2), x.size(3), KH, KW, strideH, strideW, padH, padW);
        Tensor out = Tensor.empty(g.N(), g.C(), g.OH(), g.OW());
        int[] argmax = BufferPool.takeInts(out.numel()); // given back with the graph, or just below
        Supplier<String> label = () -> "relu+max_pool2d k" + KH + "x" + KW + " s" + strideH + " @" + g.H() + "x" + g.W()
                + " x" + g.C();
        long t = Profiler.start();
        PoolKernels.maxPool2dReluForward(out.data(), argmax, x.data(), g);
        Profiler.forward(t, label);
        if (recording(x)) {
            out.setGradFn(new Node("relu_max_pool2d", new Tensor[] {x}, timed(label,
                    () -> {
                        boolean add = x.grad() != null; // the first gradient into x is written, not added
                        float[] dx = add ? x.grad() : x.gradBufferToOverwrite();
                        PoolKernels.maxPool2dReluBackward(dx, out.grad(), out.data(), argmax, g, add);
                    }), argmax));
        } else {
            BufferPool.giveInts(argmax);
        }
        return out;
    }

    // ---- losses ---------------------------------------------------------------------------------------------

    /** Log-softmax over the last dimension of [B, C] logits. */
    public static Tensor logSoftmax(Tensor x) {
        require2d(x, "log_softmax");
        int B = x.size(0), C = x.size(1);
        Tensor out = Tensor.empty(B, C);
        Supplier<String> label = () -> "log_softmax [" + B + ", " + C + "]";
        long t = Profiler.start();
        LossKernels.logSoftmaxForward(out.data(), x.data(), B, C);
        Profiler.forward(t, label);
        if (recording(x)) {
            out.setGradFn(new Node("log_softmax", new Tensor[] {x}, timed(label,
                    () -> LossKernels.logSoftmaxBackward(x.gradBuffer(), out.grad(), out.data(), B, C))));
        }
        return out;
    }

    /** Negative log-likelihood of [B, C] log-probabilities, mean over the batch, as {@code F.nll_loss}. */
    public static Tensor nllLoss(Tensor logProbs, int[] targets) {
        require2d(logProbs, "nll_loss");
        int B = logProbs.size(0), C = logProbs.size(1);
        Supplier<String> label = () -> "nll_loss";
        long start = Profiler.start();
        Tensor out = Tensor.scalar((float) LossKernels.nllLossForward(logProbs.data(), targets, B, C));
        Profiler.forward(start, label);
        int[] t = targets.clone();
        if (recording(logProbs)) {
            out.setGradFn(new Node("nll_loss", new Tensor[] {logProbs}, timed(label,
                    () -> LossKernels.nllLossBackward(logProbs.gradBuffer(), t, out.grad()[0], B, C))));
        }
        return out;
    }

    /**
     * Cross-entropy between [B, C] logits and integer class targets, mean over the batch, as
     * {@code torch.nn.CrossEntropyLoss()}: log-softmax and NLL fused into one op with a one-pass backward.
     */
    public static Tensor crossEntropy(Tensor logits, int[] targets) {
        return crossEntropy(logits, targets, 0);
    }

    /**
     * Cross-entropy with label smoothing, as {@code F.cross_entropy(logits, targets, label_smoothing=eps)}: the
     * target distribution puts {@code 1 - eps + eps / C} on the target class and {@code eps / C} on the others.
     *
     * @throws IllegalArgumentException if {@code eps} is outside [0, 1]
     */
    public static Tensor crossEntropy(Tensor logits, int[] targets, float labelSmoothing) {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException("label_smoothing must be between 0.0 and 1.0. Got: " + labelSmoothing);
        }
        require2d(logits, "cross_entropy");
        int B = logits.size(0), C = logits.size(1);
        float[] probs = new float[B * C];
        Supplier<String> label = () -> "cross_entropy";
        long start = Profiler.start();
        Tensor out = Tensor.scalar((float) LossKernels.crossEntropyForward(probs, logits.data(), targets,
                labelSmoothing, B, C));
        Profiler.forward(start, label);
        int[] t = targets.clone();
        if (recording(logits)) {
            out.setGradFn(new Node("cross_entropy", new Tensor[] {logits}, timed(label,
                    () -> LossKernels.crossEntropyBackward(logits.gradBuffer(), probs, t, labelSmoothing,
                            out.grad()[0], B, C))));
        }
        return out;
    }

    // ---- normalisation, regularisation, activations, average pooling (issue 6) ------------------------------

    /**
     * Batch normalisation, as {@code F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum,
     * eps)}. In training the output uses the batch's mean and biased variance per channel, and the running
     * statistics (when given) are updated in place with the unbiased variance:
     * {@code running = (1 - momentum) * running + momentum * batch}. In evaluation the running statistics are used.
     *
     * @param x           [N, C] or [N, C, *]
     * @param runningMean [C], or null (training only)
     * @param runningVar  [C], or null (training only)
     * @param weight      [C], or null
     * @param bias        [C], or null
     * @return x's shape
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, double momentum, double eps) {
        return batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps, false);
    }

    /**
     * {@code relu(batchNorm(...))} as one op: the output is made and read once (ResNet's and VGG's BatchNorm-ReLU
     * pairs). The same values and gradients as the two ops, bit for bit.
     */
    public static Tensor batchNormRelu(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                       boolean training, double momentum, double eps) {
        return batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps, true);
    }

    /**
     * {@code max_pool2d(relu(batchNorm(...)), 2)} (2x2 windows, stride 2) as one op where
     * {@link NormKernels#fusesReluMaxPool2x2} takes the planes: each plane normalised and pooled while it is in cache,
     * and the backward pass from the pool's winners, so that neither the BatchNorm's output nor its gradient, four
     * times the pool's, is written (SimpleNet-BN's and VGG's BatchNorm-ReLU-pool blocks). The same values and
     * gradients as the ops one after another, bit for bit; elsewhere it is those ops.
     *
     * @param x [N, C, H, W]
     */
    public static Tensor batchNormReluMaxPool2d(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight,
                                                Tensor bias, boolean training, double momentum, double eps) {
        if (x.dim() != 4 || !NormKernels.fusesReluMaxPool2x2(x.size(2), x.size(3))) {
            return reluMaxPool2d(batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps),
                    2, 2, 2, 2, 0, 0);
        }
        int N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
        float[] mean = new float[C], invstd = new float[C];
        Supplier<String> label = () -> "batch_norm+relu+max_pool2d " + Arrays.toString(x.shape());
        long t = Profiler.start();
        normStatistics(mean, invstd, x, runningMean, runningVar, weight, bias, training, momentum, eps);
        Tensor out = Tensor.empty(N, C, H / 2, W / 2);
        int[] argmax = BufferPool.takeInts(out.numel()); // given back with the graph, or just below
        NormKernels.batchNormReluMaxPool2x2Forward(out.data(), argmax, x.data(), mean, invstd, data(weight),
                data(bias), N, C, H, W);
        Profiler.forward(t, label);
        if (recording(x, weight, bias)) {
            out.setGradFn(new Node("batch_norm_relu_max_pool2d", nonNull(x, weight, bias), timed(label, () -> {
                boolean addX = x.grad() != null; // the first gradient into x is written, not added
                float[] dx = !x.requiresGrad() ? null : addX ? x.grad() : x.gradBufferToOverwrite();
                NormKernels.batchNormReluMaxPool2x2Backward(dx, addX, gradOf(weight), gradOf(bias), out.grad(),
                        out.data(), argmax, x.data(), mean, invstd, data(weight), training, N, C, H, W);
            }), argmax));
        } else {
            BufferPool.giveInts(argmax);
        }
        return out;
    }

    private static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                    boolean training, double momentum, double eps, boolean relu) {
        int N = x.dim() < 2 ? 0 : x.size(0), C = x.dim() < 2 ? 0 : x.size(1);
        int S = x.numel() / Math.max(N * C, 1);
        float[] mean = new float[C], invstd = new float[C];
        Supplier<String> label = () -> (relu ? "batch_norm+relu " : "batch_norm ") + Arrays.toString(x.shape());
        long t = Profiler.start();
        normStatistics(mean, invstd, x, runningMean, runningVar, weight, bias, training, momentum, eps);
        Tensor out = Tensor.empty(x.shape()); // every element written
        NormKernels.batchNormForward(out.data(), x.data(), mean, invstd, data(weight), data(bias), relu, N, C, S);
        Profiler.forward(t, label);
        if (recording(x, weight, bias)) {
            String op = relu ? "batch_norm+relu" : "batch_norm";
            out.setGradFn(new Node(op, nonNull(x, weight, bias), timed(label, () -> {
                boolean addX = x.grad() != null; // the first gradient into x is written, not added
                float[] dx = !x.requiresGrad() ? null : addX ? x.grad() : x.gradBufferToOverwrite();
                NormKernels.batchNormBackward(dx, addX, gradOf(weight), gradOf(bias), out.grad(),
                        relu ? out.data() : null, x.data(), mean, invstd, data(weight), training, N, C, S);
            })));
        }
        return out;
    }

    /**
     * Checks a batch_norm's arguments, then sets each channel's mean and invstd: in training the batch's (and the
     * running statistics, when given, updated), in evaluation the running ones.
     */
    private static void normStatistics(float[] mean, float[] invstd, Tensor x, Tensor runningMean, Tensor runningVar,
                                       Tensor weight, Tensor bias, boolean training, double momentum, double eps) {
        if (x.dim() < 2) {
            throw new IllegalArgumentException("batch_norm expected input of shape [N, C] or [N, C, *], got "
                    + Arrays.toString(x.shape()));
        }
        int N = x.size(0), C = x.size(1), S = x.numel() / Math.max(N * C, 1);
        for (Tensor t : new Tensor[] {runningMean, runningVar, weight, bias}) {
            if (t != null && !t.hasShape(C)) {
                throw new IllegalArgumentException("batch_norm expected per-channel tensors of shape [" + C
                        + "] for input " + Arrays.toString(x.shape()) + ", got " + Arrays.toString(t.shape()));
            }
        }
        if (!training && (runningMean == null || runningVar == null)) {
            throw new IllegalArgumentException("batch_norm in evaluation needs running_mean and running_var");
        }
        if (training && N * S <= 1) {
            throw new IllegalArgumentException("Expected more than 1 value per channel when training, got input size "
                    + Arrays.toString(x.shape()));
        }
        if (training) {
            float[] var = new float[C];
            NormKernels.batchStats(mean, var, x.data(), N, C, S, runningMean == null ? null : runningMean.data());
            int M = N * S;
            for (int c = 0; c < C; c++) {
                invstd[c] = (float) (1 / Math.sqrt(var[c] + eps));
                if (runningMean != null) {
                    float[] rm = runningMean.data(), rv = runningVar.data();
                    rm[c] = (float) ((1 - momentum) * rm[c] + momentum * mean[c]);
                    rv[c] = (float) ((1 - momentum) * rv[c] + momentum * ((double) var[c] * M / (M - 1)));
                }
            }
        } else {
            for (int c = 0; c < C; c++) {
                mean[c] = runningMean.data()[c];
                invstd[c] = (float) (1 / Math.sqrt(runningVar.data()[c] + eps));
            }
        }
    }

    /**
     * Dropout, as {@code F.dropout(x, p, training)}: in training each element is zeroed with probability p and the
     * others are scaled by 1/(1-p); in evaluation (or with p = 0) the input itself is returned.
     *
     * @param g where the mask is drawn from, or null for {@link Generator#defaultGenerator()}
     */
    public static Tensor dropout(Tensor x, double p, boolean training, Generator g) {
        return dropout("dropout", x, p, training, g, 1);
    }

    /**
     * Channel dropout, as {@code F.dropout2d(x, p, training)} on [N, C, H, W]: whole planes are zeroed with
     * probability p, the others scaled by 1/(1-p).
     */
    public static Tensor dropout2d(Tensor x, double p, boolean training, Generator g) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException("dropout2d expected input of shape [N, C, H, W], got " + Arrays.toString(x.shape()));
        }
        return dropout("dropout2d", x, p, training, g, x.size(2) * x.size(3));
    }

    private static Tensor dropout(String name, Tensor x, double p, boolean training, Generator g, int group) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(name + " probability has to be between 0 and 1, but got " + p);
        }
        if (!training || p == 0) {
            return x;
        }
        Supplier<String> label = () -> name + " " + Arrays.toString(x.shape());
        long t = Profiler.start();
        Generator gen = g != null ? g : Generator.defaultGenerator();
        int n = x.numel();
        int m = group == 0 ? 0 : n / group;
        boolean recording = recording(x);
        // With a graph, the mask goes back to the pool with it (steady-state training allocates none)
        float[] mask = recording ? BufferPool.take(m) : new float[m];
        float keep = p == 1 ? 0f : (float) (1 / (1 - p)); // PyTorch: bernoulli(1 - p) / (1 - p); p = 1 gives zeros
        // Draw i is the generator's (i+1)-th nextDouble, drawn by index on every thread (Generator.nthDouble): the
        // same mask as drawn one by one, which had taken 0.47 ms of a SimpleNetBN step (65,536 draws)
        long state = gen.state();
        gen.skip(m);
        if (ActivationKernels.vectorDropoutMask()) { // eight draws at a time
            ActivationKernels.dropoutMask(mask, m, state, p, keep);
        } else {
            Parallel.parallelFor(m, (worker, from, to) -> {
                for (int i = from; i < to; i++) {
                    mask[i] = Generator.nthDouble(state, i + 1L) < p ? 0f : keep;
                }
            });
        }
        Tensor out = Tensor.empty(x.shape()); // every element written
        ActivationKernels.maskForward(out.data(), x.data(), mask, group, n);
        Profiler.forward(t, label);
        if (recording) {
            out.setGradFn(new Node(name, new Tensor[] {x}, timed(label,
                    () -> ActivationKernels.maskBackward(x.gradBuffer(), out.grad(), mask, group, n)), mask));
        }
        return out;
    }

    /** x > 0 ? x : negativeSlope * x, as {@code F.leaky_relu}. */
    public static Tensor leakyRelu(Tensor x, float negativeSlope) {
        Tensor out = Tensor.empty(x.shape()); // every element written
        Supplier<String> label = () -> "leaky_relu " + Arrays.toString(x.shape());
        long t = Profiler.start();
        ActivationKernels.leakyReluForward(out.data(), x.data(), negativeSlope, x.numel());
        Profiler.forward(t, label);
        if (recording(x)) {
            out.setGradFn(new Node("leaky_relu", new Tensor[] {x}, timed(label, () -> ActivationKernels.leakyReluBackward(
                    x.gradBuffer(), out.grad(), x.data(), negativeSlope, x.numel()))));
        }
        return out;
    }

    /** x * Phi(x) with the exact normal CDF, as {@code F.gelu(x)} (approximate='none'). */
    public static Tensor gelu(Tensor x) {
        Tensor out = Tensor.empty(x.shape()); // every element written
        Supplier<String> label = () -> "gelu " + Arrays.toString(x.shape());
        long t = Profiler.start();
        ActivationKernels.geluForward(out.data(), x.data(), x.numel());
        Profiler.forward(t, label);
        if (recording(x)) {
            out.setGradFn(new Node("gelu", new Tensor[] {x}, timed(label,
                    () -> ActivationKernels.geluBackward(x.gradBuffer(), out.grad(), x.data(), x.numel()))));
        }
        return out;
    }

    /** x * sigmoid(x), as {@code F.silu} (Swish). */
    public static Tensor silu(Tensor x) {
        Tensor out = Tensor.empty(x.shape()); // every element written
        Supplier<String> label = () -> "silu " + Arrays.toString(x.shape());
        long t = Profiler.start();
        ActivationKernels.siluForward(out.data(), x.data(), x.numel());
        Profiler.forward(t, label);
        if (recording(x)) {
            out.setGradFn(new Node("silu", new Tensor[] {x}, timed(label,
                    () -> ActivationKernels.siluBackward(x.gradBuffer(), out.grad(), x.data(), x.numel()))));
        }
        return out;
    }

    /**
     * 2-d average pooling, as {@code F.avg_pool2d(x, kernel_size, stride, padding)} (floor mode,
     * count_include_pad=True: every window divides by kernelSize^2).
     *
     * @param x [N, C, H, W]
     * @return [N, C, OH, OW] with {@code OH = (H + 2*padding - kernelSize) / stride + 1}, likewise OW
     */
    public static Tensor avgPool2d(Tensor x, int kernelSize, int stride, int padding) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException("avg_pool2d expected input of shape [N, C, H, W], got "
                    + Arrays.toString(x.shape()));
        }
        PoolGeometry g = new PoolGeometry(x.size(0), x.size(1), x.size(2), x.size(3), kernelSize, kernelSize, stride,
                stride, padding, padding);
        Tensor out = Tensor.zeros(g.N(), g.C(), g.OH(), g.OW());
        Supplier<String> label = () -> "avg_pool2d k" + kernelSize + " s" + stride + " p" + padding + " @" + g.H()
                + "x" + g.W() + " x" + g.C();
        long t = Profiler.start();
        AvgPoolKernels.avgPool2dForward(out.data(), x.data(), g);
        Profiler.forward(t, label);
        if (recording(x)) {
            out.setGradFn(new Node("avg_pool2d", new Tensor[] {x}, timed(label,
                    () -> AvgPoolKernels.avgPool2dBackward(x.gradBuffer(), out.grad(), g))));
        }
        return out;
    }

    /**
     * Adaptive average pooling to a fixed output size, as {@code F.adaptive_avg_pool2d(x, (OH, OW))}: cell
     * (oh, ow) averages rows floor(oh*H/OH) .. ceil((oh+1)*H/OH) - 1, likewise columns. (1, 1) is global
     * average pooling.
     *
     * @param x [N, C, H, W]
     * @return [N, C, OH, OW]
     */
    public static Tensor adaptiveAvgPool2d(Tensor x, int OH, int OW) {
        if (x.dim() != 4 || x.size(2) < 1 || x.size(3) < 1) {
            throw new IllegalArgumentException("adaptive_avg_pool2d expected non-empty input of shape [N, C, H, W], got "
                    + Arrays.toString(x.shape()));
        }
        if (OH < 1 || OW < 1) {
            throw new IllegalArgumentException("adaptive_avg_pool2d output size must be positive, got " + OH + "x" + OW);
        }
        int N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
        Tensor out = Tensor.zeros(N, C, OH, OW);
        Supplier<String> label = () -> "adaptive_avg_pool2d " + Arrays.toString(x.shape()) + " -> " + OH + "x" + OW;
        long t = Profiler.start();
        AvgPoolKernels.adaptiveAvgPool2dForward(out.data(), x.data(), N * C, H, W, OH, OW);
        Profiler.forward(t, label);
        if (recording(x)) {
            out.setGradFn(new Node("adaptive_avg_pool2d", new Tensor[] {x}, timed(label,
                    () -> AvgPoolKernels.adaptiveAvgPool2dBackward(x.gradBuffer(), out.grad(), N * C, H, W, OH, OW))));
        }
        return out;
    }

    private static Tensor[] nonNull(Tensor... tensors) {
        return Arrays.stream(tensors).filter(java.util.Objects::nonNull).toArray(Tensor[]::new);
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    /** The backward closure, timed under {@code label} when the profiler is on. */
    private static Runnable timed(Supplier<String> label, Runnable backward) {
        return timed(label, NO_FLOPS, backward);
    }

    private static final LongSupplier NO_FLOPS = () -> 0;

    /** The same, for a product whose backward FLOPs {@code flops} gives (asked only when the profiler is on). */
    private static Runnable timed(Supplier<String> label, LongSupplier flops, Runnable backward) {
        return () -> {
            long t = Profiler.start();
            backward.run();
            if (Profiler.enabled()) {
                Profiler.backward(t, label, flops.getAsLong());
            }
        };
    }

    private static boolean recording(Tensor... inputs) {
        if (!GradMode.isEnabled()) {
            return false;
        }
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /** The gradient buffer of a tensor that needs one, else null (so kernels skip that gradient). */
    private static float[] gradOf(Tensor t) {
        return t != null && t.requiresGrad() ? t.gradBuffer() : null;
    }

    private static float[] data(Tensor t) {
        return t == null ? null : t.data();
    }

    private static Tensor[] inputs(Tensor x, Tensor weight, Tensor bias) {
        return bias == null ? new Tensor[] {x, weight} : new Tensor[] {x, weight, bias};
    }

    private static void checkBias(Tensor bias, int n, String op) {
        if (bias != null && (bias.dim() != 1 || bias.size(0) != n)) {
            throw new IllegalArgumentException(op + " bias must have shape [" + n + "], got " + Arrays.toString(bias.shape()));
        }
    }

    private static void require2d(Tensor x, String op) {
        if (x.dim() != 2) {
            throw new IllegalArgumentException(op + " expects [batch, classes], got " + Arrays.toString(x.shape()));
        }
    }

    /** The shape two operands broadcast to, by NumPy's rule: align on the right; sizes equal or one is 1. */
    static int[] broadcastShape(String op, int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i < n - a.length ? 1 : a[i - (n - a.length)];
            int db = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " cannot be broadcast together (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Strides for reading an operand of {@code shape} while walking {@code outShape}: 0 where broadcast. */
    static int[] broadcastStrides(int[] shape, int[] outShape) {
        int[] strides = new int[outShape.length];
        int offset = outShape.length - shape.length;
        int stride = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d + offset] = shape[d] == 1 ? 0 : stride;
            stride *= shape[d];
        }
        return strides;
    }

    private static int[] resolveShape(Tensor x, int[] shape) {
        int inferred = -1;
        long known = 1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == -1) {
                if (inferred >= 0) {
                    throw new IllegalArgumentException("reshape: only one dimension can be -1, got " + Arrays.toString(shape));
                }
                inferred = d;
            } else if (shape[d] < 0) {
                throw new IllegalArgumentException("reshape: invalid size " + shape[d] + " in " + Arrays.toString(shape));
            } else {
                known *= shape[d];
            }
        }
        int[] out = shape.clone();
        if (inferred >= 0) {
            if (known == 0 || x.numel() % known != 0) {
                throw new IllegalArgumentException("reshape: shape " + Arrays.toString(shape) + " is invalid for "
                        + x.numel() + " elements");
            }
            out[inferred] = (int) (x.numel() / known);
        } else if (known != x.numel()) {
            throw new IllegalArgumentException("reshape: shape " + Arrays.toString(shape) + " is invalid for input of shape "
                    + Arrays.toString(x.shape()) + " (" + x.numel() + " elements)");
        }
        return out;
    }
}
