package simpletorch.tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A region for loops that run without a graph (evaluation, inference): every tensor that ops create while the
 * scope is open hands its storage back for reuse when the scope closes, and becomes unreadable (its
 * {@link Tensor#data()} throws). Without it, each batch of an evaluation allocates fresh arrays (about 60 MB per
 * batch of 256 for SimpleNet), and fresh memory is what costs time.
 * <pre>{@code
 * try (var noGrad = GradMode.noGrad(); var scope = TensorScope.open()) {
 *     Tensor logits = model.forward(images);
 *     correct += countCorrect(logits, labels);   // read results inside the scope
 * }
 * }</pre>
 * Training releases its tensors with {@link Tensor#releaseGraph()} instead. Scopes nest; per thread.
 */
public final class TensorScope implements AutoCloseable {
    private static final ThreadLocal<TensorScope> CURRENT = new ThreadLocal<>();

    private final TensorScope outer;
    private final List<Tensor> created = new ArrayList<>();
    private boolean closed;

    private TensorScope(TensorScope outer) {
        this.outer = outer;
    }

    /** Opens a scope on this thread; close it on the same thread. */
    public static TensorScope open() {
        TensorScope scope = new TensorScope(CURRENT.get());
        CURRENT.set(scope);
        return scope;
    }

    /** Called by the factories that take storage from the pool. */
    static void register(Tensor t) {
        TensorScope scope = CURRENT.get();
        if (scope != null) {
            scope.created.add(t);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CURRENT.set(outer);
        for (Tensor t : created) {
            t.release();
        }
        created.clear();
    }
}
