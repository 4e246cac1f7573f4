#!/usr/bin/env bash
# The `motion` training step of this checkout against the same step built from an earlier commit,
# timed side by side in one run: BM_TrainStepMotion/8/8/64/3 (width 8, batch 8, 64x64, F = 3, the
# demo's settings; the benchmark measures the same work in every version), the two binaries
# alternating for ROUNDS rounds, each side the fastest round. The baseline's train_benchmark is built
# once into runs/perf/baseline-COMMIT (2m23s on 2 cores, with one round) and reused.
#
# Usage: scripts/perf/step_vs_baseline.sh [--rev COMMIT] [--rounds N] [BUILD_DIR]
#   default --rev 34a511a (the step profiled in docs/train.md), --rounds 5, BUILD_DIR build (needs
#   scripts/setup.sh and scripts/fetch_samples.sh). 3cd3df4 is the experiment docs/train.md
#   describes (flat-buffer Adam, merged transformer convolutions): `--rev 34a511a` in its checkout.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/perf/ratio.sh"
rev=34a511a
rounds=5
build="$root/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --rev) rev=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    -*) echo "perf/step_vs_baseline: unknown option $1" >&2; exit 2 ;;
    *) build=$1 ;;
  esac
  shift
done
new="$build/train/train_benchmark"
[ -x "$new" ] || { echo "perf/step_vs_baseline: $new missing; build first (scripts/setup.sh)" >&2; exit 1; }
commit=$(git -C "$root" rev-parse --short "$rev^{commit}")
base_dir="$root/runs/perf/baseline-$commit"
old="$base_dir/build/train/train_benchmark"
if [ ! -x "$old" ]; then
  echo "building the baseline's train_benchmark at $commit into $base_dir (once)" >&2
  rm -rf "$base_dir"
  mkdir -p "$(dirname "$base_dir")"
  git -C "$root" worktree add --detach --force "$base_dir" "$commit" >/dev/null
  cmake -S "$base_dir" -B "$base_dir/build" -DCMAKE_BUILD_TYPE=Release -DBLURKIT_BUILD_PYTHON=OFF >/dev/null
  cmake --build "$base_dir/build" -j "$(nproc)" --target train_benchmark >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The benchmark binary opens a dataset for its loader benchmarks (not run here); the step
# benchmark trains on a fixed random batch. Needs scripts/fetch_samples.sh.
"$build/synth/blurkit-synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split test \
  --samples 8 --out "$work/pano" -q >/dev/null
time_one() {  # BINARY -> ms per step (real time) of one round
  "$1" "$work/pano" --benchmark_filter='BM_TrainStepMotion/8/8/64/3/' --benchmark_min_time=2 \
    --benchmark_format=json 2>/dev/null | jq '.benchmarks[0].real_time'
}
for ((r = 1; r <= rounds; ++r)); do
  echo "$(time_one "$old") $(time_one "$new")" >>"$work/times"
done
read -r base_ms new_ms < <(awk 'NR == 1 || $1 < a { a = $1 } NR == 1 || $2 < b { b = $2 } END { print a, b }' "$work/times")
echo "BM_TrainStepMotion/8/8/64/3, $(nproc) threads, fastest of $rounds alternating rounds (all rounds, ms: baseline new)"
sed 's/^/  /' "$work/times"
printf "%-34s %10s\n" "binary" "ms/step"
printf "%-34s %10.1f\n" "baseline ($commit)" "$base_ms"
printf "%-34s %10.1f\n" "this checkout" "$new_ms"
speedup=$(div "$base_ms" "$new_ms")
echo "speed-up: ${speedup}x"
ratio "motion training step, this checkout against $commit, 8/8/64/3" "$speedup" ">= 2 (issue 34)"
