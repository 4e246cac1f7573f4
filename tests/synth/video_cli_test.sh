#!/usr/bin/env bash
# blurkit-synth video and import-pairs end to end: the real sample clip through the demo manifest,
# determinism across thread counts, the GoPro manifest on a generated GOPRO_Large_all layout, and
# the errors users meet on bad input (non-zero exit, scene and frame named, no output left).
set -uo pipefail
synth=${1:?usage: video_cli_test.sh path/to/blurkit-synth}
root=$(cd "$(dirname "$0")/../.." && pwd)
clip="$root/data/samples/videos/cockatoo.mp4"   # the demo manifest; realshort.mp4 for the rest
source "$root/tests/harness.sh"
# pngs < lines "FILE W H SHIFT": small RGB PNGs of a diagonal pattern shifted by SHIFT pixels
# (no OpenCV in Python here, so they are written with zlib; one Python process for all).
pngs() {
  python3 -c '
import struct, sys, zlib
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
for line in sys.stdin:
    path, w, h, shift = line.split(); w, h, shift = int(w), int(h), int(shift)
    rows = b"".join(b"\0" + bytes(((x - shift) * 9 + y * 5 + c * 60) % 256 for x in range(w) for c in range(3)) for y in range(h))
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
'
}

if [ ! -f "$clip" ] || [ ! -f "$root/data/samples/videos/realshort.mp4" ]; then
  echo "FAIL sample clip missing: run scripts/fetch_samples.sh (scripts/test.sh does)"; exit 1
fi

grep -q -- "--interpolate" <<<"$("$synth" video --help)" && pass "video --help lists options" || fail "video --help"
# box.mp4 (the demo's training clip) makes FFmpeg's decoder print what it works around; -q is quiet.
if [ -f "$root/data/samples/videos/box.mp4" ]; then
  "$synth" video --input "$root/data/samples/videos/box.mp4" --window 7 --frames 3 --crop 64 \
    --clip-range 0:0.2 --out "$work/box" -q > "$work/box_out.txt" 2> "$work/box_err.txt" \
    && [ ! -s "$work/box_err.txt" ] && pass "video -q on box.mp4: nothing on stderr" \
    || { fail "video -q on box.mp4 printed:"; head -5 "$work/box_err.txt"; }
else
  fail "sample clip box.mp4 missing: run scripts/fetch_samples.sh"
fi
grep -q -- "--realblur-list" <<<"$("$synth" import-pairs --help)" && pass "import-pairs --help" || fail "import-pairs --help"

# The demo manifest's test split (the last 30% of cockatoo.mp4), then verify and inspect.
if "$synth" video --manifest "$root/data_manifests/demo_video.json" --split test --out "$work/demo" -q >"$work/demo.txt" \
   && "$synth" shards verify "$work/demo" >/dev/null; then pass "demo manifest test split + verify"; else
  fail "demo manifest"; cat "$work/demo.txt"; fi
"$synth" shards inspect "$work/demo" | grep -q "kind:         video" && pass "inspect: kind video" || fail "inspect"
"$synth" shards inspect "$work/demo" | grep -q "128x128 RGB uint8, 3 sharp frames" && pass "inspect: demo shape" || fail "inspect shape"

# The same command on 1 thread and on all: the same bytes.
small=(video --input "$root/data/samples/videos/realshort.mp4" --window 5 --frames 3 --crop 64 --crops-per-window 3
       --shard-size 8 --seed 4 --noise-gaussian 0.01 -q)
"$synth" "${small[@]}" --out "$work/t1" --threads 1 >/dev/null
"$synth" "${small[@]}" --out "$work/t2" --threads 2 >/dev/null
[ "$(digests "$work/t1")" = "$(digests "$work/t2")" ] && pass "1 vs 2 threads: identical bytes" || fail "thread count changed bytes"
# Split over two parts: the same bytes as one run.
"$synth" "${small[@]}" --out "$work/split" --num-shards 2 --shard-index 1 >/dev/null
"$synth" "${small[@]}" --out "$work/split" --num-shards 2 --shard-index 0 >/dev/null
[ "$(digests "$work/t1")" = "$(digests "$work/split")" ] && pass "split run = single run" || fail "split run differs"

# The GoPro manifest on a generated GOPRO_Large_all layout (33 scenes of 8 small frames).
scenes=$(python3 -c "import json; m = json.load(open('$root/data_manifests/gopro.json')); print(' '.join(s['path'] for s in m['sources']))")
for s in $scenes; do
  mkdir -p "$work/GOPRO_Large_all/$s"
  for f in 1 2 3 4 5 6 7 8; do echo "$work/GOPRO_Large_all/$s/$(printf %06d $f).png 48 32 $((2 * f))"; done
