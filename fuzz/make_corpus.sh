#!/usr/bin/env bash
# Regenerates the seed corpora in fuzz/corpus/ from fuzz/make_corpus.c, built
# against libactlab.a from a CMake build folder (default build/release, built
# when it has no library yet). Every seed comes from make_corpus.c, so the
# folder is replaced as a whole; inputs that once crashed live in fuzz/regress/.
# Usage: fuzz/make_corpus.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
if [ ! -f "$build/libactlab.a" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j "$(nproc)" --target actlab_static
fi
exe="$build/make_corpus"
# shellcheck disable=SC2046  # pkg-config's flags are meant to split
cc -std=c11 -O1 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -Iinclude -Ifuzz fuzz/make_corpus.c \
   "$build/libactlab.a" $(pkg-config --libs jansson) -ldnnl -lsleef -lz -lm -fopenmp -o "$exe"
rm -rf fuzz/corpus.new
OMP_NUM_THREADS=1 "$exe" fuzz/corpus.new
rm -rf fuzz/corpus
mv fuzz/corpus.new fuzz/corpus
echo "fuzz/corpus: $(find fuzz/corpus -type f | wc -l) files, $(find fuzz/corpus -type f -exec cat {} + | wc -c) bytes"
