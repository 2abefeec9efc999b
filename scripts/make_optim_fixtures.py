#!/usr/bin/python3
"""Writes the PyTorch-made optimizer trajectories that tests/test_optim.c replays.

Usage: /usr/bin/python3 scripts/make_optim_fixtures.py [--out DIR]
       (default DIR: tests/fixtures/optim next to this script's parent)

Needs torch (made with Debian's python3-torch 1.13) and numpy. Each case is
one float32 .npy of shape [11, 58]:
  row 0        the initial parameters
  rows 1-5     the gradients of steps 1-5
  rows 6-10    torch's parameters after steps 1-5
Columns 0-36 are tensor "0.weight" (weight decay applies), columns 37-57
tensor "1.weight" (no_decay: its own param group with weight_decay 0); the
sizes exercise both torch's vectorised loops and their scalar tails. The learning
rate of step k is lr * LR_FACTORS[k] (set on both groups before each step),
so the test also checks that al_optim_step uses the rate it is given.
Every optimizer runs with foreach=False, the single-tensor code actlab follows.

Cases (name: constructor), mirrored by the table in tests/test_optim.c:
"""
import argparse
import os

import numpy as np
import torch

LR_FACTORS = [1.0, 0.5, 0.25, 1.0, 2.0]
N_DECAY, N_NO_DECAY = 37, 21

CASES = [
    ("sgd_plain", torch.optim.SGD, dict(lr=0.1)),
    ("sgd_momentum_wd", torch.optim.SGD, dict(lr=0.05, momentum=0.9, weight_decay=0.01)),
    ("sgd_nesterov", torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    ("sgd_dampening", torch.optim.SGD, dict(lr=0.1, momentum=0.8, dampening=0.3)),
    ("adam", torch.optim.Adam, dict(lr=1e-2)),
    ("adam_wd", torch.optim.Adam, dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    ("adam_amsgrad", torch.optim.Adam, dict(lr=1e-2, amsgrad=True)),
    ("adamw", torch.optim.AdamW, dict(lr=1e-2, weight_decay=0.1)),
    ("rmsprop", torch.optim.RMSprop, dict(lr=1e-2)),
    ("rmsprop_centered", torch.optim.RMSprop, dict(lr=1e-2, alpha=0.9, centered=True)),
    ("rmsprop_momentum_wd", torch.optim.RMSprop,
     dict(lr=1e-2, momentum=0.9, centered=True, weight_decay=0.01, eps=1e-6)),
]
__doc__ += "".join("  %-20s %s(%s)\n" % (n, c.__name__, ", ".join("%s=%r" % kv for kv in kw.items()))
                   for n, c, kw in CASES)


def trajectory(cls, kwargs, init, grads):
    w = torch.tensor(init[:N_DECAY].copy(), requires_grad=True)
    s = torch.tensor(init[N_DECAY:].copy(), requires_grad=True)
    groups = [dict(params=[w]), dict(params=[s], weight_decay=0.0)]
    opt = cls(groups, foreach=False, **kwargs)
    rows = []
    for k, factor in enumerate(LR_FACTORS):
        for g in opt.param_groups:
            g["lr"] = kwargs["lr"] * factor
        w.grad = torch.tensor(grads[k, :N_DECAY].copy())
        s.grad = torch.tensor(grads[k, N_DECAY:].copy())
        opt.step()
        rows.append(np.concatenate([w.detach().numpy(), s.detach().numpy()]))
    return np.stack(rows)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "fixtures", "optim"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(20240613)
    n = N_DECAY + N_NO_DECAY
    init = rng.normal(0.0, 1.0, n).astype(np.float32)
    init[3] = 0.0
    # Gradients over several magnitudes, with an exact zero and sign changes.
    scales = np.resize([1.0, 0.1, 3.0, 1e-3, 0.5, 2.0, 1.0, 0.3, 1.0, 1e-2], n)
    grads = (rng.normal(0.0, 1.0, (len(LR_FACTORS), n)) * scales).astype(np.float32)
    grads[0, 1] = 0.0
    for name, cls, kwargs in CASES:
        after = trajectory(cls, kwargs, init, grads)
        table = np.concatenate([init[None, :], grads, after]).astype(np.float32)
        np.save(os.path.join(args.out, name + ".npy"), table)
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write("Made by scripts/make_optim_fixtures.py with torch %s.\n\n```\n%s```\n"
                % (torch.__version__, __doc__))


if __name__ == "__main__":
    main()
