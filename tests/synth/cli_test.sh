#!/usr/bin/env bash
# blurkit-synth end to end on the real sample panoramas (scripts/fetch_samples.sh): options,
# determinism, a run killed with SIGKILL and resumed, and the errors users meet on bad input.
set -uo pipefail
synth=${1:?usage: cli_test.sh path/to/blurkit-synth}
root=$(cd "$(dirname "$0")/../.." && pwd)
panos="$root/data/samples/panoramas"
source "$root/tests/harness.sh"

if [ ! -f "$panos/studio.exr" ]; then
  echo "FAIL sample panoramas missing in $panos: run scripts/fetch_samples.sh (scripts/test.sh does)"
  exit 1
fi

# Help.
help=$("$synth" panorama --help)
grep -q -- "--frames-per-degree" <<<"$help" && pass "panorama --help lists options" || fail "panorama --help"
"$synth" >/dev/null 2>&1; [ $? -eq 2 ] && pass "no command: usage, exit 2" || fail "no command exit code"

# A small dataset from two real HDR panoramas.
common=(panorama --input "$panos/studio.exr" "$panos/sunset.exr" --samples 24 --size 32 --fov 60
        --frames 3 --max-angle 6 --shard-size 8 --seed 5 --quiet)
if "$synth" "${common[@]}" --out "$work/a" >/dev/null && "$synth" shards verify "$work/a" >/dev/null; then
  pass "panorama + verify"; else fail "panorama + verify"; fi
"$synth" shards inspect "$work/a" | grep -q "24 in 3 shards" && pass "inspect" || fail "inspect"
"$synth" shards export "$work/a" --count 3 --out "$work/png" >/dev/null && [ "$(ls "$work/png" | wc -l)" -eq 3 ] \
  && pass "export writes 3 strips" || fail "export"
"$synth" "${common[@]}" --out "$work/b" --threads 1 >/dev/null
[ "$(digests "$work/a")" = "$(digests "$work/b")" ] && pass "same command, 1 vs all threads: identical bytes" \
  || fail "thread count changed bytes"

# A Slurm job array of 3 tasks (--array=4-6), each given only the Slurm variables: the same bytes as
# one process; the last part to finish assembles index.json.
for task in 5 4 6; do
  SLURM_ARRAY_TASK_ID=$task SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=3 \
    "$synth" "${common[@]}" --out "$work/array" >/dev/null 2>"$work/array_$task.txt" || fail "array task $task"
done
grep -q "part 1 of 3 (SLURM_ARRAY_TASK_ID=5 of SLURM_ARRAY_TASK_COUNT=3 from 4)" "$work/array_5.txt" \
  && pass "an array task says which part it is" || { fail "array task did not name its part"; cat "$work/array_5.txt"; }
[ "$(digests "$work/a")" = "$(digests "$work/array")" ] && pass "Slurm array of 3 parts: identical bytes" \
  || fail "Slurm array of 3 parts differs from one process"
RANK=1 WORLD_SIZE=2 "$synth" "${common[@]}" --out "$work/ranks" 2>&1 >/dev/null | grep -q "part 1 of 2 (RANK=1 of WORLD_SIZE=2)" \
  && pass "RANK/WORLD_SIZE pick the part" || fail "RANK/WORLD_SIZE ignored"
# --overwrite by a job array: two tasks started at the same moment over a dataset made with other
# parameters (another seed, shards of 6 rather than 8) each remove only their own shards; the last
# to finish assembles, and what the old dataset left is gone: the bytes of one process.
over=(panorama --input "$panos/studio.exr" "$panos/sunset.exr" --samples 24 --size 32 --fov 60
      --frames 3 --max-angle 6 --shard-size 6 --seed 6 --quiet)
"$synth" "${over[@]}" --out "$work/over_ref" >/dev/null
cp -r "$work/a" "$work/over"
for task in 0 1; do
  SLURM_ARRAY_TASK_ID=$task SLURM_ARRAY_TASK_COUNT=2 "$synth" "${over[@]}" --overwrite --out "$work/over" \
    >/dev/null 2>"$work/over_$task.txt" &
  eval "over_pid_$task=$!"
