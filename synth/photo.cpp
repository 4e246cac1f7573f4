#include "blurkit/synth/photo.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "blurkit/core/error.h"

namespace blurkit::synth {
namespace fs = std::filesystem;

std::shared_ptr<const Photo> Photo::Load(const fs::path& path, const CameraResponse& response,
                                         double hfov_degrees) {
  if (!(hfov_degrees > 0 && hfov_degrees < 180)) {
    throw InputError(Msg() << path.string() << ": the photo's field of view must be in (0, 180) "
                                               "degrees, got "
                           << hfov_degrees);
  }
  bool hdr = false;
  cv::Mat linear = DecodeToLinear(path, response, "photo", &hdr);
  if (linear.cols < 16 || linear.rows < 16) {
    throw InputError(Msg() << path.string() << ": " << linear.cols << "x" << linear.rows
                           << " is too small for a photo (at least 16x16)");
  }
  auto photo = std::shared_ptr<Photo>(new Photo());
  photo->fov_ = hfov_degrees;
  photo->hdr_ = hdr;
  photo->Build(linear);
  return photo;
}

std::shared_ptr<const Photo> Photo::FromLinear(const cv::Mat& linear_bgr, double hfov_degrees,
                                               bool hdr) {
  BLURKIT_CHECK(linear_bgr.type() == CV_32FC3 && hfov_degrees > 0 && hfov_degrees < 180);
  auto photo = std::shared_ptr<Photo>(new Photo());
  photo->fov_ = hfov_degrees;
  photo->hdr_ = hdr;
  photo->Build(linear_bgr);
  return photo;
}

void Photo::Build(const cv::Mat& linear_bgr) {
  levels_.push_back(linear_bgr);
  while (levels_.back().cols >= 32 && levels_.back().rows >= 32 && levels_.size() < 12) {
    cv::Mat down;
    cv::pyrDown(levels_.back(), down);
    levels_.push_back(down);
  }
}

PinholeCamera Photo::Camera(int level) const {
  PinholeCamera base = PinholeCamera::FromHorizontalFov(width(), height(), fov_);
  const double s = std::ldexp(1.0, -level);
  PinholeCamera camera = base;
  camera.width = levels_.at(level).cols;
  camera.height = levels_.at(level).rows;
  camera.focal = base.focal * s;
  camera.cx = base.cx * s;
  camera.cy = base.cy * s;
  return camera;
}

int Photo::LevelFor(double pixel_angle) const {
  int level = 0;
  for (int l = 1; l < levels(); ++l) {
    if (Camera(l).PixelAngle() <= pixel_angle * 1.0001) level = l;
  }
  return level;
}

bool Photo::Contains(const PinholeCamera& camera, const Eigen::Quaterniond& photo_from_cam) const {
  const PinholeCamera photo = Camera(0);
  const Eigen::Matrix3d rotation = photo_from_cam.toRotationMatrix();
  for (double y : {0.0, camera.height - 1.0}) {
    for (double x : {0.0, camera.width - 1.0}) {
      const Eigen::Vector3d ray = rotation * camera.RayInCam(x, y);
      if (ray.z() <= 1e-9) return false;
      const double u = photo.focal * ray.x() / ray.z() + photo.cx;
      const double v = photo.focal * ray.y() / ray.z() + photo.cy;
      if (!(u >= 0 && u <= photo.width - 1 && v >= 0 && v <= photo.height - 1)) return false;
    }
  }
  return true;
}

bool Photo::ContainsRays(const std::vector<Eigen::Vector3d>& rays,
                         const Eigen::Quaterniond& photo_from_cam) const {
  const PinholeCamera photo = Camera(0);
  const Eigen::Matrix3d rotation = photo_from_cam.toRotationMatrix();
  for (const auto& r : rays) {
    const Eigen::Vector3d ray = rotation * r;
    if (ray.z() <= 1e-9) return false;
    const double u = photo.focal * ray.x() / ray.z() + photo.cx;
    const double v = photo.focal * ray.y() / ray.z() + photo.cy;
    if (!(u >= 0 && u <= photo.width - 1 && v >= 0 && v <= photo.height - 1)) return false;
  }
  return true;
}

void Photo::StartRanges(const PinholeCamera& camera, double* yaw_degrees,
                        double* pitch_degrees) const {
  const PinholeCamera photo = Camera(0);
  constexpr double kDeg = 180.0 / M_PI;
  *yaw_degrees = (std::atan(photo.cx / photo.focal) - std::atan(camera.cx / camera.focal)) * kDeg;
  *pitch_degrees = (std::atan(photo.cy / photo.focal) - std::atan(camera.cy / camera.focal)) * kDeg;
}

cv::Mat Photo::Render(const PinholeCamera& camera, const Eigen::Quaterniond& photo_from_cam,
                      int level) const {
  const Eigen::Matrix3d h =
      RotationHomography(camera, photo_from_cam, Camera(level), Eigen::Quaterniond::Identity());
  cv::Mat map, out;
  HomographyMap(h, camera.width, camera.height, &map);
  cv::remap(levels_.at(level), out, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return out;
}

}  // namespace blurkit::synth
