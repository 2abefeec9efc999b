#!/usr/bin/python3
"""actlab beside scikit-learn's MLPClassifier on the CSV files Debian's
python3-sklearn ships (iris, wine, breast_cancer, digits): the same rows,
the same architecture and optimiser, several seeds; test accuracy (mean and
sd over seeds) and training time.

Usage: /usr/bin/python3 bench/sklearn_compare.py [--actlab build/release/actlab]
           [--seeds 5] [--epochs 200] [--threads 1]
Needs python3-sklearn (apt-get install python3-sklearn); not part of `make test`.

Protocol, the same for both:
  - the file as Debian ships it is split once, stratified, 20 % test rows
    (sklearn's train_test_split, random_state 0); both sides read the two
    parts from files written here in scikit-learn's own format (a count line
    with the class names, no header, the label last), so they train and
    test on exactly the same rows;
  - features standardised with the training rows' mean and std (actlab
    --standardize, stored in the model file; sklearn StandardScaler);
  - one hidden layer of 100 ReLU units, Glorot-uniform weights (sklearn's
    init; actlab --init-scheme xavier-uniform, which starts biases at 0
    where sklearn draws them), Adam at lr 1e-3, betas (0.9, 0.999),
    eps 1e-8, no weight decay (alpha 0), batches of min(200, rows), a new
    shuffle each epoch, exactly EPOCHS epochs (sklearn's early stop on the
    training loss is switched off: tol 0, n_iter_no_change > epochs);
  - seeds 0 .. SEEDS-1 set the initial weights and the shuffles (actlab
    --seed; sklearn random_state); the split does not change with them;
  - one thread each (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS), so a loaded
    machine disturbs both alike.
Times: "train" is the training loop alone (actlab's own figure on its final
line; sklearn's fit()); "process" is actlab's whole command (start, read,
train, save) against fit() plus predict in Python.
"""
import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

DATA = "/usr/lib/python3/dist-packages/sklearn/datasets/data"
FILES = [("iris", "iris.csv"), ("wine", "wine_data.csv"), ("breast_cancer", "breast_cancer.csv"),
         ("digits", "digits.csv.gz")]


def read_sklearn_csv(path):
    """Rows and labels of one of sklearn's files (count line when there is one)."""
    import gzip
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        lines = [line.strip() for line in f if line.strip()]
    head = lines[0].split(",")
    names = []
    if head[0].isdigit() and head[1].isdigit() and int(head[0]) == len(lines) - 1:
        names = [n for n in head[2:] if n]
        lines = lines[1:]
    rows = np.array([[float(v) for v in line.split(",")] for line in lines])
    return rows[:, :-1], rows[:, -1].astype(int), names


def write_sklearn_csv(path, x, y, names):
    with open(path, "w") as f:
        f.write("%d,%d%s\n" % (len(x), x.shape[1], "".join("," + n for n in names)))
        for row, label in zip(x, y):
            f.write(",".join(repr(float(v)) for v in row) + ",%d\n" % label)


def run_actlab(actlab, train, test, features, classes, seed, epochs, batch, threads, workdir):
    model = f"Linear({features}, 100), ReLU(), Linear(100, {classes})"
    cmd = [actlab, "train", "--model", model, "--train", train, "--test", test, "--standardize",
           "--init-scheme", "xavier-uniform", "--opt", "adam", "--lr", "0.001", "--batch", str(batch),
           "--epochs", str(epochs), "--seed", str(seed), "--threads", str(threads), "--quiet",
           "--save", os.path.join(workdir, "m.safetensors")]
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - start
    acc = float(re.search(r"test acc ([0-9.]+)", out).group(1))
    train_s = float(re.search(r"\(([0-9.e+-]+) s\)", out).group(1))
    return acc, train_s, wall, shlex.join(cmd)


def run_sklearn(xtr, ytr, xte, yte, seed, epochs, batch):
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler
    start = time.perf_counter()
    scaler = StandardScaler().fit(xtr)
    clf = MLPClassifier(hidden_layer_sizes=(100,), activation="relu", solver="adam", learning_rate_init=1e-3,
                        beta_1=0.9, beta_2=0.999, epsilon=1e-8, alpha=0.0, batch_size=batch, max_iter=epochs,
                        shuffle=True, tol=0.0, n_iter_no_change=epochs + 1, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter is reached on purpose
        t0 = time.perf_counter()
        clf.fit(scaler.transform(xtr), ytr)
        fit_s = time.perf_counter() - t0
    acc = float((clf.predict(scaler.transform(xte)) == yte).mean())
    return acc, fit_s, time.perf_counter() - start


def mean_sd(values):
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actlab", default="build/release/actlab")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    try:
        from sklearn.model_selection import train_test_split
    except ImportError:
        sys.exit("needs scikit-learn: apt-get install python3-sklearn")
    actlab = os.path.abspath(args.actlab)
    print(f"{args.seeds} seeds, {args.epochs} epochs, {args.threads} thread(s); load: "
          + " ".join("%.2f" % v for v in os.getloadavg()))
    print("| data | rows (train/test) | actlab acc | sklearn acc | actlab train s | sklearn fit s | "
          "actlab process s | sklearn fit+predict s |")
    print("|---|---|---|---|---|---|---|---|")
    commands = []
    with tempfile.TemporaryDirectory() as work:
        for name, file in FILES:
            x, y, names = read_sklearn_csv(os.path.join(DATA, file))
            xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)
            train, test = os.path.join(work, name + "_train.csv"), os.path.join(work, name + "_test.csv")
            write_sklearn_csv(train, xtr, ytr, names)
            write_sklearn_csv(test, xte, yte, names)
            batch = min(200, len(xtr))
            a_acc, a_train, a_wall, s_acc, s_fit, s_wall = [], [], [], [], [], []
            for seed in range(args.seeds):
                acc, tr, wall, cmd = run_actlab(actlab, train, test, x.shape[1], int(y.max()) + 1, seed,
                                                args.epochs, batch, args.threads, work)
                a_acc.append(acc), a_train.append(tr), a_wall.append(wall)
                acc, fit, wall = run_sklearn(xtr, ytr, xte, yte, seed, args.epochs, batch)
                s_acc.append(acc), s_fit.append(fit), s_wall.append(wall)
            commands.append(cmd)
            cells = [mean_sd(v) for v in (a_acc, s_acc, a_train, s_fit, a_wall, s_wall)]
            print(f"| {name} | {len(xtr)}/{len(xte)} | {cells[0][0]:.4f} ± {cells[0][1]:.4f} | "
                  f"{cells[1][0]:.4f} ± {cells[1][1]:.4f} | {cells[2][0]:.3f} | {cells[3][0]:.3f} | "
                  f"{cells[4][0]:.3f} | {cells[5][0]:.3f} |")
    print("\nactlab commands (last seed; TRAIN/TEST are the split files written in sklearn's format):")
    for cmd in commands:
        print("  " + cmd)


if __name__ == "__main__":
    main()
