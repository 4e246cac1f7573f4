#!/usr/bin/env bash
# The camera pipeline's cost: `blurkit-synth panorama` writing 256x256 samples with F = 7 on one
# thread from an 8-bit panorama (where every step runs, the synthetic highlights included), with
# --camera-pipeline none (the ideal camera), rsblur and realblur-j (+ JPEG), in the same run:
# rounds that alternate the three, the fastest round of each counted. Prints seconds per sample and
# the ratios to the ideal camera (target: at most 1.5x).
# Usage: scripts/perf/camera.sh [BUILD_DIR]   (default: build; about 1 minute)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/perf/ratio.sh"
build=${1:-$root/build}
synth="$build/synth/blurkit-synth"
pano="$root/data/samples/panoramas/humus/citadella.png"
[ -x "$synth" ] || { echo "perf/camera: $synth missing; run scripts/setup.sh first" >&2; exit 1; }
[ -f "$pano" ] || { echo "perf/camera: $pano missing; run scripts/fetch_samples.sh first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
samples=40
declare -A best
for round in 1 2 3; do
  for preset in none rsblur realblur-j; do
    rm -rf "$work/out"
    start=$(date +%s.%N)
    "$synth" panorama --input "$pano" --samples "$samples" --size 256 --frames 7 --threads 1 --seed 5 \
      --camera-pipeline "$preset" --out "$work/out" --quiet >/dev/null
    t=$(awk -v a="$start" -v b="$(date +%s.%N)" -v n="$samples" 'BEGIN { printf "%.5f", (b - a) / n }')
    if [ -z "${best[$preset]:-}" ] || awk -v a="$t" -v b="${best[$preset]}" 'BEGIN { exit !(a < b) }'; then
      best[$preset]=$t
    fi
  done
done
printf '%-22s %14s %10s\n' "--camera-pipeline" "s per sample" "ratio"
for preset in none rsblur realblur-j; do
  printf '%-22s %14.4f %9.2fx\n' "$preset" "${best[$preset]}" "$(div "${best[$preset]}" "${best[none]}")"
done
ratio "sample time, --camera-pipeline rsblur / none (256x256, F = 7)" "$(div "${best[rsblur]}" "${best[none]}")" "<= 1.5"
ratio "sample time, --camera-pipeline realblur-j / none" "$(div "${best[realblur-j]}" "${best[none]}")" "<= 1.5"
