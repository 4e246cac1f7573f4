#!/usr/bin/env bash
# Export speed (blurkit-synth shards export) against reading the same shards, in the same run: 256
# of the demo's test-panorama samples (128x128, F = 3), each format from a cold start to its
# renamed, complete output (PNG encoding on all cores). Prints samples/s and the ratio export / shard read.
# Usage: scripts/perf/export.sh [BUILD_DIR]   (needs scripts/fetch_samples.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/perf/ratio.sh"
build=${1:-$root/build}
synth="$build/synth/blurkit-synth"
[ -x "$synth" ] || { echo "export: $synth missing; run scripts/setup.sh first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split test --samples 256 \
  --out "$work/pano" -q >/dev/null
read_rate=$("$build/core/shard_read_benchmark" "$work/pano" 5 | cut -d' ' -f1)
printf '%-32s %14s %12s\n' "256 samples 128x128 F=3" "samples/s" "x read"
printf '%-32s %14.1f %12s\n' "read shards (checked)" "$read_rate" "1.00"
for config in "basicsr-lmdb" "basicsr-lmdb --crop 64 --crop-step 32" "gopro" "webdataset"; do
  read -r -a args <<<"$config"
  out="$work/out_${args[0]}"
  rm -rf "$out"
  start=$(date +%s.%N)
  "$synth" shards export "$work/pano" --format "${args[@]}" --out "$out" -q >/dev/null
  end=$(date +%s.%N)
  rate=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", 256 / (e - s) }')
  printf '%-32s %14s %12s\n' "$config" "$rate" "$(div "$rate" "$read_rate")"
  ratio "export $config / shard read, samples/s" "$(div "$rate" "$read_rate")" "-"
done
echo "(export encodes PNG at level 1, as BasicSR's create_lmdb.py; the shard read decodes nothing)"
