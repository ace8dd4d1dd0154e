#!/usr/bin/python3
"""Writes the PyTorch reference fixtures for the layers and models of issue 6 (BatchNorm, Dropout, LeakyReLU,
GELU, SiLU, AvgPool2d, AdaptiveAvgPool2d, residual blocks; simplenet-bn, vgg-small, resnet20).

Run from the repository root with Debian's python3-torch (the python3 that has torch, usually /usr/bin/python3):

  /usr/bin/python3 simpletorch-core/src/test/python/make_layer_fixtures.py

It writes, into simpletorch-core/src/test/resources/fixtures/:

  layers.safetensors   per layer (prefix bn2d., bn1d., bn1d3., leaky_relu., gelu., silu., avg_pool.<i>.,
                       adaptive_avg_pool.<i>., dropout., dropout2d.): inputs, outputs and the gradients of
                       L = sum(out * r) for a fixed random r; BatchNorm over 3 training steps (step<k>.*: input,
                       r, out, grad.input, grad.weight, grad.bias, running_mean, running_var,
                       num_batches_tracked after the step), then one evaluation step (eval.*)
  models.safetensors   per model (prefix <model>.): the initial state dict (BatchNorm statistics and affine
                       parameters randomised so that evaluation is not the identity), one batch, the training-mode
                       logits, loss and gradients (Dropout put in eval mode: its mask is random), the buffers after
                       that forward pass (after.*) and the evaluation-mode logits computed afterwards. The metadata
                       holds every model's state-dict names and shapes for two input shapes (JSON).

Same safetensors writer and determinism rules as make_pytorch_fixtures.py (one thread, one seed per fixture).
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from make_pytorch_fixtures import write_safetensors, SimpleNet

OUT_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "fixtures"))
COMMAND = "/usr/bin/python3 simpletorch-core/src/test/python/make_layer_fixtures.py"


# ---- the architectures, exactly as simpletorch.models builds them ------------------------------------------------

class SimpleNetBN(nn.Module):
    """simplenet-bn: SimpleNet with BatchNorm after each (bias-free) conv and Dropout(0.25) before fc1."""

    def __init__(self, channels, height, width, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.pool = nn.MaxPool2d(2, 2)
        self.dropout = nn.Dropout(0.25)
        self.fc1 = nn.Linear(32 * (height // 4) * (width // 4), classes)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.bn2(self.conv2(x))))
        return self.fc1(self.dropout(torch.flatten(x, 1)))


class VggSmall(nn.Module):
    """vgg-small: 2 x ([conv3x3-BN-ReLU] x 2, maxpool) with 32 and 64 channels, global average pool, linear."""

    def __init__(self, channels, height, width, classes):
        super().__init__()
        layers, c = [], channels
        for out in (32, 64):
            layers += [nn.Conv2d(c, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(),
                       nn.Conv2d(out, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(),
                       nn.MaxPool2d(2, 2)]
            c = out
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(64, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class BasicBlock(nn.Module):
    """torchvision.models.resnet.BasicBlock with an option-B (1x1 conv + BN) shortcut where the shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class ResNet20(nn.Module):
    """The CIFAR ResNet-20 of He et al. 2015 (3 stages of 3 BasicBlocks, 16/32/64 channels), option-B shortcuts."""

    def __init__(self, channels, height, width, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = nn.Sequential(BasicBlock(16, 16, 1), BasicBlock(16, 16, 1), BasicBlock(16, 16, 1))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2), BasicBlock(32, 32, 1), BasicBlock(32, 32, 1))
        self.layer3 = nn.Sequential(BasicBlock(32, 64, 2), BasicBlock(64, 64, 1), BasicBlock(64, 64, 1))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class SimpleNetHWC(nn.Module):
    """simplenet with the (channels, height, width, classes) constructor of the others."""

    def __init__(self, channels, height, width, classes):
        super().__init__()
        assert height == width
        self.net = SimpleNet(channels, height, classes)

    def state_dict(self, *args, **kwargs):
        return self.net.state_dict(*args, **kwargs)

    def load_state_dict(self, *args, **kwargs):
        return self.net.load_state_dict(*args, **kwargs)

    def forward(self, x):
        return self.net(x)


