"""PyTorch baseline for bench/mlp.c: the same model and recipe, timed the same way.

Linear(784,256), ReLU(), Linear(256,256), ReLU(), Linear(256,10) on the
Fashion-MNIST training set read from the Debian package's gzip IDX files
(/255), batch 128 from a fresh permutation each epoch (no DataLoader),
CrossEntropyLoss, SGD lr 0.05 momentum 0.9; --warmup steps, then --steps timed.
Prints "#" comments and one row: torch THREADS SAMPLES/S - - PEAK_RSS_MIB
MEDIAN_STEP_SAMPLES/S (the median step's rate: what a quiet machine gives when
other processes preempt some steps).
Threads: torch.set_num_threads(t) sets OpenMP's count; the OpenBLAS that
Debian's torch calls for Linear keeps its own pool, so it is set to t as well
(environment before the import, openblas_set_num_threads after it).
Usage: python3 bench/torch_mlp.py [--threads T] [--steps N] [--warmup W]
"""
import argparse
import ctypes
import gzip
import os
import resource
import struct
import sys
import time

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, rank = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise SystemExit(f"torch_mlp.py: {path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * rank, raw[4:4 + 4 * rank])
    return raw[4 + 4 * rank:], dims


def openblas():
    """The OpenBLAS torch loaded (the same soname resolves to the loaded copy)."""
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib
    except (OSError, AttributeError):
        return None


def import_torch(threads):
    """Imports torch with `threads` threads for OpenMP and for the OpenBLAS it
    loaded (environment before the import, openblas_set_num_threads after it),
    seeded 0. Returns (torch, the OpenBLAS handle or None); (None, None) with a
    '#' line printed when torch is missing."""
    os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        import torch
    except ImportError:
        print("# PyTorch not found (apt-get install python3-torch): no baseline")
        return None, None
    torch.set_num_threads(threads)
    blas = openblas()
    if blas is not None:
        blas.openblas_set_num_threads(threads)
    torch.manual_seed(0)
    return torch, blas


def loaded_libraries(words):
    """The shared libraries this process has mapped whose names hold one of words."""
    found = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if "/" in path and any(w in os.path.basename(path) for w in words):
                    found.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(found)


def cpu_capability(torch):
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage:" in line:
            return line.split(":", 1)[1].strip()
    return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=938)  # 2 epochs of 469 batches
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--data", default=DATA)
    a = ap.parse_args()
    torch, blas = import_torch(a.threads)
    if torch is None:
        return 0

    images, dims = read_idx(os.path.join(a.data, "train-images-idx3-ubyte.gz"))
    labels, _ = read_idx(os.path.join(a.data, "train-labels-idx1-ubyte.gz"))
    n, features = dims[0], dims[1] * dims[2]
    x = torch.frombuffer(bytearray(images), dtype=torch.uint8).view(n, features).float().div_(255)
    y = torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()
    del images, labels

    nn = torch.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    batch = 128
    per_epoch = (n + batch - 1) // batch
    total = a.warmup + a.steps
    step, samples, t_start = 0, 0, time.perf_counter()
    loss_sum, correct, seen = 0.0, 0, 0
    step_seconds, t_last = [], t_start
    while step < total:
        order = torch.randperm(n)
        loss_sum, correct, seen = 0.0, 0, 0
        for k in range(per_epoch):
            if step == total:
                break
            if step == a.warmup:
                t_start = time.perf_counter()
                samples = 0
            idx = order[k * batch:(k + 1) * batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=False)
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            step += 1
            samples += len(idx)
            t_now = time.perf_counter()
            if step > a.warmup and len(idx) == batch:
                step_seconds.append(t_now - t_last)
            t_last = t_now
            loss_sum += loss.item() * len(idx)
            correct += int((out.argmax(1) == yb).sum())
            seen += len(idx)
    seconds = time.perf_counter() - t_start
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    core = blas.openblas_get_corename().decode() if blas is not None else "?"
    blas_threads = blas.openblas_get_num_threads() if blas is not None else -1
    print(f"# torch {torch.__version__}: {a.steps} steps timed after {a.warmup} warm-up; "
          f"{torch.get_num_threads()} thread(s); OpenBLAS core {core} "
          f"(OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}), {blas_threads} thread(s); "
          f"ATen CPU capability {cpu_capability(torch)}")
    print(f"# torch kernels: nn.Linear runs addmm on the BLAS (BLAS_INFO=generic: libblas.so.3, here "
          f"{', '.join(loaded_libraries(['blas'])) or '?'}); elementwise ops ATen {cpu_capability(torch)}")
    print(f"# last epoch's running loss {loss_sum / seen:.4f}, accuracy {correct / seen:.4f}")
    step_seconds.sort()
    median_sps = batch / step_seconds[len(step_seconds) // 2] if step_seconds else 0
    print(f"# median step: {1e6 * batch / median_sps:.1f} us, {median_sps:.0f} samples/s "
          f"(mean {samples / seconds:.0f})")
    print(f"torch {a.threads} {samples / seconds:.0f} - - {rss_mib:.1f} {median_sps:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
