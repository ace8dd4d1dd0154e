package simpletorch.tensor;

/**
 * One recorded operation in the autograd graph: the op's name (for error messages and graph dumps), its inputs,
 * and a closure that reads the output's gradient and <em>adds</em> into the gradients of those inputs that
 * require one.
 *
 * @param op       the operation's name, for example {@code "conv2d"}
 * @param inputs   the tensors the output was computed from
 * @param backward adds the output's contribution into each input's gradient
 * @param saved       an index array the backward closure reads (max-pooling's winners), taken from
 *                    {@link BufferPool#takeInts} and given back when the graph is released; or null
 * @param savedFloats a float array the backward closure reads (dropout's mask), taken from {@link BufferPool#take}
 *                    and given back when the graph is released; or null
 */
public record Node(String op, Tensor[] inputs, Runnable backward, int[] saved, float[] savedFloats) {

    public Node(String op, Tensor[] inputs, Runnable backward) {
        this(op, inputs, backward, null, null);
    }

    public Node(String op, Tensor[] inputs, Runnable backward, int[] saved) {
        this(op, inputs, backward, saved, null);
    }

    public Node(String op, Tensor[] inputs, Runnable backward, float[] savedFloats) {
        this(op, inputs, backward, null, savedFloats);
    }
}
