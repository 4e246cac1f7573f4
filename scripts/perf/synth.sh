#!/usr/bin/env bash
# Rotational-blur synthesis speed against plain cv::remap in the same run (256x256 output, F = 7,
# 31 sub-frames, 4096x2048 panorama; a 2048x1536 photo for `photos`), at 1 and 2 threads: Slerp
# paths, shake paths, and photos. Prints the ratios to the remap-only limit.
# Usage: scripts/perf/synth.sh [BUILD_DIR]   (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/perf/ratio.sh"
build=${1:-$root/build}
bench="$build/synth/synth_render_benchmark"
[ -x "$bench" ] || { echo "perf/synth: $bench missing; run scripts/setup.sh first" >&2; exit 1; }
json=$(mktemp)
trap 'rm -f "$json"' EXIT
"$bench" --benchmark_min_time=2 --benchmark_format=json >"$json" 2>/dev/null
rate() { jq -r --arg n "$1" '.benchmarks[] | select(.name == $n) | .items_per_second' "$json"; }
printf '%-40s %12s\n' "benchmark" "samples/s"
for name in BM_RemapOnly BM_RenderSample BM_RenderShake BM_RenderPhoto BM_WriteDataset; do
  for t in 1 2; do printf '%-40s %12.1f\n' "$name/$t" "$(rate "$name/$t/real_time")"; done
done
awk -v r1="$(rate BM_RemapOnly/1/real_time)" -v s1="$(rate BM_RenderSample/1/real_time)" \
    -v s2="$(rate BM_RenderSample/2/real_time)" -v w1="$(rate BM_WriteDataset/1/real_time)" \
    -v w2="$(rate BM_WriteDataset/2/real_time)" -v k1="$(rate BM_RenderShake/1/real_time)" \
    -v p1="$(rate BM_RenderPhoto/1/real_time)" 'BEGIN {
  printf "\nrender+encode time / remap-only time, 1 thread: %.2fx (target <= 2x)\n", r1 / s1;
  printf "the same along shake paths (panorama --trajectory shake): %.2fx\n", r1 / k1;
  printf "the same from a photo (photos): %.2fx\n", r1 / p1;
  printf "render+encode+HDF5 write time / remap-only time, 1 thread: %.2fx\n", r1 / w1;
  printf "thread scaling 1 -> 2 threads: render %.2fx, whole write path %.2fx (ideal 2x)\n", s2 / s1, w2 / w1;
}'
r1=$(rate BM_RemapOnly/1/real_time)
ratio "render+encode time / remap-only time, 1 thread" "$(div "$r1" "$(rate BM_RenderSample/1/real_time)")" "<= 2"
ratio "the same along shake paths" "$(div "$r1" "$(rate BM_RenderShake/1/real_time)")" "<= 2"
ratio "the same from a photo" "$(div "$r1" "$(rate BM_RenderPhoto/1/real_time)")" "<= 2"
ratio "render+encode+HDF5 write / remap-only time, 1 thread" "$(div "$r1" "$(rate BM_WriteDataset/1/real_time)")" "-"
ratio "render speed, 2 threads / 1 thread" "$(div "$(rate BM_RenderSample/2/real_time)" "$(rate BM_RenderSample/1/real_time)")" "2 ideal"
