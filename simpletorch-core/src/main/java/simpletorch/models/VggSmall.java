package simpletorch.models;

import simpletorch.autograd.Functional;
import simpletorch.nn.AdaptiveAvgPool2d;
import simpletorch.nn.BatchNorm2d;
import simpletorch.nn.Conv2d;
import simpletorch.nn.Linear;
import simpletorch.nn.MaxPool2d;
import simpletorch.nn.Module;
import simpletorch.nn.ReLU;
import simpletorch.nn.Sequential;
import simpletorch.tensor.Generator;
import simpletorch.tensor.Tensor;

/**
 * A small VGG-style network: two stages of [3x3 conv (no bias) - BatchNorm - ReLU] x 2 then 2x2 max-pooling,
 * with 32 and 64 channels, then global average pooling and one linear layer. Named as torchvision's VGG with
 * BatchNorm ({@code features.<i>}, {@code classifier}).
 *
 * <pre>
 * x [N, C, H, W] -> features: conv(C,32) bn relu conv(32,32) bn relu maxpool    -> [N, 32, H/2, W/2]
 *                             conv(32,64) bn relu conv(64,64) bn relu maxpool   -> [N, 64, H/4, W/4]
 *                -> avgpool (global) -> flatten -> classifier (64 -> classes)
 * </pre>
 *
 * For 1x28x28 inputs and 10 classes: 65,834 parameters (the count does not depend on the image size).
 */
public final class VggSmall extends Module {
    public final int channels;
    public final int height;
    public final int width;
    public final Sequential features;
    public final AdaptiveAvgPool2d avgpool;
    public final Linear classifier;

    public VggSmall(int channels, int height, int width, int numClasses) {
        Models.checkShape("VggSmall", channels, height, width, numClasses);
        Generator g = Generator.defaultGenerator();
        this.channels = channels;
        this.height = height;
        this.width = width;
        Sequential f = new Sequential();
        int in = channels;
        for (int out : new int[] {32, 64}) {
            f.add(new Conv2d(in, out, 3, 1, 1, false, g)).add(new BatchNorm2d(out)).add(new ReLU());
            f.add(new Conv2d(out, out, 3, 1, 1, false, g)).add(new BatchNorm2d(out)).add(new ReLU());
            f.add(new MaxPool2d(2, 2));
            in = out;
        }
        this.features = registerModule("features", f);
        this.avgpool = registerModule("avgpool", new AdaptiveAvgPool2d(1));
        this.classifier = registerModule("classifier", new Linear(64, numClasses));
    }

    @Override
    public Tensor forward(Tensor x) {
        Models.checkInput("VggSmall", x, channels, height, width);
        return classifier.forward(Functional.flatten(avgpool.forward(features.forward(x)), 1));
    }
}
