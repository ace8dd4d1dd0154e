#!/usr/bin/env python3
"""Two threads against one: `./simpletorch bench` on 1 and on 2 threads, alternating, and the ratio of each pair.

Runs `./simpletorch bench --images N --threads 1` and then the same with `--threads 2`, PAIRS times, and prints each
pair's images/s and ratio, then the medians and how many pairs reached 1.7x (the performance issue's goal). Each
`bench` warms up, untimed, until the JIT compilers are idle. The machine's speed drifts from minute to minute: only
alternating pairs compare. Before each pair it times a cache line's round trip between two cores
(`benchmarks/CoreToCore.java`): on a virtual machine the host may place the two vCPUs under one L3 cache or not, and
what the two threads share (the optimiser's step, the partial sums, the chunks one takes from the other) costs
accordingly. It builds first (`./simpletorch --version`), so that no run times the launcher's build.
docs/BENCHMARKS.md quotes this script's output.

  python3 benchmarks/thread_pairs.py 10                  # from the repository root
  python3 benchmarks/thread_pairs.py 10 --images 50000   # a whole epoch's worth of images per run
  python3 benchmarks/thread_pairs.py 8 --warmup 320000   # the steady state: after the JIT's last compilations
  python3 benchmarks/thread_pairs.py 4 --model resnet20 --images 3200
"""
import argparse, os, re, shutil, statistics, subprocess, sys


def images_per_second(root, threads, images, warmup=None, model="simplenet"):
    cmd = ["./simpletorch", "bench", "--model", model, "--images", str(images), "--threads", str(threads)]
    if warmup is not None:
        cmd += ["--warmup", str(warmup)]
    p = subprocess.run(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.exit("%s failed (exit %d):\n%s" % (" ".join(cmd), p.returncode, p.stdout[-2000:]))
    m = re.search(r"^\d+ images in [\d.]+ s: (\d+) images/s", p.stdout, re.M)
    if not m:
        sys.exit("no images/s line in the output of %s:\n%s" % (" ".join(cmd), p.stdout[-2000:]))
    return int(m.group(1))


def core_to_core(root):
    """The round trip of benchmarks/CoreToCore.java in ns, or None without a java on PATH (or JAVA_HOME)."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.exists(java):
        return None
    p = subprocess.run([java, os.path.join(root, "benchmarks", "CoreToCore.java")], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    m = re.search(r"round trip (\d+) ns", p.stdout)
    return int(m.group(1)) if m else None


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pairs", type=int, nargs="?", default=10)
    ap.add_argument("--images", type=int, default=25600, help="images timed per run (default: 25600)")
    ap.add_argument("--model", default="simplenet", help="bench's --model (default: simplenet)")
    ap.add_argument("--warmup", type=int, help="images run untimed first (default: bench's own rule, until the JIT "
                    "compilers are idle); 320000 (10,000 steps) times the steady state, after the JIT's last compiles")
    a = ap.parse_args()
    if a.pairs < 1:
        ap.error("pairs must be at least 1, got %d" % a.pairs)
    if a.images < 1:
        ap.error("--images must be at least 1, got %d" % a.images)
    if a.warmup is not None and a.warmup < 0:
        ap.error("--warmup must be at least 0, got %d" % a.warmup)
    subprocess.run(["./simpletorch", "--version"], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    ones, twos, ratios, trips = [], [], [], []
    for i in range(a.pairs):
        trip = core_to_core(root)
        one = images_per_second(root, 1, a.images, a.warmup, a.model)
        two = images_per_second(root, 2, a.images, a.warmup, a.model)
        ones.append(one)
        twos.append(two)
        ratios.append(two / one)
        trips.append(trip)
        print("pair %d: %d images/s on 1 thread, %d on 2 (%.2fx); core-to-core round trip before it: %s"
              % (i + 1, one, two, two / one, "%d ns" % trip if trip else "not measured"), flush=True)
    print("median of %d pairs: %.0f and %.0f images/s, ratio %.2fx (%.2f-%.2f; %d at 1.7x or more)"
          % (len(ratios), statistics.median(ones), statistics.median(twos), statistics.median(ratios), min(ratios),
             max(ratios), sum(r >= 1.7 for r in ratios)))
    near = [r for r, t in zip(ratios, trips) if t is not None and t < 200]
    far = [r for r, t in zip(ratios, trips) if t is not None and t >= 200]
    if near and far:
        print("pairs after a round trip under 200 ns: %d, median %.2fx; 200 ns or more: %d, median %.2fx"
              % (len(near), statistics.median(near), len(far), statistics.median(far)))


if __name__ == "__main__":
    main()
