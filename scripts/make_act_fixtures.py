#!/usr/bin/python3
"""Writes PyTorch reference fixtures for actlab's activations.

Usage: /usr/bin/python3 scripts/make_act_fixtures.py [--out DIR] [--grid N] [--normal N]
       (default DIR: tests/fixtures/act next to this script's parent)

Needs torch (1.13) and numpy. Deterministic: every case draws its random
values from numpy's default_rng(SEED), so the grid and normal blocks are the
same in every case and do not depend on the order of the cases.

For each case it writes <name>.npy, float64 [6, n], rows:
  0 x     input (float32 values, widened exactly)
  1 dy    upstream gradient (float32 values; 1 on the special-values block)
  2 y32   torch forward in float32
  3 dx32  torch d(sum(y*dy))/dx in float32
  4 y64   torch forward in float64 (same x, dy, parameters widened)
  5 dx64  torch d(sum(y*dy))/dx in float64
PReLU cases also get <name>.w.npy, float64 [3, num_parameters]:
  rows w (float32 value), dw32, dw64 (d(sum(y*dy))/dw),
and <name>.w_clean.npy, same layout, computed with every entry of x that is
not finite or has |x| > 100 replaced by 0 (in .w.npy NaN/-inf/-1e30 swamp dw).
And cases.txt: name<TAB>spec<TAB>shape (comma-separated dims of x as fed to
torch; x is stored flattened in C order).
"""
import argparse
import copy
import os
import sys

# The kernels' results depend on ATen's CPU dispatch (vectorized transcendental
# functions differ by an ulp from the scalar ones). Pin AVX2, what torch 1.13
# picks by default on x86-64; an explicit ATEN_CPU_CAPABILITY wins.
os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")

import numpy as np
import torch

SEED = 20240613
GRID_N = 401          # linspace(-10, 10, GRID_N); --grid overrides
NORMAL_N = 200        # standard normal * 3; --normal overrides

# (name, spec, layout) -- layout: None for 1-D, else ("prelu", C, inner)
CASES = [
    # every activation at its defaults
    ("relu", "ReLU()", None),
    ("relu6", "ReLU6()", None),
    ("leaky_relu", "LeakyReLU()", None),
    ("prelu", "PReLU()", ("prelu", 3, 1)),
    ("rrelu", "RReLU()", None),
    ("elu", "ELU()", None),
    ("celu", "CELU()", None),
    ("selu", "SELU()", None),
    ("gelu", "GELU()", None),
    ("gelu_tanh", "GELU(approximate='tanh')", None),
    ("silu", "SiLU()", None),
    ("mish", "Mish()", None),
    ("softplus", "Softplus()", None),
    ("softsign", "Softsign()", None),
    ("tanh", "Tanh()", None),
    ("sigmoid", "Sigmoid()", None),
    ("hardtanh", "Hardtanh()", None),
    ("hardsigmoid", "Hardsigmoid()", None),
    ("hardswish", "Hardswish()", None),
    ("logsigmoid", "LogSigmoid()", None),
    ("tanhshrink", "Tanhshrink()", None),
    ("softshrink", "Softshrink()", None),
    ("hardshrink", "Hardshrink()", None),
    ("threshold_0.5_-2", "Threshold(threshold=0.5, value=-2.0)", None),
    ("identity", "Identity()", None),
    # non-default parameters
    ("leaky_relu_slope0.2", "LeakyReLU(negative_slope=0.2)", None),
    ("elu_alpha0.5", "ELU(alpha=0.5)", None),
    ("elu_alpha2", "ELU(alpha=2.0)", None),
    ("celu_alpha0.5", "CELU(alpha=0.5)", None),
    ("softplus_beta2_thr10", "Softplus(beta=2.0, threshold=10.0)", None),
    ("softplus_beta0.5", "Softplus(beta=0.5)", None),
    ("hardtanh_-2_3", "Hardtanh(min_val=-2.0, max_val=3.0)", None),
    ("softshrink_lambd1", "Softshrink(lambd=1.0)", None),
    ("hardshrink_lambd1.5", "Hardshrink(lambd=1.5)", None),
    ("rrelu_0.1_0.3", "RReLU(lower=0.1, upper=0.3)", None),
    ("threshold_-1_0", "Threshold(threshold=-1.0, value=0.0)", None),
    ("prelu_c3", "PReLU(num_parameters=3)", ("prelu", 3, 1)),
    ("prelu_c3_conv", "PReLU(num_parameters=3)", ("prelu", 3, 4)),
]

PRELU_W3 = [0.25, -0.1, 0.7]
PRELU_W1 = [0.25]

F32 = np.float32

SPECIAL = [0.0, -0.0, 1e-45, -1e-45, 1e-38, -1e-38, 1e-7, -1e-7,
           1e30, -1e30, np.inf, -np.inf, np.nan,
           88.7, -88.7, 89.0, -89.0, 100.0, -100.0, 20.0, -20.0,
           20.0001, -20.0001, 30.0, -30.0]


