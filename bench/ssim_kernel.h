// The SSIM kernel of blurkit-bench (bench/metrics.cpp states the metric and its parameters).
//
// SSIM of two centred images (value - 128, float, `channels` interleaved) in one pass, with the
// 11x11 Gaussian window applied separably by hand rather than with cv::sepFilter2D: the four local
// statistics SSIM needs (x, y, x^2 + y^2 and xy: only the sum of the two variances enters the
// formula) of the 11 rows under the window stay in a ring buffer; the image goes in column strips
// so that the buffer stays in cache; the symmetric kernel halves the multiplications; and only the
// valid region (5 pixels in from each border, where scikit-image averages) is computed. Partial
// sums have a fixed order, so results are deterministic on a given machine (the AVX2+FMA and the
// baseline variants may differ in the last bits). scripts/perf/bench.sh measures it.
#pragma once

#include <cstddef>

namespace blurkit::bench::internal {

inline constexpr int kPad = 5;        // half the 11-pixel window
inline constexpr int kWindow = 11;
inline constexpr int kStrip = 256;    // output values per column strip
inline constexpr float kSsimCentre = 128.0f;
inline constexpr float kSsimC1 = (0.01f * 255) * (0.01f * 255);
inline constexpr float kSsimC2 = (0.03f * 255) * (0.03f * 255);

inline size_t SsimScratchFloats(int channels) {
  const size_t span = kStrip + 2 * kPad * channels;
  return size_t(kWindow) * 4 * span + 4 * span + 4 * size_t(kStrip) + kStrip;
}

// Two images: 8-bit (x8, y8; centred inside the kernel) or centred float (xf, yf), `channels`
// interleaved, `stride` values from one row to the next. rows, cols > 10.
struct SsimInput {
  const unsigned char* x8 = nullptr;
  const unsigned char* y8 = nullptr;
  const float* xf = nullptr;
  const float* yf = nullptr;
  int rows = 0, cols = 0, channels = 0;
  size_t stride = 0;
};

// Mean SSIM over the valid region and the channels. `w` holds the 6 distinct Gaussian weights
// (centre first); `scratch` holds SsimScratchFloats(channels) floats.
double SsimKernelAvx2(const SsimInput& input, const float* w, float* scratch);
double SsimKernelBaseline(const SsimInput& input, const float* w, float* scratch);

}  // namespace blurkit::bench::internal
