#!/usr/bin/env python3
"""The tutorial's training epoch side by side with PyTorch: alternating pairs, and the ratio of each pair.

Runs `./simpletorch train --dataset fake` and then `../shared/peers/pytorch_simplenet.py --dataset fake --epochs 1`
(Debian's python3-torch, OPENBLAS_NUM_THREADS=1), N times, one after the other, and prints for each pair the epoch
times both print, the whole processes' times (start to exit, measured here for both) and the two ratios, then the
medians and how many pairs were at or under a quarter. The machine's speed drifts from minute to minute: only
alternating pairs compare. It builds first (`./simpletorch --version`), so that no pair times the launcher's build.
Each `train` writes its run directory under runs/, as it does when run by hand.
docs/BENCHMARKS.md quotes this script's output.

  python3 benchmarks/epoch_pairs.py 10                # from the repository root
  python3 benchmarks/epoch_pairs.py 10 --peer PATH    # the peer script elsewhere
"""
import argparse, os, re, statistics, subprocess, sys, time


def timed(cmd, cwd, env=None):
    t0 = time.time()
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.time() - t0
    if p.returncode != 0:
        sys.exit("%s failed (exit %d):\n%s" % (" ".join(cmd), p.returncode, p.stdout[-2000:]))
    return p.stdout, wall


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pairs", type=int, nargs="?", default=5)
    ap.add_argument("--peer", default=os.path.join(root, "..", "shared", "peers", "pytorch_simplenet.py"))
    ap.add_argument("--python", default="/usr/bin/python3", help="the python3 that has torch (Debian's)")
    a = ap.parse_args()
    if a.pairs < 1:
        ap.error("pairs must be at least 1, got %d" % a.pairs)
    if not os.path.isfile(a.peer):
        sys.exit("no PyTorch peer script at %s (pass --peer)" % a.peer)
    if not os.access(a.python, os.X_OK):
        sys.exit("no python3 at %s (pass --python: the one with Debian's python3-torch)" % a.python)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    timed(["./simpletorch", "--version"], root)  # builds first if sources changed, so that no pair times a build
    epochs, wholes = [], []
    for i in range(a.pairs):
        ours, ours_wall = timed(["./simpletorch", "train", "--dataset", "fake"], root)
        m = re.search(r"^Epoch \[1/1\].*\|\s*([\d.]+) s, (\d+) images/s", ours, re.M)
        size = re.search(r"^Dataset size: (\d+) images", ours, re.M)
        if not m or not size:
            sys.exit("no epoch line in ./simpletorch's output:\n" + ours[-2000:])
        theirs, theirs_wall = timed([a.python, a.peer, "--dataset", "fake", "--epochs", "1"],
                                    os.path.dirname(os.path.abspath(a.peer)), env)
        n = re.search(r"^epoch 1: ([\d.]+) s", theirs, re.M)
        if not n:
            sys.exit("no epoch line in the peer's output:\n" + theirs[-2000:])
        e, t = int(size.group(1)) / int(m.group(2)), float(n.group(1))  # the epoch to the ms, from images/s
        epochs.append(e / t)
        wholes.append(ours_wall / theirs_wall)
        print("pair %d: epoch %.2f s against %.2f s (%.3f); whole process %.2f s against %.2f s (%.3f)"
              % (i + 1, e, t, e / t, ours_wall, theirs_wall, ours_wall / theirs_wall), flush=True)
    print("median of %d pairs: epoch %.3f (%.3f-%.3f; %d at or under 0.25), whole process %.3f"
          % (len(epochs), statistics.median(epochs), min(epochs), max(epochs), sum(r <= 0.25 for r in epochs),
             statistics.median(wholes)))


if __name__ == "__main__":
    main()
