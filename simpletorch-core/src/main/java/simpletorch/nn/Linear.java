package simpletorch.nn;

import simpletorch.autograd.Functional;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * Fully connected layer, as {@code torch.nn.Linear}: {@code y = x * weight^T + bias}.
 *
 * <p>Shape: input [B, inFeatures], output [B, outFeatures].
 * Parameters: {@code weight} [outFeatures, inFeatures], {@code bias} [outFeatures].
 */
public final class Linear extends Module {
    public final int inFeatures;
    public final int outFeatures;
    public final Tensor weight;
    public final Tensor bias;

    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true, Generator.defaultGenerator());
    }

    public Linear(int inFeatures, int outFeatures, boolean bias, Generator g) {
        Conv2d.require(inFeatures > 0, "inFeatures must be > 0, got " + inFeatures);
        Conv2d.require(outFeatures > 0, "outFeatures must be > 0, got " + outFeatures);
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = registerParameter("weight", Tensor.zeros(outFeatures, inFeatures));
        this.bias = bias ? registerParameter("bias", Tensor.zeros(outFeatures)) : null;
        Init.resetLikePyTorch(weight, this.bias, inFeatures, g);
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.linear(input, weight, bias);
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null ? "True" : "False");
    }
}
