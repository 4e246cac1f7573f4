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

# The baseline a user would write instead: a plain Python script with h5py and OpenCV that writes
# the same GoPro-style folders (blur/, sharp/, frames/KEY/J.png) with the same PNG level, one
# process, against `shards export --format gopro`, in the same run.
start=$(date +%s.%N)
/usr/bin/python3 - "$work/pano" "$work/plain" <<'PY'
import glob, os, sys
import cv2, h5py
src, out = sys.argv[1:3]
level = [cv2.IMWRITE_PNG_COMPRESSION, 1]
for shard in sorted(glob.glob(os.path.join(src, 'shard-*.h5'))):
    with h5py.File(shard, 'r') as f:
        for i, key in enumerate(f['sample_id'].asstr()[:]):
            blurred, sharp = f['blurred'][i], f['sharp'][i]
            os.makedirs(os.path.join(out, 'frames', key), exist_ok=True)
            os.makedirs(os.path.join(out, 'blur'), exist_ok=True)
            os.makedirs(os.path.join(out, 'sharp'), exist_ok=True)
            cv2.imwrite(os.path.join(out, 'blur', key + '.png'), blurred[:, :, ::-1], level)
            cv2.imwrite(os.path.join(out, 'sharp', key + '.png'), sharp[len(sharp) // 2][:, :, ::-1], level)
            for j, frame in enumerate(sharp):
                cv2.imwrite(os.path.join(out, 'frames', key, f'{j}.png'), frame[:, :, ::-1], level)
PY
end=$(date +%s.%N)
plain=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", 256 / (e - s) }')
start=$(date +%s.%N)
"$synth" shards export "$work/pano" --format gopro --out "$work/gopro_again" -q >/dev/null
end=$(date +%s.%N)
ours=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", 256 / (e - s) }')
printf '%-32s %14s %12s\n' "plain h5py + OpenCV script" "$plain" "1.00"
printf '%-32s %14s %12s\n' "shards export --format gopro" "$ours" "$(div "$ours" "$plain")"
ratio "export gopro / a plain h5py + OpenCV script, samples/s" "$(div "$ours" "$plain")" ">= 1"