done
wait "$over_pid_0" && wait "$over_pid_1" && [ "$(digests "$work/over_ref")" = "$(digests "$work/over")" ] \
  && [ "$(ls "$work/over" | grep -c -v '^index.part-00[01]-of-002.json$')" -eq 5 ] \
  && "$synth" shards verify "$work/over" >/dev/null \
  && pass "two array tasks with --overwrite replace a dataset: the bytes of one process, nothing old left" \
  || { fail "array tasks with --overwrite"; ls "$work/over"; cat "$work/over_0.txt" "$work/over_1.txt"; }
expect_error "array task outside the array" "part 3 is not in \[0, 3)" env SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=3 \
  "$synth" "${common[@]}" --out "$work/x_array"

# A run killed part-way (SIGKILL) leaves no complete-looking dataset; the same command resumes it
# to the bytes of an uninterrupted run.
long=(panorama --input "$panos/studio.exr" --samples 120 --size 64 --frames 3 --max-angle 6
      --shard-size 10 --seed 9 --threads 1 --quiet)
"$synth" "${long[@]}" --out "$work/ref" >/dev/null
"$synth" "${long[@]}" --out "$work/killed" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 200); do
  [ -f "$work/killed/shard-00001-of-00012.h5" ] && break
  sleep 0.05
done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
if grep -q '"complete": false' "$work/killed/index.json"; then pass "killed run: index says incomplete"; else
  fail "killed run: index not marked incomplete"; fi
expect_error "killed run: verify refuses it" "incomplete" "$synth" shards verify "$work/killed"
expect_error "killed run: inspect refuses it" "incomplete" "$synth" shards inspect "$work/killed"
# What a kill at any moment can leave: a shard and the index half-written under temporary names.
touch "$work/killed/shard-00011-of-00012.h5.4242.tmp" "$work/killed/index.json.4242.tmp"
"$synth" "${long[@]}" --out "$work/killed" >"$work/resume.txt"
grep -q "shards were already complete" "$work/resume.txt" && ! grep -q "; 0 of 12 shards" "$work/resume.txt" \
  && pass "resume kept finished shards" || { fail "resume kept nothing"; cat "$work/resume.txt"; }
ls "$work/killed" | grep -q '\.tmp$' && fail "temporary files left after resume" || pass "no temporary files left"
[ "$(digests "$work/ref")" = "$(digests "$work/killed")" ] && pass "resumed run = uninterrupted run, byte for byte" \
  || fail "resumed run differs"

# Bad input.
printf 'not an image' > "$work/corrupt.png"
/usr/bin/python3 -c "import numpy, cv2; cv2.imwrite('$work/wide.png', numpy.zeros((50, 120, 3), numpy.uint8))"
expect_error "missing file" "missing.exr" "$synth" panorama --input "$work/missing.exr" --samples 2 --out "$work/x1"
expect_error "corrupt image" "corrupt.png" "$synth" panorama --input "$work/corrupt.png" --samples 2 --out "$work/x2" --quiet
expect_error "wrong aspect ratio" "120x50 is not an equirectangular" "$synth" panorama --input "$work/wide.png" --samples 2 --out "$work/x3" --quiet
expect_error "even F" "must be odd" "$synth" panorama --input "$panos/studio.exr" --samples 2 --frames 4 --out "$work/x4"
expect_error "zero size" "size must be positive" "$synth" panorama --input "$panos/studio.exr" --samples 2 --size 0 --out "$work/x5"
# Lenses: an unknown preset lists the presets; a profile that is not a fisheye one names its file;
# a readout taken from a lens that gives none.
expect_error "unknown lens" "hero11-wide" "$synth" panorama --input "$panos/studio.exr" --samples 2 --lens hero99 --out "$work/x5"
printf '{"calib_dimension": {"w": 1920, "h": 1080}, "use_opencv_standard": true}' >"$work/standard.json"
expect_error "non-fisheye lens profile" "standard.json: an OpenCV standard" "$synth" panorama --input "$panos/studio.exr" \
  --samples 2 --lens "$work/standard.json" --out "$work/x5"
