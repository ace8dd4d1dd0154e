#!/usr/bin/env python3
"""PyTorch's side of the inference comparison in docs/BENCHMARKS.md: the tutorial's SimpleNet (the model of
../shared/peers/pytorch_simplenet.py) in eval mode under torch.no_grad(), batch 256, on CIFAR-shaped random
images, timed after a warm-up. Run with Debian's python3-torch:

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 benchmarks/pytorch_inference.py --images 20000

Its counterpart: ./simpletorch bench --inference --images 20000
"""
import argparse, os, time
import torch, torch.nn as nn


class SimpleNet(nn.Module):
    def __init__(self, channels=3, size=32, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * (size // 4) * (size // 4), classes)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc1(x.view(x.size(0), -1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=20000)
    p.add_argument("--warmup", type=int, default=2560)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    torch.manual_seed(42)
    torch.set_num_threads(a.threads)
    model = SimpleNet().eval()
    x = torch.rand(a.batch_size, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        for _ in range(max(1, a.warmup // a.batch_size)):
            model(x)
        batches = (a.images + a.batch_size - 1) // a.batch_size
        t = time.perf_counter()
        for _ in range(batches):
            model(x)
        dt = time.perf_counter() - t
    n = batches * a.batch_size
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}: {n} images in {dt:.2f} s, "
          f"{n / dt:.0f} images/s")


if __name__ == "__main__":
    main()
