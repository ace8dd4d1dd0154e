package simpletorch.cli;

/**
 * Floating-point operations of SimpleNet per image (a multiply-add counts 2), as docs/BENCHMARKS.md accounts
 * them: convolutions and the linear layer; pooling, ReLU and the loss are a rounding error. Training counts the
 * forward pass, the weight gradients and the input gradients of every layer but the first (its input needs
 * none). For 3x32x32: conv1 0.88 forward + 0.88 weight gradient, conv2 2.36 x 3, fc1 0.04 x 3: 8.97 MFLOP.
 */
final class FlopCount {
    private FlopCount() {
    }

    static double simpleNet(int channels, int height, int width, int classes, boolean training) {
        double conv1 = 2.0 * 16 * height * width * channels * 9;
        double conv2 = 2.0 * 32 * (height / 2) * (width / 2) * 16 * 9;
        double fc1 = 2.0 * 32 * (height / 4) * (width / 4) * classes;
        return training ? 2 * conv1 + 3 * conv2 + 3 * fc1 : conv1 + conv2 + fc1;
    }
}
