#!/usr/bin/python3
"""Writes the PyTorch reference fixtures that SimpleTorch's agreement tests compare against.

Run from the repository root with Debian's python3-torch (the python3 that has torch, usually /usr/bin/python3):

  /usr/bin/python3 simpletorch-core/src/test/python/make_pytorch_fixtures.py

It writes, into simpletorch-core/src/test/resources/fixtures/:

  simplenet_cifar.safetensors    SimpleNet(3, 32, 32): seeded default init, one batch of 4, logits, loss, every
                                 parameter gradient (grad.<name>) and the input gradient (grad.input)
  simplenet_mnist.safetensors    the same for SimpleNet(1, 28, 28) and a batch of 3
  simplenet_ties.safetensors     the same with inputs that tie inside max-pool windows (constant, blocky)
  sgd_steps.safetensors          5 SGD steps on 5 fixed batches for four option sets (prefixes plain., momentum.,
                                 nesterov_wd., dampening.): the loss of every step, the weights after step 1
                                 and after step 5
  fashion_mnist_steps.safetensors  100 steps of the tutorial's loop on the first 3,200 Fashion-MNIST training
                                 images in order (batch 32, SGD lr 0.01, x/255 then (x-0.5)/0.5): initial weights,
                                 the labels seen, all 100 losses, the final weights

The files are safetensors (https://github.com/huggingface/safetensors) written by hand with struct and json, so
no `safetensors` package is needed: an 8-byte little-endian header length, the JSON header padded with spaces to
a multiple of 8, then the little-endian tensor bytes. Floats are F32, class indices I64. Each file's
__metadata__ records the torch version, the command and the seed.

Everything is deterministic: one seed per fixture (torch.manual_seed) and one thread, so re-running the script
reproduces the files byte for byte on the same torch build.
"""
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "fixtures"))
FASHION_DIR = "/usr/share/datasets/fashion-mnist"
COMMAND = "/usr/bin/python3 simpletorch-core/src/test/python/make_pytorch_fixtures.py"


