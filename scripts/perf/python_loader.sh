#!/usr/bin/env bash
# Training batches for Python users, in one run: blurkit.ShardDataset (python/blurkit) through
# PyTorch's DataLoader (2 workers, batch 8, 128x128 crops, flips) against a Dataset that reads the
# same samples from PNG files, one image per file as GoPro loaders do (same workers, crops, flips and
# float conversion), and against blurkit-train's C++ loader (2 worker threads, same batch and crop).
# Target: ShardDataset at least 5x the PNG Dataset. Also measured: both Datasets in the main process
# (workers 0), and a Dataset of zero tensors that reads nothing, which bounds what any Dataset can
# deliver through DataLoader here. The dataset: 256 of the demo's test panoramas, 128x128 with
# F = 3 (scripts/fetch_samples.sh).
# Usage: scripts/perf/python_loader.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/perf/ratio.sh"
build=${1:-$root/build}
synth="$build/synth/blurkit-synth"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split test --samples 256 \
  --out "$work/pano" -q >/dev/null
/usr/bin/python3 - "$work/pano" "$work/png" "$root/python" <<'PY'
import os, sys, cv2
sys.path.insert(0, sys.argv[3])
import blurkit
n = blurkit.read_index(sys.argv[1])['num_samples']
for i in range(n):
    s = blurkit.open_sample(sys.argv[1], i)
    os.makedirs(f'{sys.argv[2]}/{i}')
    cv2.imwrite(f'{sys.argv[2]}/{i}/blurred.png', s['blurred'][:, :, ::-1])
    for j, frame in enumerate(s['sharp']):
        cv2.imwrite(f'{sys.argv[2]}/{i}/sharp_{j}.png', frame[:, :, ::-1])
PY
py=$(/usr/bin/python3 "$root/scripts/perf/python_loader.py" "$work/pano" "$work/png")
cpp=$("$build/train/train_benchmark" "$work/pano" --crop 128 --batch 8 --benchmark_filter='BM_Loader/2' \
  --benchmark_min_time=2 --benchmark_format=json 2>/dev/null | jq '.benchmarks[0].samples_per_s')
jq -r --argjson cpp "$cpp" '
  def n: floor | tostring | (" " * (8 - length)) + .;
  def x($v; $base): ($v / $base * 100 | floor) / 100 | tostring | (" " * (7 - length)) + .;
  "256 samples 128x128 F=3, batch 8, crops + flips      2 workers  x PNG     in-process  x PNG",
  "Python: Dataset of PNG files                          \(.png_workers2 | n)   \(x(.png_workers2; .png_workers2))    \(.png_workers0 | n)   \(x(.png_workers0; .png_workers0))",
  "Python: blurkit.ShardDataset                          \(.shards_workers2 | n)   \(x(.shards_workers2; .png_workers2))    \(.shards_workers0 | n)   \(x(.shards_workers0; .png_workers0))",
  "Python: zeros, no reading (DataLoader ceiling)        \(.zeros_workers2 | n)   \(x(.zeros_workers2; .png_workers2))    \(.zeros_workers0 | n)   \(x(.zeros_workers0; .png_workers0))",
  "C++: blurkit-train loader, 2 threads                  \($cpp | n)   \(x($cpp; .png_workers2))"' <<<"$py"
ratio "Python ShardDataset / Dataset of PNG files, 2 workers" "$(div "$(jq .shards_workers2 <<<"$py")" "$(jq .png_workers2 <<<"$py")")" ">= 1"
ratio "C++ loader (2 threads) / Python Dataset of PNG files (2 workers)" "$(div "$cpp" "$(jq .png_workers2 <<<"$py")")" ">= 1"
