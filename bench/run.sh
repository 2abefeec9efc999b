#!/usr/bin/env bash
# Runs every benchmark with its baselines measured in the same run, and
# prints each target of issue 14 as a ratio. Usage: bench/run.sh [BUILD_DIR]
# (make bench calls it).
#   ACTLAB_BENCH_QUICK=1     fewer elements and training steps, no full erf sweep
#   ACTLAB_BENCH_ROUNDS=N    rounds of the MLP and compare runs (default 3): the
#                            implementations alternate within a round and each
#                            figure is the median over rounds
# The machine's load average is printed with every figure: figures taken on a
# loaded machine (load well above 0 on top of the benchmark itself) are noisy,
# two-thread ones most of all.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
py=/usr/bin/python3
quick=${ACTLAB_BENCH_QUICK:-0}
rounds=${ACTLAB_BENCH_ROUNDS:-3}
if [ "$quick" = 1 ]; then
  n=${ACTLAB_BENCH_N:-4194304}; steps=200; warmup=10
else
  n=${ACTLAB_BENCH_N:-16777216}; steps=938; warmup=20   # 938 steps = 2 epochs
fi
load() { cut -d' ' -f1 /proc/loadavg; }
echo "# $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average $(load)"

have_torch=0
if $py -c 'import torch' 2>/dev/null; then
  have_torch=1
else
  echo "bench: PyTorch not found (apt-get install python3-torch): no baseline columns" >&2
fi

# ---- activations ------------------------------------------------------------
if [ "$have_torch" = 1 ]; then
  for t in 1 2; do
    echo "bench: PyTorch activations, $t thread(s)..." >&2
    $py bench/torch_act.py --n "$n" --threads "$t" > "$out/torch$t.tsv"
  done
fi
echo "bench: actlab activations (load $(load))..." >&2
echo
"$build/bench_act" --n "$n" --torch1 "$out/torch1.tsv" --torch2 "$out/torch2.tsv"
echo "# load average after the activations: $(load)"

# ---- erf accuracy -------------------------------------------------------------
if [ "$quick" != 1 ]; then
  echo "bench: the vector erf over every float32 in [-10, 10]..." >&2
  echo
  "$build/bench_math"
fi

# ---- MLP training -------------------------------------------------------------
# Each run is its own process, so each peak RSS is that run's alone. PyTorch
# runs as installed (OPENBLAS_CORETYPE unset: OpenBLAS picks its kernels from
# CPUID), with OPENBLAS_CORETYPE=SkylakeX on AVX-512 CPUs (Debian's OpenBLAS
# 0.3.21 can take recent CPUs for older cores), and with the environment's
# OPENBLAS_CORETYPE when it names another core; the best of these is "its best
# BLAS setting". Rows: impl threads samples/s limit %limit rss, then the load.
configs=(installed)
if grep -qw avx512f /proc/cpuinfo; then configs+=(SkylakeX); fi
env_core=${OPENBLAS_CORETYPE:-}
if [ -n "$env_core" ] && [ "${env_core,,}" != skylakex ]; then configs+=("$env_core"); fi
run_row() {  # file, command...: appends the command's result row and the load;
  local file=$1; shift  # the first round's full outputs go to the report
  local row
  row=$("$@" | tee "$out/last" | awk '!found && ($1 == "actlab" || $1 == "torch") { print; found = 1 }')
  [ "$r" -gt 1 ] || { cat "$out/last"; echo; } >> "$out/first_round"
  echo "$row $(load)" >> "$file"
}
echo >&2
echo "bench: MLP training, $steps steps after $warmup warm-up, $rounds rounds..." >&2
for ((r = 1; r <= rounds; r++)); do
  for t in 1 2; do
    echo "bench: round $r, $t thread(s): actlab (load $(load))" >&2
    run_row "$out/mlp_actlab_$t" "$build/bench_mlp" --threads "$t" --steps "$steps" --warmup "$warmup"
    [ "$have_torch" = 1 ] || continue
    for c in "${configs[@]}"; do
      echo "bench: round $r, $t thread(s): PyTorch, OpenBLAS core $c (load $(load))" >&2
      if [ "$c" = installed ]; then
        run_row "$out/mlp_torch_${c}_$t" env -u OPENBLAS_CORETYPE $py bench/torch_mlp.py --threads "$t" \
          --steps "$steps" --warmup "$warmup"
      else
        run_row "$out/mlp_torch_${c}_$t" env OPENBLAS_CORETYPE="$c" $py bench/torch_mlp.py --threads "$t" \
          --steps "$steps" --warmup "$warmup"
      fi
    done
  done
