// Panoramas generated in code for the synth tests (linear BGR float, 2:1).
#pragma once

#include <cmath>
#include <opencv2/core.hpp>

namespace blurkit::synth::testing {

inline cv::Mat ConstantPanorama(int height, cv::Vec3f bgr) {
  return cv::Mat(height, 2 * height, CV_32FC3, cv::Scalar(bgr[0], bgr[1], bgr[2]));
}

// Black, with one vertical line of value 1 (one pixel wide) at longitude ~0 (column W/2).
inline cv::Mat VerticalLinePanorama(int height) {
  cv::Mat p = ConstantPanorama(height, {0, 0, 0});
  p.col(height).setTo(cv::Scalar(1, 1, 1));
  return p;
}

// Smooth texture: products of sinusoids in longitude and latitude, values in [0.1, 0.9].
inline cv::Mat SmoothPanorama(int height) {
  cv::Mat p(height, 2 * height, CV_32FC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < 2 * height; ++x) {
      const double lon = (x + 0.5) / (2 * height) * 2 * M_PI, lat = (y + 0.5) / height * M_PI;
      const float a = static_cast<float>(0.5 + 0.4 * std::sin(6 * lon) * std::sin(5 * lat));
      const float b = static_cast<float>(0.5 + 0.4 * std::cos(9 * lon + 3 * lat));
      p.at<cv::Vec3f>(y, x) = {a, b, 0.5f * (a + b)};
    }
  }
  return p;
}

// Checkerboard of `cell`-pixel squares, 0 and 1.
inline cv::Mat CheckerPanorama(int height, int cell) {
  cv::Mat p(height, 2 * height, CV_32FC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < 2 * height; ++x) {
      const float v = ((x / cell + y / cell) % 2) ? 1.0f : 0.0f;
      p.at<cv::Vec3f>(y, x) = {v, v, v};
    }
  return p;
}

}  // namespace blurkit::synth::testing
