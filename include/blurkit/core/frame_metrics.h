// Frame metrics shared by blurkit-bench and the trainer's validation (no OpenCV here, so that the
// trainer builds where only LibTorch and HDF5 are).
//
// PSNR: 10 log10(255^2 / MSE) over all pixels and channels (data range 255). Identical images have
//   an infinite PSNR; means over frames and samples cap every value at kPsnrCap (100 dB), and the
//   reports count the capped values.
// Profiles: `rgb` scores the three channels; `y` the luma of ITU-R BT.601 as BasicSR computes it
//   (Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255, not rounded). `-crop<N>` removes N pixels
//   from each side first (e.g. "y-crop4").
// Order ambiguity: a blurred image is the same whether its frames are played forwards or
//   backwards, so a prediction is scored in the ground-truth order and in reverse:
//   best-mean-psnr  the order with the higher mean PSNR over the frames, for every metric and
//                   position (blurkit's default: one consistent order per sample);
//   per-metric-max  for each metric separately the order with the higher mean over the frames
//                   (how the paper and later work report: PSNR and SSIM may use different orders);
//   ground-truth    the ground-truth order only.
// The middle frame is the same in both orders.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace blurkit {

inline constexpr double kPsnrCap = 100.0;
inline double CappedPsnr(double psnr) { return psnr > kPsnrCap ? kPsnrCap : psnr; }

// An 8-bit RGB image, HWC, row-major, not owned.
struct ImageView {
  const uint8_t* data = nullptr;
  int height = 0;
  int width = 0;
};

struct MetricProfile {
  enum class Channels { kRgb, kY };
  Channels channels = Channels::kRgb;
  int crop_border = 0;

  static MetricProfile Parse(const std::string& text);  // throws InputError
  std::string Name() const;                              // "rgb", "y-crop4", ...
};

// Throws InputError when the crop leaves nothing; the images must have the same shape.
double Psnr(ImageView a, ImageView b, const MetricProfile& profile);
// The same on float RGB values in [0, 255] for `a` (e.g. a re-blurred image).
double Psnr(const float* a_rgb, ImageView b, const MetricProfile& profile);

enum class OrderRule { kBestMeanPsnr, kPerMetricMax, kGroundTruth };
OrderRule ParseOrderRule(const std::string& text);  // throws InputError
std::string ToString(OrderRule rule);               // "best-mean-psnr", ...

// Per-position scores of one sample after an order rule.
struct OrderedScores {
  std::vector<double> psnr, ssim;
  bool psnr_reversed = false;
  bool ssim_reversed = false;
};
// forward_*[j] scores predicted frame j against ground-truth frame j; reverse_*[j] scores
// predicted frame F-1-j against ground-truth frame j. ssim vectors may be empty (PSNR only).
OrderedScores ApplyOrderRule(const std::vector<double>& forward_psnr,
                             const std::vector<double>& forward_ssim,
                             const std::vector<double>& reverse_psnr,
                             const std::vector<double>& reverse_ssim, OrderRule rule);

}  // namespace blurkit
