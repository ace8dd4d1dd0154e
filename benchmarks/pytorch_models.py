#!/usr/bin/env python3
"""PyTorch's side of the other models' training comparison in docs/BENCHMARKS.md: simplenet-bn, vgg-small or
resnet20 (the PyTorch definitions the checkpoint tests load our weights into: simpletorch-core/src/test/python/
make_layer_fixtures.py), trained on CIFAR-shaped random images with cross-entropy and plain SGD (lr 0.01), batch 32,
shuffled, timed after a warm-up of a few steps. Run with Debian's python3-torch:

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 benchmarks/pytorch_models.py --model resnet20 --images 6400

Its counterpart: ./simpletorch train --model resnet20 --dataset fake --train-limit 6400 (the epoch's images/s).
Prints the images per second of the timed steps, and GFLOPS by the accounting of docs/BENCHMARKS.md ("FLOP
accounting": the convolutions' and linear layers' products, forward and each gradient computed), counted here by
hooks on one batch, independently of SimpleTorch's profiler, which counts the same per image.
"""
import argparse, os, sys, time
import torch, torch.nn as nn, torch.optim as optim

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "simpletorch-core", "src", "test",
                                "python"))
from make_layer_fixtures import MODELS  # noqa: E402


def training_flops(model, xb):
    """FLOPs of one training step on batch xb: each Conv2d's and Linear's product (a multiply-add counts 2) for the
    forward pass, once more for the weight gradient, and once more for the input gradient where the input needs
    one (not the first layer's, whose input is the data)."""
    total = [0]

    def hook(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            k = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
            product = 2 * output.numel() * k
        else:
            product = 2 * output.numel() * module.in_features
        total[0] += product * (2 + (1 if inputs[0].requires_grad else 0))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    model(xb)
    for h in handles:
        h.remove()
    return total[0]


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
    images = steps * a.batch_size
    flops = training_flops(model, x[:a.batch_size]) / a.batch_size * images
    print("%s: %d images in %.2f s, %.0f images/s, %.1f GFLOPS (%.2f MFLOP per image) (torch %s, %d threads)"
          % (a.model, images, seconds, images / seconds, flops / seconds / 1e9, flops / images / 1e6,
             torch.__version__, a.threads))


if __name__ == "__main__":
    main()
