#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/fuzz_*.c) and the library sources with
# clang, ASan and UBSan into build/fuzz, then runs each harness for SECONDS
# (default 60) on a copy of its seeds (fuzz/corpus/NAME plus fuzz/regress/NAME;
# the committed folders are never written). Prints per harness the executions
# done and whether it crashed; exits 1 when any harness crashed, naming the
# input libFuzzer saved (docs/fuzzing.md says what to do with it).
#
# Usage: scripts/fuzz.sh [SECONDS]
#   FUZZ_JOBS=N   harnesses run at once (default 2 when there are 2 cores, else 1)
#   FUZZ_ONLY=a,b only these harnesses (names as in fuzz/fuzz_NAME.c)
#
# OpenMP: the library is compiled without -fopenmp, so its few `#pragma omp`
# loops run serially (deterministic, no thread pool under ASan, and clang's
# libomp-14-dev is not needed); the omp_* functions act.c calls are declared
# by a small omp.h written here and come from gcc's libgomp.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
seconds=${1:-60}
case "$seconds" in
  '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;;
esac
scripts/deps.sh fuzz || exit 2

out=build/fuzz
cc=${FUZZ_CC:-clang}
cores=$(nproc)
jobs=${FUZZ_JOBS:-$((cores >= 2 ? 2 : 1))}
max_len=8192

