// Fisheye lenses: OpenCV's fisheye (Kannala-Brandt) model, as Gyroflow's lens profiles calibrate
// every GoPro (github.com/gyroflow/lens_profiles, their `fisheye_params`).
//
// A ray at angle theta from the optical axis lands at distance theta_d from the principal point,
// in units of the focal length:
//   theta_d = theta * (1 + k1 theta^2 + k2 theta^4 + k3 theta^6 + k4 theta^8)
//   (u, v) = (fx * theta_d * x / r + cx, fy * theta_d * y / r + cy),  r = |(x, y)|, ray (x, y, z)
// (OpenCV's cv::fisheye::projectPoints with skew 0). Rays of output pixels come from inverting it
// (Newton's method on theta_d, as cv::fisheye::undistortPoints does), so a renderer turns
// K R K^-1 into unproject - rotate - project.
//
// A profile is calibrated at one frame size (calib_dimension). For an output of W x H pixels the
// lens is scaled so that the calibrated frame covers the output, then cropped about the centre: the
// scale is s = max(W / calib_w, H / calib_h); fx, fy, cx, cy are multiplied by s (pixel centres
// kept: c' = (c + 0.5) s - 0.5) and the principal point is shifted by half the cropped excess.
// A 256 x 256 output of the HERO11 Wide 16:9 profile (3840 x 2160) is then the central square of
// the 16:9 frame, at s = 256 / 2160.
//
// The rectified (undistorted) frame of a lens is the pinhole camera with focal length fx, square
// pixels and the lens's principal point, at the output size (narrower than the fisheye, so every
// rectified pixel sees a ray the fisheye frame holds).
#pragma once

#include <Eigen/Core>
#include <array>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "blurkit/synth/camera.h"

namespace blurkit::synth {

struct FisheyeLens {
  std::string name;       // preset name, or the profile's file name
  std::string sha256;     // of the profile file ("" for presets)
  std::string source;     // where the numbers come from (preset: the Gyroflow profile's name)
  int calib_width = 0, calib_height = 0;  // the frame the numbers were calibrated at
  double fx = 0, fy = 0, cx = 0, cy = 0;  // pixels at the calibrated size
  std::array<double, 4> k{};              // k1..k4
  double readout_time = 0;  // seconds from first to last row (the profile's frame_readout_time), 0: unknown
  // Set by ScaledTo: the output size and the scaled intrinsics (fx, fy, cx, cy above are rescaled).
  int width = 0, height = 0;
  double scale = 1;
  double max_theta = 0;     // the model is increasing in theta up to here (radians, <= pi)

  // A preset (see LensPresets) or a Gyroflow lens profile (.json); throws InputError naming the
  // file and what it expected: fisheye_params with a 3x3 camera_matrix and four distortion_coeffs,
  // calib_dimension, an OpenCV fisheye model (not GoPro SuperView's digital lens, not poly/standard
  // models).
  static FisheyeLens FromSpec(const std::string& spec);
  static FisheyeLens Preset(const std::string& name);
  static FisheyeLens LoadProfile(const std::filesystem::path& file);
  // From a Gyroflow profile's JSON (name: for messages).
  static FisheyeLens FromProfile(const nlohmann::json& profile, const std::string& name);

  // The lens scaled and cropped to a W x H output (see above). Throws InputError when a pixel of
  // the output lies beyond the model's increasing range (the profile does not cover it).
  FisheyeLens ScaledTo(int output_width, int output_height) const;

  double Distort(double theta) const;        // theta -> theta_d
  double Undistort(double theta_d) const;    // theta_d -> theta, for theta_d <= Distort(max_theta)
  // Unit ray (camera frame) through pixel (x, y).
  Eigen::Vector3d Ray(double x, double y) const;
  // Pixel of a ray; false when the ray is beyond max_theta.
  bool Project(const Eigen::Vector3d& ray, double* u, double* v) const;
  // Unit rays of every output pixel, row-major (width * height).
  std::vector<Eigen::Vector3d> Rays() const;
  // Rays of points along the output's border (perimeter), enough to bound where it looks.
  std::vector<Eigen::Vector3d> BorderRays(int per_edge = 64) const;
  // The rectified pinhole camera (see above).
  PinholeCamera Rectified() const;
  // Angle subtended by one pixel at the centre, radians.
  double PixelAngle() const { return 1.0 / std::max(fx, fy); }
  // Where each rectified pixel samples the fisheye frame (CV_32FC2 for cv::remap).
  cv::Mat RectifyMap() const;
  // The record of the lens in a dataset's and sample's params.
  nlohmann::json ToJson() const;
};

// A scaled lens with the rays of its output pixels and border, computed once per dataset.
struct LensRays {
  FisheyeLens lens;                     // scaled (ScaledTo)
  std::vector<Eigen::Vector3d> rays;    // lens.Rays()
  std::vector<Eigen::Vector3d> border;  // lens.BorderRays()
  std::vector<float> x, y, z;           // the rays' components in float, for the per-sub-frame maps
  static std::shared_ptr<const LensRays> Make(const FisheyeLens& scaled);
};

// The named presets: "name: source" lines for --help and error messages.
std::vector<std::string> LensPresets();

}  // namespace blurkit::synth