expect_error "readout from a lens without one" "frame_readout_time" "$synth" panorama --input "$panos/studio.exr" \
  --samples 2 --lens hero11-wide --readout-time from-lens --exposure-time 0.01 --out "$work/x5"
expect_error "rectified frames without a lens" "needs --lens" "$synth" panorama --input "$panos/studio.exr" \
  --samples 2 --lens-frames rectified --out "$work/x5"
# --readout-time from-lens: a 4:3 profile read in 10 ms, cropped to 16:9 (90 of its 120 scaled rows),
# reads the rows shown in 7.5 ms.
cat >"$work/lens43.json" <<'JSON'
{"name": "test 4:3", "calib_dimension": {"w": 1920, "h": 1440}, "frame_readout_time": 10.0,
 "fisheye_params": {"camera_matrix": [[900.0, 0.0, 959.5], [0.0, 900.0, 719.5], [0.0, 0.0, 1.0]],
                    "distortion_coeffs": [0.03, 0.06, -0.07, 0.03]}}
JSON
"$synth" panorama --input "$panos/studio.exr" --samples 1 --size 160x90 --lens "$work/lens43.json" \
  --readout-time from-lens --exposure-time 0.01 --out "$work/lens43" --quiet >/dev/null
readout=$(jq -r '.params.rolling_shutter.readout_time' "$work/lens43/index.json")
if awk -v r="$readout" 'BEGIN { exit !(r > 0.0074999 && r < 0.0075001) }'; then
  pass "--readout-time from-lens scales the profile's readout to the rows shown (7.5 ms)"
else fail "--readout-time from-lens: $readout s, expected 0.0075"; fi
touch "$work/plainfile"
expect_error "unwritable output" "plainfile" "$synth" panorama --input "$panos/studio.exr" --samples 2 --out "$work/plainfile/out"
OPENCV_IO_ENABLE_OPENEXR=1 /usr/bin/python3 -c "
import numpy, cv2
a = numpy.ones((32, 64, 3), numpy.float32); a[3, 5, 1] = numpy.nan; a[7, 9, 0] = numpy.inf
cv2.imwrite('$work/nan.exr', a)"
expect_error "EXR with NaN and infinite values refused" "nan.exr: 2 pixel values are NaN or infinite (the first at x = 5, y = 3)" \
  "$synth" panorama --input "$work/nan.exr" --samples 2 --size 16 --out "$work/x7" --quiet
[ ! -e "$work/x7" ] && pass "refused panorama leaves no output" || fail "refused panorama left $work/x7"
expect_error "export into its own dataset" "lies inside the input" "$synth" shards export "$work/ref" --count 1 --out "$work/ref/strips"
expect_error "unknown option" "unrecognised option\|unrecognized option" "$synth" panorama --colour red
expect_error "manifest with unknown split" "no split named 'nope'" "$synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split nope --out "$work/x6"
cp -r "$work/a" "$work/damaged"
printf 'garbage' | dd of="$work/damaged/shard-00001-of-00003.h5" bs=1 seek=5000 conv=notrunc 2>/dev/null
expect_error "damaged shard: verify names it" "shard-00001-of-00003.h5" "$synth" shards verify "$work/damaged"
[ -z "$(ls "$work/x4" 2>/dev/null)" ] && pass "refused options leave no output" || fail "refused options left output"

# Photos and camera paths (shake, gyro) on the real sample photos.
photos="$root/data/samples/photos"
phelp=$("$synth" photos --help)
grep -q -- "--source-fov" <<<"$phelp" && grep -q -- "--trajectory" <<<"$phelp" && grep -q -- "--shake-anxiety" <<<"$phelp" \
  && pass "photos --help lists --source-fov, --trajectory and the shake options" || fail "photos --help"
pcommon=(photos --input "$photos" --source-fov 50 --samples 16 --size 32 --fov 20 --frames 3 --max-angle 3
         --trajectory shake --shard-size 8 --seed 3 --quiet)
