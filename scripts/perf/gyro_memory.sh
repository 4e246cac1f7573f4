#!/usr/bin/env bash
# Peak memory of reading a large text gyroscope log: `blurkit-synth gyro inspect` on a generated CSV
# of about SIZE_MB megabytes (t,wx,wy,wz rows, 1 kHz), against the same command on a 3-row log (the
# process's own floor, measured in the same run). Reports the peak resident sizes and the ratio of
# the log's share (peak - floor) to the file's size. With BASELINE=PATH to another blurkit-synth
# (an earlier commit's), measures that one too, in the same run, for a before/after ratio.
#
# Usage: scripts/perf/gyro_memory.sh [SIZE_MB] [BUILD_DIR]   (default 185 MB, build; ~1 min)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
size_mb=${1:-185}
build=${2:-$root/build}
synth=$build/synth/blurkit-synth
[ -x "$synth" ] || { echo "gyro_memory: $synth is missing; run scripts/setup.sh" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 't,wx,wy,wz\n0,0,0,0\n0.001,0,0,0\n' >"$work/small.csv"
/usr/bin/python3 - "$work/big.csv" "$size_mb" <<'PY'
import sys
path, target = sys.argv[1], float(sys.argv[2]) * 1e6
with open(path, 'w') as f:
    f.write('t,wx,wy,wz\n')
    i, written, block = 0, 0, []
    while written < target:
        row = f'{i / 1000:.6f},{0.01 * (i % 997):.6f},{-0.02 * (i % 991):.6f},{0.003 * (i % 983):.6f}\n'
        block.append(row)
        written += len(row)
        i += 1
        if len(block) == 100000:
            f.write(''.join(block))
            block = []
    f.write(''.join(block))
PY
bytes=$(stat -c %s "$work/big.csv")
peak() { /usr/bin/time -f %M "$1" gyro inspect "$2" 2>&1 >/dev/null | tail -n 1; }  # KiB
echo "log: $bytes bytes ($(($(wc -l <"$work/big.csv") - 1)) rows)"
printf '%-10s %12s %12s %16s\n' binary "floor (MiB)" "peak (MiB)" "(peak-floor)/file"
for name in current ${BASELINE:+baseline}; do
  bin=$synth
  [ "$name" = baseline ] && bin=$BASELINE
  floor=$(peak "$bin" "$work/small.csv")
  top=$(peak "$bin" "$work/big.csv")
  awk -v n="$name" -v f="$floor" -v p="$top" -v b="$bytes" \
    'BEGIN { printf "%-10s %12.1f %12.1f %16.2f\n", n, f / 1024, p / 1024, (p - f) * 1024 / b }'
done
