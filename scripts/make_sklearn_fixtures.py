#!/usr/bin/python3
"""Writes small files in the formats of the CSV files Debian's python3-sklearn
ships (sklearn/datasets/data/), for tests/test_data.c and tests/test_cli_data.c,
which must not need that package.

Usage: /usr/bin/python3 scripts/make_sklearn_fixtures.py [--out DIR]
       (default DIR: tests/fixtures/sklearn next to this script's parent)

Needs numpy (python3-numpy). The values are drawn from a seeded RandomState,
printed as text, and written again as NPY (the text's values rounded to
float32, as strtod then a float cast round them), so a test can compare
what actlab reads from the text with an independent reference.

  iris_like.csv        like iris.csv: a count line "36,4,setosa,versicolor,virginica",
                       no header, 4 features, the label last, rows sorted by class;
                       feature 3 is on a scale 100 times the others (standardising matters)
  cancer_like.csv      like breast_cancer.csv: "40,5,malignant,benign", two classes
  digits_like.csv.gz   like digits.csv.gz: gzip, no count line, no header, 8 whole-number
                       features in 0..16 and the label last (4 classes)
  boston_like.csv      like boston_house_prices.csv: a count line padded with empty
                       cells ("40,3,,"), a quoted header, a real-valued target last:
                       MEDV = 3 CRIM - 2 ZN + 0.5 RM + 10 + N(0, 0.1^2)
  diabetes_like_data.csv.gz, diabetes_like_target.csv.gz
                       like diabetes_data_raw.csv.gz and diabetes_target.csv.gz: gzip,
                       features separated by spaces, the target alone in its own file
                       in numpy's savetxt format (1.510000000000000000e+02)
and for each NAME: NAME_x.npy (float32 features), NAME_y.npy (int32 labels) or
NAME_t.npy (float32 targets).
"""
import argparse
import gzip
import io
import os

import numpy as np


def write_gzip(path, text):
    """gzip with a fixed time stamp, so a rerun gives the same bytes."""
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(text.encode("ascii"))


def as_float32(cells):
    """The float32 values actlab reads from these cells: strtod, then a cast."""
    return np.array([[float(c) for c in row] for row in cells], dtype=np.float64).astype(np.float32)


def write_classes(out, name, count_line, rows, labels):
    """NAME (a count line when given, rows with the label last; gzip for
    .gz) and its references NAME_x.npy and NAME_y.npy."""
    text = (count_line + "\n" if count_line else "") + \
        "".join(",".join(r) + ",%d\n" % c for r, c in zip(rows, labels))
    if name.endswith(".gz"):
        write_gzip(out(name), text)
    else:
        with open(out(name), "w") as f:
            f.write(text)
    stem = name.split(".")[0]
    np.save(out(stem + "_x.npy"), as_float32(rows))
    np.save(out(stem + "_y.npy"), np.array(labels, dtype="<i4"))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "fixtures", "sklearn"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    def out(name):
        return os.path.join(args.out, name)

    rng = np.random.RandomState(13)

    # iris-like: 3 classes of 12 rows, sorted by class
    rows, labels = [], []
    for c in range(3):
        for _ in range(12):
            v = rng.normal(0, 0.35, 4) + c
            v[3] = v[3] * 100 + 1000
            rows.append(["%.1f" % v[0], "%.1f" % v[1], "%.2f" % v[2], "%.0f" % v[3]])
            labels.append(c)
    write_classes(out, "iris_like.csv", "36,4,setosa,versicolor,virginica", rows, labels)

    # breast-cancer-like: 2 classes, interleaved
    rows, labels = [], []
    for i in range(40):
        c = i % 2
        v = rng.normal(0, 1, 5) + 1.5 * c
        rows.append(["%.4g" % x for x in v])
        labels.append(c)
    write_classes(out, "cancer_like.csv", "40,5,malignant,benign", rows, labels)

    # digits-like: gzip, no count line, whole numbers 0..16
    rows, labels = [], []
    for i in range(60):
        c = i % 4
        v = np.clip(np.round(rng.normal(4 * c, 2.0, 8)), 0, 16).astype(int)
        rows.append([str(x) for x in v])
        labels.append(c)
    write_classes(out, "digits_like.csv.gz", None, rows, labels)

    # boston-like: padded count line, quoted header, real-valued target
    rows, targets = [], []
    for _ in range(40):
        v = rng.uniform(-2, 2, 3)
        t = 3 * v[0] - 2 * v[1] + 0.5 * v[2] + 10 + rng.normal(0, 0.1)
        rows.append(["%.5g" % x for x in v])
        targets.append(["%.4g" % t])
    with open(out("boston_like.csv"), "w") as f:
        f.write("40,3,,\n")
        f.write('"CRIM","ZN","RM","MEDV"\n')
        for r, t in zip(rows, targets):
            f.write(",".join(r) + "," + t[0] + "\n")
    np.save(out("boston_like_x.npy"), as_float32(rows))
    np.save(out("boston_like_t.npy"), as_float32(targets)[:, 0])

    # diabetes-like: features and target in two gzip files, space-separated
    rows, targets = [], []
    for _ in range(30):
        v = rng.normal(50, 10, 3)
        rows.append(["%d" % round(v[0]), "%.1f" % v[1], "%.4f" % (v[2] / 10)])
        targets.append(float(round(2 * v[0] + v[1])))
    write_gzip(out("diabetes_like_data.csv.gz"), "".join(" ".join(r) + "\n" for r in rows))
    buf = io.StringIO()
    np.savetxt(buf, np.array(targets))
    write_gzip(out("diabetes_like_target.csv.gz"), buf.getvalue())
    np.save(out("diabetes_like_x.npy"), as_float32(rows))
    np.save(out("diabetes_like_t.npy"), np.array(targets, dtype=np.float32))


if __name__ == "__main__":
    main()
