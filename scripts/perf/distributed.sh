#!/usr/bin/env bash
# Data-parallel training on this machine, in one run: 1 process with 2 threads against 2 processes
# (torchrun) with 1 thread each, the same global batch (8) and the demo's model (motion, width 8,
# 64x64 crops); samples/s of each and the share of the 2-process run spent in the gradient
# all-reduce (blurkit-train measures it). Also prints the gradient size of the demo's model and of
# the paper's (width 32), from which docs/cluster.md estimates the communication per
# step on GPUs.
# Usage: scripts/perf/distributed.sh [BUILD_DIR] [STEPS]   (needs scripts/fetch_samples.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/perf/ratio.sh"
build=${1:-$root/build}
steps=${2:-60}
train="$build/train/blurkit-train"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v torchrun >/dev/null || { echo "perf/distributed: torchrun missing (scripts/setup.sh installs python3-torch)" >&2; exit 1; }
"$build/synth/blurkit-synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split train \
  --samples 512 --out "$work/data" -q >/dev/null
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
common=(train --data "$work/data" --model motion --width 8 --crop 64 --lr 1e-3 --order-invariant
        --max-steps "$steps" --checkpoint-every 100000 --workers 1 --seed 1 --quiet)

rate() { sed -n 's/.* s, \([0-9.]*\) samples\/s.*/\1/p' "$1" | head -n 1; }
"$train" "${common[@]}" --batch 8 --threads 2 --out "$work/one" > "$work/one.txt"
# Debian's torchrun 1.13 on Python 3.11 needs --redirects/--tee other than 0 (see tests/train).
torchrun --redirects 1 --tee 1 --log_dir "$work/logs" --no_python --nproc_per_node 2 \
  --master_addr 127.0.0.1 --master_port "$(free_port)" \
  "$train" "${common[@]}" --batch 4 --threads 1 --out "$work/two" > "$work/two.txt" 2>/dev/null
one=$(rate "$work/one.txt")
two=$(rate "$work/two.txt")
share=$(sed -n 's/.*gradient all-reduce \([0-9.]*\) s, \([0-9.]*\)% of the run.*/\2/p' "$work/two.txt")
echo "$steps steps of motion (width 8, 64x64 crops, global batch 8) on $(nproc) cores:"
printf '  1 process  x 2 threads: %8.1f samples/s\n' "$one"
printf '  2 processes x 1 thread: %8.1f samples/s   (x%.2f of 1 process)\n' "$two" "$(awk -v a="$two" -v b="$one" 'BEGIN { print a / b }')"
printf '  gradient all-reduce (Gloo, loopback): %s%% of the 2-process run\n' "$share"
ratio "training speed, 2 processes x 1 thread / 1 process x 2 threads" "$(div "$two" "$one")" "~1"
# The demo's model (width 8, F = 3) and the paper's (width 32, F = 7: one decoder per frame).
"$build/synth/blurkit-synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split test \
  --samples 2 --frames 7 --out "$work/f7" -q >/dev/null
for config in "8 data" "32 f7"; do
  read -r width data <<<"$config"
  "$train" train --data "$work/$data" --width "$width" --crop 64 --batch 1 --max-steps 1 --threads 2 \
    --quiet --out "$work/w$width" > /dev/null
  read -r params frames < <(/usr/bin/python3 -c 'import sys, json, torch
m = torch.jit.load(sys.argv[1])
print(sum(p.numel() for p in m.model.parameters()), json.loads(m.meta)["model"]["frames"])' "$work/w$width/checkpoint.pt")
  awk -v w="$width" -v f="$frames" -v p="$params" 'BEGIN { printf "  motion width %2d, F = %d: %d parameters, %.1f MB of float32 gradients per step\n", w, f, p, 4 * p / 1e6 }'
done
