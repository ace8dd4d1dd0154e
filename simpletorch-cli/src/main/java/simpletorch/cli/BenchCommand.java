package simpletorch.cli;

import java.io.PrintWriter;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.IntPredicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import simpletorch.autograd.GradMode;
import simpletorch.autograd.Profiler;
import simpletorch.data.Batch;
import simpletorch.data.DataLoader;
import simpletorch.data.FakeData;
import simpletorch.data.ImageDataset;
import simpletorch.kernels.Gemm;
import simpletorch.kernels.Parallel;
import simpletorch.models.Models;
import simpletorch.nn.Module;
import simpletorch.optim.SGD;
import simpletorch.tensor.Generator;
import simpletorch.tensor.TensorScope;
import simpletorch.train.Trainer;

/**
 * {@code simpletorch bench}: the reference workload (SimpleNet on CIFAR-shaped fake data, SGD lr 0.01) timed in
 * the process, with images/s, GFLOPS against the FLOP count, a per-op breakdown, garbage collection and peak heap.
 * {@code --model} times another of {@link Models}' architectures the same way (benchmarks/pytorch_models.py is
 * PyTorch's side). The FLOPs are the products' that the {@link Profiler} counts while timing (convolutions, linear
 * layers: docs/BENCHMARKS.md, "FLOP accounting").
 * Whole-process comparisons with PyTorch are in docs/BENCHMARKS.md.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Time SimpleNet (or --model) training or inference on fake CIFAR-shaped data, with a per-op breakdown.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", defaultValue = "simplenet", completionCandidates = ModelsCommand.Names.class,
            description = "simplenet, simplenet-bn, vgg-small or resnet20 (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--images", defaultValue = "50000", description = "Images to time (default: ${DEFAULT-VALUE}, one CIFAR-10 epoch).")
    int images;

    @Option(names = "--warmup", description = "Images run first and not timed, to let the JIT compile (default: until "
            + "the JIT compilers have been idle for 100 steps: at least 3,200 images, at most 64,000 or 60 s; the report "
            + "says how long they still compiled while timed).")
    Integer warmup;

    @Option(names = "--batch-size", description = "Images per step (default: 32 for training, 256 for inference).")
    Integer batchSize;

    @Option(names = "--threads", description = "Worker threads (default: the number of processors).")
    Integer threads;

    @Option(names = "--inference", description = "Time the forward pass only, without a graph (evaluation).")
    boolean inference;

    @Option(names = "--channels", defaultValue = "3", description = "Image channels (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--size", defaultValue = "32", description = "Image height and width (default: ${DEFAULT-VALUE}).")
    int size;

    @Override
    public Integer call() {
        require(images >= 1, "--images must be >= 1, got " + images);
        require(warmup == null || warmup >= 0, "--warmup must be >= 0, got " + warmup);
        require(batchSize == null || batchSize >= 1, "--batch-size must be >= 1, got " + batchSize);
        require(threads == null || threads >= 1, "--threads must be >= 1, got " + threads);
        require(channels >= 1 && size >= 4, "--channels must be >= 1 and --size >= 4");
        Models.Entry entry;
        try {
            entry = Models.get(model);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        int batch = batchSize != null ? batchSize : inference ? 256 : 32;
        PrintWriter out = spec.commandLine().getOut();
        if (threads != null) {
            Main.setThreads(threads, out);
        }
        out.printf("SimpleTorch bench: %s %s, %dx%dx%d images, batch %d%n", entry.className(),
                inference ? "inference" : "training", channels, size, size, batch);
        out.printf("Java %s, %d threads, Vector API kernels %s%n", Runtime.version(), Parallel.threads(),
                Gemm.vectorEnabled() ? "on" : "off (run with --add-modules jdk.incubator.vector)");
        out.flush();

        int fixedWarmup = warmup == null ? 0 : warmup;
        ImageDataset data = FakeData.create(Math.max(images, fixedWarmup), channels, size, size, 10, 42);
        Generator.manualSeed(42);
        Module net = Models.create(entry.name(), channels, size, size, 10);
        SGD optimizer = new SGD(net.parameters(), 0.01);
        WarmUp warm = warmup == null ? WarmUp.untilCompiled() : WarmUp.fixed(warmup);
        ImageDataset timedData = data.subset(images); // a copy when the warm-up asked for more images: not timed
        if (!warm.none()) {
            // The warm-up runs the code the timing runs, the profiler included: C2 compiles the profiler's calls
            // (inlined into every op) as never taken while it is off, and turning it on after the warm-up
            // deoptimised the ops' methods, which then ran interpreted and were compiled again during the timing.
            Profiler.setEnabled(true);
            run(net, optimizer, data.subset(Math.min(data.size(), warmup == null ? images : warmup)), batch,
                    warm::stepDone);
        }
        out.printf(Locale.ROOT, "warm-up (not timed): %d images in %.1f s, %s%n", warm.images(), warm.seconds(),
                warm.none() ? "none asked" : warm.reason());
        out.flush();

        long gcCount = gcCount(), gcMillis = gcMillis(), jitMillis = jitMillis();
        Profiler.reset();
        Profiler.setEnabled(true);
        long start = System.nanoTime();
        int[] timed = {0};
        int done = run(net, optimizer, timedData, batch, n -> (timed[0] += n) >= images);
        double seconds = (System.nanoTime() - start) / 1e9;
        Profiler.setEnabled(false);
        long jitWhileTimed = jitMillis < 0 ? -1 : jitMillis() - jitMillis; // -1: the JVM does not report it

        double flops = Profiler.totalFlops();
        out.printf(Locale.ROOT, "%d images in %.2f s: %.0f images/s, %.1f GFLOPS (%.2f MFLOP per image)%n",
                done, seconds, done / seconds, flops / seconds / 1e9, flops / done / 1e6);
        out.printf(Locale.ROOT, "garbage collections while timed: %d (%d ms); peak heap %.0f MB%n",
                gcCount() - gcCount, gcMillis() - gcMillis, peakHeapBytes() / 1e6);
        if (jitWhileTimed >= 0) {
            // methods called once a step reach the JIT's last tier only after thousands of steps (SimpleNet: ~10,000)
            out.printf(Locale.ROOT, "JIT compilation while timed: %d ms%n", jitWhileTimed);
        }
        ProfileReport.print(out, seconds);
        out.flush();
        return 0;
    }

    /**
     * Runs batches of {@code data}, epoch after epoch, training or not, until {@code stop} says so after a batch
     * (given its size); returns the number of images run.
     */
    private int run(Module model, SGD optimizer, ImageDataset data, int batch, IntPredicate stop) {
        Trainer trainer = new Trainer(model, optimizer); // the step `train` takes, with its profiler rows
        DataLoader loader = new DataLoader(data, batch, !inference, new Generator(1));
        int done = 0, steps = 0;
        if (inference) {
            model.eval();
        } else {
            model.train();
        }
        try (var noGrad = inference ? GradMode.noGrad() : null) { // once for the whole run, not per batch
            while (true) {
                try (DataLoader.EpochIterator epoch = loader.iterator()) {
                    while (epoch.hasNext()) {
                        long next = Profiler.start();
                        Batch b = epoch.next();
                        Profiler.forward(next, Trainer.DATA_LOADING);
                        if (inference) {
                            try (var scope = TensorScope.open()) {
                                model.forward(b.images());
                            }
                        } else {
                            trainer.step(b.images(), b.labels(), ++steps);
                        }
                        b.recycle();
                        done += b.size();
                        if (stop.test(b.size())) {
                            return done;
                        }
                    }
                }
            }
        }
    }

    /** The compilers' time, in ms, since the JVM started; -1 where the JVM does not report it. */
    private static long jitMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }

    private static long gcCount() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(gc.getCollectionCount(), 0);
        }
        return n;
    }

    private static long gcMillis() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(gc.getCollectionTime(), 0);
        }
        return n;
    }

    /** The sum of the heap pools' peak usage since the JVM started. */
    static long peakHeapBytes() {
        long n = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                n += pool.getPeakUsage().getUsed();
            }
        }
        return n;
    }

    private void require(boolean ok, String message) {
        if (!ok) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), message);
        }
    }
}
