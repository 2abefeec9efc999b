"""PyTorch baseline for bench/cnn.c: the same model, data and recipe, timed the same way.

Conv2d(1,32,5,padding=2), ReLU(), MaxPool2d(2), Conv2d(32,64,5,padding=2),
ReLU(), MaxPool2d(2), Flatten(), Linear(3136,1024), ReLU(), Linear(1024,10) on
Fashion-MNIST read from the Debian package's gzip IDX files (/255) as
[N, 1, 28, 28], batch 64 from a fresh permutation each epoch (no DataLoader),
CrossEntropyLoss, SGD lr 0.01 momentum 0.9; --warmup steps, then --steps
timed; then eval-mode forward passes under torch.no_grad() over the 10000
test images in batches of 64 (--infer-passes times, after one warm-up batch).
Prints "#" comments and one row: torch THREADS TRAIN/S INFER/S PEAK_RSS_MIB
TRAIN/CPU-S INFER/CPU-S TRAIN_MED/S INFER_MED/S (by process CPU time, the
steadier figures on a busy machine at one thread; then by the median step and
batch, the steadier figures at two threads).
Threads: torch.set_num_threads(t) sets OpenMP's count (oneDNN's and ATen's);
the OpenBLAS that Debian's torch calls for Linear keeps its own pool, so it is
set to t as well (environment before the import, openblas_set_num_threads
after it).
Usage: python3 bench/torch_cnn.py [--threads T] [--steps N] [--warmup W] [--infer-passes P]
"""
import argparse
import os
import resource
import statistics
import sys
import time

from torch_mlp import DATA, import_torch, read_idx  # the same reader, threads and OpenBLAS handle


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--infer-passes", type=int, default=2)
    ap.add_argument("--data", default=DATA)
    a = ap.parse_args()
    torch, blas = import_torch(a.threads)
    if torch is None:
        return 0

    def images(name):
        raw, dims = read_idx(os.path.join(a.data, name))
        return torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(dims[0], 1, dims[1], dims[2]).float().div_(255)

    x = images("train-images-idx3-ubyte.gz")
    labels, _ = read_idx(os.path.join(a.data, "train-labels-idx1-ubyte.gz"))
    y = torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()
    xt = images("t10k-images-idx3-ubyte.gz")
    n = x.shape[0]

    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(3136, 1024), nn.ReLU(), nn.Linear(1024, 10))
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    batch = 64
    per_epoch = (n + batch - 1) // batch
    total = a.warmup + a.steps
    step, samples, t_start, c_start = 0, 0, time.perf_counter(), time.process_time()
    step_seconds, t_last = [], t_start
    model.train()
    while step < total:
        order = torch.randperm(n)
        for k in range(per_epoch):
            if step == total:
                break
            if step == a.warmup:
                t_start, c_start = time.perf_counter(), time.process_time()
                t_last, samples = t_start, 0
            idx = order[k * batch:(k + 1) * batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=False)
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            step += 1
            now = time.perf_counter()
            if step > a.warmup:
                samples += len(idx)
                step_seconds.append(now - t_last)
            t_last = now
    train_sps = samples / (time.perf_counter() - t_start)
    train_cpu = samples / (time.process_time() - c_start)
    last_loss = loss.item()

    model.eval()
    checksum = 0.0
    with torch.no_grad():
        model(xt[:batch])
        t0, c0 = time.perf_counter(), time.process_time()
        batch_seconds = []
        for _ in range(a.infer_passes):
            for start in range(0, xt.shape[0], batch):
                b0 = time.perf_counter()
                checksum += float(model(xt[start:start + batch])[0, 0])
                if start + batch <= xt.shape[0]:
                    batch_seconds.append(time.perf_counter() - b0)
        infer_sps = a.infer_passes * xt.shape[0] / (time.perf_counter() - t0)
        infer_cpu = a.infer_passes * xt.shape[0] / (time.process_time() - c0)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    core = blas.openblas_get_corename().decode() if blas is not None else "?"
    print(f"# torch {torch.__version__}: {a.steps} training steps timed after {a.warmup} warm-up, "
          f"{a.infer_passes} inference pass(es); {torch.get_num_threads()} thread(s); OpenBLAS core {core} "
          f"(OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}); "
          f"mkldnn {torch.backends.mkldnn.is_available()}; loss {last_loss:.4f}; checksum {checksum:.4g}")
    train_med = batch / statistics.median(step_seconds)
    infer_med = batch / statistics.median(batch_seconds)
    print(f"torch {a.threads} {train_sps:.0f} {infer_sps:.0f} {rss_mib:.1f} {train_cpu:.0f} {infer_cpu:.0f} "
          f"{train_med:.0f} {infer_med:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