"$synth" "${pcommon[@]}" --out "$work/ph1" --threads 1 >"$work/ph.txt" && "$synth" shards verify "$work/ph1" >/dev/null \
  && pass "photos --trajectory shake + verify" || { fail "photos shake"; cat "$work/ph.txt"; }
grep -q "paths redrawn because they left the photo" "$work/ph.txt" && pass "photos summary counts redraws" \
  || { fail "photos summary"; cat "$work/ph.txt"; }
"$synth" "${pcommon[@]}" --out "$work/ph2" --threads 2 >/dev/null
[ "$(digests "$work/ph1")" = "$(digests "$work/ph2")" ] && pass "photos: 1 vs 2 threads, identical bytes" \
  || fail "photos: thread count changed bytes"
"$synth" shards inspect "$work/ph1" | grep -q "trajectory:   every sub-frame's orientation stored" \
  && pass "inspect summarises the stored trajectories" || fail "inspect trajectory"
"$synth" shards inspect "$work/a" | grep -q "trajectory:   every sub-frame" && pass "panorama shards store trajectories" \
  || fail "panorama trajectory"
{ echo "t,wx,wy,wz"; for k in $(seq 0 99); do echo "$(awk -v k=$k 'BEGIN { printf "%.3f,%.4f,%.4f,0.02", k / 100, 0.3 * sin(k / 9), 0.4 * cos(k / 7) }')"; done; } >"$work/gyro.csv"
"$synth" panorama --input "$panos/studio.exr" --samples 8 --size 32 --frames 3 --trajectory gyro --gyro "$work/gyro.csv" \
  --exposure-time 0.2 --quiet --out "$work/gy" >/dev/null && "$synth" shards verify "$work/gy" >/dev/null \
  && pass "panorama --trajectory gyro + verify" || fail "panorama gyro"
# A GoPro's own telemetry (the sample HERO11 stream): inspected, then the camera path of a
# dataset, each sample exposed for the camera's recorded shutter time.
gopro="$root/data/samples/gyro/gopro/hero11.raw"
"$synth" gyro inspect "$gopro" --csv "$work/h11.csv" >"$work/inspect.txt" \
  && grep -q "device:     HERO11 Black" "$work/inspect.txt" && grep -q "ORIN ZXY" "$work/inspect.txt" \
  && grep -q "exposure:   274 frames (SHUT)" "$work/inspect.txt" && [ "$(wc -l <"$work/h11.csv")" -eq 2193 ] \
  && pass "gyro inspect: device, axes, shutter times, --csv" || { fail "gyro inspect"; cat "$work/inspect.txt"; }
"$synth" panorama --input "$panos/studio.exr" --samples 6 --size 32 --frames 3 --trajectory gyro --gyro "$gopro" \
  --exposure-time 0.1 --quiet --out "$work/gp" >/dev/null && "$synth" shards verify "$work/gp" >/dev/null \
  && pass "panorama along a GoPro's recorded motion + verify" || fail "panorama --gyro hero11.raw"
"$synth" panorama --input "$panos/studio.exr" --samples 2 --size 32 --frames 3 --trajectory gyro --gyro "$gopro" \
  --exposure-time from-log --quiet --out "$work/gp2" >/dev/null && "$synth" shards inspect "$work/gp2" | grep -q "\"exposure_time\":0.00056988" \
  && pass "--exposure-time from-log takes the camera's median shutter time" || fail "--exposure-time from-log"
expect_error "from-log without shutter times" "--exposure-time from-log needs a --gyro log that records shutter times" \
  "$synth" panorama --input "$panos/studio.exr" --samples 2 --trajectory gyro --gyro "$work/gyro.csv" --exposure-time from-log --out "$work/x8"
expect_error "raw GPMF without times" "hero7.raw: byte 1456: the gyroscope stream has no times" "$synth" gyro inspect \
  "$root/data/samples/gyro/gopro/hero7.raw"
