#!/usr/bin/env bash
# The quality target of docs/cnn.md: bench/cnn's network on Fashion-MNIST
# trained with the documented recipe for seeds 1, 2 and 3 (one after the
# other, one thread each unless THREADS says otherwise); each seed's log goes
# to OUT_DIR/seed<S>.jsonl and its last line (test accuracy) is printed.
# Usage: scripts/cnn_quality.sh [BUILD_DIR] [OUT_DIR]     (about 15 epochs x 3)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
out=${2:-cnn-quality}
threads=${THREADS:-1}
mkdir -p "$out"
model='Conv2d(1, 32, 5, padding=2), ReLU(), MaxPool2d(2), Conv2d(32, 64, 5, padding=2), ReLU(), MaxPool2d(2), Flatten(), Linear(3136, 1024), ReLU(), Linear(1024, 10)'
for seed in 1 2 3; do
  "$build/actlab" train --data fashion-mnist --model "$model" --batch 64 --epochs 15 --lr 0.02 \
    --momentum 0.9 --weight-decay 5e-4 --schedule cosine --seed "$seed" --threads "$threads" --quiet \
    --log "$out/seed$seed.jsonl" --save "$out/seed$seed.safetensors" | sed "s/^/seed $seed: /"
done