class SimpleNet(nn.Module):
    """Exactly /work/shared/peers/pytorch_simplenet.py's model: its state dict names are SimpleTorch's."""

    def __init__(self, channels=3, size=32, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * (size // 4) * (size // 4), classes)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc1(x.view(x.size(0), -1))


# ---- safetensors writer ----------------------------------------------------------------------------------------

_DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}


def write_safetensors(path, tensors, metadata):
    """tensors: name -> torch tensor (float32 or int64), written in the dict's order; metadata: str -> str."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        dtype, np_dtype = _DTYPES[t.dtype]
        data = t.numpy().astype(np_dtype, copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # the format pads the header with spaces so the data is 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)
    print(f"wrote {path}: {len(tensors)} tensors, {os.path.getsize(path):,} bytes")


def metadata(seed, what):
    return {"torch_version": torch.__version__, "command": COMMAND, "seed": seed, "description": what}


def state(model, prefix=""):
    return {prefix + k: v.detach().clone() for k, v in model.state_dict().items()}


# ---- a, b: one forward and backward ------------------------------------------------------------------------------

def tied_inputs(batch, channels, size):
    """Inputs with exact ties inside the 2x2 pooling windows, where max-pool's choice of the first maximum
    decides which input gets the gradient: constant images, and images of values in {-1, 0, 1} in 2x2 blocks."""
    x = torch.randint(-1, 2, (batch, channels, size // 2, size // 2)).float()
    x = x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    x[0] = 0.5
    return x


def forward_backward_fixture(filename, seed, channels, size, batch, inputs="randn"):
    torch.manual_seed(seed)
    model = SimpleNet(channels, size)
    x = torch.randn(batch, channels, size, size) if inputs == "randn" else tied_inputs(batch, channels, size)
    y = torch.randint(0, 10, (batch,))
    tensors = state(model)
    tensors["input"] = x.clone()
    tensors["target"] = y.clone()
    x.requires_grad_(True)
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    tensors["logits"] = logits.detach().clone()
    tensors["loss"] = loss.detach().clone()  # 0-d
    for name, p in model.named_parameters():
        tensors["grad." + name] = p.grad.clone()
    tensors["grad.input"] = x.grad.clone()
    input_desc = (f"randn({batch}, {channels}, {size}, {size})" if inputs == "randn" else
                  "tied_inputs() (see the script): constant and 2x2-blocky images, for max-pool ties")
    write_safetensors(os.path.join(OUT_DIR, filename), tensors, metadata(seed,
        f"SimpleNet({channels}, {size}, {size}) with torch default init after manual_seed({seed}); "
        f"input = {input_desc}, target = randint(0, 10, ({batch},)) drawn next; "
        "loss = cross_entropy(model(input), target), mean reduction; grad.* after loss.backward()"))


# ---- c: SGD variants ----------------------------------------------------------------------------------------------

SGD_VARIANTS = {
    "plain": dict(lr=0.01),
    "momentum": dict(lr=0.01, momentum=0.9),
    "nesterov_wd": dict(lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True),
    "dampening": dict(lr=0.01, momentum=0.9, dampening=0.1),
}


def sgd_fixture(filename, seed, steps=5, batch=4):
    torch.manual_seed(seed)
    init = SimpleNet(1, 28)
    xs = torch.randn(steps, batch, 1, 28, 28)
    ys = torch.randint(0, 10, (steps, batch))
    tensors = state(init)
    tensors["inputs"] = xs.clone()
    tensors["targets"] = ys.clone()
    for variant, options in SGD_VARIANTS.items():
        model = SimpleNet(1, 28)
        model.load_state_dict(init.state_dict())
        opt = torch.optim.SGD(model.parameters(), **options)
        losses = []
        for step in range(steps):
            opt.zero_grad()
            loss = F.cross_entropy(model(xs[step]), ys[step])
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if step == 0:
                tensors.update(state(model, f"{variant}.step1."))
        tensors[f"{variant}.losses"] = torch.tensor(losses, dtype=torch.float32)
        tensors.update(state(model, f"{variant}.final."))
    write_safetensors(os.path.join(OUT_DIR, filename), tensors, metadata(seed,
        f"SimpleNet(1, 28, 28) after manual_seed({seed}); inputs = randn({steps}, {batch}, 1, 28, 28), "
        f"targets = randint(0, 10, ({steps}, {batch})); for each variant, from the same initial weights, step k "
        "uses inputs[k], targets[k]: zero_grad, cross_entropy, backward, step. <variant>.losses[k] is the loss "
        "computed before step k's update; <variant>.step1.* and <variant>.final.* are the weights after the first "
        "and the last update. Variants (torch.optim.SGD options): " + json.dumps(SGD_VARIANTS)))


# ---- d: Fashion-MNIST, step for step --------------------------------------------------------------------------------

def read_idx(path):
    with gzip.open(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        dims = struct.unpack(">" + "I" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def fashion_fixture(filename, seed, images=3200, batch=32, lr=0.01):
    img = read_idx(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz"))[:images]
    lab = read_idx(os.path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz"))[:images]
    # The tutorial's transform, as pytorch_simplenet.py: ToTensor (x / 255) then Normalize(0.5, 0.5).
    x = torch.from_numpy(img.astype(np.float32) / np.float32(255.0)).unsqueeze(1)
    x = (x - 0.5) / 0.5
    y = torch.from_numpy(lab.astype(np.int64))
    torch.manual_seed(seed)
    model = SimpleNet(1, 28)
    tensors = state(model, "initial.")
    tensors["labels"] = y.clone()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for start in range(0, images, batch):  # in order, no shuffle
        opt.zero_grad()
        loss = F.cross_entropy(model(x[start:start + batch]), y[start:start + batch])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    tensors["losses"] = torch.tensor(losses, dtype=torch.float32)
    tensors.update(state(model, "final."))
    write_safetensors(os.path.join(OUT_DIR, filename), tensors, metadata(seed,
        f"SimpleNet(1, 28, 28) after manual_seed({seed}); the first {images} Fashion-MNIST training images "
        f"({FASHION_DIR}/train-*-ubyte.gz) in file order, no shuffle, batch {batch}, transform x/255 then "
        f"(x-0.5)/0.5, cross_entropy, SGD lr {lr}; losses[k] is the loss of batch k before its update; "
        "initial.* and final.* are the weights before the first and after the last update; labels are the "
        "labels read"))


def main():
    torch.set_num_threads(1)  # one thread: the same reductions in the same order on every run
    os.makedirs(OUT_DIR, exist_ok=True)
    forward_backward_fixture("simplenet_cifar.safetensors", seed=0, channels=3, size=32, batch=4)
    forward_backward_fixture("simplenet_mnist.safetensors", seed=1, channels=1, size=28, batch=3)
    forward_backward_fixture("simplenet_ties.safetensors", seed=3, channels=1, size=28, batch=3, inputs="ties")
    sgd_fixture("sgd_steps.safetensors", seed=2)
    if os.path.isdir(FASHION_DIR):
        fashion_fixture("fashion_mnist_steps.safetensors", seed=42)
    else:
        print(f"skipped fashion_mnist_steps.safetensors: {FASHION_DIR} not found", file=sys.stderr)


if __name__ == "__main__":
    main()
