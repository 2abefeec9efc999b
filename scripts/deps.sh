#!/usr/bin/env bash
# Installs the Debian packages actlab needs that are missing. Idempotent; when
# everything is present it only asks dpkg, which takes well under a second.
# Usage: scripts/deps.sh [build|test|fuzz|bench|all]   (default: test)
#   build: compilers and libraries (libmicrohttpd for `actlab serve`); test: +
#   valgrind (memcheck runs in make test), chromium (the report and the
#   playground are rendered headless), Open MPI (mpirun and its headers: the
#   default build then shares compare's and study's jobs among MPI ranks, and
#   test_mpi runs them) and Node.js with npm when `node` is missing (the
#   playground's browser tests); fuzz: + clang's libFuzzer; bench: + PyTorch
#   and NumPy for the baselines.
set -euo pipefail
what=${1:-test}
pkgs=(build-essential cmake pkg-config libdnnl-dev libsleef-dev zlib1g-dev
      libjansson-dev libmicrohttpd-dev dataset-fashion-mnist)
case "$what" in
  build) ;;
  test) pkgs+=(valgrind chromium openmpi-bin libopenmpi-dev) ;;
  fuzz) pkgs+=(clang libclang-rt-14-dev) ;;
  bench) pkgs+=(python3-torch python3-numpy) ;;
  all) pkgs+=(valgrind chromium openmpi-bin libopenmpi-dev clang libclang-rt-14-dev python3-torch python3-numpy) ;;
  *) echo "deps.sh: unknown target '$what' (use build, test, fuzz, bench or all)" >&2; exit 2 ;;
esac
# the browser tests drive Chromium from Node.js; a machine that has its own node keeps it
if [ "$what" = test ] || [ "$what" = all ]; then
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs npm)
fi
missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps.sh: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
