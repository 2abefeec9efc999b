#!/usr/bin/python3
"""Fits the polynomial coefficients of erf and erfc in src/act/kernels.inc
(exp, log1p and tanh come from SLEEF).

Usage: /usr/bin/python3 scripts/fit_kernel_math.py   (needs numpy; prints C)

Each fit is a weighted minimax polynomial found by Lawson's algorithm
(iteratively reweighted least squares; C. L. Lawson, "Contributions to the
theory of linear least maximum approximation", thesis, UCLA 1961), on a dense
grid, relative error weighted, coefficients then rounded to float32:

  erfc: erfc(a) = e^(-a^2) Q(t), t = 1/(1 + p a), a in [0, 4.5]: the form of
        Abramowitz and Stegun 7.1.26 (Hastings 1955), with a polynomial of
        higher degree fitted here for float32 accuracy (7.1.26 itself is only
        good to 1.5e-7 absolute). Beyond 4.5 erfc(a) < 2e-10 and erf rounds
        to 1; the polynomial stays positive and bounded there.
  erf:  erf(x) = x (2/sqrt(pi) + x^2 R(x^2)) on |x| <= 1, where 1 - erfc
        would cancel; 2/sqrt(pi) in two floats.

The printed maximum errors are those of the float32 coefficients evaluated
in double; tests/test_act_math.c measures the float32 kernels themselves.
"""
import math

import numpy as np

ERFC_P = 0.45
ERFC_AMAX = 4.5
ERFC_DEGREE = 7
ERF_XMAX = 1.0
ERF_DEGREE = 6


def lawson(f, basis, weight, iterations=400):
    u = np.full(len(f), 1.0 / len(f))
    for _ in range(iterations):
        s = np.sqrt(u) * weight
        c, *_ = np.linalg.lstsq(basis * s[:, None], f * s, rcond=None)
        err = np.abs((basis @ c - f) * weight)
        u = u * err
        u /= u.sum()
    return c


def as_f32(c):
    return np.array(c, dtype=np.float32).astype(np.float64)


def show(name, coef, worst):
    print(f"/* {name}: max relative error {worst:.2e} (float32 coefficients, double evaluation) */")
    print("    " + ", ".join(f"{float(np.float32(v))!r}f" for v in coef) + ",")


def main():
    a = np.linspace(0, ERFC_AMAX, 40001)
    big_q = np.array([math.exp(v * v) * math.erfc(v) for v in a])
    t = 1 / (1 + ERFC_P * a)
    basis = np.stack([t**k for k in range(ERFC_DEGREE + 1)], 1)
    c = as_f32(lawson(big_q, basis, 1 / big_q))
    show(f"erfc: Q(t), t = 1/(1 + {ERFC_P} a), lowest power first", c,
         np.max(np.abs(basis @ c - big_q) / big_q))
    tail = np.linspace(0, 1 / (1 + ERFC_P * ERFC_AMAX), 1001)
    values = np.stack([tail**k for k in range(ERFC_DEGREE + 1)], 1) @ c
    print(f"/* Q on t in [0, t(amax)]: between {values.min():.3g} and {values.max():.3g} */")

    # erf: erf(x)/x = c0 + s R(s), s = x^2, with c0 = 2/sqrt(pi) kept in two
    # floats (its float32 rounding alone would be 0.9 ulp) and R fitted
    x = np.linspace(1e-3, ERF_XMAX, 40001)
    s = x * x
    c0 = 2 / math.sqrt(math.pi)
    c0_hi = float(np.float32(c0))
    c0_lo = float(np.float32(c0 - c0_hi))
    f = np.array([math.erf(v) / v for v in x])
    basis = np.stack([s**k for k in range(ERF_DEGREE)], 1)
    c = as_f32(lawson((f - c0) / s, basis, s / f))
    show("erf: 2/sqrt(pi) as hi, lo", [c0_hi, c0_lo], 0.0)
    show("erf: R(x^2), lowest power first", c, np.max(np.abs(c0_hi + c0_lo + s * (basis @ c) - f) / f))


if __name__ == "__main__":
    main()