# Crafted options and files that once crashed or hung the reader: a column index of 1e10 (a
# segmentation fault), a named pipe (read for ever), a negative rate.
printf 't,wx,wy,wz\n0,0,0,0\n0.01,0,0,0\n0.02,0,0,0\n' >"$work/ok_gyro.csv"
expect_error "--gyro-columns 1e10 is refused, not a crash" "ok_gyro.csv:1: no column '1e10'" \
  "$synth" gyro inspect "$work/ok_gyro.csv" --gyro-columns 1e10,1,2,3
mkfifo "$work/gyro.fifo"
expect_error "a named pipe is refused, not read for ever" "gyro.fifo: not a regular file" \
  timeout 20 "$synth" gyro inspect "$work/gyro.fifo"
expect_error "--gyro-rate must be positive" "--gyro-rate must be a positive number" \
  "$synth" gyro inspect "$root/data/samples/gyro/gopro/hero7.raw" --gyro-rate -200
printf 't,wx,wy,wz\n0,0,0,0\n0.01,0,oops,0\n' >"$work/bad_gyro.csv"
expect_error "malformed gyro row names file and line" "bad_gyro.csv:3: expected 4 numbers" "$synth" panorama --input "$panos/studio.exr" \
  --samples 2 --trajectory gyro --gyro "$work/bad_gyro.csv" --exposure-time 0.01 --out "$work/x8"
expect_error "missing gyro file" "nogyro.csv: cannot open" "$synth" panorama --input "$panos/studio.exr" \
  --samples 2 --trajectory gyro --gyro "$work/nogyro.csv" --exposure-time 0.01 --out "$work/x8"
expect_error "gyro log shorter than the exposure" "gyro.csv: the log covers 0.99 s, shorter than --exposure-time 2 s" \
  "$synth" panorama --input "$panos/studio.exr" --samples 2 --trajectory gyro --gyro "$work/gyro.csv" --exposure-time 2 --out "$work/x8"
expect_error "gyro without a log" "needs --gyro" "$synth" panorama --input "$panos/studio.exr" --samples 2 --trajectory gyro --out "$work/x8"
expect_error "--gyro without --trajectory gyro" "--trajectory is not gyro" "$synth" panorama --input "$panos/studio.exr" \
  --samples 2 --gyro "$work/gyro.csv" --out "$work/x8"
expect_error "unknown trajectory" "must be slerp, shake or gyro" "$synth" panorama --input "$panos/studio.exr" --samples 2 --trajectory zigzag --out "$work/x8"
expect_error "photo too small names it" "chelsea.png.*is too small for a view of --fov 60" "$synth" photos --input "$photos/chelsea.png" \
  --source-fov 50 --fov 60 --samples 2 --size 32 --quiet --out "$work/x9"
expect_error "--source-fov out of range" "--source-fov must be in (0, 180)" "$synth" photos --input "$photos" --source-fov 180 --samples 2 --out "$work/x9"
expect_error "--source-fov missing" "field of view is unknown" "$synth" photos --input "$photos" --samples 2 --out "$work/x9"
"$synth" photos --manifest "$root/data_manifests/demo_photos.json" --split test --samples 6 --shard-size 3 --quiet \
  --out "$work/phm" >/dev/null && "$synth" shards inspect "$work/phm" | grep -q "rocket.jpg: 6 samples" \
  && pass "photos from a manifest (sources checked against their sha256)" || fail "photos --manifest"
# A folder of WebP photographs (the form of the --all tier's gcompris collection) is read, and a
# folder with no photo says so.
mkdir -p "$work/webp" "$work/nophoto"
/usr/bin/python3 -c "import cv2, sys; cv2.imwrite(sys.argv[2], cv2.imread(sys.argv[1]))" "$photos/coffee.png" "$work/webp/coffee.webp"
"$synth" photos --input "$work/webp" --source-fov 50 --samples 4 --size 32 --fov 20 --frames 3 --quiet \
  --out "$work/phw" >/dev/null && "$synth" shards inspect "$work/phw" | grep -q "coffee.webp: 4 samples" \
  && pass "photos from a folder of WebP files" || fail "photos from WebP"
