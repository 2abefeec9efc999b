#!/usr/bin/python3
"""Writes the small NumPy-made .npy files that tests/test_npy.c reads.

Usage: /usr/bin/python3 scripts/make_npy_fixtures.py [--out DIR]
       (default DIR: tests/fixtures/npy next to this script's parent)

Needs numpy (Debian python3-numpy 1.24). The values are fixed, not random, so
test_npy.c can check them, and np.save is deterministic, so rerunning gives
byte-identical files with the same numpy. test_npy.c also checks that actlab's
writer reproduces the version-1.0 files byte for byte, which pins actlab's
header layout to numpy's.

Accepted by actlab:
  f4_2x3.npy        float32 [2, 3]: arange(6) * 0.5 - 1
  f8_5.npy          float64 [5]: 0.1, -2.5, 1e300, -0.0, 5e-324
  i4_4.npy          int32 [4]: INT32_MIN, 0, INT32_MAX, 7
  i8_3.npy          int64 [3]: INT64_MIN, 2**40, -1
  u1_2x3x4.npy      uint8 [2, 3, 4]: arange(24) * 10 (mod 256)
  f8_scalar.npy     float64, rank 0: 3.25
  f4_3x0.npy        float32 [3, 0]: no elements
  i4_v2.npy         int32 [3]: 1, 2, 3, in format version 2.0
  f4_v3.npy         float32 [2]: 1.5, -1.5, in format version 3.0
Refused by actlab:
  f4_fortran.npy    float32 [2, 3] in Fortran order
  f4_bigendian.npy  big-endian float32 [4]: 0, 1, 2, 3
"""
import argparse
import os

import numpy as np


def write_version(path, array, version):
    with open(path, "wb") as f:
        np.lib.format.write_array(f, array, version=version)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "fixtures", "npy"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    def out(name):
        return os.path.join(args.out, name)

    np.save(out("f4_2x3.npy"), (np.arange(6, dtype="<f4") * 0.5 - 1).reshape(2, 3))
    np.save(out("f8_5.npy"), np.array([0.1, -2.5, 1e300, -0.0, 5e-324], dtype="<f8"))
    np.save(out("i4_4.npy"), np.array([-2**31, 0, 2**31 - 1, 7], dtype="<i4"))
    np.save(out("i8_3.npy"), np.array([-2**63, 2**40, -1], dtype="<i8"))
    np.save(out("u1_2x3x4.npy"), (np.arange(24) * 10 % 256).astype("u1").reshape(2, 3, 4))
    np.save(out("f8_scalar.npy"), np.array(3.25, dtype="<f8"))
    np.save(out("f4_3x0.npy"), np.zeros((3, 0), dtype="<f4"))
    write_version(out("i4_v2.npy"), np.array([1, 2, 3], dtype="<i4"), (2, 0))
    write_version(out("f4_v3.npy"), np.array([1.5, -1.5], dtype="<f4"), (3, 0))
    np.save(out("f4_fortran.npy"),
            np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
    np.save(out("f4_bigendian.npy"), np.arange(4, dtype=">f4"))

    for name in sorted(os.listdir(args.out)):
        size = os.path.getsize(out(name))
        assert size < 2048, f"{name} is {size} bytes; fixtures must stay small"


if __name__ == "__main__":
    main()
