#!/usr/bin/env bash
# Runs a short training (checkpoints, --resume, log, --save), a convolutional
# one (oneDNN's primitives, probes per channel), eval, predict (also from a
# gzip CSV in scikit-learn's format, with validation, early stopping, the best
# epoch and the stored standardisation, and a regression) and `act eval` of a
# BUILD_DIR's actlab under valgrind memcheck, each with
# leaks (definite, indirect, possible) counted as errors. Also some commands
# that fail on purpose, since error paths are where leaks hide.
# Usage: scripts/valgrind.sh BUILD_DIR     (exit 0 when every run is clean)
#
# One OpenMP thread: valgrind runs one thread at a time, and spin-waiting
# workers would slow every run many times over. oneDNN generates its kernels
# for the CPU valgrind presents (no AVX-512). No suppressions are needed:
# neither libgomp nor oneDNN reports anything (their buffers are still
# reachable at exit, which is not counted).
set -uo pipefail
if [ $# -ne 1 ] || [ ! -x "$1/actlab" ]; then
  echo "usage: $0 BUILD_DIR   (BUILD_DIR/actlab must exist)" >&2
  exit 2
fi
cli=$(cd "$1" && pwd)/actlab
command -v valgrind >/dev/null || { echo "valgrind is not installed (scripts/deps.sh test)" >&2; exit 2; }
export OMP_NUM_THREADS=1
work=$(mktemp -d /tmp/actlab_valgrind_XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2

# npy DESCR SHAPE FILE BYTES: an NPY v1.0 file; BYTES is printf escapes.
npy() {
  local dict="{'descr': '$1', 'fortran_order': False, 'shape': $2, }"
  local len=$((${#dict} + 1)) pad
  pad=$(((64 - (10 + len) % 64) % 64))
  len=$((len + pad))
  {
    printf '\x93NUMPY\x01\x00'
    printf "\\x$(printf %02x $((len & 255)))\\x$(printf %02x $((len >> 8)))"
    printf '%s%*s\n' "$dict" "$pad" ''
    printf "$4"
  } >"$3"
}
# x [96, 4] float32 from five exact values, the class's feature set to 2;
# y [96] int32 in 0..2.
floats=('\x00\x00\x00\x00' '\x00\x00\x80\x3f' '\x00\x00\x00\x3f' '\x00\x00\x80\xbf' '\x00\x00\x40\x40')
x=""; y=""
for ((i = 0; i < 96; i++)); do
  c=$((i % 3)); y+="\\x0$c\\x00\\x00\\x00"
  for ((k = 0; k < 4; k++)); do
    if ((k == c)); then x+='\x00\x00\x00\x40'; else x+=${floats[$(((i * 7 + k * 3) % 5))]}; fi
  done
done
npy '<f4' '(96, 4)' x.npy "$x"
npy '<i4' '(96,)' y.npy "$y"
npy '<f4' '(1, 4)' bad-nan.npy '\x00\x00\x00\x00\x00\x00\xc0\x7f\x00\x00\x00\x00\x00\x00\x00\x00'
printf 'not an npy file\n' >bad.npy
# the same rows as a gzip CSV behind scikit-learn's count line, and a regression CSV
{ echo "96,4,a,b,c"; for ((i = 0; i < 96; i++)); do c=$((i % 3));
    echo "$(( (i * 7) % 5 )),$(( (i * 3) % 4 )).5,$((c * 2)),$(( i % 7 )),$c"; done; } | gzip -n >rows.csv.gz
{ echo "u,v,target"; for ((i = 0; i < 40; i++)); do echo "$i,$(( i % 5 )),$(( 2 * i + 1 )).25"; done; } >reg.csv

model='Linear(4, 16), BatchNorm1d(16), PReLU(), Dropout(p=0.2), Linear(16, 3)'
passed=0; failed=0
# vg EXPECTED_STATUS NAME ARGS...: runs actlab ARGS under memcheck.
vg() {
  local want=$1 name=$2; shift 2
  valgrind -q --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
    --log-file="$name.vg.log" "$cli" "$@" >"$name.out" 2>"$name.err"
  local rc=$?
  if [ "$rc" -eq "$want" ] && [ ! -s "$name.vg.log" ]; then
    passed=$((passed + 1)); echo "  ok    $name"
  else
    failed=$((failed + 1)); echo "  FAIL  $name: exit $rc (want $want; 99 = memcheck errors)"
    cat "$name.vg.log" "$name.err"
  fi
}

echo "== valgrind memcheck: $cli"
vg 0 train-first  train --model "$model" --train x.npy,y.npy --val 24 --epochs 2 --batch 16 --lr 0.05 \
  --momentum 0.9 --seed 1 --checkpoint-dir ck --log run.jsonl --quiet
vg 0 train-resume train --model "$model" --train x.npy,y.npy --val 24 --epochs 4 --batch 16 --lr 0.05 \
  --momentum 0.9 --seed 1 --checkpoint-dir ck --resume --log run.jsonl --save m.safetensors --quiet
vg 0 train-adam   train --model 'Linear(4, 8), GELU(), Linear(8, 3)' --train x.npy,y.npy --steps 20 \
  --batch 32 --opt adamw --schedule cosine --standardize --quiet
conv='Unflatten(1, (1, 2, 2)), Conv2d(1, 4, 2, padding=1), BatchNorm2d(4), PReLU(num_parameters=4), MaxPool2d(2), Flatten(), Linear(4, 3)'
vg 0 train-conv   train --model "$conv" --train x.npy,y.npy --val 24 --epochs 2 --batch 16 --probe \
  --probe-log conv.jsonl --save cnn.safetensors --quiet
vg 0 predict-conv predict --model "$conv" --weights cnn.safetensors --in x.npy --out pc.npy
vg 0 eval         eval --model "$model" --weights m.safetensors --test x.npy,y.npy
vg 0 predict      predict --model "$model" --weights m.safetensors --in x.npy --out p.npy
vg 0 train-csv    train --model 'Linear(4, 8), ReLU(), Linear(8, 3)' --train rows.csv.gz --val 0.2 \
  --early-stop 2 --keep-best --standardize --epochs 6 --batch 16 --save c.safetensors --quiet
vg 0 eval-csv     eval --weights c.safetensors --train rows.csv.gz --quiet
vg 0 predict-csv  predict --weights c.safetensors --in rows.csv.gz --quiet
vg 0 train-reg    train --model 'Linear(2, 1)' --train reg.csv --opt adam --epochs 3 --save r.safetensors --quiet
vg 0 eval-reg     eval --weights r.safetensors --train reg.csv --quiet
vg 0 act-eval     act eval 'ELU(alpha=0.5)' --in x.npy --out ex.npy --grad-in x.npy --grad-out dx.npy
vg 0 act-prelu    act eval 'PReLU(num_parameters=4)' --in x.npy --out px.npy --grad-in x.npy \
  --grad-out pdx.npy --weight-grad-out pdw.npy
vg 0 act-rrelu    act eval 'RReLU()' --train --seed 3 --in x.npy --out rx.npy
# error paths: each must fail cleanly, with nothing leaked
vg 1 bad-data     train --model "$model" --train bad.npy,y.npy --quiet
vg 1 bad-weights  eval --model 'Linear(4, 5), ReLU(), Linear(5, 3)' --weights m.safetensors --test x.npy,y.npy
vg 1 diverged     train --model "$model" --train x.npy,y.npy --lr 1e9 --batch 8 --save d.safetensors --quiet
vg 1 predict-nan  predict --weights c.safetensors --in bad-nan.npy
vg 2 bad-spec     train --model 'Linear(4, 16), Relu(), Linear(16, 3)' --train x.npy,y.npy --quiet
vg 1 bad-out      act eval 'ReLU()' --in x.npy --out no/such/dir/y.npy
echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
