#!/usr/bin/env bash
# What the event camera costs: `blurkit-synth panorama` writing 256x256 samples with F = 7 on one
# thread from an 8-bit panorama, without events and with --events (ideal mode, C0 = 0.2, sigma 0.03,
# a 10 ms exposure), in the same run: rounds that alternate them, the fastest round of each counted.
# Prints seconds per sample, the ratio to the sample without events, the events per sample and
# their rate (events per second of exposure, and per pixel), and the frames rendered for them.
# Usage: scripts/perf/events.sh [BUILD_DIR]   (default: build; about 2 minutes on one core)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/perf/ratio.sh"
build=${1:-$root/build}
synth="$build/synth/blurkit-synth"
pano="$root/data/samples/panoramas/humus/citadella.png"
[ -x "$synth" ] || { echo "perf/events: $synth missing; run scripts/setup.sh first" >&2; exit 1; }
[ -f "$pano" ] || { echo "perf/events: $pano missing; run scripts/fetch_samples.sh first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
samples=${BLURKIT_PERF_EVENT_SAMPLES:-6}
exposure=0.01
declare -A best
configs=(none events)
for round in 1 2; do
  for config in "${configs[@]}"; do
    rm -rf "$work/$config"
    flags=()
    [ "$config" = events ] && flags=(--events --exposure-time "$exposure")
    start=$(date +%s.%N)
    "$synth" panorama --input "$pano" --samples "$samples" --size 256 --frames 7 --threads 1 --seed 5 \
      "${flags[@]}" --out "$work/$config" >"$work/$config.log" 2>/dev/null
    t=$(awk -v a="$start" -v b="$(date +%s.%N)" -v n="$samples" 'BEGIN { printf "%.5f", (b - a) / n }')
    if [ -z "${best[$config]:-}" ] || awk -v a="$t" -v b="${best[$config]}" 'BEGIN { exit !(a < b) }'; then
      best[$config]=$t
    fi
  done
done
printf '%-10s %14s %10s\n' "events" "s per sample" "ratio"
for config in "${configs[@]}"; do
  printf '%-10s %14.4f %9.2fx\n' "$config" "${best[$config]}" "$(div "${best[$config]}" "${best[none]}")"
done
grep -h "events per sample" "$work/events.log" || true
/usr/bin/python3 - "$work/events" "$exposure" <<'PY'
import glob, sys
import h5py
folder, exposure = sys.argv[1], float(sys.argv[2])
events = samples = pixels = 0
for path in sorted(glob.glob(folder + '/shard-*.h5')):
    with h5py.File(path, 'r') as f:
        events += int(f['event_offsets'][-1])
        samples += f['blurred'].shape[0]
        pixels = f['blurred'].shape[1] * f['blurred'].shape[2]
print(f'event rate: {events / samples:.0f} events per sample, {events / samples / exposure / 1e6:.2f} '
      f'Mev/s over the {exposure * 1e3:g} ms exposure, {events / samples / pixels:.2f} per pixel')
PY
ratio "sample time, --events / without (256x256, F = 7, 10 ms)" "$(div "${best[events]}" "${best[none]}")" "reported"
