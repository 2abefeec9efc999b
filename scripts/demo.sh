#!/usr/bin/env bash
# `make demo`: the activation table, plots of activations and derivatives,
# and a short training run on Fashion-MNIST.
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
echo
echo "== training an MLP on Fashion-MNIST (10 epochs, SGD with momentum, cosine schedule)"
"$actlab" train --model 'Linear(784, 256), ReLU(), Linear(256, 256), ReLU(), Linear(256, 10)' \
    --data fashion-mnist --epochs 10 --batch 128 --opt sgd --lr 0.05 --momentum 0.9 \
    --schedule cosine --seed 1 --save "$out/mlp.safetensors" --log "$out/mlp.jsonl"
echo "weights: $out/mlp.safetensors (loadable by PyTorch), metrics: $out/mlp.jsonl"