MODELS = {"simplenet": SimpleNetHWC, "simplenet-bn": SimpleNetBN, "vgg-small": VggSmall, "resnet20": ResNet20}


def metadata(seed, what, **extra):
    m = {"torch_version": torch.__version__, "command": COMMAND, "seed": seed, "description": what}
    m.update(extra)
    return m


# ---- layers ---------------------------------------------------------------------------------------------------------

def forward_backward(prefix, out_tensors, fn, x, **inputs):
    """Runs out = fn(x), L = sum(out * r); records input, r, out, grad.input (and grads of named inputs)."""
    x = x.clone().requires_grad_(True)
    out = fn(x)
    r = torch.randn_like(out)
    (out * r).sum().backward()
    out_tensors[prefix + "input"] = x.detach().clone()
    out_tensors[prefix + "r"] = r
    out_tensors[prefix + "out"] = out.detach().clone()
    out_tensors[prefix + "grad.input"] = x.grad.clone()
    for name, t in inputs.items():
        out_tensors[prefix + "grad." + name] = t.grad.clone()
        t.grad = None


def batch_norm_fixture(t, prefix, bn, shape):
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
    t[prefix + "weight"] = bn.weight.detach().clone()
    t[prefix + "bias"] = bn.bias.detach().clone()
    bn.train()
    for step in range(3):
        x = torch.randn(*shape) * (1 + step) + 0.5 * step
        forward_backward(f"{prefix}step{step}.", t, bn, x, weight=bn.weight, bias=bn.bias)
        t[f"{prefix}step{step}.running_mean"] = bn.running_mean.clone()
        t[f"{prefix}step{step}.running_var"] = bn.running_var.clone()
        t[f"{prefix}step{step}.num_batches_tracked"] = bn.num_batches_tracked.clone()
    bn.eval()
    forward_backward(prefix + "eval.", t, bn, torch.randn(*shape) * 2 + 1, weight=bn.weight, bias=bn.bias)


def layers_fixture(filename, seed):
    torch.manual_seed(seed)
    t = {}
    batch_norm_fixture(t, "bn2d.", nn.BatchNorm2d(3), (4, 3, 5, 5))
    batch_norm_fixture(t, "bn1d.", nn.BatchNorm1d(4), (8, 4))
    batch_norm_fixture(t, "bn1d3.", nn.BatchNorm1d(3), (4, 3, 6))

    x = torch.cat([torch.linspace(-8, 8, 161), torch.randn(200) * 3, torch.zeros(3)]).reshape(4, 91)
    forward_backward("leaky_relu.", t, lambda v: F.leaky_relu(v, 0.2), x)
    forward_backward("gelu.", t, F.gelu, x)
    forward_backward("silu.", t, F.silu, x)

    for i, (shape, k, s, p) in enumerate([((2, 3, 7, 6), 3, 2, 1), ((2, 3, 8, 8), 2, 2, 0), ((1, 2, 9, 7), 3, 1, 1)]):
        t[f"avg_pool.{i}.config"] = torch.tensor([k, s, p], dtype=torch.int64)
        forward_backward(f"avg_pool.{i}.", t, lambda v: F.avg_pool2d(v, k, s, p), torch.randn(*shape))
    for i, (shape, size) in enumerate([((2, 3, 7, 5), (1, 1)), ((2, 3, 7, 5), (3, 2)), ((1, 2, 10, 9), (4, 4)),
                                       ((2, 4, 8, 8), (1, 1))]):
        t[f"adaptive_avg_pool.{i}.size"] = torch.tensor(size, dtype=torch.int64)
        forward_backward(f"adaptive_avg_pool.{i}.", t, lambda v: F.adaptive_avg_pool2d(v, size), torch.randn(*shape))

    # Dropout's masks are random: record what PyTorch's look like (values, scale, rate), not a mask to match.
    forward_backward("dropout.", t, lambda v: F.dropout(v, 0.3, training=True), torch.ones(50, 100))
    forward_backward("dropout2d.", t, lambda v: F.dropout2d(v, 0.3, training=True), torch.ones(20, 50, 3, 3))
    write_safetensors(os.path.join(OUT_DIR, filename), t, metadata(seed,
        "issue-6 layers against torch.nn.functional; see make_layer_fixtures.py for each layer's configuration. "
        "prefix.input, prefix.r, prefix.out, prefix.grad.input (and grad.weight, grad.bias): out = layer(input), "
        "grads of sum(out * r). BatchNorm: weight U(0.5, 1.5), bias U(-0.5, 0.5); step<k> in training mode, "
        "the buffers after that step; eval.* in evaluation mode after the three steps. leaky_relu slope 0.2. "
        "avg_pool.<i>.config = [kernel, stride, padding]; adaptive_avg_pool.<i>.size = [OH, OW]. dropout p = 0.3 "
        "(dropout2d: per [3, 3] plane) on ones"))


