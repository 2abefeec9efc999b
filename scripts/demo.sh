#!/usr/bin/env bash
# `make demo`: every study of the catalogue at its quick budget on
# Fashion-MNIST (about two minutes on 2 cores), an HTML report with the
# charts and tables, and the headline findings on the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
actlab=${1:-build/release/actlab}
out=build/demo
mkdir -p "$out"
# fresh results every time: a demo shows what this build measures now
rm -rf "$out/jobs"
studies=(selu-fixed-point vanishing consistency kink dead-units smoothness leaky-prelu-depth zero-centering)
echo "== actlab study ${studies[*]}"
echo "   (quick budgets on Fashion-MNIST; progress below, findings at the end)"
start=$(date +%s)
"$actlab" study "${studies[@]}" --out "$out/jobs" --report "$out/report"
end=$(date +%s)
echo
echo "The demo took $((end - start)) s. Report: $out/report/index.html"
echo "Each study: \`$actlab study list\`; larger budgets: \`$actlab study NAME --full\`."
echo
echo "Next, watch a network learn in your browser (every activation, dead units, the kink):"
echo "    $actlab serve        # then open http://127.0.0.1:8080/"