done | pngs
"$synth" video --manifest "$root/data_manifests/gopro.json" --split test --data-root "$work/GOPRO_Large_all" \
  --out "$work/gopro_test" -q >"$work/gopro.txt" 2>&1
grep -q "wrote 11 samples" "$work/gopro.txt" && pass "GoPro manifest, test split: 11 scenes, full frames" \
  || { fail "GoPro manifest test split"; cat "$work/gopro.txt"; }
expect_error "GoPro manifest: train crops larger than the frames" "smaller than the crop 256x256" \
  "$synth" video --manifest "$root/data_manifests/gopro.json" --split train --data-root "$work/GOPRO_Large_all" --out "$work/gopro_train"

# import-pairs on a GOPRO_Large layout.
for d in blur_gamma sharp; do mkdir -p "$work/GOPRO_Large/test/GOPR0384_11_00/$d"; done
for f in 1 2 3; do
  echo "$work/GOPRO_Large/test/GOPR0384_11_00/blur_gamma/$(printf %06d $f).png 40 24 $f"
  echo "$work/GOPRO_Large/test/GOPR0384_11_00/sharp/$(printf %06d $f).png 40 24 0"
done | pngs
"$synth" import-pairs --input "$work/GOPRO_Large/test" --blur blur_gamma --out "$work/pairs" -q >/dev/null \
  && "$synth" shards inspect "$work/pairs" | grep -q "kind:         pairs" && pass "import-pairs GoPro_Large" || fail "import-pairs"
expect_error "import-pairs: --blur required" "--blur is required" "$synth" import-pairs --input "$work/GOPRO_Large/test" --out "$work/p2"
expect_error "import-pairs: missing blur folder" "has no blur folder" "$synth" import-pairs --input "$work/GOPRO_Large/test" --blur blur --out "$work/p3"

# Bad input: non-zero exit, the scene and frame named, nothing left behind.
mkdir -p "$work/gap/sceneG" "$work/sizes/sceneS" "$work/empty/sceneE" "$work/short/sceneT"
{
  for f in 1 2 3 5 6 7 8 9; do echo "$work/gap/sceneG/$(printf %06d $f).png 16 16 $f"; done
  for f in 1 2 3 4 5 6 7 8; do echo "$work/sizes/sceneS/$(printf %06d $f).png $([ $f = 6 ] && echo 20 || echo 16) 16 $f"; done
  for f in 1 2 3; do echo "$work/short/sceneT/$(printf %06d $f).png 16 16 $f"; done
} | pngs
printf 'not a video' > "$work/broken.mp4"
expect_error "gap in numbering" "sceneG: gap in the frame numbering: frame 4 is missing" "$synth" video --input "$work/gap" --out "$work/x1"
expect_error "frames of different sizes" "sceneS frame 000006.png is 20x16" "$synth" video --input "$work/sizes" --out "$work/x2"
expect_error "unreadable video" "broken.mp4: cannot open the video" "$synth" video --input "$work/broken.mp4" --out "$work/x3"
expect_error "window longer than the clip" "scene sceneT is too short" "$synth" video --input "$work/short" --out "$work/x4"
expect_error "empty folder" "sceneE: the folder holds no numbered frames" "$synth" video --input "$work/empty" --out "$work/x5"
expect_error "even F" "--frames must be odd" "$synth" video --input "$root/data/samples/videos/realshort.mp4" --frames 4 --out "$work/x6"
mkdir -p "$work/notes/sceneN"
for f in 1 2 3 4 5 6 7 8; do echo "$work/notes/sceneN/$(printf %06d $f).png 16 16 $f"; done | pngs
echo "shot on a Tuesday" > "$work/notes/sceneN/notes.txt"
expect_error "non-image file in a frame folder" "notes.txt: scene sceneN: a frame folder may hold only frames" \
  "$synth" video --input "$work/notes" --out "$work/x8"
/usr/bin/python3 -c "
import numpy, cv2
w = cv2.VideoWriter('$work/one.avi', cv2.VideoWriter_fourcc(*'MJPG'), 30, (32, 24)); w.write(numpy.zeros((24, 32, 3), numpy.uint8)); w.release()"
expect_error "video of one frame" "one.avi is too short for the window" "$synth" video --input "$work/one.avi" --out "$work/x9"
expect_error "output inside an input frame folder" "lies inside the input" "$synth" video --input "$work/notes/sceneN" --out "$work/notes/sceneN/out"
expect_error "bad clip range" "--clip-range" "$synth" video --input "$root/data/samples/videos/realshort.mp4" --clip-range 0.7 --out "$work/x7"
left=$(ls -d "$work"/x? 2>/dev/null | wc -l)
[ "$left" -eq 0 ] && pass "refused input leaves no output" || fail "refused input left $left folders"

finish video_cli_test
