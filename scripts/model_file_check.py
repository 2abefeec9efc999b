#!/usr/bin/python3
"""Checks that a model file written by `actlab train --save` is a plain
PyTorch state_dict, and that its metadata is enough to use it from PyTorch.

Usage:
  /usr/bin/python3 scripts/model_file_check.py MODEL.safetensors [--csv FILE --predictions P.tsv]

1. Reads the safetensors header (the format is small enough to read here with
   json, struct and numpy; the `safetensors` package is not needed) and its
   "__metadata__" (actlab.spec, actlab.mean, actlab.std, actlab.class_names...).
2. Builds torch.nn.Sequential from actlab.spec (the spec language is the way
   PyTorch prints modules) and loads the tensors with
   load_state_dict(strict=True): no missing or unexpected key, every shape
   and dtype equal.
3. With --csv and --predictions: reads the feature rows of FILE as
   `actlab predict --in FILE` does for scikit-learn's files (count line
   skipped, label last), applies the stored standardisation, runs the model
   in PyTorch and checks that its predicted classes equal the second column
   of P.tsv (the output of `actlab predict`).

Needs python3-torch and python3-numpy (Debian). Prints OK and exits 0 when
every check passes.
"""
import argparse
import csv
import gzip
import json
import struct
import sys

import numpy as np
import torch
from torch import nn

DTYPES = {"F32": ("<f4", torch.float32), "F64": ("<f8", torch.float64), "I64": ("<i8", torch.int64)}


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        np_dtype, torch_dtype = DTYPES[info["dtype"]]
        lo, hi = info["data_offsets"]
        array = np.frombuffer(data[lo:hi], dtype=np_dtype).reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.copy()).to(torch_dtype)
    return tensors, meta


def build(spec):
    """nn.Sequential from the spec text: each constructor is PyTorch's own."""
    namespace = {name: getattr(nn, name) for name in dir(nn) if name[:1].isupper()}
    namespace.update({"True": True, "False": False})
    return nn.Sequential(*eval("(" + spec + ",)", {"__builtins__": {}}, namespace))


def feature_rows(path, features):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        rows = [r for r in csv.reader(f) if r]
    head = rows[0]
    if len(head) >= 2 and head[0].isdigit() and head[1].isdigit():
        rows = rows[1:]  # scikit-learn's count line
    return np.array([[float(v) for v in r[:features]] for r in rows], dtype=np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--csv")
    parser.add_argument("--predictions")
    args = parser.parse_args()
    tensors, meta = read_safetensors(args.model)
    if "actlab.spec" not in meta:
        sys.exit(f"{args.model}: no actlab.spec in the metadata")
    model = build(meta["actlab.spec"])
    want = model.state_dict()
    for name, tensor in tensors.items():
        if name in want and (want[name].dtype != tensor.dtype or want[name].shape != tensor.shape):
            sys.exit(f"{name}: {tensor.dtype} {tuple(tensor.shape)}, the model has {want[name].dtype} "
                     f"{tuple(want[name].shape)}")
    model.load_state_dict(tensors, strict=True)
    print(f"strict load: {len(tensors)} tensors into {meta['actlab.spec']}")
    if args.csv and args.predictions:
        model.eval()
        first = next(m for m in model if hasattr(m, "in_features"))
        x = feature_rows(args.csv, first.in_features)
        if "actlab.mean" in meta:
            x = (x - np.array(json.loads(meta["actlab.mean"]), dtype=np.float32)) / \
                np.array(json.loads(meta["actlab.std"]), dtype=np.float32)
        with torch.no_grad():
            out = model(torch.from_numpy(x))
        ours = out.argmax(1).numpy() if out.shape[1] > 1 else (out[:, 0] > 0).long().numpy()
        with open(args.predictions) as f:
            theirs = np.array([int(line.split("\t")[1]) for line in f if line.strip()])
        if len(ours) != len(theirs) or (ours != theirs).any():
            sys.exit(f"predictions differ on {int((ours != theirs).sum())} of {len(ours)} rows")
        names = json.loads(meta.get("actlab.class_names", "[]"))
        print(f"PyTorch predicts the same classes as actlab on {len(ours)} rows"
              + (f" ({', '.join(names)})" if names else ""))
    print("OK")


if __name__ == "__main__":
    main()
