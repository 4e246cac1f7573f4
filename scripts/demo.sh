#!/usr/bin/env bash
# The README's main command: from a fresh clone to rotational-blur datasets on real data.
#   1. installs what is missing and builds (scripts/setup.sh)
#   2. fetches the sample panoramas and checks them against data_manifests/samples.json
#   3. synthesizes the demo train and test datasets (data_manifests/demo_panorama.json: split by
#      panorama), verifies them, and exports PNG strips to look at
#   4. the same for dynamic blur from the sample clip (data_manifests/demo_video.json: the first
#      70% of cockatoo.mp4's frames for training, the rest for testing)
# Every stage is skipped when its output is complete; --fresh starts over.
#
# Usage: scripts/demo.sh [--fresh] [--out DIR]   (default: runs/demo)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/runs/demo"
fresh=0
while [ $# -gt 0 ]; do
  case "$1" in
    --fresh) fresh=1 ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
stage() { echo; echo "== $* =="; stage_start=$(date +%s); }
took() { echo "-- took $(( $(date +%s) - stage_start )) s"; }

stage "1/4 install and build"
"$root/scripts/setup.sh"
took
stage "2/4 sample data"
"$root/scripts/fetch_samples.sh"
took

synth="$root/build/synth/blurkit-synth"
[ $fresh -eq 0 ] || rm -rf "$out"
mkdir -p "$out"
stage "3/4 rotational-blur datasets (demo_panorama manifest)"
for split in train test; do
  # Resumes an interrupted run; a finished one is verified and kept.
  "$synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split "$split" \
    --out "$out/panorama_$split"
  "$synth" shards verify "$out/panorama_$split"
done
"$synth" shards export "$out/panorama_test" --count 8 --out "$out/strips"
took
stage "4/4 dynamic-blur datasets from video (demo_video manifest)"
for split in train test; do
  "$synth" video --manifest "$root/data_manifests/demo_video.json" --split "$split" \
    --out "$out/video_$split"
  "$synth" shards verify "$out/video_$split"
done
"$synth" shards export "$out/video_test" --count 8 --out "$out/video_strips"
took

echo
"$synth" shards inspect "$out/panorama_test" | head -n 9
echo
echo "demo: datasets in $out/panorama_{train,test} and $out/video_{train,test}"
echo "demo: look at $out/strips/*.png (blurred image | sharp frames first, middle, last)"
echo "demo: and $out/video_strips/*.png"