done
echo
echo "## MLP training, the first round's runs in full"
cat "$out/first_round"
echo "## MLP training, every run (config, impl threads samples/s GEMM-bound/s %limit peak_RSS_MiB, load)"
for f in "$out"/mlp_*; do
  name=$(basename "$f" | sed 's/^mlp_//')
  while read -r line; do printf '%-22s %s\n' "$name" "$line"; done < "$f"
done

# median of column $2 of file $1 (empty when the file is missing)
med() { [ -f "$1" ] && sort -g -k"$2","$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { if (NR) print v[int((NR + 1) / 2)] }'; }
echo
echo "## MLP training: medians over $rounds rounds, and the targets"
printf '%-7s %10s %10s %10s %12s %9s %9s %8s %10s\n' threads actlab torch_inst torch_best best_config \
  x_best x_inst '%limit' rss_ratio
for t in 1 2; do
  a=$(med "$out/mlp_actlab_$t" 3); lim=$(med "$out/mlp_actlab_$t" 5); rss=$(med "$out/mlp_actlab_$t" 6)
  inst=$(med "$out/mlp_torch_installed_$t" 3); trss=$(med "$out/mlp_torch_installed_$t" 6)
  best=""; best_c="-"
  for c in "${configs[@]}"; do
    v=$(med "$out/mlp_torch_${c}_$t" 3)
    if [ -n "$v" ] && { [ -z "$best" ] || awk -v x="$v" -v y="$best" 'BEGIN { exit !(x > y) }'; }; then
      best=$v; best_c=$c
    fi
  done
  awk -v t="$t" -v a="$a" -v i="$inst" -v b="$best" -v bc="$best_c" -v lim="$lim" -v rss="$rss" -v trss="$trss" '
    function v(x) { return x == "" ? "-" : sprintf("%.0f", x) }
    function r(x, y) { return (x == "" || y == "" || y == 0) ? "-" : sprintf("%.2fx", x / y) }
    BEGIN { printf "%-7s %10s %10s %10s %12s %9s %9s %8s %10s\n", t, v(a), v(i), v(b), bc, r(a, b), r(a, i),
            (lim == "" ? "-" : lim), r(rss, trss) }'
done
a1=$(med "$out/mlp_actlab_1" 3); a2=$(med "$out/mlp_actlab_2" 3)
awk -v a1="$a1" -v a2="$a2" 'BEGIN { printf "actlab 2 threads over 1 thread: %.2fx\n", a2 / a1 }'
# the same from each run's median step (column 7 for actlab, 7 for torch):
# steady on a loaded machine, where preempted steps drag the means down
m1=$(med "$out/mlp_actlab_1" 7); m2=$(med "$out/mlp_actlab_2" 7)
for t in 1 2; do
  m=$(med "$out/mlp_actlab_$t" 7); best=""
  for c in "${configs[@]}"; do
    v=$(med "$out/mlp_torch_${c}_$t" 7)
    if [ -n "$v" ] && { [ -z "$best" ] || awk -v x="$v" -v y="$best" 'BEGIN { exit !(x > y) }'; }; then best=$v; fi
  done
  awk -v t="$t" -v m="$m" -v b="$best" 'BEGIN { printf "by median step, %s thread(s): actlab %.0f, torch best %s, x_best %s\n", t, m,
    (b == "" ? "-" : sprintf("%.0f", b)), (b == "" || b == 0 ? "-" : sprintf("%.2fx", m / b)) }'
done
awk -v a1="$m1" -v a2="$m2" 'BEGIN { printf "by median step, actlab 2 threads over 1 thread: %.2fx\n", a2 / a1 }'
echo "# targets: x_best >= 1.60 and %limit >= 85% at 1 thread; 2 threads over 1 >= 1.80; rss_ratio <= 0.33"
echo "# x_best: over PyTorch with its best OpenBLAS setting (best_config); x_inst: over PyTorch as installed;"
echo "# %limit: actlab over 128 / (time of one step's products); rss_ratio: peak RSS over PyTorch's (as installed)"

# ---- compare's runner ---------------------------------------------------------
echo >&2
echo "bench: compare (load $(load))..." >&2
echo
"$build/bench_compare" --rounds "$rounds"

# ---- probes -------------------------------------------------------------------
# The same training with and without them, alternated in one process; the
# baseline is actlab itself (target: <= 5% overhead at the default interval).
echo
echo "bench: probe overhead (load $(load))..." >&2
"$build/bench_probe" --threads 1 --steps "$steps" --rounds "${ACTLAB_BENCH_PROBE_ROUNDS:-6}"
echo "# load average at the end: $(load)"

# ---- CNN ----------------------------------------------------------------------
# Training and inference beside PyTorch (bench/cnn.sh runs alone too).
echo
bench/cnn.sh "$build"
