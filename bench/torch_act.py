#!/usr/bin/python3
"""PyTorch baseline for actlab's activation benchmark.

Usage: /usr/bin/python3 bench/torch_act.py --n 16777216 --threads 1
                        [--repeat 5] [--only NAME,...]

For each activation (PyTorch defaults, module in eval mode) it times
  forward:  y = m(x)                  x: float32 N(0,1), n elements, no grad
  backward: torch.autograd.grad(y, x, dy, retain_graph=True)   (only this call)
taking the minimum of --repeat timings after a warm-up (one call, more while
calls still page-fault their output in; see best_of), and prints
  spec<TAB>fwd_GBps<TAB>bwd_GBps
with bytes counted as 8*n forward (read x, write y) and 12*n backward (read x
or y, read dy, write dx), after a '#' line naming the torch version and threads.
--only takes names or specs, comma-separated: `ReLU` selects every spec of that
module (both GELUs for `GELU`), a full spec such as `GELU(approximate='tanh')`
selects just that one.

Cache state: before every timed call a scratch tensor of twice the
last-level cache (--evict-mib overrides, 0 turns it off) is read and written,
as bench/act.c does, so both sides start each call with operands in memory.

Memory: torch allocates every output afresh and glibc hands blocks this large
back to the kernel on free, so by default each call would page-fault its whole
output in again -- in a VM that costs more than the activation (all of them
measure < 1 GB/s at n = 2^24). Unless --fresh-memory is given, the script
re-executes itself with MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ set
to 4 GiB (unless already set), so freed buffers are reused and the numbers are
the kernels' steady state. The '#' line says which mode ran.
"""
import argparse
import os
import signal
import sys
import time

_CHILD = "ACTLAB_TORCH_ACT_MALLOC"
_BIG = str(1 << 32)

SPECS = [
    "ReLU()",
    "ReLU6()",
    "LeakyReLU()",
    "PReLU()",
    "RReLU()",
    "ELU()",
    "CELU()",
    "SELU()",
    "GELU()",
    "GELU(approximate='tanh')",
    "SiLU()",
    "Mish()",
    "Softplus()",
    "Softsign()",
    "Tanh()",
    "Sigmoid()",
    "Hardtanh()",
    "Hardsigmoid()",
    "Hardswish()",
    "LogSigmoid()",
    "Tanhshrink()",
    "Softshrink()",
    "Hardshrink()",
    "Threshold(threshold=0.0, value=0.0)",
    "Identity()",
]

PRELU_ROW = 256   # PReLU runs on x reshaped to [n/256, 256] (channel = dim 1)


def split_top(s):
    """Splits on commas outside parentheses: 'ReLU,Threshold(a=1, b=2)'."""
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def select(only):
    if not only:
        return list(SPECS)
    want = split_top(only)
    norm = lambda s: s.replace(" ", "").lower()
    chosen = []
    for w in want:
        hits = [s for s in SPECS if norm(s) == norm(w)] or \
               [s for s in SPECS if s.split("(")[0].lower() == w.lower()]
        if not hits:
            sys.exit("torch_act.py: unknown activation '%s'" % w)
        chosen += [h for h in hits if h not in chosen]
    return [s for s in SPECS if s in chosen]


def _minflt():
    try:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    except Exception:                     # no resource module: one warm-up only
        return None


def llc_bytes():
    """The largest cache's size in bytes from sysfs, 0 if unknown."""
    best = 0
    for i in range(8):
        try:
            with open("/sys/devices/system/cpu/cpu0/cache/index%d/size" % i) as f:
                v = f.read().strip()
        except OSError:
            break
        mult = {"K": 1 << 10, "M": 1 << 20}.get(v[-1:], 1)
        try:
            best = max(best, int(v.rstrip("KM")) * mult)
        except ValueError:
            pass
    return best


