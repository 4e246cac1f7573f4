#!/usr/bin/env bash
# The whole `blurkit-bench score` on the demo's test sets (data_manifests/demo_panorama.json split
# test: 128 samples 128x128 F = 3; demo_video.json split test: the held-out clip cup.mp4, 128x128
# crops, F = 3), with every metric against the same command with `--no-clip-metrics` (the scores
# blurkit-bench computed before the field's metrics), in the same run: one thread, the median of
# three runs each, the blurred-input baseline as the method. Prints seconds and the ratio.
# Usage: scripts/perf/score.sh [BUILD_DIR]   (needs scripts/fetch_samples.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/perf/ratio.sh"
build=${1:-$root/build}
synth="$build/synth/blurkit-synth" bench="$build/bench/blurkit-bench"
[ -x "$bench" ] || { echo "score: $bench missing; run scripts/setup.sh first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split test --out "$work/panorama" -q >/dev/null
"$synth" video --manifest "$root/data_manifests/demo_video.json" --split test --out "$work/video" -q >/dev/null
median() { sort -g | sed -n 2p; }
seconds() {  # DATASET [extra score options]: the median of three runs
  local gt=$1; shift
  for k in 1 2 3; do
    rm -rf "$work/s"
    local start end
    start=$(date +%s.%N)
    "$bench" score --gt "$gt" --pred blurred-input --no-baseline --strips 0 -j 1 -q --out "$work/s" "$@" >/dev/null
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }'
  done | median
}
printf '%-34s %10s %16s %8s\n' "test set (one thread)" "samples" "s, before / all" "ratio"
for set in panorama video; do
  n=$(jq '.num_samples' "$work/$set/index.json")
  before=$(seconds "$work/$set" --no-clip-metrics)
  all=$(seconds "$work/$set")
  r=$(div "$all" "$before")
  printf '%-34s %10s %16s %8s\n' "demo $set test" "$n" "$before / $all" "${r}x"
  ratio "score with every metric / without the field's metrics, demo $set test, 1 thread" "$r" "<= 2"
done
