package simpletorch.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import simpletorch.kernels.ElementwiseKernels;

/**
 * A dense float32 tensor in row-major order with PyTorch's shape conventions (images are {@code [N, C, H, W]}),
 * and the little that reverse-mode autograd needs: a gradient buffer and the {@link Node} that produced it.
 *
 * <p>Operations live in {@code simpletorch.autograd.Functional}; each builds its output, and when any input
 * requires a gradient, records a {@link Node} whose closure adds into the inputs' gradients. {@link #backward()}
 * sorts the graph topologically and runs those closures in reverse. Gradients accumulate across calls, as in
 * PyTorch, until {@link #zeroGrad()}.
 *
 * <p>The storage is exposed by {@link #data()} and {@link #grad()} on purpose: kernels and optimisers work on
 * flat arrays. Writing into {@code data()} of a tensor that is part of a live graph changes what backward sees.
 */
public final class Tensor {
    private float[] data; // null once released
    private final int[] shape;
    private final boolean ownsData; // false for a view of another tensor's storage
    private boolean requiresGrad;
    private boolean retainGrad;
    private float[] grad;
    private Node gradFn;

    /** Wraps {@code data} (not copied) as a tensor of the given shape. */
    public Tensor(float[] data, int... shape) {
        this(data, true, shape);
    }

