package simpletorch.nn;

import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/** Weight initialisation, as {@code torch.nn.init}. Each method fills its tensor in place and returns it. */
public final class Init {
    private Init() {
    }

    /** Uniform in [low, high). */
    public static Tensor uniform(Tensor t, double low, double high, Generator g) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (low + (high - low) * g.nextDouble());
        }
        return t;
    }

    /**
     * Kaiming (He) uniform for a leaky-ReLU slope {@code a}: bound = gain * sqrt(3 / fanIn) with
     * gain = sqrt(2 / (1 + a^2)). PyTorch's Conv2d and Linear use a = sqrt(5), which gives bound = 1 / sqrt(fanIn).
     */
    public static Tensor kaimingUniform(Tensor t, double a, int fanIn, Generator g) {
        double gain = Math.sqrt(2.0 / (1 + a * a));
        double bound = gain * Math.sqrt(3.0 / fanIn);
        return uniform(t, -bound, bound, g);
    }

    /**
     * Kaiming (He) normal for ReLU, as {@code kaiming_normal_(t, mode=..., nonlinearity='relu')}: N(0, std^2) with
     * std = sqrt(2 / fan); torchvision's ResNets use fan = fan_out = outChannels * kh * kw.
     */
    public static Tensor kaimingNormal(Tensor t, int fan, Generator g) {
        double std = Math.sqrt(2.0 / fan);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (std * g.nextGaussian());
        }
        return t;
    }

    /** PyTorch's default for Conv2d and Linear: weight kaiming-uniform with a = sqrt(5), bias U(±1/sqrt(fanIn)). */
    static void resetLikePyTorch(Tensor weight, Tensor bias, int fanIn, Generator g) {
        kaimingUniform(weight, Math.sqrt(5), fanIn, g);
        if (bias != null) {
            double bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
            uniform(bias, -bound, bound, g);
        }
    }
}
