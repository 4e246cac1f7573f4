#!/usr/bin/env bash
# The main job end to end at CI size (scripts/pipeline.sh --quick): four datasets from the real
# sample data, two models trained for a few steps, predictions, and the report. Asserts that the
# outputs exist, parse, and hold sane values.
set -uo pipefail
build=${1:?usage: pipeline_test.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

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
# A second run skips every stage (resume).
"$root/scripts/pipeline.sh" --quick --out "$work/demo" --build "$build" > "$work/log2.txt" 2>&1 \
  && grep -q "already trained" "$work/log2.txt" && grep -q "already predicted" "$work/log2.txt" \
  && pass "rerun skips finished stages" || fail "rerun did not skip"
echo "pipeline_test: $failures failure(s)"
[ $failures -eq 0 ]
