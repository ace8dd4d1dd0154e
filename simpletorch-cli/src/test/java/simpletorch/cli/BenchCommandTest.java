package simpletorch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static simpletorch.cli.TrainCommandTest.run;

import org.junit.jupiter.api.Test;

/** {@code bench}: tiny workloads (no timing is asserted), the model named, and its options' errors. */
class BenchCommandTest {
    @Test
    void benchTimesSimpleNetWithItsFlopCountAndABreakdown() {
        // a warm-up longer than the timing: the timed images are the first 64 of the 96
        TrainCommandTest.Run r = run("bench", "--images", "64", "--warmup", "96", "--threads", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("SimpleTorch bench: SimpleNet training, 3x32x32 images, batch 32")
                .containsPattern("warm-up \\(not timed\\): 96 images in [0-9.]+ s, as asked")
                .containsPattern("64 images in [0-9.]+ s: [0-9]+ images/s, [0-9.]+ GFLOPS \\(8\\.97 MFLOP per image\\)")
                .contains("garbage collections while timed:")
                .containsPattern("JIT compilation while timed: [0-9]+ ms")
                // the profiler also ran in the warm-up (3 steps): the breakdown counts the 2 timed steps only
                .containsPattern("(?m)^conv2d 16->32 k3x3 s1 p1 @16x16.* [0-9.]+% +2 +[0-9.]+$")
                // the step's parts outside the ops have rows of their own
                .containsPattern("(?m)^data loading +[0-9.]+ +0\\.000 +[0-9.]+% +2 +$")
                .containsPattern("(?m)^sgd zero_grad +[0-9.]+ +0\\.000 +[0-9.]+% +2 +$")
                .containsPattern("(?m)^other \\(autograd graph, bookkeeping\\) +[0-9.]+ +[0-9.]+%$");
    }

    @Test
    void benchTimesAnotherModelWithItsFlopCount() {
        TrainCommandTest.Run r = run("bench", "--model", "resnet20", "--images", "32", "--warmup", "0", "--threads", "2",
                "--batch-size", "16");
        assertThat(r.exitCode()).as(r.err()).isZero();
        // 243.99 MFLOP: the hand-written accounting of ProfilerTest.resNet20TrainingStepCountsTheHandWrittenFlops
        assertThat(r.out()).contains("SimpleTorch bench: ResNet20 training, 3x32x32 images, batch 16")
                .containsPattern("32 images in [0-9.]+ s: [0-9]+ images/s, [0-9.]+ GFLOPS \\(243\\.99 MFLOP per image\\)")
                .containsPattern("batch_norm \\[16, 16, 32, 32\\]")
                .containsPattern("(?m)^op +forward s +backward s +share +calls +GFLOPS$")
                .containsPattern("(?m)^conv2d 16->16 k3x3 s1 p1 @32x32 .* [0-9]+\\.[0-9]$") // a product: its GFLOPS
                .containsPattern("(?m)^batch_norm\\+relu \\[16, 16, 32, 32\\] .* [0-9]+ +$"); // counts none
        TrainCommandTest.Run inference = run("bench", "--model", "vgg-small", "--inference", "--images", "16",
                "--warmup", "0", "--batch-size", "8");
        assertThat(inference.exitCode()).as(inference.err()).isZero();
        assertThat(inference.out()).contains("VggSmall inference")
                .containsPattern("16 images in [0-9.]+ s: [0-9]+ images/s, [0-9.]+ GFLOPS")
                .contains("warm-up (not timed): 0 images in 0.0 s, none asked");
    }

    @Test
    void moreThreadsThanProcessorsGetANote() {
        int processors = Runtime.getRuntime().availableProcessors();
        TrainCommandTest.Run over = run("bench", "--images", "8", "--warmup", "0", "--batch-size", "8", "--threads",
                String.valueOf(processors + 1));
        assertThat(over.exitCode()).as(over.err()).isZero();
        assertThat(over.out()).contains("Note: " + (processors + 1) + " threads on " + processors + " processors: the "
                + "threads take turns on the cores, which is slower than --threads " + processors);
        TrainCommandTest.Run fits = run("bench", "--images", "8", "--warmup", "0", "--batch-size", "8", "--threads",
                String.valueOf(processors));
        assertThat(fits.exitCode()).as(fits.err()).isZero();
        assertThat(fits.out()).doesNotContain("Note:");
    }

    @Test
    void anUnknownModelOrABadCountIsAUsageError() {
        TrainCommandTest.Run unknown = run("bench", "--model", "resnet18", "--images", "8");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown model 'resnet18'").contains("resnet20");
        TrainCommandTest.Run zero = run("bench", "--images", "0");
        assertThat(zero.exitCode()).isEqualTo(2);
        assertThat(zero.err()).contains("--images must be >= 1");
    }
}
