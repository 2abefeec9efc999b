#!/usr/bin/env bash
# `make demo`: until training lands, shows the activation table and writes a
# plot of the common activations and their derivatives.
set -euo pipefail
cd "$(dirname "$0")/.."
actlab=${1:-build/release/actlab}
out=build/demo
mkdir -p "$out"
echo "== actlab act list"
"$actlab" act list
echo
echo "== plots"
"$actlab" act plot 'ReLU()' 'LeakyReLU(negative_slope=0.1)' 'ELU()' 'GELU()' 'SiLU()' 'Tanh()' 'Sigmoid()' \
    --range -4,4 --out "$out/activations.svg"
"$actlab" act plot 'ReLU()' 'ReLU(kink=0.5)' 'ReLU(kink=1)' --range -2,2 --out "$out/relu_kink.svg"
echo "wrote $out/activations.svg and $out/relu_kink.svg (open them in a browser)"
