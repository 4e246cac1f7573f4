#!/usr/bin/env bash
# The training benchmarks of blurkit-train, each against its baseline in the same run:
#  1. one training step of the `unet` model, blurkit-train (C++, LibTorch) against the identical
#     model in Python PyTorch (scripts/perf/train_step.py; Debian's python3-torch, the same
#     LibTorch), same configuration, same thread count: the ratio C++ time / Python time
#     (target <= 1.0), each side the fastest of 5 rounds. The motion model's step is printed for
#     reference.
#  2. training batches (random crop, flips, float conversion) from shards against the same samples
#     read from PNG files, one file per image as GoPro loaders do, both on one thread: the ratio
#     of samples/s (target >= 10x), on two datasets built here from the real sample data:
#     panoramas at 128x128 with F = 3 (crop 128, batch 8: the demo's setting) and full 1280x720
#     frames of cockatoo.mp4 with F = 7 (crop 256, batch 4: the paper's video setting).
# Usage: scripts/perf/train.sh [BUILD_DIR]   (needs the build and scripts/fetch_samples.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/perf/ratio.sh"
build=${1:-$root/build}
bin="$build/train/train_benchmark"
synth="$build/synth/blurkit-synth"
[ -x "$bin" ] || { echo "perf/train: $bin missing; build first (scripts/setup.sh)" >&2; exit 1; }
[ -f "$root/data/samples/videos/cockatoo.mp4" ] || { echo "perf/train: run scripts/fetch_samples.sh" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
threads=$(nproc)
py=/usr/bin/python3  # Debian's interpreter, where python3-torch is
if ! "$py" -c 'import torch' 2>/dev/null; then
  # The Python baseline only; blurkit itself does not need it.
  echo "perf/train: installing python3-torch (the PyTorch baseline)"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends python3-torch >/dev/null
fi

echo "== datasets (built from the sample data) =="
"$synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split test \
  --out "$work/pano" --samples 64 -q
"$synth" video --input "$root/data/samples/videos/cockatoo.mp4" --window 7 --frames 7 \
  --clip-range 0:0.25 --out "$work/video" -q
echo "panorama: 64 samples 128x128 F=3; video: $(jq .num_samples "$work/video/index.json") samples 1280x720 F=7"

echo "== one training step, $threads threads =="
# Both sides: the fastest of 5 timed rounds, so that a busy moment on a shared machine does not
# decide the ratio.
"$bin" "$work/pano" --benchmark_filter='BM_TrainStep' --benchmark_min_time=2 \
  --benchmark_repetitions=5 --benchmark_format=json > "$work/step.json" 2>/dev/null
best() {  # the fastest repetition of benchmark $1: real_time (ms) and parameters
  jq --arg n "$1" '[.benchmarks[] | select(.run_name == $n and .run_type == "iteration")] | min_by(.real_time) | .'"$2" "$work/step.json"
}
printf "%-34s %12s %12s %12s\n" "model width/batch/crop/frames" "blurkit ms" "PyTorch ms" "ratio"
for config in "8 8 128 3" "16 4 128 7"; do
  read -r w b c f <<<"$config"
  name="BM_TrainStepUnet/$w/$b/$c/$f/real_time"
  cpp=$(best "$name" real_time)
  cpp_params=$(best "$name" parameters)
  pyjson=$(OMP_NUM_THREADS=$threads "$py" "$root/scripts/perf/train_step.py" --width "$w" --batch "$b" \
    --crop "$c" --frames "$f" --steps 8 --rounds 5 --threads "$threads")
  pyms=$(jq .ms_per_step <<<"$pyjson")
  pyparams=$(jq .parameters <<<"$pyjson")
  [ "$(printf %.0f "$cpp_params")" = "$pyparams" ] || {
    echo "perf/train: the Python unet has $pyparams parameters, blurkit's $cpp_params: not the same model" >&2; exit 1; }
  awk -v n="unet $w/$b/$c/$f ($pyparams params)" -v c="$cpp" -v p="$pyms" \
    'BEGIN { printf "%-34s %12.1f %12.1f %11.2fx\n", n, c, p, c / p }'
  ratio "training step time, blurkit / PyTorch, unet $w/$b/$c/$f" "$(div "$cpp" "$pyms")" "<= 1"
done
motion=$(best "BM_TrainStepMotion/8/8/128/3/real_time" real_time)
printf "%-34s %12.1f %12s %12s\n" "motion 8/8/128/3 (reference)" "$motion" "-" "-"
echo "(ratio = blurkit time / PyTorch time; target <= 1.0)"

echo "== training batches: shards against PNG files, one thread =="
printf "%-40s %14s %14s %10s %12s %12s\n" "dataset" "shards smp/s" "PNG smp/s" "ratio" "loader 1 wk" "loader 2 wk"
run_loader() {  # label dataset crop batch
  "$bin" "$2" --crop "$3" --batch "$4" --benchmark_filter='BM_(ShardBatch|PngBatch|Loader)' \
    --benchmark_min_time=2 --benchmark_format=json > "$work/loader.json" 2>/dev/null
  local shard png loader1 loader2
  rate_of() { jq --arg n "$1" '.benchmarks[] | select(.name == $n) | .samples_per_s' "$work/loader.json"; }
  shard=$(rate_of BM_ShardBatch/real_time)
  png=$(rate_of BM_PngBatch/real_time)
  loader1=$(rate_of BM_Loader/1/real_time)
  loader2=$(rate_of BM_Loader/2/real_time)
  awk -v n="$1" -v s="$shard" -v p="$png" -v l1="$loader1" -v l2="$loader2" \
    'BEGIN { printf "%-40s %14.1f %14.1f %9.1fx %12.1f %12.1f\n", n, s, p, s / p, l1, l2 }'
  ratio "training batches, shards / PNG files, $1" "$(div "$shard" "$png")" ">= 10"
}
run_loader "panorama 128x128 F=3, crop 128, batch 8" "$work/pano" 128 8
run_loader "video 1280x720 F=7, crop 256, batch 4" "$work/video" 256 4
echo "(ratio = shard samples/s / PNG samples/s; target >= 10x)"
