#include "blurkit/synth/camera.h"

#include <cmath>

#include "blurkit/core/error.h"

namespace blurkit::synth {

PinholeCamera PinholeCamera::FromHorizontalFov(int width, int height, double hfov_degrees) {
  BLURKIT_CHECK(width > 0 && height > 0 && hfov_degrees > 0 && hfov_degrees < 180);
  PinholeCamera camera;
  camera.width = width;
  camera.height = height;
  camera.focal = 0.5 * width / std::tan(0.5 * hfov_degrees * M_PI / 180.0);
  camera.cx = 0.5 * (width - 1);
  camera.cy = 0.5 * (height - 1);
  return camera;
}

Eigen::Matrix3d PinholeCamera::K() const {
  Eigen::Matrix3d k;
  k << focal, 0, cx, 0, focal, cy, 0, 0, 1;
  return k;
}

Eigen::Matrix3d PinholeCamera::KInverse() const {
  Eigen::Matrix3d k;
  k << 1 / focal, 0, -cx / focal, 0, 1 / focal, -cy / focal, 0, 0, 1;
  return k;
}

Eigen::Vector3d DirectionFromLonLat(double lon, double lat) {
  const double c = std::cos(lat);
  return {c * std::sin(lon), -std::sin(lat), c * std::cos(lon)};
}

void LonLatFromDirection(const Eigen::Vector3d& dir, double* lon, double* lat) {
  *lon = std::atan2(dir.x(), dir.z());
  *lat = std::atan2(-dir.y(), std::hypot(dir.x(), dir.z()));
}

Eigen::Quaterniond QuaternionFromEuler(double yaw_deg, double pitch_deg, double roll_deg) {
  constexpr double kDeg = M_PI / 180.0;
  // R_x(+pitch) takes the optical axis (0, 0, 1) to (0, -sin, cos): positive pitch looks up.
  return (Eigen::AngleAxisd(yaw_deg * kDeg, Eigen::Vector3d::UnitY()) *
          Eigen::AngleAxisd(pitch_deg * kDeg, Eigen::Vector3d::UnitX()) *
          Eigen::AngleAxisd(roll_deg * kDeg, Eigen::Vector3d::UnitZ()))
      .normalized();
}

Eigen::Matrix3d RotationHomography(const PinholeCamera& from,
                                   const Eigen::Quaterniond& world_from_from,
                                   const PinholeCamera& to, const Eigen::Quaterniond& world_from_to) {
  const Eigen::Matrix3d to_from_from =
      (world_from_to.conjugate() * world_from_from).toRotationMatrix();
  return to.K() * to_from_from * from.KInverse();
}

// Written here rather than calling cv::warpPerspective because the loop vectorises and the map
// then goes to cv::remap with float maps, which is measurably faster per sub-frame
// (scripts/perf/synth.sh).
void HomographyMap(const Eigen::Matrix3d& h, int width, int height, cv::Mat* map) {
  map->create(height, width, CV_32FC2);
  const float h00 = h(0, 0), h01 = h(0, 1), h02 = h(0, 2);
  const float h10 = h(1, 0), h11 = h(1, 1), h12 = h(1, 2);
  const float h20 = h(2, 0), h21 = h(2, 1), h22 = h(2, 2);
  for (int y = 0; y < height; ++y) {
    float* out = map->ptr<float>(y);
    const float bx = h01 * y + h02, by = h11 * y + h12, bz = h21 * y + h22;
    for (int x = 0; x < width; ++x) {
      const float inv = 1.0f / (h20 * x + bz);
      out[2 * x] = (h00 * x + bx) * inv;
      out[2 * x + 1] = (h10 * x + by) * inv;
    }
  }
}

}  // namespace blurkit::synth
