#!/usr/bin/env bash
# blurkit's main job on the sample data, with the tools already built (scripts/demo.sh installs,
# builds and fetches first, then runs this):
#   1. ten datasets from the demo manifests, 3 sharp frames each: panorama train/test (split by
#      panorama), the training panoramas along hand-shake paths, four more panorama test sets (the
#      test scenes along hand-shake paths and along a GoPro's recorded motion; new views of the
#      training panoramas; the test scenes through RealBlur-J's camera pipeline), hand-shake blur of
#      three sample photographs, and video train/test (split by clip);
#   2. one small `motion` model trained on each training set (the panorama model on the panoramas,
#      along both kinds of path, and the photographs together), for a fixed budget of steps
#      (scripts/demo_settings.sh: the same settings as scripts/learning_curves.sh);
#   3. both models predict every test set;
#   4. blurkit-bench: the cross-dataset matrix (the paper's Table 4 in shape), per-position tables
#      (Tables 1-2), PSNR against blur size (Fig. 6) and the HTML report, with the blurred-input
#      baseline alongside.
# Every stage is skipped when its output is complete and valid; an interrupted run continues.
#
# Usage: scripts/pipeline.sh [--out DIR] [--build DIR] [--panorama-steps N] [--video-steps N]
#                            [--quick] [--fresh] [--quiet]
#   --panorama-steps, --video-steps  training budgets (defaults: scripts/demo_settings.sh)
#   --quick  CI size: a few samples and training steps (tests/demo/pipeline_test.sh)
#   --quiet  no progress lines from the tools
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/runs/demo"
build="$root/build"
source "$root/scripts/demo_settings.sh"
pano_steps=$demo_panorama_steps
video_steps=$demo_video_steps
quick=0
fresh=0
quiet_flag=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift ;;
    --build) build=$2; shift ;;
    --panorama-steps) pano_steps=$2; shift ;;
    --video-steps) video_steps=$2; shift ;;
    --quick) quick=1 ;;
    --fresh) fresh=1 ;;
    --quiet) quiet_flag=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "pipeline: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
synth="$build/synth/blurkit-synth"
train="$build/train/blurkit-train"
bench="$build/bench/blurkit-bench"
for tool in "$synth" "$train" "$bench"; do
  [ -x "$tool" ] || { echo "pipeline: $tool is missing; run scripts/setup.sh" >&2; exit 1; }
done
[ $fresh -eq 0 ] || rm -rf "$out"
mkdir -p "$out"
stage() { echo; echo "== $* =="; stage_start=$(date +%s); }
took() { echo "-- took $(( $(date +%s) - stage_start )) s"; }
# Progress: a bar on a terminal, a line every 15 s in a log (--quiet: none).
quiet=()
[ $quiet_flag -eq 0 ] || quiet=(--quiet)

# Sizes: the demo's, or CI's.
if [ $quick -eq 1 ]; then
  pano_train=(--samples 24); pano_test=(--samples 12); pano_extra=(--samples 8)
  video_train=(--clip-range 0:0.25); video_test=(--clip-range 0.7:0.9)
  pano_budget=(--max-steps 3 --val-samples 4 --checkpoint-every 2)
  video_budget=("${pano_budget[@]}")
else
  pano_train=(); pano_test=(); pano_extra=(); video_train=(); video_test=()
  # Validated on the whole test set four times in a run.
  pano_budget=(--max-steps "$pano_steps" --epochs 100000 --val-every $(( (pano_steps + 3) / 4 )))
  video_budget=(--max-steps "$video_steps" --epochs 100000 --val-every $(( (video_steps + 3) / 4 )))
fi

stage "datasets (data_manifests/demo_panorama.json, demo_photos.json, demo_video.json)"
# A dataset that blurkit-synth will not continue (most often one made from an older manifest, which
# its index.json records) stops the demo; say how to start over.
trap 'echo "pipeline: making the datasets failed (above); if $out holds datasets from an older blurkit or other settings, --fresh starts over" >&2' ERR
for split in train test; do
  extra_p=("${pano_train[@]}"); extra_v=("${video_train[@]}")
  [ $split = test ] && { extra_p=("${pano_test[@]}"); extra_v=("${video_test[@]}"); }
  # Each command resumes an interrupted run and keeps a complete one.
  "$synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split $split \
    --out "$out/panorama_$split" "${extra_p[@]}" "${quiet[@]}" | tail -n 3
  "$synth" video --manifest "$root/data_manifests/demo_video.json" --split $split \
    --out "$out/video_$split" "${extra_v[@]}" "${quiet[@]}" | tail -n 3
done
# The panorama model's two extra test sets: shake paths through the test scenes, and new views
# of its training scenes.
"$synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split test_shake \
  --out "$out/panorama_shake_test" "${pano_extra[@]}" "${quiet[@]}" | tail -n 3
"$synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split seen \
  --out "$out/panorama_seen_test" "${pano_extra[@]}" "${quiet[@]}" | tail -n 3
# And the test scenes blurred along a real camera's recorded motion: windows of 1/30 s of the
# HERO7 telemetry of the sample data (docs/camera_paths.md; its raw stream carries no timestamps,
# so it is read at the HERO7's documented 200 Hz).
"$synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split test \
  --trajectory gyro --gyro "$root/data/samples/gyro/gopro/hero7.raw" --gyro-rate 200 --exposure-time 0.0333333 \
  --out "$out/panorama_gyro_test" "${pano_extra[@]}" "${quiet[@]}" | tail -n 3
