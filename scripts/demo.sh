#!/usr/bin/env bash
# `make demo`: every study of the catalogue at its quick budget on
# Fashion-MNIST (a few minutes on 2 cores), an HTML report with the charts
# and tables, and the findings on the terminal: each verdict with the paired
# comparisons behind it (fair arms: tuned learning rates, matched inits).
# All but leaky-prelu-depth-conv, whose 228 CNN runs would more than double
# the demo's time: it runs by name.
set -euo pipefail
cd "$(dirname "$0")/.."
actlab=${1:-build/release/actlab}
out=build/demo
mkdir -p "$out"
# fresh results every time: a demo shows what this build measures now
rm -rf "$out/jobs"
studies=(selu-fixed-point vanishing consistency kink dead-units dead-units-conv smoothness leaky-prelu-depth
         zero-centering)
echo "== actlab study ${studies[*]}"
echo "   (quick budgets on Fashion-MNIST; progress below, findings at the end)"
# wall time, and the CPU time of the studies and their workers: on a machine
# other work is loading, the second says what the demo itself costs
TIMEFORMAT='%R s wall, %U s user + %S s system CPU'
exec 4>&1
timing=$( { time "$actlab" study "${studies[@]}" --out "$out/jobs" --report "$out/report" >&4 2>&3 ; } 3>&2 2>&1 )
echo
echo "The demo took $timing. Report: $out/report/index.html"
echo "Each study: \`$actlab study list\`; larger budgets: \`$actlab study NAME --full\` (hours);"
echo "the CNN depth study: \`$actlab study leaky-prelu-depth-conv\` (3 to 10 minutes on 2 cores, by their load)."
echo
echo "Next, watch a network learn in your browser (every activation, dead units, the kink):"
echo "    $actlab serve        # then open http://127.0.0.1:8080/"