# ---- models ----------------------------------------------------------------------------------------------------------

def randomise_batch_norms(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
                m.running_mean.uniform_(-0.3, 0.3)
                m.running_var.uniform_(0.5, 2.0)
                m.num_batches_tracked.fill_(7)


def model_case(t, name, shape, batch, seed):
    c, h, w = shape
    torch.manual_seed(seed)
    model = MODELS[name](c, h, w, 10)
    randomise_batch_norms(model)
    prefix = name + "."
    for k, v in model.state_dict().items():
        t[prefix + "init." + k] = v.detach().clone()
    x = torch.randn(batch, c, h, w)
    y = torch.randint(0, 10, (batch,))
    t[prefix + "input"] = x.clone()
    t[prefix + "target"] = y.clone()
    model.train()
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.eval()  # its mask is random; the Java test puts its Dropout in eval mode too
    xg = x.clone().requires_grad_(True)
    logits = model(xg)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    t[prefix + "train.logits"] = logits.detach().clone()
    t[prefix + "train.loss"] = loss.detach().clone()
    for k, p in model.named_parameters():
        t[prefix + "grad." + k] = p.grad.clone()
    t[prefix + "grad.input"] = xg.grad.clone()
    for k, b in model.named_buffers():
        t[prefix + "after." + k] = b.clone()
    model.eval()
    with torch.no_grad():
        t[prefix + "eval.logits"] = model(x).clone()


def state_dict_shapes():
    out = {}
    for name, cls in MODELS.items():
        for shape in ((1, 28, 28), (3, 32, 32)):
            model = cls(*shape, 10)
            out[f"{name}@{shape[0]}x{shape[1]}x{shape[2]}"] = {
                "state_dict": [[k, list(v.shape)] for k, v in model.state_dict().items()],
                "parameters": sum(p.numel() for p in model.parameters()),
            }
    return out


CASES = [("simplenet-bn", (1, 28, 28), 4, 10), ("vgg-small", (3, 32, 32), 3, 11), ("resnet20", (3, 32, 32), 2, 12)]


def models_fixture(filename):
    t = {}
    for name, shape, batch, seed in CASES:
        model_case(t, name, shape, batch, seed)
    write_safetensors(os.path.join(OUT_DIR, filename), t, metadata(
        ",".join(str(c[3]) for c in CASES),
        "For each case (model, input shape, batch, seed) in " + json.dumps(CASES) + ": manual_seed(seed); "
        "model(channels, height, width, 10); every BatchNorm2d gets weight U(0.5, 1.5), bias U(-0.3, 0.3), "
        "running_mean U(-0.3, 0.3), running_var U(0.5, 2), num_batches_tracked 7 (<model>.init.*); input = "
        "randn(batch, C, H, W), target = randint(0, 10, (batch,)); training mode with Dropout in eval mode: "
        "train.logits, train.loss = cross_entropy, grad.* after backward, after.* = buffers after that forward; "
        "then eval mode: eval.logits on the same input",
        state_dicts=json.dumps(state_dict_shapes())))


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    layers_fixture("layers.safetensors", seed=6)
    models_fixture("models.safetensors")


if __name__ == "__main__":
    main()
