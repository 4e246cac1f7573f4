// Perspective photographs as sources of rotational blur (`blurkit-synth photos`).
//
// For a pure rotation a pinhole image maps to the rotated view by the homography K R K^-1 whatever
// the scene's depth, so any sharp photograph gives exact rotational blur for views that stay inside
// it. A photo is a pinhole camera with OpenCV's axes (x right, y down, z forward; synth/camera.h),
// principal point at its centre ((W - 1) / 2, (H - 1) / 2), focal length from its horizontal field
// of view, orientation the identity: orientations of views into it are R_photo_from_cam.
//
// Like a panorama it is held in linear light with a Gaussian pyramid, and a view with fewer pixels
// per degree than the photo samples the coarsest level that still has at least as many as the view
// (at the centre): anti-aliased as the panorama path is. cv::pyrDown centres level-(l+1) pixel i on
// level-l pixel 2i, so level l's camera is level 0's with K scaled by 2^-l.
#pragma once

#include <Eigen/Geometry>
#include <filesystem>
#include <memory>
#include <opencv2/core.hpp>
#include <vector>

#include "blurkit/synth/camera.h"
#include "blurkit/synth/exposure.h"

namespace blurkit::synth {

class Photo {
 public:
  // Loads a photo (8-bit through `response`, 16-bit, EXR/HDR linear) seen with a horizontal field
  // of view of hfov_degrees, in (0, 180). Throws InputError naming the file.
  static std::shared_ptr<const Photo> Load(const std::filesystem::path& path,
                                           const CameraResponse& response, double hfov_degrees);
  // From a linear BGR float image (tests).
  static std::shared_ptr<const Photo> FromLinear(const cv::Mat& linear_bgr, double hfov_degrees,
                                                 bool hdr = false);

  int width() const { return levels_[0].cols; }
  int height() const { return levels_[0].rows; }
  double fov() const { return fov_; }
  bool hdr() const { return hdr_; }
  int levels() const { return static_cast<int>(levels_.size()); }
  const cv::Mat& Level(int level) const { return levels_.at(level); }

  // The photo's pinhole camera at pyramid level `level`.
  PinholeCamera Camera(int level = 0) const;
  // The coarsest level whose pixels subtend at most `pixel_angle` radians at the centre.
  int LevelFor(double pixel_angle) const;

  // True when every pixel of `camera` at orientation photo_from_cam samples inside the photo
  // (the view's four corners project in front of the photo's camera and inside its pixel centres).
  bool Contains(const PinholeCamera& camera, const Eigen::Quaterniond& photo_from_cam) const;

  // True when every one of `rays` (camera frame: a view's border rays, lens.h) turned by
  // photo_from_cam projects in front of the photo's camera and inside its pixel centres.
  bool ContainsRays(const std::vector<Eigen::Vector3d>& rays, const Eigen::Quaterniond& photo_from_cam) const;
  // How far (degrees) the view's yaw and pitch may turn from the photo's axis with the whole view
  // still inside, ignoring roll; <= 0 when the view is wider than the photo.
  void StartRanges(const PinholeCamera& camera, double* yaw_degrees, double* pitch_degrees) const;

  // The view of `camera` at orientation photo_from_cam, bilinear from level `level`.
  cv::Mat Render(const PinholeCamera& camera, const Eigen::Quaterniond& photo_from_cam,
                 int level) const;

 private:
  Photo() = default;
  void Build(const cv::Mat& linear_bgr);

  double fov_ = 0;
  bool hdr_ = false;
  std::vector<cv::Mat> levels_;  // CV_32FC3
};

}  // namespace blurkit::synth
