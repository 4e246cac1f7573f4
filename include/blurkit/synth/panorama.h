// Equirectangular full-sphere panoramas and their sampling by virtual pinhole cameras.
//
// A panorama is held in linear light (BGR float, OpenCV's channel order): 8-bit sources (PNG, JPEG)
// are decoded through their camera response (sRGB by default); HDR sources (OpenEXR, Radiance .hdr)
// are linear radiance already. It keeps a Gaussian pyramid so that views with fewer pixels per
// degree than the panorama (SUN360's 9104x4552 seen at 256x256) are sampled from a prefiltered
// level instead of aliasing. Every level is padded so that bilinear sampling wraps around in
// longitude and continues across the poles (the row above the top row is the top row itself,
// half a turn away in longitude).
#pragma once

#include <filesystem>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "blurkit/synth/camera.h"
#include "blurkit/synth/exposure.h"

namespace blurkit::synth {

class Panorama {
 public:
  // Loads a panorama; 8-bit files are decoded with `response`. Throws InputError naming the file
  // when it cannot be read or is not 2:1 equirectangular.
  static std::shared_ptr<const Panorama> Load(const std::filesystem::path& path,
                                              const CameraResponse& response);
  // From a linear BGR float image (tests and generated panoramas). Must be 2:1.
  static std::shared_ptr<const Panorama> FromLinear(const cv::Mat& linear_bgr, bool hdr = false);

  int width() const { return width_; }
  int height() const { return height_; }
  bool hdr() const { return hdr_; }
  int levels() const { return static_cast<int>(padded_levels_.size()); }

  // The coarsest pyramid level whose pixels subtend at most `pixel_angle` radians.
  int LevelFor(double pixel_angle) const;

  // Renders the pinhole view of a camera with orientation world_from_cam from level `level`
  // (linear BGR float, bilinear).
  cv::Mat Render(const PinholeCamera& camera, const Eigen::Quaterniond& world_from_cam,
                 int level) const;

  // Where each pixel of the view samples the padded level (CV_32FC2). With allow_grid, large
  // views interpolate a grid of exact values, checked to stay within 0.02 level pixels.
  cv::Mat SampleMap(const PinholeCamera& camera, const Eigen::Quaterniond& world_from_cam,
                    int level, bool allow_grid) const;

  // The view of a camera whose pixel (x, y) looks along rays[y * width + x] (camera frame), row y
  // turned by world_from_row[y] (by world_from_row[0] for every row when it holds one); exact
  // trigonometry at every pixel, bilinear from level `level`. For lenses (lens.h).
  cv::Mat RenderRays(const std::vector<Eigen::Vector3d>& rays, int width, int height,
                     const std::vector<Eigen::Matrix3d>& world_from_row, int level) const;
  // The unpadded level (for tests).
  cv::Mat Level(int level) const;

  static constexpr int kPad = 4;  // padding of every level, pixels

 private:
  Panorama() = default;
  void Build(const cv::Mat& linear_bgr);

  int width_ = 0;
  int height_ = 0;
  bool hdr_ = false;
  std::vector<cv::Mat> padded_levels_;  // CV_32FC3, (h + 2 kPad) x (w + 2 kPad)
};

// Pads an equirectangular image by `pad` pixels: columns wrap around, rows continue across the
// poles (mirrored, half a turn away in longitude).
cv::Mat PadEquirectangular(const cv::Mat& image, int pad);

}  // namespace blurkit::synth
