#!/usr/bin/python3
"""Moves safetensors files between PyTorch and actlab, both ways.

Usage:
  /usr/bin/python3 scripts/safetensors_roundtrip.py make-fixture [--out DIR]
  /usr/bin/python3 scripts/safetensors_roundtrip.py check FILE [--same-values]

make-fixture builds nn.Sequential(Linear(4, 3), BatchNorm1d(3), ReLU(),
Linear(3, 2)) with torch.manual_seed(0), runs one training-mode forward pass
(so the BatchNorm running statistics and num_batches_tracked are not their
initial values), and writes its state_dict to DIR/seq.safetensors (default DIR:
tests/fixtures/safetensors) with metadata {"format": "pt"}, plus
DIR/seq_expected.txt: one line per tensor, "name dtype rank dims... values...",
every value printed exactly (float32 with 9 significant digits), for
tests/test_safetensors.c.

check loads FILE (e.g. written by actlab) into the same model with
load_state_dict(strict=True), after checking that every tensor has exactly the
dtype and shape of the model's state_dict (load_state_dict would silently cast
a float64 tensor into a float32 parameter), and prints OK. With --same-values
it also checks that the values equal the fixture model's (for a file that is
the fixture round-tripped through actlab).

The `safetensors` package is not needed: the format is small enough to write
here with json, struct and numpy. The layout follows the reference writer
(safetensors 0.4, what safetensors.torch.save_file produces): an 8-byte
little-endian header length, compact JSON with "__metadata__" first and the
tensors sorted by dtype (widest alignment first: I64 before F32) then name,
the header padded with spaces to a multiple of 8, the data in header order.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

DTYPES = {  # safetensors name -> (numpy little-endian dtype, torch dtype)
    "F64": ("<f8", torch.float64),
    "F32": ("<f4", torch.float32),
    "I64": ("<i8", torch.int64),
    "I32": ("<i4", torch.int32),
    "U8": ("|u1", torch.uint8),
}
# the reference writer's dtype order (its Dtype enum, by alignment), widest
# first; among these: I64 > F64 > F32 > I32 > U8
REFERENCE_ORDER = ["U8", "I32", "F32", "F64", "I64"]


def dtype_name(tensor):
    for name, (_, tdtype) in DTYPES.items():
        if tensor.dtype == tdtype:
            return name
    raise SystemExit(f"unsupported dtype {tensor.dtype}")


def save(path, tensors, metadata=None):
    """Writes a dict of name -> tensor the way the reference writer does."""
    names = sorted(tensors, key=lambda n: (-REFERENCE_ORDER.index(dtype_name(tensors[n])), n))
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs, offset = [], 0
    for name in names:
        t = tensors[name].detach().cpu().contiguous()
        blob = t.numpy().astype(DTYPES[dtype_name(t)][0], copy=False).tobytes()
        header[name] = {"dtype": dtype_name(t), "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load(path):
    """Reads a safetensors file into (dict name -> tensor, metadata), checking
    that the tensors cover the data section exactly, as the reference does."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise SystemExit(f"{path}: too short")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise SystemExit(f"{path}: header length {n} past the end")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", None)
    tensors, spans = {}, []
    for name, info in header.items():
        begin, end = info["data_offsets"]
        np_dtype = DTYPES[info["dtype"]][0]
        arr = np.frombuffer(data[begin:end], dtype=np_dtype).reshape(info["shape"])
        tensors[name] = torch.from_numpy(arr.copy())
        spans.append((begin, end, name))
    cursor = 0
    for begin, end, name in sorted(spans):
        if begin != cursor:
            raise SystemExit(f"{path}: '{name}' starts at {begin}, expected {cursor}")
        cursor = end
    if cursor != len(data):
        raise SystemExit(f"{path}: {len(data) - cursor} trailing bytes")
    return tensors, metadata


def make_model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
    # one training-mode pass moves running_mean/var and num_batches_tracked
    # off their initial values, so the fixture tests them too
    model.train()
    with torch.no_grad():
        model(torch.randn(5, 4))
    return model


def value_text(t):
    if t.dtype == torch.float32:
        return " ".join(f"{float(v):.9g}" for v in t.flatten().tolist())
    return " ".join(str(int(v)) for v in t.flatten().tolist())


def make_fixture(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    state = make_model().state_dict()
    path = os.path.join(out_dir, "seq.safetensors")
    save(path, state, metadata={"format": "pt"})
    with open(os.path.join(out_dir, "seq_expected.txt"), "w") as f:
        f.write("# written by scripts/safetensors_roundtrip.py make-fixture; "
                "name dtype rank dims... values...\n")
        for name, t in state.items():
            dims = " ".join(str(d) for d in t.shape)
            line = f"{name} {dtype_name(t)} {t.dim()}"
            if dims:
                line += " " + dims
            f.write(f"{line} {value_text(t)}\n")
    # what we wrote must read back to the same state_dict
    back, _ = load(path)
    for name, t in state.items():
        assert torch.equal(back[name], t), name
    print(f"wrote {path} ({os.path.getsize(path)} bytes) and seq_expected.txt")


def check(path, same_values):
    model = make_model()
    want = model.state_dict()
    tensors, metadata = load(path)
    problems = []
    for name, t in tensors.items():
        if name in want and (t.dtype != want[name].dtype or t.shape != want[name].shape):
            problems.append(f"{name}: file has {t.dtype} {list(t.shape)}, "
                            f"model needs {want[name].dtype} {list(want[name].shape)}")
    if problems:
        raise SystemExit("\n".join(problems))
    if same_values:
        for name, t in want.items():
            if name in tensors and not torch.equal(tensors[name], t):
                raise SystemExit(f"{name}: values differ from the fixture model")
    model.load_state_dict(tensors, strict=True)  # raises on missing/unexpected names
    model.eval()
    with torch.no_grad():
        y = model(torch.ones(2, 4))
    print(f"OK: {len(tensors)} tensors loaded into {model.__class__.__name__} "
          f"(metadata {metadata}); output on ones: {y.flatten().tolist()}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    mk = sub.add_parser("make-fixture", help="write the PyTorch-made fixture")
    mk.add_argument("--out", default=os.path.join(here, "..", "tests", "fixtures", "safetensors"))
    ck = sub.add_parser("check", help="load FILE into the model with strict=True")
    ck.add_argument("file")
    ck.add_argument("--same-values", action="store_true",
                    help="also require the fixture model's values")
    args = parser.parse_args()
    if args.command == "make-fixture":
        make_fixture(os.path.normpath(args.out))
    else:
        check(args.file, args.same_values)
    return 0


if __name__ == "__main__":
    sys.exit(main())
