#!/usr/bin/env python3
"""PyTorch's side of the other models' training comparison in docs/BENCHMARKS.md: simplenet-bn, vgg-small or
resnet20 (the PyTorch definitions the checkpoint tests load our weights into: simpletorch-core/src/test/python/
make_layer_fixtures.py), trained on CIFAR-shaped random images with cross-entropy and plain SGD (lr 0.01), batch 32,
shuffled, timed after a warm-up of a few steps. Run with Debian's python3-torch:

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 benchmarks/pytorch_models.py --model resnet20 --images 6400

Its counterpart: ./simpletorch train --model resnet20 --dataset fake --train-limit 6400 (the epoch's images/s).
Prints the images per second of the timed steps.
"""
import argparse, os, sys, time
import torch, torch.nn as nn, torch.optim as optim

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "simpletorch-core", "src", "test",
                                "python"))
from make_layer_fixtures import MODELS  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=sorted(MODELS), default="resnet20")
    p.add_argument("--images", type=int, default=6400, help="images timed (whole batches)")
    p.add_argument("--warmup", type=int, default=5, help="steps run first and not timed")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    torch.manual_seed(42)
    torch.set_num_threads(a.threads)
    model = MODELS[a.model](3, 32, 32, 10)
    model.train()
    g = torch.Generator().manual_seed(0)
    steps = max(1, a.images // a.batch_size)
    x = torch.rand(steps * a.batch_size, 3, 32, 32, generator=g) * 2 - 1
    y = torch.randint(0, 10, (steps * a.batch_size,), generator=g)
    crit, opt = nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.01)

    def step(i):
        xb, yb = x[i * a.batch_size:(i + 1) * a.batch_size], y[i * a.batch_size:(i + 1) * a.batch_size]
        opt.zero_grad()
        loss = crit(model(xb), yb)
        loss.backward()
        opt.step()
        return loss.item()

    for i in range(min(a.warmup, steps)):
        step(i)
    order = torch.randperm(steps, generator=g).tolist()
    t = time.perf_counter()
    for i in order:
        step(i)
    seconds = time.perf_counter() - t
    print("%s: %d images in %.2f s, %.0f images/s (torch %s, %d threads)"
          % (a.model, steps * a.batch_size, seconds, steps * a.batch_size / seconds, torch.__version__, a.threads))


if __name__ == "__main__":
    main()
