#!/usr/bin/python3
"""Writes the PyTorch training-parity fixtures that tests/test_parity.c replays.

Usage: /usr/bin/python3 scripts/make_parity_fixtures.py [--out DIR] [--data DIR]
       (default DIR: tests/fixtures/parity; data: /usr/share/datasets/fashion-mnist)

Needs torch (made with Debian's python3-torch 1.13) and numpy; the safetensors
files are written by scripts/safetensors_roundtrip.py's writer (no
`safetensors` package needed).

For each case: torch.manual_seed(seed), build the nn.Sequential the actlab
spec describes (the spec is evaluated with torch's own constructors, so the
two cannot drift apart), save its state_dict as <case>.init.safetensors, train
STEPS steps of BATCH rows in file order (batch k is rows [BATCH*k, BATCH*k +
BATCH) of the first ROWS Fashion-MNIST training images, cycling) with
nn.CrossEntropyLoss (mean) in train() mode, and save the state_dict as
<case>.final.safetensors. The images are not stored: the C test reads the
same ROWS images from the dataset itself (u8 / 255 in double, rounded to
float32, as actlab's IDX loader does).

actlab leaves PReLU slopes and BatchNorm weight and bias out of weight decay
by default, so torch gets two parameter groups: Linear and Conv2d weights and
biases with the case's weight_decay, everything else with weight_decay 0.
Models that start with a Conv2d see the images as [N, 1, 28, 28]. Every
optimizer runs with foreach=False (the single-tensor code actlab follows).

cases.txt, one case a line, fields separated by tabs:
  name  spec  optimizer  training
optimizer is "kind=sgd lr=0.1 momentum=0 ..." (every hyper-parameter the kind
uses, as key=value), training is "seed=S steps=STEPS batch=BATCH rows=ROWS".
"""
import argparse
import gzip
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_roundtrip import save  # noqa: E402

STEPS, BATCH, ROWS = 20, 32, 256
HIDDEN = 16  # 784 -> 16 -> 10 keeps all sixteen files under 1 MB together

MLP = f"Linear(784, {HIDDEN}), {{act}}, Linear({HIDDEN}, 10)"
# images [1, 28, 28] -> [4, 14, 14] -> [4, 7, 7] -> [8, 7, 7] -> [8, 3, 3]; no bias
# before BatchNorm (its gradient is float noise, which Adam would amplify)
CNN = ("Conv2d(1, 4, 3, stride=2, padding=1, bias=False), BatchNorm2d(4), PReLU(num_parameters=4), "
       "MaxPool2d(2), Conv2d(4, 8, 3, padding=1), ELU(), MaxPool2d(2), Flatten(), Linear(72, 10)")

# name, seed, spec, optimizer kind, optimizer options (torch names)
CASES = [
    ("sgd_relu", 1, MLP.format(act="ReLU()"), "sgd", dict(lr=0.1)),
    ("sgd_momentum_tanh", 2, MLP.format(act="Tanh()"), "sgd", dict(lr=0.05, momentum=0.9)),
    ("sgd_nesterov_elu", 3, MLP.format(act="ELU()"), "sgd",
     dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)),
    ("adam_gelu", 4, MLP.format(act="GELU()"), "adam", dict(lr=1e-3)),
    ("adam_prelu", 5, MLP.format(act="PReLU(num_parameters=1)"), "adam", dict(lr=1e-3)),
    ("sgd_momentum_prelu_channels", 6, MLP.format(act=f"PReLU(num_parameters={HIDDEN})"), "sgd",
     dict(lr=0.05, momentum=0.9, weight_decay=1e-3)),
    ("sgd_batchnorm_relu", 7,
     f"Linear(784, {HIDDEN}), BatchNorm1d({HIDDEN}), ReLU(), Linear({HIDDEN}, 10)", "sgd",
     dict(lr=0.1, momentum=0.9)),
    ("adamw_silu", 8, MLP.format(act="SiLU()"), "adamw", dict(lr=1e-3, weight_decay=0.01)),
    ("sgd_momentum_cnn", 9, CNN, "sgd", dict(lr=0.05, momentum=0.9, weight_decay=1e-4)),
    ("adam_cnn", 10, CNN, "adam", dict(lr=1e-3)),
]

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}

# the hyper-parameters written to cases.txt for each kind, with torch's defaults
KIND_FIELDS = {
    "sgd": dict(lr=None, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0),
    "adam": dict(lr=None, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False),
    "adamw": dict(lr=None, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2, amsgrad=False),
}

SPEC_MODULES = {name: getattr(nn, name) for name in
                ["Linear", "BatchNorm1d", "ReLU", "Tanh", "ELU", "GELU", "PReLU", "SiLU", "Conv2d", "BatchNorm2d",
                 "MaxPool2d", "Flatten"]}


def build(spec):
    return nn.Sequential(*eval("[" + spec + "]", {"__builtins__": {}}, dict(SPEC_MODULES)))


def read_idx_gz(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    assert raw[2] == 0x08, f"{path}: not unsigned bytes"
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_data(data_dir):
    images = read_idx_gz(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))[:ROWS]
    labels = read_idx_gz(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))[:ROWS]
    x = (images.reshape(ROWS, -1).astype(np.float64) / 255.0).astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64))


def make_optimizer(model, kind, options):
    decay, no_decay = [], []
    for module in model:
        target = decay if isinstance(module, (nn.Linear, nn.Conv2d)) else no_decay
        target.extend(module.parameters())
    groups = [dict(params=decay)]
    if no_decay:
        groups.append(dict(params=no_decay, weight_decay=0.0))
    return OPTIMIZERS[kind](groups, foreach=False, **options)


def optimizer_text(kind, options):
    fields = dict(KIND_FIELDS[kind])
    for key, value in options.items():
        assert key in fields, f"{kind}: {key} is not written to cases.txt"
        fields[key] = value
    parts = [f"kind={kind}"]
    for key, value in fields.items():
        if isinstance(value, bool):
            value = int(value)
        parts.append(f"{key}={value!r}")
    return " ".join(parts)


def run_case(out_dir, x, y, name, seed, spec, kind, options):
    torch.manual_seed(seed)
    model = build(spec)
    if isinstance(model[0], nn.Conv2d):
        x = x.view(-1, 1, 28, 28)  # the images' own shape, as actlab reads them
    save(os.path.join(out_dir, f"{name}.init.safetensors"), model.state_dict())
    opt = make_optimizer(model, kind, options)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    losses = []
    for step in range(STEPS):
        begin = (step * BATCH) % ROWS
        xb, yb = x[begin:begin + BATCH], y[begin:begin + BATCH]
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    save(os.path.join(out_dir, f"{name}.final.safetensors"), model.state_dict())
    print(f"{name}: loss {losses[0]:.4f} -> {losses[-1]:.4f}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "fixtures", "parity"))
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    out_dir = os.path.normpath(args.out)
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    x, y = load_data(args.data)
    lines = ["# written by scripts/make_parity_fixtures.py; "
             "name<TAB>spec<TAB>optimizer<TAB>training\n"]
    for name, seed, spec, kind, options in CASES:
        run_case(out_dir, x, y, name, seed, spec, kind, options)
        training = f"seed={seed} steps={STEPS} batch={BATCH} rows={ROWS}"
        lines.append(f"{name}\t{spec}\t{optimizer_text(kind, options)}\t{training}\n")
    with open(os.path.join(out_dir, "cases.txt"), "w") as f:
        f.writelines(lines)
    total = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
    print(f"wrote {len(CASES)} cases to {out_dir} ({total} bytes in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
