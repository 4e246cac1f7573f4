#!/usr/bin/env bash
# The speed of a training step of `motion` (and `unet`) on the model's default path (channels-last
# tensors, transposed convolutions as sub-pixel convolutions) against its reference path (plain
# NCHW LibTorch calls), the same weights and the same function (tests/train/model_test.cpp checks
# outputs and gradients to 1e-5), measured in one run: the speed-up is reference ms / default ms,
# each side the fastest of 5 rounds. Also inference as `blurkit-train predict` and validation run it
# (eval mode, no gradients, 128 px): a batch of 8 images against one image at a time, images/s.
# Usage: scripts/perf/motion_step.sh [BUILD_DIR]   (needs the build with benchmarks: scripts/setup.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/perf/ratio.sh"
build=${1:-$root/build}
bin="$build/train/train_benchmark"
[ -x "$bin" ] || { echo "perf/motion_step: $bin missing; build first (scripts/setup.sh)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The benchmark binary opens a dataset for its loader benchmarks (not run here); the step
# benchmarks use random tensors. Needs scripts/fetch_samples.sh.
"$build/synth/blurkit-synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split test \
  --samples 8 --out "$work/pano" -q
"$bin" "$work/pano" --benchmark_filter='BM_TrainStep(Motion|Unet)(Reference)?/8/8/|BM_PredictMotion' --benchmark_min_time=2 \
  --benchmark_repetitions=5 --benchmark_format=json > "$work/step.json" 2>/dev/null
best() { jq --arg n "$1" '[.benchmarks[] | select(.run_name == $n and .run_type == "iteration")] | min_by(.real_time) | .real_time' "$work/step.json"; }
echo "one training step, $(nproc) threads, fastest of 5 rounds"
printf "%-28s %14s %14s %9s\n" "model width/batch/crop/F" "reference ms" "default ms" "speed-up"
for config in "Motion 128" "Motion 64" "Unet 128"; do
  read -r m c <<<"$config"
  ref=$(best "BM_TrainStep${m}Reference/8/8/$c/3/real_time")
  new=$(best "BM_TrainStep${m}/8/8/$c/3/real_time")
  awk -v n="${m,,} 8/8/$c/3" -v r="$ref" -v d="$new" 'BEGIN { printf "%-28s %14.1f %14.1f %8.2fx\n", n, r, d, r / d }'
  ratio "training step speed-up over the reference layers, ${m,,} 8/8/$c/3" "$(div "$ref" "$new")" ">= 1"
done
one=$(best "BM_PredictMotion/8/1/128/3/real_time")
eight=$(best "BM_PredictMotion/8/8/128/3/real_time")
awk -v a="$one" -v b="$eight" 'BEGIN { printf "inference, motion width 8, 128 px: batch 1 %.1f images/s, batch 8 %.1f images/s\n", 1000 / a, 8000 / b }'
ratio "inference images/s, batch 8 against batch 1 (predict, validation), motion 8, 128 px" "$(div "$(awk -v a="$one" 'BEGIN { print 8 * a }')" "$eight")" ">= 1"
