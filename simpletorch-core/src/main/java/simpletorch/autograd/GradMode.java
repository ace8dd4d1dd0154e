package simpletorch.autograd;

/**
 * Whether ops record the graph for backward, per thread, like {@code torch.no_grad()}:
 * <pre>{@code
 * try (var ignored = GradMode.noGrad()) {
 *     Tensor logits = model.forward(images); // no graph, no gradient buffers
 * }
 * }</pre>
 */
public final class GradMode {
    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> Boolean.TRUE);

    /** Restores the previous mode when closed. */
    public interface Guard extends AutoCloseable {
        @Override
        void close();
    }

    private GradMode() {
    }

    public static boolean isEnabled() {
        return ENABLED.get();
    }

    /** Turns recording off on this thread until the returned guard is closed. */
    public static Guard noGrad() {
        boolean previous = ENABLED.get();
        ENABLED.set(false);
        return () -> ENABLED.set(previous);
    }
}
