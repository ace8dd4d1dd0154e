package simpletorch.models;

import static org.assertj.core.api.Assertions.assertThat;
import static simpletorch.PyTorchFixture.assertClose;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import simpletorch.PyTorchFixture;
import simpletorch.nn.CrossEntropyLoss;
import simpletorch.tensor.Tensor;

/**
 * One forward and backward pass of SimpleNet against PyTorch 1.13 from the same weights and batch
 * ({@code fixtures/simplenet_*.safetensors}, see {@code src/test/python/make_pytorch_fixtures.py}).
 */
class SimpleNetPyTorchAgreementTest {
    static final String[] KEYS = {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias"};

    /**
     * Both engines compute in float32 but sum in different orders (our im2col GEMM against PyTorch's mkldnn /
     * its own GEMM), so results agree to a few float32 ulps of the terms summed; the longest sums here (conv2's
     * weight gradient, 4 x 16 x 16 = 1,024 terms per element for CIFAR) leave errors around 1e-6 of the tensor's
     * scale. 1e-5 is ten times that margin and far below any real bug (a wrong index or a missing term moves
     * values by 1e-2 or more).
     */
    static final double RTOL = 1e-5;

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "simplenet_cifar.safetensors, 3, 32",
        "simplenet_mnist.safetensors, 1, 28",
        // constant and 2x2-blocky images: about 1 in 7 pooling windows has a tied positive maximum, so
        // grad.input checks that max-pool sends the gradient to the first maximum, as PyTorch does
        "simplenet_ties.safetensors, 1, 28",
    })
    void forwardAndBackwardMatchPyTorch(String fixtureName, int channels, int size) {
        PyTorchFixture fx = PyTorchFixture.load(fixtureName);
        assertThat(fx.metadata()).containsKeys("torch_version", "command", "seed");
        SimpleNet net = new SimpleNet(channels, size, size, 10);
        net.loadStateDict(fx.stateDict("", KEYS), true);

        Tensor x = fx.tensor("input").copy().requiresGrad(true);
        int[] y = fx.ints("target");
        Tensor logits = net.forward(x);
        Tensor loss = new CrossEntropyLoss().forward(logits, y);
        loss.backward();

        assertClose(fixtureName + " logits", logits, fx.tensor("logits"), RTOL);
        assertClose(fixtureName + " loss", loss, fx.tensor("loss"), RTOL);
        Map<String, Tensor> params = net.namedParameters();
        for (String key : KEYS) {
            Tensor p = params.get(key);
            assertThat(p.grad()).as(key + " has a gradient").isNotNull();
            assertClose(fixtureName + " grad." + key, p.gradTensor(), fx.tensor("grad." + key), RTOL);
        }
        assertClose(fixtureName + " grad.input", x.gradTensor(), fx.tensor("grad.input"), RTOL);
    }
}
