#!/usr/bin/env bash
# What limits learning on the demo's panorama data: each ablation changes one factor of a common
# setting and trains for the same budget; the table gives validation PSNR on the whole panorama test
# set (order-aware, as blurkit-bench scores) and the gain over the blurred-input floor (the untrained
# model, validated at step 0).
#
# Runs go two at a time with one thread each (the 2-core development machine), so every run has the
# same share of the machine. Budgets: --steps N for factors that do not change the cost of a step
# (loss, learning rate, schedule), --minutes M for those that do (model, width, crop, batch).
#
# Usage: scripts/ablations.sh [--out DIR] [--steps N | --minutes M] [--data-from DIR] NAME...
#   NAME is one of the ablations below (scripts/ablations.sh --list); the table is DIR/ablations.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/runs/ablations"
data="$root/runs/demo"
budget=(--max-steps 480)
names=()
list=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift ;;
    --steps) budget=(--max-steps "$2"); shift ;;
    --minutes) budget=(--max-minutes "$2"); shift ;;
    --data-from) data=$2; shift ;;
    --list) list=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) names+=("$1") ;;
  esac
  shift
done
train="$root/build/train/blurkit-train"

# The common setting (the demo's panorama model before this study): `motion` width 8, 64x64 crops,
# batch 8, Adam at 1e-3 halved at 50% and 75%, the paper's L1 loss, random time reversal.
declare -A base=([model]=motion [width]=8 [crop]=64 [batch]=8 [lr]=1e-3 [schedule]=paper [loss]=l1
                 [penalty-weight]=0.01 [consistency-weight]=0.01 [warmup]=0)
# Each ablation: the options it changes ("key=value"; a bare key is a switch).
declare -A ablations=(
  [base]=""
  [order-invariant]="order-invariant"
  [oi+no-time-reversal]="order-invariant no-time-reversal"
  [oi+charbonnier]="order-invariant loss=charbonnier"
  [oi+l2]="order-invariant loss=l2"
  [oi+lr3e-3-cosine]="order-invariant lr=3e-3 schedule=cosine warmup=50"
  [oi+lr3e-4]="order-invariant lr=3e-4"
  [oi+cosine]="order-invariant schedule=cosine warmup=50"
  [oi+no-penalty]="order-invariant penalty-weight=0"
  [oi+no-consistency]="order-invariant consistency-weight=0"
  [oi+crop96]="order-invariant crop=96"
  [oi+crop128]="order-invariant crop=128"
  [oi+batch4]="order-invariant batch=4"
  [oi+batch16]="order-invariant batch=16"
  [oi+width16]="order-invariant width=16"
  [oi+unet]="order-invariant model=unet"
  [oi+unet16]="order-invariant model=unet width=16"
  [oi+data3072]="order-invariant data=panorama_train_3072"
)
if [ $list -eq 1 ]; then
  for n in "${!ablations[@]}"; do echo "$n: ${ablations[$n]:-(the common setting)}"; done | sort
  exit 0
fi
[ ${#names[@]} -gt 0 ] || { echo "ablations: name at least one ablation (--list)" >&2; exit 2; }
[ -x "$train" ] || { echo "ablations: $train is missing; run scripts/setup.sh" >&2; exit 1; }
mkdir -p "$out"

run_one() {
  local name=$1
  [ -n "${ablations[$name]+x}" ] || { echo "ablations: unknown ablation '$name' (--list)" >&2; return 2; }
  declare -A o
  for k in "${!base[@]}"; do o[$k]=${base[$k]}; done
  local switches=() dataset=panorama_train item
  for item in ${ablations[$name]}; do
    case "$item" in
      data=*) dataset=${item#data=} ;;
      *=*) o[${item%%=*}]=${item#*=} ;;
      *) switches+=("--$item") ;;
    esac
  done
  local args=()
  for k in "${!o[@]}"; do args+=("--$k" "${o[$k]}"); done
  if [ ! -f "$data/$dataset/index.json" ] && [ "$dataset" = panorama_train_3072 ]; then
    # Four times the demo's training samples, from the same panoramas.
    "$root/build/synth/blurkit-synth" panorama --manifest "$root/data_manifests/demo_panorama.json" \
      --split train --samples 3072 --out "$data/$dataset" --threads 1 --quiet > /dev/null
  fi
  local run="$out/$name"
  if [ -f "$run/done" ]; then echo "ablations: $name done already"; return 0; fi
  rm -rf "$run"
  "$train" train --data "$data/$dataset" --val "$data/panorama_test" --out "$run" --seed 1 \
    --threads 1 --workers 1 --epochs 1000 --val-every 96 --checkpoint-every 100000 --quiet \
    "${budget[@]}" "${args[@]}" "${switches[@]}" > "$out/$name.log" 2>&1 \
    || { echo "ablations: $name failed, see $out/$name.log" >&2; return 1; }
  touch "$run/done"
  echo "ablations: $name: $(tail -n 2 "$out/$name.log" | head -n 1)"
}

# Two at a time.
pids=()
for name in "${names[@]}"; do
  run_one "$name" &
  pids+=($!)
  if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}" || true; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p" || true; done

# The table of every finished ablation in DIR.
{
  echo "| ablation | changes | steps | train s | PSNR mid | PSNR others | gain mid | gain others |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  for n in $(printf '%s\n' "${!ablations[@]}" | sort); do
    log="$out/$n/val_log.csv"
    [ -f "$out/$n/done" ] && [ -f "$log" ] || continue
    awk -F, -v n="$n" -v c="${ablations[$n]:-(common setting)}" '
      NR == 2 { m0 = $3; o0 = $4 }
      NR > 1 { s = $1; m = $3; o = $4; t = $6 }
      END { printf "| %s | %s | %d | %.0f | %.2f | %.2f | %+.2f | %+.2f |\n", n, c, s, t, m, o, m - m0, o - o0 }' "$log"
  done
} > "$out/ablations.md"
cat "$out/ablations.md"
