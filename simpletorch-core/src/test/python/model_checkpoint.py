#!/usr/bin/env python3
"""Loads a state dict that SimpleTorch (Java) wrote for one of its models into the same architecture written in
PyTorch (make_layer_fixtures.py) with load_state_dict(strict=True), runs it in evaluation mode on the input stored
in a second file, and writes the logits and every num_batches_tracked buffer as PyTorch holds it (int64).

Usage: /usr/bin/python3 model_checkpoint.py MODEL CHECKPOINT INPUT OUTPUT
  MODEL       simplenet-bn, vgg-small or resnet20 (simpletorch.models.Models' names)
  CHECKPOINT  safetensors state dict written by SimpleTorch (all F32, num_batches_tracked included)
  INPUT       safetensors file with one tensor "input" [N, C, H, W]
  OUTPUT      safetensors file to write: "logits" [N, classes] and "<name>.num_batches_tracked" (I64)

Exits with status 3 when torch cannot be imported, so that the calling test can skip.
"""
import sys

try:
    import torch
except Exception as e:  # noqa: BLE001 - any import failure means "no torch here"
    print("torch unavailable: %s" % e, file=sys.stderr)
    sys.exit(3)

from make_layer_fixtures import MODELS
from make_pytorch_fixtures import write_safetensors
from safetensors_interop import read_safetensors


def main():
    name, checkpoint, input_file, output_file = sys.argv[1:5]
    state, _ = read_safetensors(checkpoint)
    x = read_safetensors(input_file)[0]["input"]
    classes = next(v.shape[0] for k, v in reversed(list(state.items())) if k.endswith("bias"))
    model = MODELS[name](x.shape[1], x.shape[2], x.shape[3], classes)
    model.load_state_dict(state, strict=True)  # copies F32 num_batches_tracked into the int64 buffers
    model.eval()
    with torch.no_grad():
        logits = model(x)
    out = {"logits": logits}
    for k, v in model.state_dict().items():
        if k.endswith("num_batches_tracked"):
            assert v.dtype == torch.int64, (k, v.dtype)
            out[k] = v.clone()
    write_safetensors(output_file, out, {"torch_version": torch.__version__})


if __name__ == "__main__":
    main()
