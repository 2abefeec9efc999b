#!/usr/bin/env bash
# Checks the layering and that the library prints nothing (check_layers.sh,
# one test), builds actlab twice (Release, then ASan+UBSan) and runs every test in each,
# then a short training, eval, predict and `act eval` of the Release build
# under valgrind memcheck (scripts/valgrind.sh), which counts as one test.
# The last line is the total: "N passed, N failed" (", N skipped" when a test
# skipped itself, as test_mpi does in a build without MPI; skipped is not passed).
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
passed=0; failed=0; skipped=0
run_suite() {  # name, build dir, extra cmake args...
  local name=$1 dir=$2; shift 2
  echo "== $name build ($dir)"
  if ! cmake -S . -B "$dir" "$@" >"$dir.configure.log" 2>&1 && ! { mkdir -p "$dir" && cmake -S . -B "$dir" "$@" >"$dir.configure.log" 2>&1; }; then
    cat "$dir.configure.log"; echo "$name: configure failed"; failed=$((failed + 1)); return
  fi
  if ! cmake --build "$dir" -j "$jobs"; then
    echo "$name: build failed"; failed=$((failed + 1)); return
  fi
  local log="$dir/ctest.log"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 900) 2>&1 | tee "$log"
  local p f s
  p=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed' "$log")
  s=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*\*\*\*Skipped' "$log")
  f=$(grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*(\*\*\*|Failed|Timeout|Exception)' "$log" | grep -cv '\*\*\*Skipped')
  echo "$name: $p passed, $f failed$([ "$s" -gt 0 ] && echo ", $s skipped (run them in $dir to see why)")"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}
mkdir -p build
echo "== house rules (scripts/check_layers.sh)"
if scripts/check_layers.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
run_suite release build/release -DCMAKE_BUILD_TYPE=Release
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite asan build/asan -DCMAKE_BUILD_TYPE=Debug -DACTLAB_SANITIZE=ON
echo "== valgrind memcheck (build/release)"
if scripts/valgrind.sh build/release; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
echo "$passed passed, $failed failed$([ "$skipped" -gt 0 ] && echo ", $skipped skipped")"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
