#!/usr/bin/python3
"""Writes the PyTorch reference fixtures for optimisers, learning-rate schedules and label smoothing.

Run from the repository root with Debian's python3-torch (usually /usr/bin/python3):

  /usr/bin/python3 simpletorch-core/src/test/python/make_optim_fixtures.py

It writes, into simpletorch-core/src/test/resources/fixtures/:

  adam_steps.safetensors      for each variant (prefix <variant>.): two parameters p0 [4, 3] and p1 [5], the
                              gradients fed at each of 6 steps (grad<k>.p0, grad<k>.p1), and the parameters after
                              each step (after<k>.p0, after<k>.p1). Variants: torch.optim.Adam / AdamW options below.
  schedules.safetensors       learning rates (and momenta) of torch.optim.lr_scheduler schedules, one entry per
                              step starting with the rate right after construction (lr.<name>, momentum.<name>).
  label_smoothing.safetensors logits [6, 5], targets, and for eps in 0.0, 0.1, 0.3: the loss of
                              F.cross_entropy(logits, targets, label_smoothing=eps) and d loss / d logits.

The safetensors writer is make_pytorch_fixtures.py's (an 8-byte header length, the JSON header padded with spaces,
little-endian data). Learning rates and momenta are Python floats (float64); they are stored as I64 bit patterns
(a float64 tensor viewed as int64), so the Java side compares the doubles exactly.
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_pytorch_fixtures import OUT_DIR, write_safetensors  # noqa: E402

COMMAND = "/usr/bin/python3 simpletorch-core/src/test/python/make_optim_fixtures.py"

ADAM_VARIANTS = {
    "adam": ("Adam", dict(lr=0.01)),
    "adam_wd": ("Adam", dict(lr=0.005, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    "adamw": ("AdamW", dict(lr=0.01)),
    "adamw_wd": ("AdamW", dict(lr=0.02, betas=(0.85, 0.95), eps=1e-7, weight_decay=0.3)),
}


def metadata(seed, what):
    return {"torch": torch.__version__, "command": COMMAND, "seed": seed, "what": what}


def doubles(values):
    """float64 values as their int64 bit patterns, so they survive a safetensors file exactly."""
    return torch.tensor(values, dtype=torch.float64).view(torch.int64)


def adam_fixture(seed=3, steps=6):
    torch.manual_seed(seed)
    tensors = {}
    for variant, (cls, options) in ADAM_VARIANTS.items():
        p0 = torch.randn(4, 3, requires_grad=True)
        p1 = torch.randn(5, requires_grad=True)
        tensors[f"{variant}.initial.p0"] = p0.detach().clone()
        tensors[f"{variant}.initial.p1"] = p1.detach().clone()
        opt = getattr(torch.optim, cls)([p0, p1], **options)
        for k in range(steps):
            # gradients of varied scale, some exactly zero, so eps and the bias correction matter
            g0 = torch.randn(4, 3) * (10.0 ** (k % 3 - 1))
            g1 = torch.randn(5)
            g1[k % 5] = 0.0
            p0.grad, p1.grad = g0.clone(), g1.clone()
            opt.step()
            tensors[f"{variant}.grad{k}.p0"] = g0
            tensors[f"{variant}.grad{k}.p1"] = g1
            tensors[f"{variant}.after{k}.p0"] = p0.detach().clone()
            tensors[f"{variant}.after{k}.p1"] = p1.detach().clone()
    write_safetensors(os.path.join(OUT_DIR, "adam_steps.safetensors"), tensors,
                      metadata(seed, f"{steps} steps of torch.optim Adam/AdamW with fed gradients; variants "
                               + json.dumps(ADAM_VARIANTS)))


def record(name, optimizer, scheduler, steps, tensors, momentum_key=None):
    lrs, moms = [], []
    for _ in range(steps):
        group = optimizer.param_groups[0]
        lrs.append(group["lr"])
        if momentum_key == "betas":
            moms.append(group["betas"][0])
        elif momentum_key:
            moms.append(group[momentum_key])
        optimizer.step()
        scheduler.step()
    tensors["lr." + name] = doubles(lrs)
    if momentum_key:
        tensors["momentum." + name] = doubles(moms)


def hf_cosine(warmup, total):
    """Hugging Face's get_cosine_schedule_with_warmup lambda."""
    def f(t):
        if t < warmup:
            return t / max(1, warmup)
        progress = (t - warmup) / max(1, total - warmup)
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))
    return f


def schedules_fixture():
    sched = torch.optim.lr_scheduler
    tensors = {}
    p = [torch.zeros(1, requires_grad=True)]

    opt = torch.optim.SGD(p, lr=0.1)
    record("step_3_0.5", opt, sched.StepLR(opt, step_size=3, gamma=0.5), 12, tensors)
    opt = torch.optim.SGD(p, lr=0.05)
    record("step_1_0.9", opt, sched.StepLR(opt, step_size=1, gamma=0.9), 30, tensors)
    opt = torch.optim.SGD(p, lr=0.1)
    record("cosine_annealing_10", opt, sched.CosineAnnealingLR(opt, T_max=10), 11, tensors)
    opt = torch.optim.SGD(p, lr=0.1)
    record("hf_cosine_3_12", opt, sched.LambdaLR(opt, hf_cosine(3, 12)), 13, tensors)
    opt = torch.optim.SGD(p, lr=0.01, momentum=0.9)
    record("onecycle_sgd_0.1_20", opt, sched.OneCycleLR(opt, max_lr=0.1, total_steps=20), 20, tensors, "momentum")
    opt = torch.optim.Adam(p, lr=0.001)
    record("onecycle_adam_0.003_37", opt, sched.OneCycleLR(opt, max_lr=0.003, total_steps=37), 37, tensors, "betas")
    opt = torch.optim.SGD(p, lr=0.01)
    record("onecycle_sgd_nomom_0.5_7", opt, sched.OneCycleLR(opt, max_lr=0.5, total_steps=7, cycle_momentum=False),
           7, tensors)
    write_safetensors(os.path.join(OUT_DIR, "schedules.safetensors"), tensors,
                      metadata(0, "learning rates (float64 bit patterns as I64) from construction on, one per step"))


def label_smoothing_fixture(seed=5):
    torch.manual_seed(seed)
    logits = torch.randn(6, 5) * 3
    targets = torch.tensor([0, 4, 2, 2, 1, 3])
    tensors = {"logits": logits.clone(), "targets": targets}
    for eps in (0.0, 0.1, 0.3):
        x = logits.clone().requires_grad_(True)
        loss = F.cross_entropy(x, targets, label_smoothing=eps)
        loss.backward()
        tensors[f"eps{eps}.loss"] = loss.detach().reshape(1)
        tensors[f"eps{eps}.grad"] = x.grad.clone()
    write_safetensors(os.path.join(OUT_DIR, "label_smoothing.safetensors"), tensors,
                      metadata(seed, "F.cross_entropy with label_smoothing 0.0, 0.1, 0.3: loss and grad"))


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    adam_fixture()
    schedules_fixture()
    label_smoothing_fixture()


if __name__ == "__main__":
    main()
