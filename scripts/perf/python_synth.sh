#!/usr/bin/env bash
# Rendering inside a PyTorch DataLoader (blurkit.synth.RotationDataset) against blurkit-synth, in one
# run: the demo's 2 test panoramas, 256x256, F = 7, the paper's slerp paths. Measured, in samples/s:
#   the CLI writing shards on 1 thread (--threads 1) and on all cores;
#   RotationDataset through DataLoader (batch 4) with 0, 1 and 2 worker processes, float32 items
#   (ShardDataset's) and uint8 items (dtype='uint8': a quarter of the bytes through shared memory);
#   blurkit.ShardDataset reading the CLI's shards of the same samples (0 workers);
#   the 29 training panoramas shuffled (2 uint8 workers), plain and with RotationDataset.sampler().
# Target: 1 worker at least 0.8x the CLI's single-thread rate. Also: the peak memory (max RSS) of a
# process rendering one sample from each of the 29 training panoramas of the demo manifest, against
# one rendering from a single panorama: the decoded-source cache (3 by default) bounds it.
# Usage: scripts/perf/python_synth.sh [BUILD_DIR] [SAMPLES]   (default build, 96 samples;
#   needs scripts/setup.sh and scripts/fetch_samples.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/perf/ratio.sh"
build=${1:-$root/build}
n=${2:-96}
synth="$build/synth/blurkit-synth"
[ -x "$synth" ] || { echo "python_synth: $synth missing; run scripts/setup.sh first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
manifest="$root/data_manifests/demo_panorama.json"
opts=(--manifest "$manifest" --split test --samples "$n" --size 256 --frames 7 --seed 11)
cli_rate() {  # samples/s of one CLI run, timed from outside (start-up and source loading included)
  rm -rf "$work/cli"
  local start end
  start=$(date +%s.%N)
  "$synth" panorama "${opts[@]}" --threads "$1" --out "$work/cli" -q >/dev/null
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" -v n="$n" 'BEGIN { printf "%.2f", n / (e - s) }'
}
cli_all=$(cli_rate 0)
cli_one=$(cli_rate 1)
py=$(BLURKIT_PYTHON_MODULES="$build/python" PYTHONPATH="$root/python" /usr/bin/python3 - "$manifest" "$n" "$work/cli" <<'PY'
import json, resource, subprocess, sys, time
import torch
from torch.utils.data import DataLoader
import blurkit, blurkit.synth
manifest, n, shards = sys.argv[1], int(sys.argv[2]), sys.argv[3]
torch.set_num_threads(1)
out = {}
def rate(dataset, workers, **options):
    loader = DataLoader(dataset, batch_size=4, num_workers=workers, **options)
    start = time.perf_counter()
    count = sum(len(b['index']) for b in loader)
    return count / (time.perf_counter() - start)
for dtype in ('float32', 'uint8'):
    for workers in (0, 1, 2):
        fresh = blurkit.synth.RotationDataset(manifest=manifest, split='test', samples=n, size=256, frames=7,
                                              seed=11, dtype=dtype)
        out[f'{dtype}_workers{workers}'] = rate(fresh, workers)
out['shards'] = rate(blurkit.ShardDataset(shards), 0)
# Shuffled over the 29 training panoramas (2 uint8 workers): plain shuffling against the sampler that
# keeps each panorama's samples together.
def train_rate(grouped):
    fresh = blurkit.synth.RotationDataset(manifest=manifest, split='train', samples=n, size=256, frames=7,
                                          seed=11, dtype='uint8')
    return rate(fresh, 2, **(dict(sampler=fresh.sampler()) if grouped else dict(shuffle=True)))
out['train_shuffled'] = train_rate(False)
out['train_grouped'] = train_rate(True)
# Peak memory: a fresh process per case, so that each max RSS is its own.
code = ('import resource, sys, blurkit.synth as s; '
        'r = s.Rotation(manifest=sys.argv[1], split=sys.argv[2], samples=int(sys.argv[3]), size=256, frames=7); '
        '[r.sample(i) for i in range(len(r))]; '
        'print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)')
for name, split, samples in (('rss_one', 'test', 1), ('rss_all', 'train', 29)):
    out[name] = float(subprocess.check_output([sys.executable, '-c', code, manifest, split, str(samples)]))
print(json.dumps(out))
PY
)
jq -r --argjson one "$cli_one" --argjson all "$cli_all" --arg n "$n" --arg cores "$(nproc)" '
  def r: (. * 100 | floor) / 100 | tostring | (" " * (8 - length)) + .;
  "\($n) samples 256x256 F=7 (2 panoramas)            samples/s   x CLI 1 thread",
  "blurkit-synth panorama --threads 1                 \($one | r)   \($one / $one | r)",
  "blurkit-synth panorama, all \($cores) cores               \($all | r)   \($all / $one | r)",
  (["float32", "uint8"][] as $t | [["in-process", 0], ["1 worker", 1], ["2 workers", 2]][] as [$w, $k] |
   .["\($t)_workers\($k)"] as $v | "RotationDataset \($t), \($w)" | . + (" " * (50 - length)) +
   "\($v | r)   \($v / $one | r)"),
  "ShardDataset reading the CLI shards, in-process    \(.shards | r)   \(.shards / $one | r)",
  "29 training panoramas, uint8, 2 workers, shuffle   \(.train_shuffled | r)   \(.train_shuffled / $one | r)",
  "  the same, sampler() grouping each panorama      \(.train_grouped | r)   \(.train_grouped / $one | r)",
  "",
  "peak memory (max RSS), 256x256 F=7: 1 sample of 1 panorama \(.rss_one | floor) MiB; 1 sample from each of 29 panoramas \(.rss_all | floor) MiB"' <<<"$py"
ratio "RotationDataset uint8, 1 worker / CLI --threads 1, samples/s" "$(div "$(jq .uint8_workers1 <<<"$py")" "$cli_one")" ">= 0.8"
ratio "RotationDataset float32, 1 worker / CLI --threads 1, samples/s" "$(div "$(jq .float32_workers1 <<<"$py")" "$cli_one")" "-"
ratio "RotationDataset uint8, 2 workers / CLI all cores, samples/s" "$(div "$(jq .uint8_workers2 <<<"$py")" "$cli_all")" "-"
ratio "peak RSS, 29 panoramas / 1 panorama" "$(div "$(jq .rss_all <<<"$py")" "$(jq .rss_one <<<"$py")")" "-"