def kinks(m):
    """Kink locations (and Softplus's switch point) of module m."""
    t = type(m).__name__
    if t == "ReLU6":
        return [0.0, 6.0]
    if t == "Hardtanh":
        return [m.min_val, m.max_val]
    if t in ("Hardsigmoid", "Hardswish"):
        return [-3.0, 3.0]
    if t in ("Softshrink", "Hardshrink"):
        return [-m.lambd, 0.0, m.lambd]
    if t == "Threshold":
        return [m.threshold]
    if t == "Softplus":
        # not a kink, but the strict `beta*x > threshold` switch
        return [0.0, m.threshold / m.beta]
    return [0.0]


def dedup_bits(vals):
    """Drops exact duplicates (by bit pattern: keeps +0/-0, one NaN)."""
    out, seen = [], set()
    for v in vals:
        b = np.array(v, F32).view(np.uint32).item()
        if b not in seen:
            seen.add(b)
            out.append(F32(v))
    return out


def special_block(m):
    vals = [F32(v) for v in SPECIAL]
    for k in kinks(m):
        k = F32(k)
        vals += [k, np.nextafter(k, F32(-np.inf)), np.nextafter(k, F32(np.inf))]
    return np.array(dedup_bits(vals), dtype=F32)


def make_inputs(m, multiple, grid_n, normal_n):
    """x (float32) and dy (float32); n truncated to a multiple of `multiple`."""
    rng = np.random.default_rng(SEED)
    spec = special_block(m)
    grid = np.linspace(-10.0, 10.0, grid_n).astype(F32)
    normal = (rng.standard_normal(normal_n) * 3.0).astype(F32)
    x = np.concatenate([spec, grid, normal]).astype(F32)
    dy = rng.standard_normal(x.size).astype(F32)
    dy[: spec.size] = 1.0
    n = x.size - x.size % multiple
    assert n >= spec.size
    return x[:n], dy[:n]


def run_torch(m, x, dy, shape, dtype):
    m = copy.deepcopy(m).to(dtype)
    m.eval()
    xt = torch.from_numpy(x.reshape(shape)).to(dtype).requires_grad_(True)
    dyt = torch.from_numpy(dy.reshape(shape)).to(dtype)
    y = m(xt)
    params = [p for p in m.parameters()]
    grads = torch.autograd.grad(y, [xt] + params, dyt, allow_unused=True)
    dx = grads[0]
    if dx is None:
        dx = torch.zeros_like(xt)
    dw = grads[1].detach().reshape(-1).double().numpy() if params else None
    return (y.detach().reshape(-1).double().numpy(),
            dx.detach().reshape(-1).double().numpy(), dw)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "fixtures", "act"))
    ap.add_argument("--grid", type=int, default=GRID_N, help="grid points (default %(default)s)")
    ap.add_argument("--normal", type=int, default=NORMAL_N,
                    help="normal samples (default %(default)s)")
    args = ap.parse_args()
    out = os.path.normpath(args.out)
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)            # nothing random is used in eval mode
    lines = []
    for name, spec, layout in CASES:
        m = eval("torch.nn." + spec)
        if layout is None:
            x, dy = make_inputs(m, 1, args.grid, args.normal)
            shape = (x.size,)
        else:
            _, c, inner = layout
            x, dy = make_inputs(m, c * inner, args.grid, args.normal)
            shape = (x.size // (c * inner), c) + ((inner,) if inner > 1 else ())
            w = PRELU_W3 if m.num_parameters == c else PRELU_W1
            with torch.no_grad():
                m.weight.copy_(torch.tensor(w, dtype=torch.float32))
        y32, dx32, dw32 = run_torch(m, x, dy, shape, torch.float32)
        y64, dx64, dw64 = run_torch(m, x, dy, shape, torch.float64)
        arr = np.stack([x.astype(np.float64), dy.astype(np.float64),
                        y32, dx32, y64, dx64])
        np.save(os.path.join(out, name + ".npy"), arr)
        if dw32 is not None:
            wv = m.weight.detach().reshape(-1).double().numpy()
            np.save(os.path.join(out, name + ".w.npy"), np.stack([wv, dw32, dw64]))
            xf = np.where(np.isfinite(x) & (np.abs(x) <= 100), x, F32(0))
            _, _, fw32 = run_torch(m, xf, dy, shape, torch.float32)
            _, _, fw64 = run_torch(m, xf, dy, shape, torch.float64)
            np.save(os.path.join(out, name + ".w_clean.npy"), np.stack([wv, fw32, fw64]))
        lines.append("%s\t%s\t%s" % (name, spec, ",".join(str(d) for d in shape)))
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    cap = [l.split(":", 1)[1].strip() for l in torch.__config__.show().splitlines()
           if "CPU capability" in l]
    print("wrote %d cases to %s (torch %s, CPU capability %s)"
          % (len(CASES), out, torch.__version__, cap[0] if cap else "?"))


if __name__ == "__main__":
    sys.exit(main())
