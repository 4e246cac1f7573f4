#!/usr/bin/env bash
# What a real camera costs: `blurkit-synth panorama` writing 256x256 samples with F = 7 on one
# thread from an 8-bit panorama (where every step runs, the synthetic highlights included), with
# the ideal camera (a pinhole, a global shutter, --camera-pipeline none), with --camera-pipeline
# rsblur and realblur-j (+ JPEG), with a rolling shutter (--readout-time 0.015 of a 0.03 s
# exposure), through a fisheye lens (--lens hero11-wide) and with both, in the same run: rounds
# that alternate them, the fastest round of each counted. Prints seconds per sample and per
# sub-frame (a fisheye moves its pixels less than the pinhole of the same field of view, so the
# 0.5-pixel rule renders fewer sub-frames through it) and the ratios to the ideal camera (targets:
# the pipelines at most 1.5x, the rolling shutter at most 2x, a lens at most 1.3x).
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
configs=(none rsblur realblur-j rolling-shutter lens lens+rolling-shutter)
declare -A subframes
for round in 1 2 3; do
  for preset in "${configs[@]}"; do
    rm -rf "$work/out"
    flags=(--camera-pipeline "$preset")
    [ "$preset" = rolling-shutter ] && flags=(--readout-time 0.015 --exposure-time 0.03)
    [ "$preset" = lens ] && flags=(--lens hero11-wide)
    [ "$preset" = lens+rolling-shutter ] && flags=(--lens hero11-wide --readout-time 0.015 --exposure-time 0.03)
    start=$(date +%s.%N)
    "$synth" panorama --input "$pano" --samples "$samples" --size 256 --frames 7 --threads 1 --seed 5 \
      "${flags[@]}" --out "$work/out" --quiet >"$work/log"
    subframes[$preset]=$(sed -n 's/.*sub-frames per sample: mean \([0-9.]*\).*/\1/p' "$work/log")
    t=$(awk -v a="$start" -v b="$(date +%s.%N)" -v n="$samples" 'BEGIN { printf "%.5f", (b - a) / n }')
    if [ -z "${best[$preset]:-}" ] || awk -v a="$t" -v b="${best[$preset]}" 'BEGIN { exit !(a < b) }'; then
      best[$preset]=$t
    fi
  done
done
per_subframe() { awk -v a="${best[$1]}" -v b="${subframes[$1]}" 'BEGIN { printf "%.8f", a / b }'; }
printf '%-22s %14s %10s %12s %16s %10s\n' "camera" "s per sample" "ratio" "sub-frames" "ms per sub-frame" "ratio"
for preset in "${configs[@]}"; do
  printf '%-22s %14.4f %9.2fx %12s %16.3f %9.2fx\n' "$preset" "${best[$preset]}" \
    "$(div "${best[$preset]}" "${best[none]}")" "${subframes[$preset]}" \
    "$(awk -v a="$(per_subframe "$preset")" 'BEGIN { print a * 1000 }')" \
    "$(div "$(per_subframe "$preset")" "$(per_subframe none)")"
done
ratio "sample time, --camera-pipeline rsblur / none (256x256, F = 7)" "$(div "${best[rsblur]}" "${best[none]}")" "<= 1.5"
ratio "sample time, --camera-pipeline realblur-j / none" "$(div "${best[realblur-j]}" "${best[none]}")" "<= 1.5"
ratio "sample time, rolling shutter (--readout-time 0.015) / global" "$(div "${best[rolling-shutter]}" "${best[none]}")" "<= 2"
ratio "sample time, --lens hero11-wide / pinhole" "$(div "${best[lens]}" "${best[none]}")" "<= 1.3"
ratio "time per sub-frame, --lens hero11-wide / pinhole" "$(div "$(per_subframe lens)" "$(per_subframe none)")" "<= 1.3"