# And the test scenes as a real camera would store them (docs/synth.md, "The camera"): RealBlur-J's
# pipeline (its sensor noise on a Bayer mosaic, the a7R III's colour processing, JPEG), so that the
# matrix shows how far models trained on ideal-camera blur fall on camera-like input.
"$synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split test \
  --camera-pipeline realblur-j --out "$out/panorama_camera_test" "${pano_extra[@]}" "${quiet[@]}" | tail -n 3
# A small event test set (docs/synth.md, "Events along the same path"): test scenes at 128 px with
# an event camera's output beside every blurred image (10 ms exposures), for event-based deblurring.
"$synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split test --samples 8 --size 128 \
  --events --exposure-time 0.01 --out "$out/panorama_events_test" "${quiet[@]}" | tail -n 3
# The panorama model also trains on hand-shake paths, through its training panoramas and through
# three sample photographs (K R K^-1), mixed into its constant-velocity panorama data in proportion
# (blurkit-train train --data A --data B --data C).
"$synth" panorama --manifest "$root/data_manifests/demo_panorama.json" --split train_shake \
  --out "$out/panorama_shake_train" "${pano_extra[@]}" "${quiet[@]}" | tail -n 3
"$synth" photos --manifest "$root/data_manifests/demo_photos.json" --split train \
  --out "$out/photos_train" "${pano_extra[@]}" "${quiet[@]}" | tail -n 3
for d in panorama_train panorama_shake_train panorama_test panorama_shake_test panorama_seen_test panorama_gyro_test \
         panorama_camera_test panorama_events_test photos_train video_train video_test; do
  "$synth" shards verify "$out/$d"
done
trap - ERR
took

for data in panorama video; do
  run="$out/model_$data"
  stage "train motion on ${data}_train"
  if [ -f "$run/done" ]; then
    echo "already trained: $run"
  else
    resume=()
    [ -f "$run/checkpoint.pt" ] && resume=(--resume)
    more=()
    if [ $data = panorama ]; then settings=("${demo_panorama_train[@]}" "${pano_budget[@]}"); more=(--data "$out/panorama_shake_train" --data "$out/photos_train")
    else settings=("${demo_video_train[@]}" "${video_budget[@]}"); fi
    "$train" train --model motion --data "$out/${data}_train" "${more[@]}" --val "$out/${data}_test" --out "$run" \
      --seed 1 "${settings[@]}" "${resume[@]}" "${quiet[@]}"
    "$train" info --model "$run/checkpoint.pt" >/dev/null
    touch "$run/done"
  fi
  took
done

stage "predict every test set with both models"
tests=(panorama panorama_shake panorama_seen panorama_gyro panorama_camera video)
for model in panorama video; do
  for test in "${tests[@]}"; do
    pred="$out/pred/${model}_on_$test"
    if [ -f "$pred/index.json" ] && "$synth" shards verify "$pred" >/dev/null 2>&1; then
      echo "already predicted: $pred"
    else
      rm -rf "$pred"
      "$train" predict --model "$out/model_$model/checkpoint.pt" --data "$out/${test}_test" \
        --out "$pred" --name "motion" "${quiet[@]}"
    fi
  done
done
took

stage "scores: cross-dataset matrix, per-position tables, blur size, report"
cat > "$out/matrix.json" <<JSON
{
  "profile": "rgb",
  "order": "best-mean-psnr",
  "bins": 5,
  "strips": 3,
  "test_sets": {"panorama": "panorama_test", "panorama_shake": "panorama_shake_test",
                "panorama_seen": "panorama_seen_test", "panorama_gyro": "panorama_gyro_test",
                "panorama_camera": "panorama_camera_test", "video": "video_test"},
  "methods": [
    {"name": "motion", "trained_on": "panorama",
     "predictions": {"panorama": "pred/panorama_on_panorama", "panorama_shake": "pred/panorama_on_panorama_shake",
                     "panorama_seen": "pred/panorama_on_panorama_seen",
                     "panorama_gyro": "pred/panorama_on_panorama_gyro",
                     "panorama_camera": "pred/panorama_on_panorama_camera", "video": "pred/panorama_on_video"}},
    {"name": "motion", "trained_on": "video",
     "predictions": {"panorama": "pred/video_on_panorama", "panorama_shake": "pred/video_on_panorama_shake",
                     "panorama_seen": "pred/video_on_panorama_seen",
                     "panorama_gyro": "pred/video_on_panorama_gyro",
                     "panorama_camera": "pred/video_on_panorama_camera", "video": "pred/video_on_video"}},
    {"name": "blurred-input", "trained_on": "-",
     "predictions": {"panorama": "blurred-input", "panorama_shake": "blurred-input",
                     "panorama_seen": "blurred-input", "panorama_gyro": "blurred-input",
                     "panorama_camera": "blurred-input", "video": "blurred-input"}}
  ]
}
JSON
"$bench" matrix --config "$out/matrix.json" --out "$out/report" "${quiet[@]}"
# The README's picture: a test sample picked by a rule (scripts/example_image.py), its ground truth
# and the frames the panorama model recovered (docs/demo_example.png is a copy of it).
/usr/bin/python3 "$root/scripts/example_image.py" --gt "$out/panorama_test" \
  --pred "$out/pred/panorama_on_panorama" --out "$out/report/example.png"
took
echo
echo "pipeline: report $out/report/report.html (tables in $out/report/*.md, .csv, .json, .tex)"