expect_error "a folder without photos says so" "nophoto: the folder holds no photo (.png .jpg .jpeg .webp" \
  "$synth" photos --input "$work/nophoto" --source-fov 50 --samples 2 --out "$work/x9"
[ ! -e "$work/x8" ] && [ ! -e "$work/x9" ] && pass "refused photos/gyro runs leave no output" || fail "refused runs left output"

# A rolling shutter: a readout longer than a frame of the camera's log, shake paths and a missing
# exposure are refused; a slerp dataset with a readout verifies and records it.
expect_error "readout longer than a frame" "is longer than a frame of hero11.raw" \
  "$synth" panorama --input "$panos/studio.exr" --samples 2 --trajectory gyro --gyro "$gopro" \
  --exposure-time 0.01 --readout-time 0.2 --out "$work/r1"
expect_error "rolling shutter on a shake path" "works with --trajectory slerp or gyro, not shake" \
  "$synth" panorama --input "$panos/studio.exr" --samples 2 --trajectory shake --exposure-time 0.01 \
  --readout-time 0.01 --out "$work/r1"
expect_error "rolling shutter without an exposure" "--readout-time needs --exposure-time" \
  "$synth" panorama --input "$panos/studio.exr" --samples 2 --readout-time 0.01 --out "$work/r1"
[ ! -e "$work/r1" ] && "$synth" panorama --input "$panos/studio.exr" --samples 3 --size 32 --frames 3 \
  --exposure-time 0.02 --readout-time 0.015 --rolling-shutter-targets --out "$work/rs" --quiet >/dev/null \
  && "$synth" shards verify "$work/rs" >/dev/null && jq -e '.params.rolling_shutter.readout_time == 0.015 and
  .params.rolling_shutter.targets == "rolling"' "$work/rs/index.json" >/dev/null \
  && pass "rolling shutter: refused settings write nothing; a dataset records its readout" || fail "rolling shutter"

# The camera pipeline: bad settings are refused before anything is written.
printf '1 0 0\n0 1 0\n0 1\n' >"$work/short_matrix.txt"
expect_error "--jpeg-quality outside 1..100" "--jpeg-quality must be LO:HI within 1..100" \
  "$synth" panorama --input "$panos/studio.exr" --samples 2 --jpeg-quality 50:101 --out "$work/c1"
expect_error "negative raw noise" "--raw-noise must be two numbers BETA1,BETA2 in \[0, 1\]" \
  "$synth" panorama --input "$panos/studio.exr" --samples 2 --camera-isp --raw-noise=-1e-4,0 --out "$work/c1"
expect_error "a malformed colour matrix file" "short_matrix.txt: 8 numbers, expected 9" \
  "$synth" video --input "$root/data/samples/videos/cup.mp4" --camera-pipeline rsblur \
  --camera-matrix "$work/short_matrix.txt" --out "$work/c2"
expect_error "an unknown preset" "--camera-pipeline must be none, rsblur or realblur-j" \
  "$synth" photos --input "$root/data/samples/photos" --source-fov 60 --samples 2 --camera-pipeline dslr --out "$work/c3"
[ ! -e "$work/c1" ] && [ ! -e "$work/c2" ] && [ ! -e "$work/c3" ] && pass "refused camera settings leave no output" \
  || fail "refused camera settings left output"
"$synth" panorama --input "$root/data/samples/panoramas/humus/citadella.png" --samples 3 --size 48 --frames 3 \
  --camera-pipeline realblur-j --store-raw --out "$work/cam" --quiet && "$synth" shards verify "$work/cam" >/dev/null \
  && "$synth" shards inspect "$work/cam" >"$work/cam_inspect.txt" && grep -q "camera pipeline: realblur-j" "$work/cam_inspect.txt" \
  && pass "a realblur-j dataset with its raw mosaic verifies and says what camera made it" \
  || { fail "realblur-j dataset"; cat "$work/cam_inspect.txt"; }

finish cli_test
