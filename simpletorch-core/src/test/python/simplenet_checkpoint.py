#!/usr/bin/env python3
"""Loads a SimpleNet checkpoint that SimpleTorch (Java) wrote into the PyTorch SimpleNet with
load_state_dict(strict=True), runs it on the input stored in a second file, and writes the logits.

Usage: /usr/bin/python3 simplenet_checkpoint.py CHECKPOINT INPUT OUTPUT
  CHECKPOINT  safetensors state dict (conv1.weight, ..., fc1.bias) written by SimpleTorch
  INPUT       safetensors file with one tensor "input" [N, C, H, W]
  OUTPUT      safetensors file to write with one tensor "logits" [N, classes]

Exits with status 3 when torch cannot be imported, so that the calling test can skip.
"""
import sys

try:
    import torch
except Exception as e:  # noqa: BLE001 - any import failure means "no torch here"
    print("torch unavailable: %s" % e, file=sys.stderr)
    sys.exit(3)

from make_pytorch_fixtures import SimpleNet, write_safetensors
from safetensors_interop import read_safetensors


def main():
    checkpoint, input_file, output_file = sys.argv[1:4]
    state, _ = read_safetensors(checkpoint)
    x = read_safetensors(input_file)[0]["input"]
    channels, size = x.shape[1], x.shape[2]
    classes = state["fc1.bias"].shape[0]
    model = SimpleNet(channels, size, classes)
    model.load_state_dict(state, strict=True)  # raises on any missing, unexpected or mis-shaped tensor
    model.eval()
    with torch.no_grad():
        logits = model(x)
    write_safetensors(output_file, {"logits": logits}, {"torch_version": torch.__version__})


if __name__ == "__main__":
    main()
