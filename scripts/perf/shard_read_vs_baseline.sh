#!/usr/bin/env bash
# Shard reads of this checkout against the same reads built from an earlier commit, side by side in
# one run: core/shard_read_benchmark (every sample in shuffled order, REPEATS times) on the demo's
# 256 test panorama samples (128x128, F = 3) stored three ways: schema 2 uncompressed (the default),
# schema 2 gzip 4 and schema 1 (no checksums). The two binaries alternate for ROUNDS rounds; each
# round gives the ratio new / baseline of samples per CPU second (user + sys, which the other work
# on a shared machine disturbs less than wall time) and of samples per wall second. The baseline's
# shard_read_benchmark (core only) is built once from `git archive` into
# runs/perf/baseline-read-COMMIT and reused.
#
# Usage: scripts/perf/shard_read_vs_baseline.sh [--rev COMMIT] [--rounds N] [BUILD_DIR]
#   default --rev 6e946e5 (the reader that set glibc's allocator thresholds), --rounds 7, BUILD_DIR
#   build (with BLURKIT_BUILD_BENCHMARKS=ON; needs synth/blurkit-synth, core/shard_read_benchmark
#   and scripts/fetch_samples.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/perf/ratio.sh"
rev=6e946e5
rounds=7
build="$root/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --rev) rev=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "perf/shard_read_vs_baseline: unknown option $1" >&2; exit 2 ;;
    *) build=$1 ;;
  esac
  shift
done
new="$build/core/shard_read_benchmark"
[ -x "$new" ] || { echo "perf/shard_read_vs_baseline: $new missing; build it (BLURKIT_BUILD_BENCHMARKS=ON)" >&2; exit 1; }
commit=$(git -C "$root" rev-parse --short "$rev^{commit}")
base_dir="$root/runs/perf/baseline-read-$commit"
old="$base_dir/build/core/shard_read_benchmark"
if [ ! -x "$old" ]; then
  echo "building the baseline's shard_read_benchmark at $commit into $base_dir (once)" >&2
  rm -rf "$base_dir"
  mkdir -p "$base_dir/src"
  git -C "$root" archive "$commit" | tar -x -C "$base_dir/src"
  cmake -S "$base_dir/src" -B "$base_dir/build" -DCMAKE_BUILD_TYPE=Release -DBLURKIT_BUILD_SYNTH=OFF \
    -DBLURKIT_BUILD_BENCH=OFF -DBLURKIT_BUILD_TRAIN=OFF -DBLURKIT_BUILD_PYTHON=OFF \
    -DBLURKIT_BUILD_BENCHMARKS=ON -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$base_dir/build" -j "$(nproc)" --target shard_read_benchmark >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for level in 0 4; do
  "$build/synth/blurkit-synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split test \
    --samples 256 --compression "$level" --out "$work/gzip$level" --quiet >/dev/null
done
"$new" --copy "$work/gzip0" "$work/schema1" unchecked >/dev/null
# one BINARY DIR REPEATS -> "samples per CPU second" "samples per wall second"
one() {
  local TIMEFORMAT='%U %S' wall cpu
  { time "$1" "$2" "$3" >"$work/out"; } 2>"$work/cpu"
  wall=$(cut -d' ' -f1 "$work/out")
  cpu=$(awk -v n=$((256 * $3)) '{ printf "%.0f", n / ($1 + $2) }' "$work/cpu")
  echo "$cpu $wall"
}
printf '%-22s %5s %24s %24s %7s %7s\n' shards round "baseline cpu/s wall/s" "new cpu/s wall/s" cpu wall
for spec in "schema 2, uncompressed:gzip0:40" "schema 2, gzip 4:gzip4:5" "schema 1:schema1:40"; do
  IFS=: read -r label dir repeats <<<"$spec"
  : >"$work/ratios"
  for ((r = 1; r <= rounds; ++r)); do
    read -r bc bw < <(one "$old" "$work/$dir" "$repeats")
    read -r nc nw < <(one "$new" "$work/$dir" "$repeats")
    rc=$(div "$nc" "$bc")
    rw=$(div "$nw" "$bw")
    echo "$rc $rw" >>"$work/ratios"
    printf '%-22s %5d %12s %11s %12s %11s %7s %7s\n' "$label" "$r" "$bc" "$bw" "$nc" "$nw" "$rc" "$rw"
  done
  # Median and range of each column.
  summary() { sort -n | awk '{ v[NR] = $1 } END { printf "%.2f (%.2f to %.2f)", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
  cpu_summary=$(cut -d' ' -f1 "$work/ratios" | summary)
  wall_summary=$(cut -d' ' -f2 "$work/ratios" | summary)
  echo "$label: this checkout / $commit, median (range) of $rounds rounds: per CPU second $cpu_summary, per wall second $wall_summary"
  ratio "shard reads, $label, this checkout against $commit (CPU)" "$(cut -d' ' -f1 "$work/ratios" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')" "-"
done
