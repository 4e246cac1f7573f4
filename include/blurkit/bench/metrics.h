// SSIM for blurkit-bench (PSNR, profiles and order rules are in blurkit/core/frame_metrics.h).
//
// SSIM: Wang et al. 2004 with an 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03, data range
// 255, population covariances, averaged over the image less 5 pixels at each border (where the
// window would leave the image), then over channels: scikit-image's
// structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
// data_range=255, channel_axis=-1). tests/bench/skimage_parity_test checks it to 1e-4 (the float32
// statistics of the kernel differ from float64 by about 1e-6, at most about 1e-5 on flat images).
#pragma once

#include "blurkit/core/frame_metrics.h"

namespace blurkit::bench {

double Ssim(ImageView a, ImageView b, const MetricProfile& profile);

struct FrameScore {
  double psnr = 0;  // +inf for identical images
  double ssim = 0;
};
FrameScore ScoreFrame(ImageView a, ImageView b, const MetricProfile& profile);

}  // namespace blurkit::bench