def best_of(fn, repeat, out_bytes, adaptive=True, before=None):
    """Min time of `repeat` calls after warm-up. The warm-up is one call, or
    more (up to 10) while a call still page-faults in a sizeable part of its
    output: glibc keeps growing the heap for the first few calls of a new
    allocation pattern (aligned 64 MB blocks fragment it), and first touches
    of fresh pages cost more than the activation itself."""
    for _ in range(10):
        f0 = _minflt()
        fn()
        f1 = _minflt()
        if not adaptive or f0 is None or (f1 - f0) * 4096 < out_bytes // 8:
            break
    best = float("inf")
    for _ in range(repeat):
        if before is not None:
            before()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, required=True, help="elements per tensor")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated names or specs")
    ap.add_argument("--evict-mib", type=int, default=-1,
                    help="MiB read and written before each timed call (default: twice the last-level cache)")
    ap.add_argument("--fresh-memory", action="store_true",
                    help="keep glibc's default malloc (outputs page-faulted in each call)")
    args = ap.parse_args()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # quiet when piped to head
    if not args.fresh_memory and os.environ.get(_CHILD) != "1":
        env = dict(os.environ)
        env[_CHILD] = "1"
        env.setdefault("MALLOC_MMAP_THRESHOLD_", _BIG)
        env.setdefault("MALLOC_TRIM_THRESHOLD_", _BIG)
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)
    if args.n < 1 or args.threads < 1 or args.repeat < 1:
        sys.exit("torch_act.py: --n, --threads and --repeat must be >= 1")
    specs = select(args.only)

    try:
        import torch
    except Exception:                     # ImportError, or a broken install
        print("# torch not available: apt-get install python3-torch")
        return 0

    torch.set_num_threads(args.threads)
    cap = [l.split(":", 1)[1].strip() for l in torch.__config__.show().splitlines()
           if "CPU capability" in l]
    ev_bytes = args.evict_mib << 20 if args.evict_mib >= 0 else 2 * llc_bytes()
    scratch = torch.zeros(ev_bytes // 4, dtype=torch.float32) if ev_bytes else None
    evict = (lambda: scratch.add_(1.0)) if scratch is not None else None
    print("# torch %s threads %d n %d repeat %d cpu_capability %s memory %s evict %d MiB"
          % (torch.__version__, torch.get_num_threads(), args.n, args.repeat,
             cap[0] if cap else "?", "fresh" if args.fresh_memory else "reused", ev_bytes >> 20))
    sys.stdout.flush()

    gen = torch.Generator().manual_seed(0)
    x_all = torch.randn(args.n, generator=gen, dtype=torch.float32)
    dy_all = torch.randn(args.n, generator=gen, dtype=torch.float32)

    # Process-wide warm-up: the first touches of fresh memory are much slower
    # than later ones (in a VM especially), which would penalise whichever
    # activation comes first. Touch a few n-sized buffers and run one op.
    bufs = [torch.ones(args.n, dtype=torch.float32) for _ in range(8)]
    del bufs
    xw = x_all.detach().clone().requires_grad_(True)
    for _ in range(10):
        yw = torch.relu(xw)
        torch.autograd.grad(yw, xw, dy_all)
    xw = yw = None

    for spec in specs:
        m = eval("torch.nn." + spec)
        m.eval()                          # RReLU: fixed mean slope
        if spec.startswith("PReLU"):
            rows = args.n // PRELU_ROW
            if rows == 0:
                print("%s\tnan\tnan" % spec)
                continue
            cnt = rows * PRELU_ROW
            x = x_all[:cnt].view(rows, PRELU_ROW)
            dy = dy_all[:cnt].view(rows, PRELU_ROW)
        else:
            cnt = args.n
            x, dy = x_all, dy_all

        adaptive = not args.fresh_memory
        with torch.no_grad():
            t_fwd = best_of(lambda m=m, x=x: m(x), args.repeat, 4 * cnt, adaptive, evict)

        xg = x.detach().clone().requires_grad_(True)
        yg = m(xg)
        t_bwd = best_of(
            lambda yg=yg, xg=xg, dy=dy: torch.autograd.grad(yg, xg, dy, retain_graph=True),
            args.repeat, 4 * cnt, adaptive, evict)
        xg = yg = None                    # free the graph before the next spec

        print("%s\t%.3f\t%.3f" % (spec, 8.0 * cnt / t_fwd / 1e9,
                                  12.0 * cnt / t_bwd / 1e9))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
