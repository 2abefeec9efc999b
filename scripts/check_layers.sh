#!/usr/bin/env bash
# The house rules that a compiler does not check, run by `make test`:
#  1. Layering. Folders are ranked in the order data flows (docs/architecture.md):
#       base < io < spec < act < nn < optim = data < probe < train < stats
#       < report < study < serve < cli
#     A file may include headers of its own folder and of lower ranks only;
#     optim and data are peers and include neither each other. A public header
#     include/actlab/X.h belongs to the folder named for it below; a header
#     that is not listed fails the check, so a new one must be placed.
#  2. Silence. Nothing under src/ writes to stdout or stderr: the library
#     reports through al_error and the callbacks its caller passes.
# Prints every violation as file:line and exits 1 when there is one.
set -uo pipefail
cd "$(dirname "$0")/.."

rank_of_folder() {
  case "$1" in
    base) echo 0 ;; io) echo 1 ;; spec) echo 2 ;; act) echo 3 ;; nn) echo 4 ;;
    optim | data) echo 5 ;; probe) echo 6 ;; train) echo 7 ;; stats) echo 8 ;;
    report) echo 9 ;; study) echo 10 ;; serve) echo 11 ;; cli) echo 12 ;;
    *) echo "" ;;
  esac
}

folder_of_public_header() {
  case "$1" in
    status.h | rng.h | util.h | array.h) echo base ;;
    npy.h | safetensors.h | jsonl.h) echo io ;;
    spec.h) echo spec ;;
    act.h) echo act ;;
    nn.h | loss.h) echo nn ;;
    optim.h) echo optim ;;
    data.h | synth.h) echo data ;;
    probe.h | gradcheck.h) echo probe ;;
    train.h) echo train ;;
    stats.h) echo stats ;;
    report.h | svg.h) echo report ;;
    compare.h | study.h | cluster.h) echo study ;;
    serve.h) echo serve ;;
    actlab.h) echo all ;;
    *) echo "" ;;
  esac
}

bad=0
fail() { echo "check_layers: $*"; bad=1; }

# the folder a quoted include names: "base/x.h" -> base, "actlab/x.h" -> its module
target_folder() {
  local inc=$1
  case "$inc" in
    actlab/*) folder_of_public_header "${inc#actlab/}" ;;
    */*) echo "${inc%%/*}" ;;
    *) echo "." ;;   # same folder
  esac
}

check_file() {  # file, its folder
  local file=$1 own=$2 own_rank
  own_rank=$(rank_of_folder "$own")
  if [ -z "$own_rank" ]; then fail "$file: folder '$own' has no rank (add it to scripts/check_layers.sh)"; return; fi
  local line inc tf tr
  while IFS=: read -r line inc; do
    inc=${inc#*\"}; inc=${inc%%\"*}
    tf=$(target_folder "$inc")
    [ "$tf" = "." ] && continue
    if [ -z "$tf" ]; then fail "$file:$line: includes \"$inc\", a header with no folder (place it in scripts/check_layers.sh)"; continue; fi
    if [ "$tf" = all ]; then fail "$file:$line: includes the umbrella \"$inc\"; include the headers it needs"; continue; fi
    [ "$tf" = "$own" ] && continue
    tr=$(rank_of_folder "$tf")
    if [ -z "$tr" ]; then fail "$file:$line: includes \"$inc\" from unknown folder '$tf'"; continue; fi
    if [ "$tr" -gt "$own_rank" ]; then
      fail "$file:$line: $own includes \"$inc\" of $tf, a higher layer"
    elif [ "$tr" -eq "$own_rank" ]; then
      fail "$file:$line: $own includes \"$inc\" of $tf, a peer layer"
    fi
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" | sed 's/^\([0-9]*\):/\1:/')
}

for h in include/actlab/*.h; do
  name=${h#include/actlab/}
  f=$(folder_of_public_header "$name")
  if [ -z "$f" ]; then fail "$h: public header with no folder (place it in scripts/check_layers.sh)"; continue; fi
  [ "$f" = all ] && continue
  check_file "$h" "$f"
done
for f in src/*/*.c src/*/*.h src/*/*.inc; do
  [ -e "$f" ] || continue
  folder=${f#src/}; folder=${folder%%/*}
  check_file "$f" "$folder"
done

# silence: no stdout/stderr and no printing calls in the library (comments
# are stripped first so that they may mention them)
for f in src/*/*.c src/*/*.h src/*/*.inc; do
  [ -e "$f" ] || continue
  sed -e 's#/\*.*\*/##g' -e '/\/\*/,/\*\//d' -e 's#//.*$##' "$f" |
    grep -nE '\b(stdout|stderr)\b|(^|[^a-z_.>])(printf|puts|putchar|perror|vprintf)[[:space:]]*\(' |
    while IFS= read -r hit; do echo "check_layers: $f: writes to the terminal: ${hit#*:}"; done
done | tee /tmp/check_layers.$$ || true
if [ -s /tmp/check_layers.$$ ]; then bad=1; fi
rm -f /tmp/check_layers.$$

if [ "$bad" -eq 0 ]; then echo "check_layers: layering and silence hold ($(ls src/*/*.c | wc -l) sources)"; fi
exit "$bad"
