#!/usr/bin/env bash
# The main job end to end at CI size (scripts/pipeline.sh --quick): eight datasets from the real
# sample data, two models trained for a few steps, predictions, and the report. Asserts that the
# outputs exist, parse, and hold sane values.
set -uo pipefail
build=${1:?usage: pipeline_test.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/harness.sh"

if "$root/scripts/pipeline.sh" --quick --out "$work/demo" --build "$build" > "$work/log.txt" 2>&1; then
  pass "pipeline --quick ran"
else
  fail "pipeline --quick failed:"; tail -n 30 "$work/log.txt"; exit 1
fi
r="$work/demo/report"
for f in matrix.md matrix.csv matrix.json matrix.tex positions_panorama.md positions_video.json \
         blur_size_panorama.svg blur_size_video.csv report.html example.png; do
  [ -s "$r/$f" ] && pass "$f written" || fail "$f missing"
done
# The matrix: three rows (two models and the baseline), every cell a number.
rows=$(jq '.rows | length' "$r/matrix.json")
[ "$rows" = 3 ] && pass "matrix has 3 rows" || fail "matrix rows: $rows"
empty=$(jq '[.rows[] | to_entries[] | select(.key | test("PSNR|SSIM")) | select(.value == null)] | length' "$r/matrix.json")
[ "$empty" = 0 ] && pass "every matrix cell has a value" || fail "$empty empty cells"
# The baseline's PSNR is finite and sane on both test sets.
for t in panorama video; do
  v=$(jq --arg c "$t PSNR mid" '.rows[] | select(.method == "blurred-input") | .[$c]' "$r/matrix.json")
  awk -v v="$v" 'BEGIN { exit !(v > 10 && v < 60) }' && pass "baseline PSNR on $t: $v dB" || fail "baseline PSNR on $t: $v"
done
grep -q "<svg" "$r/report.html" && grep -q "data:image/png;base64" "$r/report.html" \
  && pass "report has charts and images" || fail "report lacks charts or images"
# The learning curves of the two runs: their val_log.csv start at step 0 with the floor, which the
# chart and the CSV measure gains from.
d="$work/demo"
if /usr/bin/python3 "$root/scripts/learning_curves.py" --out "$work/curves" panorama="$d/model_panorama" \
     video="$d/model_video" > "$work/curves.txt" 2>&1; then
  pass "learning_curves.py ran"
else
  fail "learning_curves.py failed: $(cat "$work/curves.txt")"
fi
floor=$(awk -F, '$1 == "panorama" && $2 == 0 { print $6 }' "$work/curves/curves.csv")
[ "$floor" = "0.0000" ] && pass "curves start at the floor (gain 0 at step 0)" || fail "gain at step 0: '$floor'"
rows=$(awk -F, 'NR > 1' "$work/curves/curves.csv" | wc -l)
[ "$rows" -ge 4 ] && pass "curves.csv has $rows rows" || fail "curves.csv has $rows rows"
[ "$(grep -c '<polyline' "$work/curves/curves.svg")" -eq 8 ] && pass "curves.svg: 2 runs x 4 panels" \
  || fail "curves.svg has $(grep -c '<polyline' "$work/curves/curves.svg") polylines, expected 8"
# --steps-only: the two panels against steps, side by side, and no wall time anywhere.
if /usr/bin/python3 "$root/scripts/learning_curves.py" --out "$work/steps" --steps-only panorama="$d/model_panorama" \
     video="$d/model_video" > "$work/steps.txt" 2>&1 &&
   [ "$(grep -c '<polyline' "$work/steps/curves.svg")" -eq 4 ] && ! grep -q "against time" "$work/steps/curves.svg"; then
  pass "learning_curves.py --steps-only: 2 runs x 2 panels against steps"
else
  fail "learning_curves.py --steps-only: $(cat "$work/steps.txt"); $(grep -c '<polyline' "$work/steps/curves.svg" 2>/dev/null) polylines"
fi
# A log without its step-0 row has no floor: a clear error naming the file.
mkdir -p "$work/nofloor"
printf 'step,epoch,psnr_middle,psnr_others,samples,train_seconds\n5,0,20,18,4,1.0\n' > "$work/nofloor/val_log.csv"
if /usr/bin/python3 "$root/scripts/learning_curves.py" --out "$work/c2" x="$work/nofloor" > "$work/c2.txt" 2>&1; then
  fail "a log without step 0 was accepted"
else
  grep -q "nofloor/val_log.csv does not start at step 0" "$work/c2.txt" && pass "no step 0: clear error" \
    || fail "no step 0: unclear error: $(cat "$work/c2.txt")"
fi
# Every point lies on the axes, also when the last step is past a round tick (2400 steps once ran
# off a 0-2000 axis).
mkdir -p "$work/long"
printf 'step,epoch,psnr_middle,psnr_others,samples,train_seconds\n0,0,30,25,4,0\n1200,1,30.5,24,4,610\n2400,2,30.2,26.3,4,1210\n' \
  > "$work/long/val_log.csv"
if /usr/bin/python3 "$root/scripts/learning_curves.py" --out "$work/c3" x="$work/long" > "$work/c3.txt" 2>&1 &&
   /usr/bin/python3 - "$work/c3/curves.svg" <<'EOF'
import re, sys
svg = open(sys.argv[1]).read()
# The grid lines span each panel's axes; every polyline point must fall inside one panel's span.
grid = [tuple(map(float, m)) for m in re.findall(r'<line x1="([\d.]+)" x2="([\d.]+)" y1="([\d.]+)" y2="[\d.]+" stroke="#ddd"', svg)]
points = [tuple(map(float, p.split(","))) for line in re.findall(r'points="([^"]+)"', svg) for p in line.split()]
panels = {}  # (left edge, row of panels) -> (x1, x2, top grid line, bottom grid line)
for x1, x2, y in grid:
    key = (x1, int((y - 30) // 300))
    lo = panels.get(key, (x1, x2, y, y))
    panels[key] = (x1, x2, min(lo[2], y), max(lo[3], y))
inside = lambda p, b: b[0] - 0.5 <= p[0] <= b[1] + 0.5 and b[2] - 0.5 <= p[1] <= b[3] + 0.5
bad = [p for p in points if not any(inside(p, b) for b in panels.values())]
sys.exit(f"{len(bad)} of {len(points)} points off the axes: {bad[:3]}" if bad or not points else 0)
EOF
then pass "curves.svg: every point on the axes"; else fail "curves.svg: points off the axes ($(cat "$work/c3.txt"))"; fi
# A second run skips every stage (resume).
"$root/scripts/pipeline.sh" --quick --out "$work/demo" --build "$build" > "$work/log2.txt" 2>&1 \
  && grep -q "already trained" "$work/log2.txt" && grep -q "already predicted" "$work/log2.txt" \
  && pass "rerun skips finished stages" || fail "rerun did not skip"
# A dataset of other parameters (as after a manifest changed) stops the run, naming the dataset and
# --fresh.
cp -r "$work/demo" "$work/stale"
jq '.fingerprint = "0"' "$work/demo/photos_train/index.json" > "$work/stale/photos_train/index.json"
if "$root/scripts/pipeline.sh" --quick --out "$work/stale" --build "$build" > "$work/log3.txt" 2>&1; then
  fail "a stale dataset was not noticed"
else
  grep -q "photos_train holds a dataset made with other parameters" "$work/log3.txt" \
    && grep -q -- "--fresh starts over" "$work/log3.txt" \
    && pass "a stale dataset stops the run, naming it, with the way out" \
    || { fail "a stale dataset: unclear error"; tail -n 5 "$work/log3.txt"; }
fi
finish pipeline_test
