package simpletorch.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import simpletorch.data.DataLoader;
import simpletorch.data.FakeData;
import simpletorch.data.ImageDataset;
import simpletorch.models.SimpleNetBN;
import simpletorch.nn.Module;
import simpletorch.optim.SGD;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

class JitWarmupTest {
    @Test
    void stopsWhenToldBeforeEveryStep() {
        Module throwaway = new SimpleNetBN(3, 32, 32, 10);
        Trainer trainer = new Trainer(throwaway, new SGD(throwaway.parameters(), 0.01));
        AtomicInteger asked = new AtomicInteger();

        JitWarmup.Result r = JitWarmup.run(trainer, 4, new int[] {3, 32, 32}, 10, 100, () -> asked.incrementAndGet() > 3);

        assertThat(r.steps()).isEqualTo(2); // asked before steps 1, 2 and 3; the third answer was "stop"
        assertThat(r.seconds()).isPositive();
    }

    @Test
    void stopsAtTheStepLimitAndNotAtAllWhenToldSoFirst() {
        Module throwaway = new SimpleNetBN(3, 32, 32, 10);
        Trainer trainer = new Trainer(throwaway, new SGD(throwaway.parameters(), 0.01));

        assertThat(JitWarmup.run(trainer, 2, new int[] {3, 32, 32}, 10, 3, () -> false).steps()).isEqualTo(3);
        assertThat(JitWarmup.run(trainer, 2, new int[] {3, 32, 32}, 10, 3, () -> true).steps()).isZero();
        assertThat(JitWarmup.run(trainer, 2, new int[] {3, 32, 32}, 10, 0, () -> false).steps()).isZero();
    }

    @Test
    void trainsTheThrowawayModel() {
        Module throwaway = new SimpleNetBN(3, 32, 32, 10);
        Trainer trainer = new Trainer(throwaway, new SGD(throwaway.parameters(), 0.1));
        float[] before = throwaway.stateDict().get("fc1.weight").data().clone();

        JitWarmup.run(trainer, 8, new int[] {3, 32, 32}, 10, 2, () -> false);

        assertThat(throwaway.stateDict().get("fc1.weight").data()).isNotEqualTo(before);
    }

    /** The reason the warm-up may run before a real run: that run's losses are the same bit for bit with or without it. */
    @Test
    void aWarmUpBeforeSeedingChangesNothingOfTheRealRun() {
        List<Float> cold = realRun(false);
        List<Float> warm = realRun(true);

        assertThat(warm).hasSize(4).isEqualTo(cold);
    }

    /** The CLI's order: warm-up (drawing from the default generator for the throwaway model and its dropout), then seed, build and train. */
    private static List<Float> realRun(boolean warmUpFirst) {
        if (warmUpFirst) {
            Module throwaway = new SimpleNetBN(3, 32, 32, 10); // BatchNorm and Dropout: state and random masks
            JitWarmup.run(new Trainer(throwaway, new SGD(throwaway.parameters(), 0.01)), 32, new int[] {3, 32, 32}, 10,
                    2, () -> false);
        }
        Generator.manualSeed(42);
        Module model = new SimpleNetBN(3, 32, 32, 10);
        Trainer trainer = new Trainer(model, new SGD(model.parameters(), 0.01));
        ImageDataset data = FakeData.create(4 * 32, 3, 32, 32, 10, 5);
        List<Float> losses = new ArrayList<>();
        trainer.trainEpoch(new DataLoader(data, 32, true, new Generator(3)), (batch, loss) -> losses.add(loss));
        return losses;
    }

    @Test
    void aModelThatCannotTrainEndsTheWarmUpQuietly() {
        Module broken = new Module() {
            { // a parameter, for the optimiser
                registerParameter("w", Tensor.zeros(1));
            }

            @Override
            public Tensor forward(Tensor input) {
                throw new IllegalStateException("does not fit");
            }
        };
        Trainer trainer = new Trainer(broken, new SGD(broken.parameters(), 0.01));

        assertThat(JitWarmup.run(trainer, 2, new int[] {1, 8, 8}, 10, 5, () -> false).steps()).isZero();
    }

    @Test
    void rejectsAnEmptyShape() {
        Module throwaway = new SimpleNetBN(3, 32, 32, 10);
        Trainer trainer = new Trainer(throwaway, new SGD(throwaway.parameters(), 0.01));

        assertThatThrownBy(() -> JitWarmup.run(trainer, 2, new int[0], 10, 5, () -> false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("image shape");
    }
}