    private Tensor(float[] data, boolean ownsData, int... shape) {
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("shape must not have negative sizes, got " + Arrays.toString(shape));
            }
        }
        long numel = numel(shape);
        if (numel != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + numel
                    + " elements but the data has " + data.length);
        }
        this.data = data;
        this.shape = shape.clone();
        this.ownsData = ownsData;
    }

    // ---- factories ------------------------------------------------------------------------------------------

    public static Tensor zeros(int... shape) {
        Tensor t = empty(shape);
        ElementwiseKernels.fillZero(t.data, t.data.length);
        return t;
    }

    /**
     * A tensor whose values are arbitrary (storage may be recycled from an earlier step), for op outputs that a
     * kernel overwrites completely, like {@code torch.empty}.
     */
    public static Tensor empty(int... shape) {
        Tensor t = new Tensor(BufferPool.take(checkedNumel(shape)), shape);
        TensorScope.register(t);
        return t;
    }

    /** A tensor of another shape over the same storage, like {@code tensor.view(shape)}; for ops such as reshape. */
    public Tensor view(int... shape) {
        return new Tensor(data(), false, shape);
    }

    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    public static Tensor full(float value, int... shape) {
        float[] d = new float[checkedNumel(shape)];
        Arrays.fill(d, value);
        return new Tensor(d, shape);
    }

    /** A 0-dimensional tensor holding one value, like {@code torch.tensor(3.0)}. */
    public static Tensor scalar(float value) {
        return new Tensor(new float[] {value});
    }

    /** A tensor of the given shape over a copy of {@code values}. */
    public static Tensor of(float[] values, int... shape) {
        return new Tensor(values.clone(), shape);
    }

    /** Uniform in [0, 1), like {@code torch.rand}. */
    public static Tensor rand(Generator g, int... shape) {
        float[] d = new float[checkedNumel(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = g.nextFloat();
        }
        return new Tensor(d, shape);
    }

    /** Standard normal, like {@code torch.randn}. */
    public static Tensor randn(Generator g, int... shape) {
        float[] d = new float[checkedNumel(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) g.nextGaussian();
        }
        return new Tensor(d, shape);
    }

    // ---- shape ----------------------------------------------------------------------------------------------

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    public int dim() {
        return shape.length;
    }

    /** The size of dimension {@code d}; negative values count from the end, as in PyTorch. */
    public int size(int d) {
        int i = d < 0 ? d + shape.length : d;
        if (i < 0 || i >= shape.length) {
            throw new IndexOutOfBoundsException("dimension " + d + " out of range for a " + shape.length + "-d tensor");
        }
        return shape[i];
    }

    public int numel() {
        return Tensor.checkedNumel(shape);
    }

    public boolean hasShape(int... expected) {
        return Arrays.equals(shape, expected);
    }

    // ---- values ---------------------------------------------------------------------------------------------

    /** The live storage, row-major. */
    public float[] data() {
        if (data == null) {
            throw new IllegalStateException("this tensor's storage was released by releaseGraph() and reused; "
                    + "read results before releasing the graph");
        }
        return data;
    }

    /** The value of a one-element tensor. */
    public float item() {
        if (numel() != 1) {
            throw new IllegalStateException("item() needs a tensor with one element, got shape " + Arrays.toString(shape));
        }
        return data()[0];
    }

    /** The element at the given index, one coordinate per dimension. */
    public float get(int... index) {
        return data()[offset(index)];
    }

    public void set(float value, int... index) {
        data()[offset(index)] = value;
    }

    private int offset(int... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("expected " + shape.length + " indices, got " + index.length);
        }
        int off = 0;
        for (int d = 0; d < shape.length; d++) {
            if (index[d] < 0 || index[d] >= shape[d]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " out of range for shape "
                        + Arrays.toString(shape));
            }
            off = off * shape[d] + index[d];
        }
        return off;
    }

    /** A new tensor with a copy of the values and no autograd history. */
    public Tensor copy() {
        return new Tensor(data().clone(), shape);
    }

    /** A tensor sharing this one's storage but cut off from the graph, like {@code tensor.detach()}. */
    public Tensor detach() {
        return new Tensor(data(), false, shape);
    }

    // ---- autograd -------------------------------------------------------------------------------------------

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * Marks a leaf tensor (a parameter or an input) as needing a gradient. Returns this tensor.
     *
     * @throws IllegalStateException on a tensor computed by an op: its flag follows from its inputs
     */
    public Tensor requiresGrad(boolean value) {
        if (gradFn != null) {
            throw new IllegalStateException("requiresGrad can only be set on leaf tensors; this one was computed by "
                    + gradFn.op() + " (use detach() first)");
        }
        this.requiresGrad = value;
        return this;
    }

    /** The accumulated gradient, same layout as {@link #data()}, or null if backward has not reached it. */
    public float[] grad() {
        return grad;
    }

    /** The gradient as a tensor sharing its storage, or null. */
    public Tensor gradTensor() {
        return grad == null ? null : new Tensor(grad, shape);
    }

    /** The gradient buffer, allocated as zeros on first use; for op implementations and optimisers. */
    public float[] gradBuffer() {
        if (grad == null) {
            grad = BufferPool.take(numel());
            ElementwiseKernels.fillZero(grad, grad.length); // recycled: may hold an earlier step's values
        }
        return grad;
    }

    /**
     * The gradient buffer for a backward step that writes every element rather than adding: only when no
     * gradient has flowed in yet ({@link #grad()} is null). Its contents are arbitrary (recycled, not zeroed).
     */
    public float[] gradBufferToOverwrite() {
        if (grad != null) {
            throw new IllegalStateException("this tensor already has a gradient; add into gradBuffer() instead");
        }
        grad = BufferPool.take(numel());
        return grad;
    }

    /** Sets every gradient element to zero, keeping the buffer for reuse. */
    public void zeroGrad() {
        if (grad != null) {
            Arrays.fill(grad, 0f);
        }
    }

    /**
     * Hands this tensor's gradient buffer to {@code target} instead of copying it, for an op whose backward pass is
     * the identity on the elements (a reshape): only when target has no gradient yet, both hold as many elements,
     * and this gradient is not retained. Returns whether it did; this tensor then has no gradient.
     */
    public boolean passGradTo(Tensor target) {
        if (!canPassGradTo(target)) {
            return false;
        }
        target.grad = grad;
        grad = null;
        return true;
    }

    /** Whether {@link #passGradTo} would hand this tensor's gradient buffer to {@code target}. */
    public boolean canPassGradTo(Tensor target) {
        return grad != null && !retainGrad && target.grad == null && target.numel() == numel();
    }

    /** Keeps this non-leaf tensor's gradient after backward, like {@code tensor.retain_grad()}. */
    public Tensor retainGrad() {
        this.retainGrad = true;
        return this;
    }

    /** The node that computed this tensor, or null for a leaf. */
    public Node gradFn() {
        return gradFn;
    }

    public boolean isLeaf() {
        return gradFn == null;
    }

    /**
     * Records how this tensor was computed and marks it as requiring a gradient. Called by ops, once, on the
     * output they just created.
     */
    public void setGradFn(Node node) {
        if (this.gradFn != null) {
            throw new IllegalStateException("gradFn already set (" + this.gradFn.op() + ")");
        }
        this.gradFn = node;
        this.requiresGrad = true;
    }

    /** Back-propagates from a scalar (for example a loss): d(this)/d(this) = 1. */
    public void backward() {
        if (numel() != 1) {
            throw new IllegalStateException("backward() without a gradient needs a scalar, got shape "
                    + Arrays.toString(shape) + "; pass the gradient of the output");
        }
        backward(new float[] {1f});
    }

    /** Back-propagates {@code outputGrad} (same layout as this tensor) through the graph that produced it. */
    public void backward(float[] outputGrad) {
        if (!requiresGrad) {
            throw new IllegalStateException("this tensor does not require a gradient and has no graph to walk");
        }
        if (outputGrad.length != numel()) {
            throw new IllegalArgumentException("gradient has " + outputGrad.length + " elements, tensor has " + numel());
        }
        float[] g = gradBuffer();
        for (int i = 0; i < g.length; i++) {
            g[i] += outputGrad[i];
        }
        List<Tensor> order = topologicalOrder();
        for (int i = order.size() - 1; i >= 0; i--) {
            Tensor t = order.get(i);
            if (t.grad == null) {
                continue; // nothing flowed into this branch
            }
            t.gradFn.backward().run();
            if (!t.retainGrad && t.grad != null) { // null when the op passed it on (passGradTo)
                BufferPool.give(t.grad);
                t.grad = null; // intermediate gradients are not kept, as in PyTorch
            }
        }
    }

    /**
     * Hands the storage of every tensor computed on the way to this one (this one included; leaves such as
     * parameters and inputs excluded) back for reuse by the next step's ops, and cuts the graph. Call it once a
     * step's results have been read: a released tensor's {@link #data()} throws instead of returning reused memory.
     * Training loops call it after the optimiser step; nothing else needs it (the garbage collector reclaims
     * graphs that are never released).
     */
    public void releaseGraph() {
        if (gradFn == null) {
            return;
        }
        for (Tensor t : topologicalOrder()) {
            t.release();
        }
    }

    /** Gives this tensor's storage (and gradient, unless retained) to the pool and cuts it from its graph. */
    void release() {
        if (ownsData && data != null) {
            BufferPool.give(data);
        }
        if (grad != null && !retainGrad) {
            BufferPool.give(grad);
            grad = null;
        }
        if (gradFn != null && gradFn.saved() != null) {
            BufferPool.giveInts(gradFn.saved());
        }
        if (gradFn != null && gradFn.savedFloats() != null) {
            BufferPool.give(gradFn.savedFloats());
        }
        data = null;
        gradFn = null;
    }

    /**
     * Hands this leaf tensor's storage back for reuse (a data loader's batch, once the step is done); the tensor
     * is unusable afterwards, as after {@link #releaseGraph()}. Does nothing if it was released already, or if it
     * is a view of another tensor's storage.
     */
    public void recycle() {
        if (gradFn != null) {
            throw new IllegalStateException("recycle() is for leaf tensors; release a graph with releaseGraph()");
        }
        if (data != null) {
            release();
        }
    }

    /** Non-leaf tensors reachable from this one, every tensor after all the tensors it was computed from. */
    private List<Tensor> topologicalOrder() {
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        // Iterative depth-first search so that deep graphs cannot overflow the stack.
        ArrayDeque<Tensor> stack = new ArrayDeque<>();
        ArrayDeque<Integer> nextChild = new ArrayDeque<>();
        if (gradFn != null) {
            stack.push(this);
            nextChild.push(0);
            visited.add(this);
        }
        while (!stack.isEmpty()) {
            Tensor t = stack.peek();
            int k = nextChild.pop();
            Tensor[] inputs = t.gradFn.inputs();
            if (k < inputs.length) {
                nextChild.push(k + 1);
                Tensor in = inputs[k];
                if (in.gradFn != null && in.requiresGrad && visited.add(in)) {
                    stack.push(in);
                    nextChild.push(0);
                }
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }

    // ---- misc -----------------------------------------------------------------------------------------------

    /** Number of elements in a shape; rejects products that do not fit in an int. */
    public static int checkedNumel(int... shape) {
        long n = numel(shape);
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + n + " elements, more than an array holds");
        }
        return (int) n;
    }

    private static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
            if (n > Integer.MAX_VALUE) {
                return n;
            }
        }
        return n;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("tensor(shape=").append(Arrays.toString(shape));
        if (gradFn != null) {
            sb.append(", gradFn=").append(gradFn.op());
        } else if (requiresGrad) {
            sb.append(", requiresGrad=true");
        }
        if (data == null) {
            return sb.append(", released)").toString();
        }
        sb.append(", data=[");
        int shown = Math.min(data.length, 8);
        for (int i = 0; i < shown; i++) {
            sb.append(i == 0 ? "" : ", ").append(data[i]);
        }
        return sb.append(data.length > shown ? ", ...])" : "])").toString();
    }
}
