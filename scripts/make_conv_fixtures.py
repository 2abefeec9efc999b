#!/usr/bin/python3
"""Writes the PyTorch fixtures for the 2-D layers that tests/test_conv.c replays.

Usage: /usr/bin/python3 scripts/make_conv_fixtures.py [--out DIR]
       (default DIR: tests/fixtures/conv)

Needs torch (made with Debian's python3-torch 1.13) and numpy; files are
written by scripts/safetensors_roundtrip.py's writer.

For each case: torch.manual_seed(seed), the nn.Sequential the actlab spec
describes (evaluated with torch's own constructors, so the two cannot drift
apart), x = randn(BATCH, *shape), r = randn(output's shape); in train() mode
y = model(x), L = sum(y * r), L.backward(). DIR/<case>.safetensors holds the
model's state_dict before the pass under its own names ("0.weight"), x, r, y,
"grad.x" = dL/dx, "grad.<name>" = dL/d<param>, and "after.<name>" for every
buffer after the pass (BatchNorm's running statistics).

cases.txt, one case a line, fields separated by tabs: name, spec, the input
shape of one example ("3,7,6"), the batch size.
"""
import argparse
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_roundtrip import save  # noqa: E402

# name, seed, spec, one example's shape, batch
CASES = [
    ("conv_plain", 1, "Conv2d(3, 4, 3)", (3, 7, 6), 2),
    ("conv_stride_padding", 2, "Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 2))", (2, 9, 8), 3),
    ("conv_dilation", 3, "Conv2d(2, 3, 3, dilation=2, padding=1, bias=False)", (2, 9, 9), 2),
    ("conv_groups", 4, "Conv2d(4, 6, 3, groups=2, padding=1)", (4, 6, 5), 2),
    ("conv_depthwise", 5, "Conv2d(4, 8, kernel_size=3, stride=2, groups=4)", (4, 7, 7), 2),
    ("conv_wide", 6, "Conv2d(1, 32, 5, padding=2)", (1, 8, 8), 2),
    ("maxpool", 7, "Conv2d(2, 3, 1), MaxPool2d(2)", (2, 6, 7), 2),
    ("maxpool_padding_dilation", 8, "Conv2d(2, 2, 1), MaxPool2d(3, stride=2, padding=1, dilation=2)",
     (2, 9, 8), 2),
    ("maxpool_ceil", 9, "Conv2d(2, 2, 1), MaxPool2d(3, stride=2, ceil_mode=True)", (2, 8, 8), 2),
    ("avgpool", 10, "Conv2d(2, 2, 1), AvgPool2d(3, stride=2, padding=1)", (2, 7, 8), 2),
    ("avgpool_exclude_pad_ceil", 11,
     "Conv2d(2, 2, 1), AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)",
     (2, 8, 7), 2),
    ("adaptive_avgpool", 12, "Conv2d(2, 3, 1), AdaptiveAvgPool2d((3, 2))", (2, 7, 5), 2),
    ("global_avgpool", 13, "Conv2d(3, 3, 1), AdaptiveAvgPool2d(1), Flatten(), Linear(3, 2)", (3, 5, 5), 3),
    ("batchnorm2d", 14, "Conv2d(3, 3, 1, bias=False), BatchNorm2d(3)", (3, 4, 5), 4),
    ("batchnorm2d_options", 15, "Conv2d(3, 3, 1, bias=False), BatchNorm2d(3, eps=0.001, momentum=0.3, affine=False)",
     (3, 4, 5), 4),
    ("prelu_channels", 16, "Conv2d(2, 3, 3), PReLU(num_parameters=3)", (2, 5, 5), 2),
    ("activations_4d", 17, "Conv2d(2, 3, 3), ELU(alpha=0.5), Conv2d(3, 3, 1), GELU(), Conv2d(3, 2, 1), "
     "LeakyReLU(0.1), Conv2d(2, 2, 1), Tanh()", (2, 6, 6), 2),
    ("small_cnn", 18, "Conv2d(1, 4, 3, padding=1, bias=False), BatchNorm2d(4), PReLU(num_parameters=4), MaxPool2d(2), "
     "Conv2d(4, 6, 3), ReLU(), Flatten(), Linear(24, 5)", (1, 8, 8), 3),
]

MODULES = {name: getattr(nn, name) for name in
           ["Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d", "PReLU", "ELU", "GELU",
            "LeakyReLU", "Tanh", "ReLU", "Flatten", "Linear"]}


def build(spec):
    return nn.Sequential(*eval("[" + spec + "]", {"__builtins__": {}}, dict(MODULES)))


def run_case(out_dir, name, seed, spec, shape, batch):
    torch.manual_seed(seed)
    model = build(spec)
    tensors = {k: v.detach().clone() for k, v in model.state_dict().items()}
    x = torch.randn(batch, *shape, requires_grad=True)
    model.train()
    y = model(x)
    r = torch.randn(y.shape)
    (y * r).sum().backward()
    tensors["x"] = x.detach().clone()
    tensors["r"] = r
    tensors["y"] = y.detach().clone()
    tensors["grad.x"] = x.grad.detach().clone()
    for k, p in model.named_parameters():
        tensors["grad." + k] = p.grad.detach().clone()
    for k, b in model.named_buffers():
        tensors["after." + k] = b.detach().clone()
    save(os.path.join(out_dir, f"{name}.safetensors"), tensors)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "fixtures", "conv"))
    args = parser.parse_args()
    out_dir = os.path.normpath(args.out)
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    lines = ["# written by scripts/make_conv_fixtures.py; name<TAB>spec<TAB>shape<TAB>batch\n"]
    for name, seed, spec, shape, batch in CASES:
        run_case(out_dir, name, seed, spec, shape, batch)
        lines.append(f"{name}\t{spec}\t{','.join(str(d) for d in shape)}\t{batch}\n")
    with open(os.path.join(out_dir, "cases.txt"), "w") as f:
        f.writelines(lines)
    total = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
    print(f"wrote {len(CASES)} cases to {out_dir} ({total} bytes in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
