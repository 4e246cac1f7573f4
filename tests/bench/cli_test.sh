#!/usr/bin/env bash
# blurkit-bench end to end: a small rotational-blur test set made with blurkit-synth from the real
# sample panoramas, scored against the blurred-input baseline; bad input gives clear errors.
set -uo pipefail
bench=${1:?usage: cli_test.sh blurkit-bench blurkit-synth}
synth=${2:?}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/harness.sh"
[ -f "$root/data/samples/panoramas/studio.exr" ] || { echo "FAIL sample data missing: run scripts/fetch_samples.sh"; exit 1; }

"$synth" panorama --input "$root/data/samples/panoramas/studio.exr" --samples 6 --size 48 --frames 3 \
  --out "$work/gt" --quiet >/dev/null || fail "make test set"
grep -q -- "--allow-missing" <<<"$("$bench" score --help)" && pass "score --help" || fail "score --help"
if "$bench" score --gt "$work/gt" --pred blurred-input --out "$work/s" --quiet > "$work/md.txt"; then
  pass "score blurred-input"; else fail "score blurred-input"; fi
grep -q "| blurred-input | 6 |" "$work/md.txt" && pass "summary printed" || fail "summary printed"
awk -F, 'NR > 1 && ($5 + 0 < 5 || $5 + 0 > 60) { bad = 1 } END { exit bad }' "$work/s/per_sample.csv" \
  && pass "baseline PSNR finite and sane" || fail "baseline PSNR out of range"

# PNG predictions: two samples missing.
mkdir -p "$work/png"
/usr/bin/python3 - "$work/gt" "$work/png" <<'PY'
import sys, glob, h5py, cv2
f = h5py.File(sorted(glob.glob(sys.argv[1] + '/shard-*.h5'))[0], 'r')
for i, sid in enumerate(f['sample_id'].asstr()[:]):
    if i < 2:
        continue
    for j in range(f['sharp'].shape[1]):
        cv2.imwrite(f'{sys.argv[2]}/{sid}_{j}.png', f['sharp'][i, j][:, :, ::-1])
PY
expect_error "missing predictions listed" "missing 00000000-studio, 00000001-studio" \
  "$bench" score --gt "$work/gt" --pred "$work/png" --out "$work/p" --quiet
"$bench" score --gt "$work/gt" --pred "$work/png" --out "$work/p2" --allow-missing --quiet >/dev/null \
  && grep -q "100.00" "$work/p2/summary.md" && pass "--allow-missing scores the rest" || fail "--allow-missing"
# A prediction dataset written from Python (scripts/blurkit_predictions.py): the ground truth's
# frames played backwards, with a reported model size; it scores perfectly under the default rule.
/usr/bin/python3 - "$work/gt" "$work/pyds" "$root/scripts" <<'PY'
import sys, glob, h5py, numpy as np
sys.path.insert(0, sys.argv[3])
from blurkit_predictions import write_predictions
f = h5py.File(sorted(glob.glob(sys.argv[1] + '/shard-*.h5'))[0], 'r')
write_predictions(sys.argv[2], list(f['sample_id'].asstr()[:]), f['sharp'][:][:, ::-1], method='py-reversed',
                  model={'parameters': 2.5e6, 'fps': {'128': 100.0, '256': 30.0, '512': 8.0}})
PY
if "$bench" score --gt "$work/gt" --pred "$work/pyds" --out "$work/py" --quiet > "$work/py.txt"; then
  grep -q "| py-reversed | 6 | 100.00" "$work/py.txt" && grep -q "| 2.500 |" "$work/py.txt" \
    && pass "Python-written prediction dataset scored, model size shown" || { fail "python predictions table"; cat "$work/py.txt"; }
else fail "score Python-written predictions"; cat "$work/py.txt"; fi
"$synth" shards verify "$work/pyds" >/dev/null && pass "Python-written dataset passes verify" || fail "verify python dataset"
"$synth" shards inspect "$work/pyds" | grep -q "checksums:    yes (schema 2" \
  && pass "Python-written dataset carries checksums" || fail "Python-written dataset lacks checksums"

expect_error "missing ground truth" "not a blurkit dataset" "$bench" score --gt "$work/nothing" --pred blurred-input --out "$work/x"
expect_error "bad profile" "profile 'lab'" "$bench" score --gt "$work/gt" --pred blurred-input --out "$work/x" --profile lab
expect_error "bad order rule" "order rule 'sideways'" "$bench" score --gt "$work/gt" --pred blurred-input --out "$work/x" --order sideways
expect_error "required option" "required" "$bench" score --gt "$work/gt"
finish cli_test
