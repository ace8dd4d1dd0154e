#!/usr/bin/env python3
"""safetensors interop between SimpleTorch (Java) and PyTorch, without the `safetensors` package.

Plain struct + json + torch, following https://github.com/huggingface/safetensors:
8-byte little-endian header length N, N bytes of JSON padded with spaces to a multiple of 8, then the data.

Usage: safetensors_interop.py JAVA_WRITTEN_FILE PYTHON_OUTPUT_FILE

1. Reads JAVA_WRITTEN_FILE into a state dict, loads it into Net with load_state_dict(strict=True) and reports
   the loaded values, the metadata, and Net's layers applied to fixed inputs.
2. Writes PYTHON_OUTPUT_FILE from the state dict of a seeded model with BatchNorm (num_batches_tracked is I64)
   plus tensors in F64, F16, BF16, I32 and I64, and reports their values as torch converts them to float32.

Prints one JSON object on stdout. Exits with status 3 when torch cannot be imported, so the caller can skip.
"""
import ctypes
import json
import struct
import sys

try:
    import torch
except Exception as e:  # noqa: BLE001 - any import failure means "no torch here"
    print("torch unavailable: %s" % e, file=sys.stderr)
    sys.exit(3)

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", None) or {}
    buf = data[8 + n:]
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        if begin == end:  # torch.frombuffer refuses an empty buffer
            tensors[name] = torch.empty(info["shape"], dtype=dtype)
        else:
            tensors[name] = torch.frombuffer(bytearray(buf[begin:end]), dtype=dtype).reshape(info["shape"])
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    assert sys.byteorder == "little", "this writer copies native bytes"
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    chunks = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        nbytes = t.numel() * t.element_size()
        chunks.append(ctypes.string_at(t.data_ptr(), nbytes) if nbytes else b"")
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    # json.dumps escapes non-ASCII as \uXXXX (surrogate pairs for emoji), which the Java parser must decode.
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for c in chunks:
            f.write(c)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, kernel_size=2)
        self.fc = torch.nn.Linear(3, 2)


def flat(t):
    return t.detach().float().flatten().tolist()


def main(java_file, python_file):
    report = {}

    # 1. Java -> PyTorch
    state, metadata = read_safetensors(java_file)
    net = Net()
    net.load_state_dict(state, strict=True)  # raises on a missing, unexpected or mis-shaped key
    with torch.no_grad():
        x = torch.arange(9, dtype=torch.float32).reshape(1, 1, 3, 3)
        report["read"] = {
            "metadata": metadata,
            "state": {k: {"shape": list(v.shape), "values": flat(v)} for k, v in net.state_dict().items()},
            "conv_out": flat(net.conv(x)),          # [1, 2, 2, 2] for x = arange(9) as [1, 1, 3, 3]
            "fc_out": flat(net.fc(torch.tensor([1.0, 2.0, 3.0]))),
        }

    # 2. PyTorch -> Java
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(), torch.nn.Linear(8, 3))
    model.train()
    model(torch.randn(4, 1, 4, 4))  # moves running_mean/var and sets num_batches_tracked to 1
    tensors = dict(model.state_dict())
    tensors["extra.f64"] = torch.tensor([1 / 3, -2.5, 1e-40], dtype=torch.float64)
    tensors["extra.f16"] = torch.tensor([0.1, -65504.0, 6e-8, 1.0], dtype=torch.float16)
    tensors["extra.bf16"] = torch.tensor([[0.1, -3.5], [1e30, 0.0]], dtype=torch.bfloat16)
    tensors["extra.i32"] = torch.tensor([[-7, 2 ** 31 - 1]], dtype=torch.int32)
    tensors["extra.i64"] = torch.tensor([2 ** 53 + 1, -1], dtype=torch.int64)
    tensors["extra.scalar"] = torch.tensor(2.5)
    tensors["extra.empty"] = torch.zeros(0, 3)
    metadata = {"format": "pt", "note": "h\u00e9llo \U0001F600"}
    write_safetensors(python_file, tensors, metadata)
    report["written"] = {
        "metadata": metadata,
        "state": {
            k: {
                "dtype": NAMES[v.dtype],
                "shape": list(v.shape),
                "values": flat(v),
                "exact": None if v.is_floating_point() else v.flatten().tolist(),
            }
            for k, v in tensors.items()
        },
    }

    # Our own reader must agree with what we wrote, or the check above proves nothing.
    back, back_meta = read_safetensors(python_file)
    assert back_meta == metadata
    for k, v in tensors.items():
        assert torch.equal(back[k], v), k

    print(json.dumps(report))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2])
