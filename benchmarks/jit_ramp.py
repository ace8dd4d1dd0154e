#!/usr/bin/env python3
"""The first epoch's JIT ramp of `./simpletorch train --dataset fake`, without the machine's hour-to-hour speed.

Runs the training with a log line every 10 batches, notes when each line arrives, and prints how much longer than the
run's own steady rate (batches 500 to 1,500) the first 100, 300 and 500 batches took: the "excess" that
docs/BENCHMARKS.md compares between builds and JVM options (alternate A B A B; SIMPLETORCH_JAVA_OPTS passes options).

  python3 benchmarks/jit_ramp.py            # from the repository root
"""
import subprocess, sys, time


def main():
    t0 = time.time()
    p = subprocess.Popen(["./simpletorch", "train", "--dataset", "fake", "--profile", "--log-every", "10"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = [(time.time() - t0, line.rstrip()) for line in p.stdout]
    if p.wait() != 0:
        sys.exit("train failed:\n" + "\n".join(l for _, l in out[-20:]))
    start = next(t for t, l in out if "Training for" in l)
    at = {int(l.split("[")[1].split("]")[0]): t - start for t, l in out if l.startswith("Batch [")}
    epoch = next(l for _, l in out if l.startswith("Epoch [1/1]")).split("|")[2].strip()
    rate = (at[1500] - at[500]) / 1000  # seconds per batch once compiled
    print("training started at %.2f s; epoch %s; steady %.3f s per 100 batches" % (start, epoch, rate * 100))
    print("excess at 100: %.2f s, at 300: %.2f s, at 500: %.2f s"
          % (at[100] - 100 * rate, at[300] - 300 * rate, at[500] - 500 * rate))


if __name__ == "__main__":
    main()
