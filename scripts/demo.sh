#!/usr/bin/env bash
# The README's main command: from a fresh clone to a cross-dataset report on real data.
#   1. installs what is missing and builds (scripts/setup.sh);
#   2. fetches the sample data and checks it against data_manifests/samples.json;
#   3. runs the pipeline (scripts/pipeline.sh): ten datasets (panoramas along constant-velocity,
#      hand-shake and recorded paths and through a real camera's pipeline, photographs along shake
#      paths, video; train and test), two small
#      models trained for a fixed budget, predictions, and blurkit-bench's matrix, tables, charts
#      and HTML report, with the blurred-input baseline alongside.
# Every stage is skipped when its output is complete; --fresh starts over.
#
# Usage: scripts/demo.sh [--fresh] [--out DIR] [--panorama-steps N] [--video-steps N]
#   (defaults: runs/demo and the budgets of scripts/demo_settings.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
args=()
out="$root/runs/demo"
while [ $# -gt 0 ]; do
  case "$1" in
    --fresh) args+=(--fresh) ;;
    --out) out=$2; args+=(--out "$2"); shift ;;
    --panorama-steps|--video-steps) args+=("$1" "$2"); shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
start=$(date +%s)
echo "== install and build =="
"$root/scripts/setup.sh"
echo "== sample data =="
"$root/scripts/fetch_samples.sh"
"$root/scripts/pipeline.sh" "${args[@]}"
echo
cat "$out/report/matrix.md"
echo
echo "demo: finished in $(( $(date +%s) - start )) s"
echo "demo: open $out/report/report.html in a browser (self-contained: tables, charts, images)"
