#!/usr/bin/env bash
# Video synthesis speed against decoding the same frames alone, in the same run (the real sample
# clip cockatoo.mp4, 1280x720; N = 7, F = 7; one 256x256 crop per window, or full frames), for the
# video file and for the same frames as a PNG folder. Prints samples/s and the ratios the issue
# asks for (target: synthesis >= 0.8 of the decode-only rate).
# Usage: scripts/perf/video.sh [BUILD_DIR]   (default: build; needs scripts/fetch_samples.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/perf/ratio.sh"
build=${1:-$root/build}
bench="$build/synth/synth_video_benchmark"
[ -x "$bench" ] || { echo "perf/video: $bench missing; run scripts/setup.sh first" >&2; exit 1; }
[ -f "$root/data/samples/videos/cockatoo.mp4" ] || { echo "perf/video: run scripts/fetch_samples.sh first" >&2; exit 1; }
json=$(mktemp)
trap 'rm -f "$json"' EXIT
"$bench" --benchmark_min_time=2 --benchmark_format=json >"$json" 2>/dev/null
rate() { jq -r --arg n "$1" '.benchmarks[] | select(.name == $n) | .items_per_second' "$json"; }
printf '%-36s %12s\n' "benchmark (threads/crop)" "samples/s"
for name in BM_DecodeVideo BM_SynthVideo/1/256 BM_SynthVideo/2/256 BM_SynthVideo/2/0 \
            BM_DecodeFolder/1 BM_DecodeFolder/2 BM_SynthFolder/1/256 BM_SynthFolder/2/256 BM_SynthFolder/2/0; do
  printf '%-36s %12.2f\n' "$name" "$(rate "$name/real_time")"
done
awk -v dv="$(rate BM_DecodeVideo/real_time)" -v sv1="$(rate BM_SynthVideo/1/256/real_time)" \
    -v sv2="$(rate BM_SynthVideo/2/256/real_time)" -v svf="$(rate BM_SynthVideo/2/0/real_time)" \
    -v df1="$(rate BM_DecodeFolder/1/real_time)" -v df2="$(rate BM_DecodeFolder/2/real_time)" \
    -v sf1="$(rate BM_SynthFolder/1/256/real_time)" -v sf2="$(rate BM_SynthFolder/2/256/real_time)" \
    -v sff="$(rate BM_SynthFolder/2/0/real_time)" 'BEGIN {
  printf "\nsynthesis rate / decode-only rate (target >= 0.8):\n";
  printf "  video file, 256 crops:  1 thread %.2f, 2 threads %.2f   (decoding one video is sequential)\n", sv1 / dv, sv2 / dv;
  printf "  video file, full frames, 2 threads: %.2f\n", svf / dv;
  printf "  PNG folder, 256 crops:  1 thread %.2f, 2 threads %.2f   (same thread count for both)\n", sf1 / df1, sf2 / df2;
  printf "  PNG folder, full frames, 2 threads: %.2f\n", sff / df2;
}'
dv=$(rate BM_DecodeVideo/real_time)
ratio "video synthesis / decode-only rate, 256 crops, 1 thread" "$(div "$(rate BM_SynthVideo/1/256/real_time)" "$dv")" ">= 0.8"
ratio "video synthesis / decode-only rate, full frames, 2 threads" "$(div "$(rate BM_SynthVideo/2/0/real_time)" "$dv")" ">= 0.8"
ratio "PNG-folder synthesis / decode-only rate, 256 crops, 2 threads" "$(div "$(rate BM_SynthFolder/2/256/real_time)" "$(rate BM_DecodeFolder/2/real_time)")" ">= 0.8"
