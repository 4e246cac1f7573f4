#!/usr/bin/env bash
# Learning curves on the demo's data: `motion` (the paper's model) and `unet` (the baseline),
# trained with the demo's settings (scripts/demo_settings.sh) for a step budget, side by side with
# one thread each (the 2-core development machine), validated on the whole test set of the same
# domain (every 250 motion steps, every 1000 unet steps, unless --every says otherwise). Writes,
# under --out:
#   motion/, unet/      the runs (checkpoint.pt, train_log.csv, val_log.csv)
#   curves.csv          validation PSNR (middle, others) and gain over the blurred-input floor
#                       against steps and training seconds
#   curves.svg          the same as a chart
# An interrupted run continues where its last checkpoint left it (the same command).
#
# Usage: scripts/learning_curves.sh [--out DIR] [--data panorama|video] [--motion-steps N]
#                                   [--unet-steps N] [--every N] [--models "motion unet"]
#   defaults: runs/curves (runs/curves_video for --data video), the panorama data, 3000 motion
#   steps and 40000 unet steps (each about 30 minutes on one core of the development machine, the
#   two side by side: a unet step of width 8 costs about a twelfth of a motion step), both models;
#   --every sets the validation interval of every model
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=""
declare -A steps=([motion]=3000 [unet]=40000)
declare -A every=([motion]=250 [unet]=1000)
models="motion unet"
domain=panorama
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift ;;
    --motion-steps) steps[motion]=$2; shift ;;
    --unet-steps) steps[unet]=$2; shift ;;
    --models) models=$2; shift ;;
    --data) domain=$2; shift ;;
    --every) every[motion]=$2; every[unet]=$2; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "learning_curves: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
case "$domain" in
  panorama|video) ;;
  *) echo "learning_curves: --data must be panorama or video, got '$domain'" >&2; exit 2 ;;
esac
# Each domain has its own default folder, so that a video run never finds the panorama runs'
# checkpoints (and the reverse).
[ -n "$out" ] || { out="$root/runs/curves"; [ "$domain" = panorama ] || out="$root/runs/curves_$domain"; }
source "$root/scripts/demo_settings.sh"
if [ "$domain" = panorama ]; then settings=("${demo_panorama_train[@]}"); else settings=("${demo_video_train[@]}"); fi
train="$root/build/train/blurkit-train"
synth="$root/build/synth/blurkit-synth"
[ -x "$train" ] && [ -x "$synth" ] || { echo "learning_curves: build first (scripts/setup.sh)" >&2; exit 1; }
mkdir -p "$out"
data="$root/runs/demo"
for split in train test; do
  "$synth" "$domain" --manifest "$root/data_manifests/demo_$domain.json" --split $split \
    --out "$data/${domain}_$split" --quiet | tail -n 1
done

pids=()
for model in $models; do
  run="$out/$model"
  resume=()
  [ -f "$run/checkpoint.pt" ] && resume=(--resume)
  if [ -f "$run/done" ]; then echo "learning_curves: $model trained already"; continue; fi
  (
    "$train" train --model "$model" "${settings[@]}" --data "$data/${domain}_train" \
      --val "$data/${domain}_test" --out "$run" --seed 1 --epochs 100000 --max-steps "${steps[$model]}" --val-every "${every[$model]}" \
      --checkpoint-every "${every[$model]}" --threads 1 --workers 1 --quiet "${resume[@]}" > "$out/$model.log" 2>&1
    touch "$run/done"
    echo "learning_curves: $model: $(grep -m1 validation "$out/$model.log")"
  ) &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
[ $status -eq 0 ] || { echo "learning_curves: a run failed; see $out/*.log" >&2; exit 1; }
names=()
for model in $models; do names+=("$model=$out/$model"); done
/usr/bin/python3 "$root/scripts/learning_curves.py" --out "$out" \
  --title "blurkit-train learning curves, the demo's $domain data (validation, order-aware PSNR)" "${names[@]}"