harnesses=()
for f in fuzz/fuzz_*.c; do
  name=${f#fuzz/fuzz_}
  name=${name%.c}
  if [ -n "${FUZZ_ONLY:-}" ] && [[ ",$FUZZ_ONLY," != *",$name,"* ]]; then
    continue
  fi
  harnesses+=("$name")
done
if [ ${#harnesses[@]} -eq 0 ]; then
  echo "fuzz.sh: no harness matches FUZZ_ONLY='${FUZZ_ONLY:-}'" >&2
  exit 2
fi

# ---- build ----------------------------------------------------------------
mkdir -p "$out/obj" "$out/bin" "$out/include"
gomp_lib=$(gcc -print-file-name=libgomp.so)
if [ ! -f "$gomp_lib" ]; then
  echo "fuzz.sh: gcc's libgomp.so not found (is build-essential installed?)" >&2
  exit 2
fi
cat >"$out/include/omp.h" <<'EOF'
/* Written by scripts/fuzz.sh: the OpenMP runtime calls the library makes,
 * for a build without -fopenmp (pragmas ignored); libgomp provides them. */
int omp_get_max_threads(void);
int omp_get_num_threads(void);
int omp_get_thread_num(void);
void omp_set_num_threads(int threads);
EOF
sanitize=("-fsanitize=address,undefined" -fno-sanitize-recover=all -fno-omit-frame-pointer)
# shellcheck disable=SC2207  # pkg-config's flags are meant to split
pkg_cflags=($(pkg-config --cflags jansson))
# shellcheck disable=SC2207
pkg_libs=($(pkg-config --libs jansson) -ldnnl)
# warnings are the gcc build's business (-Werror there); here they only
# flag the pragmas and team-size variables that serial code leaves unused
cflags=(-std=c11 -g -O1 -fno-math-errno -w
        -D_POSIX_C_SOURCE=200809L -DAL_HAVE_AVX2=1 -DAL_HAVE_AVX512=1
        -Iinclude -Isrc -Ifuzz -I"$out/include" "${pkg_cflags[@]}" "${sanitize[@]}")
libs=("${pkg_libs[@]}" -lsleef -lz -lm "$gomp_lib")

# objects are rebuilt when their source, any header or the flags changed
stamp="$out/obj/flags"
if [ "$(cat "$stamp" 2>/dev/null)" != "$cc ${cflags[*]}" ]; then
  rm -rf "$out/obj"
  mkdir -p "$out/obj"
  echo "$cc ${cflags[*]}" >"$stamp"
fi
stale() {  # object, source
  [ ! -f "$1" ] || [ "$2" -nt "$1" ] ||
    [ -n "$(find include src fuzz -name '*.h' -newer "$1" -print -quit)" ]
}
isa_flags() {  # the per-file target flags CMakeLists.txt gives the kernels
  case "$1" in
    src/act/kernels_avx2.c) echo "-mavx2 -mfma" ;;
    src/act/kernels_avx512.c) echo "-mavx512f -mavx512dq -mavx2 -mfma" ;;
  esac
}
compile() {  # source, object, extra flags...
  local src=$1 obj=$2
  shift 2
  mkdir -p "$(dirname "$obj")"
  "$cc" "${cflags[@]}" "$@" -c "$src" -o "$obj" 2>"$obj.log" || { cat "$obj.log" >&2; return 1; }
}
# background jobs: wait_below N waits until fewer than N run; a job that
# failed sets failed=1
running=0
failed=0
wait_below() {
  while [ "$running" -ge "$1" ]; do
    wait -n || failed=1
    running=$((running - 1))
  done
}

echo "fuzz.sh: building the library and ${#harnesses[@]} harnesses with $cc into $out"
objects=()
for src in $(find src -name '*.c' | sort); do
  obj="$out/obj/${src%.c}.o"
  objects+=("$obj")
  stale "$obj" "$src" || continue
  # shellcheck disable=SC2046  # isa_flags prints separate flags
  compile "$src" "$obj" -fsanitize=fuzzer-no-link $(isa_flags "$src") &
  running=$((running + 1))
  wait_below "$cores"
done
wait_below 1
[ "$failed" -eq 0 ] || { echo "fuzz.sh: the library did not build" >&2; exit 2; }
lib="$out/libactlab_fuzz.a"
rm -f "$lib"
ar rcs "$lib" "${objects[@]}" || exit 2
for name in "${harnesses[@]}"; do
  "$cc" "${cflags[@]}" -fsanitize=fuzzer "fuzz/fuzz_$name.c" "$lib" "${libs[@]}" \
    -o "$out/bin/fuzz_$name" || { echo "fuzz.sh: fuzz_$name did not build" >&2; exit 2; }
done

# ---- run --------------------------------------------------------------------
# one harness: a fresh copy of its seeds, libFuzzer's log kept, one result line
fuzz_one() {
  local name=$1
  local corpus="$out/corpus/$name" artifacts="$out/artifacts/$name" log="$out/logs/$name.log"
  rm -rf "$corpus" "$artifacts"
  mkdir -p "$corpus" "$artifacts" "$out/logs" "$out/results"
  cp fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null
  [ -d "fuzz/regress/$name" ] && cp fuzz/regress/"$name"/* "$corpus"/ 2>/dev/null
  OMP_NUM_THREADS=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$out/bin/fuzz_$name" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=$max_len \
    -timeout=20 -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
  local rc=$?
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$rc" -eq 0 ]; then
    printf '%-12s %10s executions  ok\n' "$name" "${execs:-?}" >"$out/results/$name"
  else
    local unit what
    unit=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    what=$(grep -m1 -E '^(SUMMARY|==[0-9]+==ERROR)' "$log" | cut -c1-160)
    {
      printf '%-12s %10s executions  CRASHED (exit %d)\n' "$name" "${execs:-?}" "$rc"
      printf '    %s\n' "${what:-see the log}"
      printf '    input: %s\n    log:   %s\n' "${unit:-none saved}" "$log"
    } >"$out/results/$name"
  fi
  return "$rc"
}

echo "fuzz.sh: running each harness for ${seconds}s, $jobs at a time (logs in $out/logs)"
rm -rf "$out/results"
for name in "${harnesses[@]}"; do
  fuzz_one "$name" &
  running=$((running + 1))
  wait_below "$jobs"
done
wait_below 1
for name in "${harnesses[@]}"; do
  cat "$out/results/$name" 2>/dev/null || printf '%-12s no result\n' "$name"
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz.sh: a harness crashed; reproduce with $out/bin/fuzz_NAME INPUT, then see docs/fuzzing.md"
  exit 1
fi
echo "fuzz.sh: no crashes"
