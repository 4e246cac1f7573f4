#!/usr/bin/env bash
# What gzip compression of the shard images does to size and read speed, and what the checksums of
# schema 2 cost on write and on shuffled reads against schema 1 shards without them (same samples,
# same run), on real content: the demo's test panoramas (scripts/fetch_samples.sh), 256 samples of
# 128x128 with 3 sharp frames.
# Usage: scripts/perf/shards.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/perf/ratio.sh"
build=${1:-$root/build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-12s %10s %8s %14s\n' compression "MiB" ratio "read samples/s"
base=""
for level in 0 1 4 9; do
  "$build/synth/blurkit-synth" panorama --manifest "$root/data_manifests/demo_panorama.json" \
    --split test --samples 256 --compression "$level" --out "$work/c$level" --quiet >/dev/null
  bytes=$(du -cb "$work/c$level"/shard-*.h5 | tail -n 1 | cut -f1)
  [ -n "$base" ] || base=$bytes
  rate=$("$build/core/shard_read_benchmark" "$work/c$level" 5 | cut -d' ' -f1)
  awk -v l="$level" -v b="$bytes" -v base="$base" -v r="$rate" \
    'BEGIN { printf "%-12s %10.1f %8.2f %14s\n", (l == 0 ? "none" : "gzip " l), b / 1048576, base / b, r }'
  [ "$level" = 0 ] && read0=$rate
  [ "$level" = 0 ] || ratio "size uncompressed / gzip $level" "$(div "$base" "$bytes")" "-"
  [ "$level" = 0 ] || ratio "read speed gzip $level / uncompressed" "$(div "$rate" "$read0")" "-"
done

echo
bench="$build/core/shard_read_benchmark"
printf '%-28s %10s %18s %22s\n' shards "MiB" "write samples/s" "read samples/s (x5)"
for format in unchecked checked; do
  write=$("$bench" --copy "$work/c0" "$work/$format" "$format" | cut -d' ' -f1)
  bytes=$(du -cb "$work/$format"/shard-*.h5 | tail -n 1 | cut -f1)
  read=$("$bench" "$work/$format" 5 | cut -d' ' -f1)
  label=$([ $format = checked ] && echo "schema 2 (checksums)" || echo "schema 1 (none)")
  printf '%-28s %10.2f %18s %22s\n' "$label" "$(awk -v b="$bytes" 'BEGIN { print b / 1048576 }')" "$write" "$read"
  eval "${format}_write=$write ${format}_read=$read"
done
awk -v cw="$checked_write" -v uw="$unchecked_write" -v cr="$checked_read" -v ur="$unchecked_read" \
  'BEGIN { printf "checksums: write speed x%.2f, read speed x%.2f of schema 1 (same run)\n", cw / uw, cr / ur }'
ratio "checksummed / unchecked shards, write speed" "$(div "$checked_write" "$unchecked_write")" "-"
ratio "checksummed / unchecked shards, read speed" "$(div "$checked_read" "$unchecked_read")" "-"
