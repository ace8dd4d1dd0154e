package simpletorch.tensor;

/**
 * One recorded operation in the autograd graph: the op's name (for error messages and graph dumps), its inputs,
 * and a closure that reads the output's gradient and <em>adds</em> into the gradients of those inputs that
 * require one.
 *
 * @param op       the operation's name, for example {@code "conv2d"}
 * @param inputs   the tensors the output was computed from
 * @param backward adds the output's contribution into each input's gradient
 */
public record Node(String op, Tensor[] inputs, Runnable backward) {
}
