// Dense optical flow for video datasets: the blur magnitude of a sample, and flow-based frame
// interpolation for sources slower than high-speed video (--interpolate K).
//
// Flow is OpenCV's DIS (Kroeger et al. 2016), computed on the luma of 8-bit BGR frames; flow(x, y)
// is the displacement (dx, dy) in pixels that takes pixel (x, y) of the first frame to the second.
//
// Interpolation at time t in (0, 1) between frames I0 and I1 uses the flows both ways and the
// linear approximation of Jiang et al. 2018 (Super SloMo, eq. 4):
//   F_t->0 = -(1 - t) t F_0->1 + t^2 F_1->0,   F_t->1 = (1 - t)^2 F_0->1 - t (1 - t) F_1->0,
//   I_t = (1 - t) I0(x + F_t->0) + t I1(x + F_t->1)   (bilinear backward warping, border replicate).
// What it can fix: the ghosting of averaging few frames of a slow source where motion between
// frames is a few to some tens of pixels and locally smooth (camera pans, shake, rigid objects):
// blur becomes a continuous streak. What it cannot: occlusions (both frames blend, leaving a halo
// at moving edges), motion faster than the flow can follow (large or non-linear displacement
// between frames), motion blur already inside the source frames (a 30 fps frame exposed 1/30 s is
// already blurred; interpolation cannot make it sharp), and rolling shutter or lighting changes.
#pragma once

#include <opencv2/core.hpp>
#include <vector>

namespace blurkit::synth {

// Flow from `from` to `to` (CV_32FC2, size of the inputs). Inputs: 8-bit BGR, same size.
cv::Mat DenseFlow(const cv::Mat& from_bgr, const cv::Mat& to_bgr);

// Mean flow magnitude in pixels between two 8-bit BGR images. Images whose longer side exceeds
// `max_side` pixels are downscaled (area averaging) to it before the flow is computed, and the
// magnitude is scaled back to the input's pixels: the number is a statistic for the benchmark's
// blur-size analysis, and flow on a full 256x256 crop (DIS medium, ~5 ms) would cost a tenth of
// the window's decoding; at 160 pixels it costs ~2 ms.
double MeanFlowMagnitude(const cv::Mat& first_bgr, const cv::Mat& last_bgr, int max_side = 160);

// Flow from `from` to `to` computed on images downscaled (area averaging) so that their longer side
// is at most `max_side`; `scale` receives the factor applied (1 when not downscaled): the flow is
// in the downscaled image's pixels.
cv::Mat DenseFlowAtMost(const cv::Mat& from_bgr, const cv::Mat& to_bgr, int max_side, double* scale);

// Interpolation computes its flows at most this wide (then upsamples them): DIS at 1280x720
// costs about 4 times as much as at 640x360, and gains little for the smooth flows it can handle.
inline constexpr int kInterpolationFlowSide = 640;

// The frames strictly between I0 and I1 at t = k / factor, k = 1 .. factor - 1 (8-bit BGR).
std::vector<cv::Mat> InterpolateBetween(const cv::Mat& i0_bgr, const cv::Mat& i1_bgr, int factor);

}  // namespace blurkit::synth
