#include "blurkit/synth/frame_interpolation.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include "blurkit/core/error.h"

namespace blurkit::synth {

cv::Mat DenseFlow(const cv::Mat& from_bgr, const cv::Mat& to_bgr) {
  BLURKIT_CHECK(from_bgr.type() == CV_8UC3 && to_bgr.type() == CV_8UC3 &&
                from_bgr.size() == to_bgr.size());
  cv::Mat from_gray, to_gray, flow;
  cv::cvtColor(from_bgr, from_gray, cv::COLOR_BGR2GRAY);
  cv::cvtColor(to_bgr, to_gray, cv::COLOR_BGR2GRAY);
  // DIS needs a few patches per side at its coarsest scale; tiny images get a smaller patch.
  cv::Ptr<cv::DISOpticalFlow> dis = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM);
  if (std::min(from_gray.cols, from_gray.rows) < 48) {
    dis->setPatchSize(4);
    dis->setPatchStride(2);
    dis->setFinestScale(0);
  }
  dis->calc(from_gray, to_gray, flow);
  return flow;
}

cv::Mat DenseFlowAtMost(const cv::Mat& from_bgr, const cv::Mat& to_bgr, int max_side,
                        double* scale_out) {
  const int side = std::max(from_bgr.cols, from_bgr.rows);
  if (side <= max_side) {
    *scale_out = 1.0;
    return DenseFlow(from_bgr, to_bgr);
  }
  const cv::Size size(std::max(1, int(std::lround(from_bgr.cols * double(max_side) / side))),
                      std::max(1, int(std::lround(from_bgr.rows * double(max_side) / side))));
  cv::Mat a, b;
  cv::resize(from_bgr, a, size, 0, 0, cv::INTER_AREA);
  cv::resize(to_bgr, b, size, 0, 0, cv::INTER_AREA);
  *scale_out = static_cast<double>(size.width) / from_bgr.cols;
  return DenseFlow(a, b);
}

double MeanFlowMagnitude(const cv::Mat& first_bgr, const cv::Mat& last_bgr, int max_side) {
  double scale = 1.0;
  const cv::Mat flow = DenseFlowAtMost(first_bgr, last_bgr, max_side, &scale);
  double sum = 0;
  for (int y = 0; y < flow.rows; ++y) {
    const cv::Vec2f* f = flow.ptr<cv::Vec2f>(y);
    for (int x = 0; x < flow.cols; ++x) sum += std::hypot(double(f[x][0]), double(f[x][1]));
  }
  return sum / std::max(1, flow.rows * flow.cols) / scale;
}

// Flow at the frame's size: computed at most kInterpolationFlowSide pixels wide and upsampled.
cv::Mat FullSizeFlow(const cv::Mat& from_bgr, const cv::Mat& to_bgr) {
  double scale = 1.0;
  cv::Mat flow = DenseFlowAtMost(from_bgr, to_bgr, kInterpolationFlowSide, &scale);
  if (scale == 1.0) return flow;
  cv::Mat full;
  cv::resize(flow, full, from_bgr.size(), 0, 0, cv::INTER_LINEAR);
  full *= 1.0 / scale;
  return full;
}

std::vector<cv::Mat> InterpolateBetween(const cv::Mat& i0_bgr, const cv::Mat& i1_bgr, int factor) {
  BLURKIT_CHECK(factor >= 1);
  std::vector<cv::Mat> out;
  if (factor == 1) return out;
  const cv::Mat f01 = FullSizeFlow(i0_bgr, i1_bgr);
  const cv::Mat f10 = FullSizeFlow(i1_bgr, i0_bgr);
  cv::Mat i0, i1;
  i0_bgr.convertTo(i0, CV_32FC3);
  i1_bgr.convertTo(i1, CV_32FC3);
  const int rows = i0.rows, cols = i0.cols;
  cv::Mat map0(rows, cols, CV_32FC2), map1(rows, cols, CV_32FC2), w0, w1, blend;
  for (int k = 1; k < factor; ++k) {
    const float t = static_cast<float>(k) / factor;
    const float a0 = -(1 - t) * t, b0 = t * t, a1 = (1 - t) * (1 - t), b1 = -t * (1 - t);
    for (int y = 0; y < rows; ++y) {
      const cv::Vec2f* p01 = f01.ptr<cv::Vec2f>(y);
      const cv::Vec2f* p10 = f10.ptr<cv::Vec2f>(y);
      cv::Vec2f* m0 = map0.ptr<cv::Vec2f>(y);
      cv::Vec2f* m1 = map1.ptr<cv::Vec2f>(y);
      for (int x = 0; x < cols; ++x) {
        const cv::Vec2f ft0 = a0 * p01[x] + b0 * p10[x];
        const cv::Vec2f ft1 = a1 * p01[x] + b1 * p10[x];
        m0[x] = {x + ft0[0], y + ft0[1]};
        m1[x] = {x + ft1[0], y + ft1[1]};
      }
    }
    cv::remap(i0, w0, map0, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    cv::remap(i1, w1, map1, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    cv::addWeighted(w0, 1 - t, w1, t, 0.0, blend);
    cv::Mat frame;
    blend.convertTo(frame, CV_8UC3);  // rounds to nearest, saturates
    out.push_back(std::move(frame));
  }
  return out;
}

}  // namespace blurkit::synth
