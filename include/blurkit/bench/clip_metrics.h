// The field's clip metrics (docs/bench.md, "The field's metrics"), defined as the released
// evaluation code of blur2vid (Tedla et al., TOG 2025; extra/moMets-parallel-gopro.py and
// extra/epe_metric.py) and Animation-from-Blur (Zhong et al., ECCV 2022) define them, and the
// bootstrap confidence intervals blurkit-bench puts on every mean.
//
// P are the predicted frames, G the ground truth, F x H x W x 3, 8-bit RGB read as value / 255 with
// peak 1. R(P) is P reversed in time (a blurred image is the same played backwards). Each metric
// takes its own better order; none is capped (a bit-exact clip scores +inf, as in the references;
// blurkit's means cap PSNR-like values at kPsnrCap).
//
//   PWPSNR         10 log10(1 / mean over pixels and channels of min(e_fwd, e_rev)), e_fwd the
//                  per-pixel, per-channel MSE over frames of P against G, e_rev of R(P): each pixel
//                  picks its order once for the whole clip.
//   pooled PSNR    the better order of 10 log10(1 / MSE), the MSE pooled over all frames, pixels
//                  and channels (Animation-from-Blur's "valid max.").
//   re-blur PSNR against ground truth
//                  PSNR(B(P), B(G)), B(X) = (mean over k of X_k^2.2)^(1/2.2) (blur2vid's
//                  "BlurryPSNR"); the same in both orders.
//   EPE (DIS)      mean over pixels of min(|f_fw - f_gt|, |f_bw - f_gt|) in pixels, f_fw =
//                  flow(P_0 -> P_F-1), f_bw = flow(P_F-1 -> P_0), f_gt = flow(G_0 -> G_F-1), with
//                  OpenCV's DIS optical flow (preset MEDIUM) on 8-bit grey frames resized bilinearly
//                  to (H/8*8, W/8*8). blur2vid uses RAFT-large; the numbers are not comparable.
//   patch SSIM     scikit-image's default SSIM (7x7 uniform window, sample covariance, data range 1,
//                  mean over the window's valid area, then over channels) on non-overlapping
//                  `patch` x `patch` tiles, averaged over frames; the better order per tile (as
//                  blur2vid's aggregation keeps its tile axes), then the mean over tiles. Tiles
//                  that do not fit whole at the right and bottom are left out (blur2vid refuses
//                  such sizes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "blurkit/core/frame_metrics.h"

namespace blurkit::bench {

// F frames of 8-bit RGB, HWC, one after another.
struct ClipView {
  const uint8_t* data = nullptr;
  int frames = 0;
  int height = 0;
  int width = 0;
  ImageView Frame(int k) const {
    return {data + static_cast<size_t>(k) * height * width * 3, height, width};
  }
};

// All five for one clip; F must match. NaN where a metric needs F > 1 (all but patch SSIM), for
// EPE on frames smaller than 8 x 8 and for patch SSIM on frames smaller than one tile.
struct ClipScores {
  double pwpsnr = 0;
  double psnr_pooled = 0;
  double reblur_psnr_gt = 0;
  double epe_dis = 0;
  double patch_ssim = 0;
};
ClipScores ScoreClip(const ClipView& predicted, const ClipView& truth, int patch);

double Pwpsnr(const ClipView& predicted, const ClipView& truth);
double PooledPsnr(const ClipView& predicted, const ClipView& truth);
double ReblurPsnrAgainstTruth(const ClipView& predicted, const ClipView& truth);
double EpeDis(const ClipView& predicted, const ClipView& truth);
// Throws InputError when no whole tile fits.
double PatchSsim(const ClipView& predicted, const ClipView& truth, int patch);

// blur2vid's GoPro protocol reduces every frame 2x with area averaging (cv::INTER_AREA) before any
// metric: 1280 x 720 -> 640 x 360.
std::vector<uint8_t> HalveFrames(const uint8_t* rgb, int frames, int height, int width);

// 95% percentile-bootstrap intervals of means over clips. Every metric of one scoring run is
// resampled with the same draws (a fixed seed), so intervals of one table are consistent and
// paired differences can be resampled the same way. Resample b's clip i is the (b * clips + i)-th
// UniformInt(clips) of RandomStream(seed, kBootstrap, clips); the draws are made again on every
// call rather than stored (resamples x clips indices would be 8 GB at a million clips).
struct Interval {
  double lo = 0, hi = 0;
};
class Bootstrap {
 public:
  static constexpr int kResamples = 2000;
  static constexpr uint64_t kSeed = 20250;
  explicit Bootstrap(int64_t clips, int resamples = kResamples, uint64_t seed = kSeed);
  // `values` has one entry per clip (NaN entries are left out of every resample's mean); {NaN,
  // NaN} when every entry is NaN.
  Interval MeanInterval(const std::vector<double>& values) const;
  // The same for several metrics of the same clips, drawing each resample once for all of them.
  std::vector<Interval> MeanIntervals(const std::vector<const std::vector<double>*>& metrics) const;
  int64_t clips() const { return clips_; }
  int resamples() const { return resamples_; }

 private:
  int64_t clips_;
  int resamples_;
  uint64_t seed_;
};

}  // namespace blurkit::bench
