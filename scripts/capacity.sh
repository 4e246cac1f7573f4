#!/usr/bin/env bash
# Does capacity move the panorama model? Trains the demo's `motion` model at another width (the
# demo's settings otherwise: scripts/demo_settings.sh, the same data, seed and step budget) on the
# datasets a finished demo made, and scores it beside the demo's width-8 model on the two test sets
# that separate deblurring from carrying over: new views of the training panoramas ("seen") and
# the two held-out panoramas ("unseen"). Prints PSNR gains over the blurred input.
#
# Usage: scripts/capacity.sh [--width N] [--steps N] [--demo DIR] [--data DIR] [--baseline CKPT]
#                            [--out DIR]
#   defaults: width 16, the demo's panorama steps, runs/demo, the demo's panorama_train, the demo's
#   width-8 model as the baseline, runs/capacity_w<N>_s<steps>; --every N validates every N steps
#   (default: four times); options after -- go to blurkit-train train as they are, after the
#   demo's; one the demo sets replaces the demo's value (`-- --lr 5e-4 --clip-grad 0.5 --threads 1`)
# The long budget of docs/results.md ("What limits learning"): a training set of 3072 samples
# (blurkit-synth panorama --manifest data_manifests/demo_panorama.json --split train --samples 3072
# --out runs/panorama_train_3072), --steps 5600, and each width against the other.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/demo_settings.sh"
width=16
steps=$demo_panorama_steps
demo="$root/runs/demo"
out=""
data=""
baseline=""
every=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --width) width=$2; shift ;;
    --steps) steps=$2; shift ;;
    --demo) demo=$2; shift ;;
    --data) data=$2; shift ;;
    --baseline) baseline=$2; shift ;;
    --every) every=$2; shift ;;
    --out) out=$2; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "capacity: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
out=${out:-$root/runs/capacity_w${width}_s${steps}}
data=${data:-$demo/panorama_train}
baseline=${baseline:-$demo/model_panorama/checkpoint.pt}
train="$root/build/train/blurkit-train"
bench="$root/build/bench/blurkit-bench"
for d in "$data" "$demo/panorama_test" "$demo/panorama_seen_test" "$baseline"; do
  [ -e "$d" ] || { echo "capacity: $d missing; run scripts/demo.sh first" >&2; exit 1; }
done
mkdir -p "$out"
settings=("${demo_panorama_train[@]}")
for i in "${!settings[@]}"; do [ "${settings[$i]}" = --width ] && settings[$((i + 1))]=$width; done
# Options after -- that the demo sets replace its values; the rest are added.
added=()
for ((j = 0; j < ${#extra[@]}; j++)); do
  key=${extra[$j]}; value=""
  if [ $((j + 1)) -lt ${#extra[@]} ] && [[ ${extra[$((j + 1))]} != --* ]]; then value=${extra[$((j + 1))]}; j=$((j + 1)); fi
  found=0
  for i in "${!settings[@]}"; do
    if [ "${settings[$i]}" = "$key" ]; then found=1; [ -n "$value" ] && settings[$((i + 1))]=$value; fi
  done
  [ $found = 1 ] || added+=("$key" ${value:+"$value"})
done
if [ ! -f "$out/model/done" ]; then
  resume=()
  [ -f "$out/model/checkpoint.pt" ] && resume=(--resume)
  "$train" train --model motion --data "$data" --val "$demo/panorama_test" --out "$out/model" \
    --seed 1 "${settings[@]}" --max-steps "$steps" --epochs 100000 --val-every "${every:-$(( (steps + 3) / 4 ))}" ${added[@]+"${added[@]}"} ${resume[@]+"${resume[@]}"}
  touch "$out/model/done"
fi
printf '%-22s %14s %14s %14s %14s\n' model "seen mid" "seen others" "unseen mid" "unseen others"
for m in "baseline:$baseline" "width $width:$out/model/checkpoint.pt"; do
  label=${m%%:*}; ckpt=${m#*:}
  row=()
  for t in seen test; do
    gt="$demo/panorama_test"; [ $t = seen ] && gt="$demo/panorama_seen_test"
    tag=$(echo "$label" | tr -cd 'a-z0-9')
    pred="$out/pred_${tag}_$t"
    [ -f "$pred/index.json" ] || "$train" predict --model "$ckpt" --data "$gt" --out "$pred" --name motion -q
    rm -rf "$out/score_${tag}_$t"
    "$bench" score --gt "$gt" --pred "$pred" --out "$out/score_${tag}_$t" -q >/dev/null
    row+=("$(jq -r '.rows | (map(select(.method == "motion"))[0]) as $m | (map(select(.method == "blurred-input"))[0]) as $b |
      "\($m["PSNR middle"] - $b["PSNR middle"]) \($m["PSNR non-middle"] - $b["PSNR non-middle"])"' "$out/score_${tag}_$t/summary.json")")
  done
  read -r sm so <<<"${row[0]}"; read -r um uo <<<"${row[1]}"
  printf '%-22s %+14.2f %+14.2f %+14.2f %+14.2f\n' "$label" "$sm" "$so" "$um" "$uo"
done
echo "(PSNR gains in dB over blurred-input, order-aware; seen: $(jq .num_samples "$demo/panorama_seen_test/index.json") new views of the training panoramas, unseen: $(jq .num_samples "$demo/panorama_test/index.json") samples of the held-out studio and sunset)"
