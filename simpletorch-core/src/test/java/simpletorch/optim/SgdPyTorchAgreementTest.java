package simpletorch.optim;

import static simpletorch.PyTorchFixture.assertClose;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import simpletorch.PyTorchFixture;
import simpletorch.models.SimpleNet;
import simpletorch.nn.CrossEntropyLoss;
import simpletorch.tensor.Tensor;

/**
 * Five SGD steps of SimpleNet(1, 28, 28) on five fixed batches, for four option sets, against
 * {@code torch.optim.SGD} from the same initial weights ({@code fixtures/sgd_steps.safetensors}, see
 * {@code src/test/python/make_pytorch_fixtures.py}).
 */
class SgdPyTorchAgreementTest {
    static final String[] KEYS = {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias"};
    static final int STEPS = 5;
    static final int BATCH = 4;
    static final int IMAGE = 28 * 28;

    /**
     * One forward/backward agrees with PyTorch to about 1e-6 of each tensor's scale (SimpleNetPyTorchAgreementTest);
     * each step feeds that difference into the next through the weights, and momentum sums up to five gradients
     * into one update. 2e-5 leaves room for that growth over five steps while still failing on any mistake in the
     * update rule: getting dampening, weight decay or the Nesterov term wrong changes the step-2 weights by a
     * fraction of lr * grad, many times this tolerance.
     */
    static final double RTOL = 2e-5;

    /**
     * For the updates {@code w - w0}, which are about 1e-3 of the weights: both engines round each new weight to
     * float32, so a one-ulp difference in a weight (6e-9 at 0.1) is already a few 1e-6 of the update's scale.
     */
    static final double RTOL_UPDATE = 1e-4;

    @ParameterizedTest(name = "{0}: lr {1}, momentum {2}, dampening {3}, weight decay {4}, nesterov {5}")
    @CsvSource({
        "plain,       0.01, 0,   0,   0,    false",
        "momentum,    0.01, 0.9, 0,   0,    false",
        "nesterov_wd, 0.01, 0.9, 0,   5e-4, true",
        "dampening,   0.01, 0.9, 0.1, 0,    false",
    })
    void fiveStepsMatchTorchOptimSgd(String variant, double lr, double momentum, double dampening, double weightDecay,
                                     boolean nesterov) {
        PyTorchFixture fx = PyTorchFixture.load("sgd_steps.safetensors");
        SimpleNet net = new SimpleNet(1, 28, 28, 10);
        net.loadStateDict(fx.stateDict("", KEYS), true);
        SGD optimizer = new SGD(net.parameters(), new SGD.Options(lr, momentum, dampening, weightDecay, nesterov));
        CrossEntropyLoss criterion = new CrossEntropyLoss();
        float[] inputs = fx.tensor("inputs").data(); // [STEPS, BATCH, 1, 28, 28]
        int[] targets = fx.ints("targets");          // [STEPS, BATCH]

        float[] losses = new float[STEPS];
        for (int step = 0; step < STEPS; step++) {
            float[] x = new float[BATCH * IMAGE];
            System.arraycopy(inputs, step * BATCH * IMAGE, x, 0, x.length);
            int[] y = new int[BATCH];
            System.arraycopy(targets, step * BATCH, y, 0, BATCH);

            optimizer.zeroGrad();
            Tensor loss = criterion.forward(net.forward(new Tensor(x, BATCH, 1, 28, 28)), y);
            loss.backward();
            optimizer.step();
            losses[step] = loss.item();
            if (step == 0) {
                assertWeights(variant + " after step 1", net, fx, variant + ".step1.");
            }
        }
        assertClose(variant + " losses", losses, fx.tensor(variant + ".losses").data(), RTOL);
        assertWeights(variant + " after step 5", net, fx, variant + ".final.");
    }

    /**
     * Compares the weights, and also the total update {@code w - w0}: a weight's own size (about 0.1) hides a
     * small mistake in a 1e-4 update from the first comparison, not from the second.
     */
    static void assertWeights(String what, SimpleNet net, PyTorchFixture fx, String prefix) {
        Map<String, Tensor> params = net.namedParameters();
        for (String key : KEYS) {
            float[] ours = params.get(key).data();
            float[] theirs = fx.tensor(prefix + key).data();
            float[] initial = fx.tensor(key).data();
            assertClose(what + " " + key, params.get(key), fx.tensor(prefix + key), RTOL);
            assertClose(what + " " + key + " - initial", minus(ours, initial), minus(theirs, initial), RTOL_UPDATE);
        }
    }

    static float[] minus(float[] a, float[] b) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] - b[i];
        }
        return out;
    }
}
