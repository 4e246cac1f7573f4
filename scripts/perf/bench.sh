#!/usr/bin/env bash
# PSNR + SSIM of a 1280x720 pair: blurkit-bench's C++ metrics against scikit-image (Debian's
# python3-skimage) in the same run, both on one thread, on two real frames of the sample clip
# cockatoo.mp4 (frames 100 and 103). Prints time per pair, the speed-up and the differences.
# Then a 7-frame 1280x720 clip (frames 100-106 as ground truth, 101-107 as the prediction): the
# per-clip work blurkit-bench did before the field's metrics (PSNR + SSIM of every position in both
# orders, re-blur PSNR against the input) beside the field's clip metrics, in the same run, and
# the cost of a clip with every metric as a ratio to the cost before.
# Usage: scripts/perf/bench.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/perf/ratio.sh"
build=${1:-$root/build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clip="$root/data/samples/videos/cockatoo.mp4"
[ -f "$clip" ] || { echo "perf/bench: $clip missing; run scripts/fetch_samples.sh" >&2; exit 1; }
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
/usr/bin/python3 - "$clip" "$work" <<'PY'
import sys, cv2
cap = cv2.VideoCapture(sys.argv[1])
frames = [cap.read()[1] for _ in range(108)]
cv2.imwrite(sys.argv[2] + '/a.png', frames[100])
cv2.imwrite(sys.argv[2] + '/b.png', frames[103])
for k in range(7):
    cv2.imwrite(f'{sys.argv[2]}/gt_{k}.png', frames[100 + k])
    cv2.imwrite(f'{sys.argv[2]}/pred_{k}.png', frames[101 + k])
PY
"$build/bench/bench_metrics_benchmark" "$work/a.png" "$work/b.png" "$work" --benchmark_min_time=2 \
  --benchmark_format=json > "$work/cpp.json" 2>/dev/null
cpp_ms=$(jq '.benchmarks[0].real_time' "$work/cpp.json")
cpp_psnr=$(jq '.benchmarks[0].psnr' "$work/cpp.json")
cpp_ssim=$(jq '.benchmarks[0].ssim' "$work/cpp.json")
read -r py_ms py_psnr py_ssim < <(/usr/bin/python3 - "$work" <<'PY'
import sys, time, cv2
from skimage.metrics import structural_similarity, peak_signal_noise_ratio
a = cv2.imread(sys.argv[1] + '/a.png')[:, :, ::-1].copy()
b = cv2.imread(sys.argv[1] + '/b.png')[:, :, ::-1].copy()
def run():
    s = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                              data_range=255, channel_axis=-1)
    return peak_signal_noise_ratio(a, b, data_range=255), s
best = float('inf')
for _ in range(5):
    t = time.perf_counter(); p, s = run(); best = min(best, time.perf_counter() - t)
print(best * 1000, p, s)
PY
)
awk -v c="$cpp_ms" -v p="$py_ms" -v cp="$cpp_psnr" -v pp="$py_psnr" -v cs="$cpp_ssim" -v ps="$py_ssim" 'BEGIN {
  d = function_abs = 0
  dp = cp - pp; if (dp < 0) dp = -dp; ds = cs - ps; if (ds < 0) ds = -ds
  printf "1280x720 pair, one thread      PSNR+SSIM time   PSNR        SSIM\n"
  printf "blurkit-bench (C++)            %8.1f ms      %.6f  %.6f\n", c, cp, cs
  printf "scikit-image (best of 5)       %8.1f ms      %.6f  %.6f\n", p, pp, ps
  printf "speed-up %.1fx (target >= 20x); |dPSNR| = %.2g, |dSSIM| = %.2g (target <= 1e-4)\n", p / c, dp, ds
}'
ratio "PSNR+SSIM speed, blurkit-bench / scikit-image, 1280x720, 1 thread" "$(div "$py_ms" "$cpp_ms")" ">= 20"

ms() { jq --arg n "$1" '.benchmarks[] | select(.name == $n) | .real_time' "$work/cpp.json"; }
before=$(ms BM_ClipBefore); field=$(ms BM_ClipFieldMetrics)
echo
echo "7-frame 1280x720 clip, one thread                       time per clip"
printf "before: PSNR+SSIM per position, both orders, re-blur    %8.1f ms\n" "$before"
printf "field's metrics, all five                               %8.1f ms\n" "$field"
printf "  PWPSNR + pooled PSNR + re-blur PSNR vs GT             %8.1f ms\n" "$(ms BM_ClipPsnrFamily)"
printf "  EPE (DIS), three flows                                %8.1f ms\n" "$(ms BM_ClipEpeDis)"
printf "  patch SSIM, 40x40 tiles, both orders                  %8.1f ms\n" "$(ms BM_ClipPatchSsim)"
total=$(div "$(awk -v a="$before" -v b="$field" 'BEGIN { print a + b }')" "$before")
echo "every metric / before: ${total}x (target <= 2x)"
ratio "clip scoring with every metric / before the field's metrics, 7x1280x720, 1 thread" "$total" "<= 2"
