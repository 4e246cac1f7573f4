#include "blurkit/bench/metrics.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "blurkit/core/error.h"
#include "ssim_kernel.h"

namespace blurkit::bench {
namespace {

constexpr int kWindow = 11;  // 2 * int(3.5 * 1.5 + 0.5) + 1: scikit-image's truncate = 3.5
constexpr double kSigma = 1.5;
// Values are centred before the local statistics are computed: variances and covariances do not
// change, and float32 then holds the squares (at most 128^2) with ample precision.
constexpr float kCentre = internal::kSsimCentre;

void CheckSameShape(ImageView a, ImageView b) {
  BLURKIT_CHECK(a.data && b.data && a.height == b.height && a.width == b.width)
      << a.width << "x" << a.height << " vs " << b.width << "x" << b.height;
}

// The luma plane of the `y` profile, centred, border-cropped (CV_32FC1).
cv::Mat CentredLuma(ImageView image, int crop) {
  if (image.height <= 2 * crop || image.width <= 2 * crop) {
    throw InputError(Msg() << "border crop " << crop << " leaves nothing of a " << image.width
                           << "x" << image.height << " image");
  }
  cv::Mat out(image.height - 2 * crop, image.width - 2 * crop, CV_32F);
  for (int r = 0; r < out.rows; ++r) {
    const uint8_t* p = image.data + (static_cast<size_t>(r + crop) * image.width + crop) * 3;
    float* o = out.ptr<float>(r);
    for (int c = 0; c < out.cols; ++c, p += 3) {
      o[c] = static_cast<float>(16.0 + (65.481 * p[0] + 128.553 * p[1] + 24.966 * p[2]) / 255.0 -
                                kCentre);
    }
  }
  return out;
}

double RunKernel(internal::SsimInput input) {
  if (input.rows <= 2 * internal::kPad || input.cols <= 2 * internal::kPad) {
    throw InputError(Msg() << "SSIM needs images larger than " << 2 * internal::kPad << "x"
                           << 2 * internal::kPad << " pixels after the border crop, got "
                           << input.cols << "x" << input.rows);
  }
  float w[internal::kPad + 1];  // w[0] centre, w[d] at distance d
  const cv::Mat kernel = cv::getGaussianKernel(kWindow, kSigma, CV_32F);
  for (int d = 0; d <= internal::kPad; ++d) w[d] = kernel.at<float>(internal::kPad + d);
  std::vector<float> scratch(internal::SsimScratchFloats(input.channels));
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return avx2 ? internal::SsimKernelAvx2(input, w, scratch.data())
              : internal::SsimKernelBaseline(input, w, scratch.data());
}

}  // namespace

double Ssim(ImageView a, ImageView b, const MetricProfile& profile) {
  CheckSameShape(a, b);
  internal::SsimInput input;
  const int crop = profile.crop_border;
  if (profile.channels == MetricProfile::Channels::kRgb) {
    // Straight from the 8-bit pixels.
    if (a.height <= 2 * crop || a.width <= 2 * crop) {
      throw InputError(Msg() << "border crop " << crop << " leaves nothing of a " << a.width
                             << "x" << a.height << " image");
    }
    const size_t offset = (static_cast<size_t>(crop) * a.width + crop) * 3;
    input.x8 = a.data + offset;
    input.y8 = b.data + offset;
    input.rows = a.height - 2 * crop;
    input.cols = a.width - 2 * crop;
    input.channels = 3;
    input.stride = static_cast<size_t>(a.width) * 3;
    return RunKernel(input);
  }
  const cv::Mat x = CentredLuma(a, crop), y = CentredLuma(b, crop);
  input.xf = x.ptr<float>();
  input.yf = y.ptr<float>();
  input.rows = x.rows;
  input.cols = x.cols;
  input.channels = 1;
  input.stride = static_cast<size_t>(x.cols);
  return RunKernel(input);
}

FrameScore ScoreFrame(ImageView a, ImageView b, const MetricProfile& profile) {
  return {Psnr(a, b, profile), Ssim(a, b, profile)};
}

}  // namespace blurkit::bench
