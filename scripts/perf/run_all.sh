#!/usr/bin/env bash
# blurkit's benchmarks, all of them, and one table of their ratios. Each benchmark measures a speed
# against a baseline in the same run (the same machine, the same moment), so the ratios compare
# across machines where absolute speeds do not:
#   synth        rotational blur against plain cv::remap          video   synthesis against decoding
#   camera       the camera pipeline (rsblur, realblur-j) against the ideal camera
#   events       samples with the event camera (--events) against without; the event rate
#   shards       gzip levels and checksums against plain shards   bench   metrics against scikit-image
#   score        the whole score with the field's metrics against without them, demo test sets
#   motion_step  training step against the reference layers; inference batch 8 against 1
#   train        blurkit against PyTorch; shards against PNG
#   python_loader  Python ShardDataset against a Dataset of PNGs  distributed  2 processes against 1
#   python_synth   RotationDataset rendering in DataLoader workers against blurkit-synth on 1 thread
#   export       shards export (LMDB, folders, tar) against reading the shards
# Each benchmark's own table goes to OUT/NAME.log; the ratios to OUT/ratios.tsv and the screen.
#
# Usage: scripts/perf/run_all.sh [--only NAME,NAME] [--out DIR] [BUILD_DIR]
#   (default: all, runs/perf, build; about 8 minutes on 2 cores; needs scripts/setup.sh and
#   scripts/fetch_samples.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
all=(synth camera events video shards export bench score motion_step train python_loader python_synth distributed)
only=""
out="$root/runs/perf"
build="$root/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only=$2; shift ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    -*) echo "run_all: unknown option $1" >&2; exit 2 ;;
    *) build=$1 ;;
  esac
  shift
done
names=("${all[@]}")
if [ -n "$only" ]; then
  IFS=, read -r -a names <<<"$only"
  for n in "${names[@]}"; do
    [[ " ${all[*]} " == *" $n "* ]] || { echo "run_all: no benchmark '$n' (have: ${all[*]})" >&2; exit 2; }
  done
fi
mkdir -p "$out"
ratios="$out/ratios.tsv"
: >"$ratios.tmp"
failed=()
for n in "${names[@]}"; do
  start=$(date +%s)
  printf '%-14s ' "$n"
  if BLURKIT_PERF_RATIOS="$ratios.tmp" bash "$root/scripts/perf/$n.sh" "$build" >"$out/$n.log" 2>&1; then
    echo "done in $(( $(date +%s) - start )) s ($out/$n.log)"
  else
    echo "FAILED after $(( $(date +%s) - start )) s: see $out/$n.log"
    failed+=("$n")
  fi
done
mv "$ratios.tmp" "$ratios"
echo
echo "ratios on $(nproc) cores of $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), $(date -u +%Y-%m-%d):"
awk -F '\t' 'BEGIN { printf "%-14s %-66s %8s  %s\n", "benchmark", "ratio", "value", "target" }
             { printf "%-14s %-66s %8s  %s\n", $1, $2, $3, $4 }' "$ratios"
[ ${#failed[@]} -eq 0 ] || { echo "run_all: failed: ${failed[*]}" >&2; exit 1; }
