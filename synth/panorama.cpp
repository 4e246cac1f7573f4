#include "blurkit/synth/panorama.h"

#include <cmath>
#include <cstdlib>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "blurkit/core/error.h"

namespace blurkit::synth {
namespace fs = std::filesystem;

cv::Mat PadEquirectangular(const cv::Mat& image, int pad) {
  BLURKIT_CHECK(image.cols % 2 == 0 && pad <= image.rows && pad <= image.cols);
  const int half = image.cols / 2;
  // Rolled by half a turn: the pixel opposite in longitude.
  cv::Mat rolled;
  cv::hconcat(image.colRange(half, image.cols), image.colRange(0, half), rolled);
  cv::Mat top, bottom;
  cv::flip(rolled.rowRange(0, pad), top, 0);
  cv::flip(rolled.rowRange(image.rows - pad, image.rows), bottom, 0);
  cv::Mat tall;
  cv::vconcat(std::vector<cv::Mat>{top, image, bottom}, tall);
  cv::Mat padded;
  cv::copyMakeBorder(tall, padded, 0, 0, pad, pad, cv::BORDER_WRAP);
  return padded;
}

std::shared_ptr<const Panorama> Panorama::Load(const fs::path& path,
                                               const CameraResponse& response) {
  bool hdr = false;
  cv::Mat linear = DecodeToLinear(path, response, "panorama", &hdr);
  if (linear.cols != 2 * linear.rows) {
    throw InputError(Msg() << path.string() << ": " << linear.cols << "x" << linear.rows
                           << " is not an equirectangular full-sphere panorama (expected width = "
                              "2 x height)");
  }
  if (linear.cols < 16) throw InputError(Msg() << path.string() << ": panorama is too small");
  auto panorama = std::shared_ptr<Panorama>(new Panorama());
  panorama->hdr_ = hdr;
  panorama->Build(linear);
  return panorama;
}

std::shared_ptr<const Panorama> Panorama::FromLinear(const cv::Mat& linear_bgr, bool hdr) {
  BLURKIT_CHECK(linear_bgr.type() == CV_32FC3 && linear_bgr.cols == 2 * linear_bgr.rows);
  auto panorama = std::shared_ptr<Panorama>(new Panorama());
  panorama->hdr_ = hdr;
  panorama->Build(linear_bgr);
  return panorama;
}

void Panorama::Build(const cv::Mat& linear_bgr) {
  width_ = linear_bgr.cols;
  height_ = linear_bgr.rows;
  cv::Mat level = linear_bgr;
  while (true) {
    cv::Mat padded = PadEquirectangular(level, kPad);
    padded_levels_.push_back(padded);
    if (level.rows < 16 || level.cols % 4 != 0) break;
    // pyrDown of the padded level sees wrapped columns and pole-continued rows at its borders.
    cv::Mat down;
    cv::pyrDown(padded, down);
    level = down(cv::Rect(kPad / 2, kPad / 2, level.cols / 2, level.rows / 2)).clone();
  }
}

int Panorama::LevelFor(double pixel_angle) const {
  int level = 0;
  for (int l = 1; l < levels(); ++l) {
    const double level_angle = 2 * M_PI / (width_ >> l);
    if (level_angle <= pixel_angle * 1.0001) level = l;
  }
  return level;
}

cv::Mat Panorama::Level(int level) const {
  const cv::Mat& padded = padded_levels_.at(level);
  return padded(cv::Rect(kPad, kPad, padded.cols - 2 * kPad, padded.rows - 2 * kPad));
}

namespace {

// Coordinates in a padded level of the direction `d`, longitude measured from `lon_ref` and not
// wrapped, so that they vary smoothly across the seam.
inline void UnwrappedCoords(const Eigen::Vector3d& d, double lon_ref, double scale_x,
                            double scale_y, double* x, double* y) {
  double lon = std::atan2(d.x(), d.z()) - lon_ref;
  lon -= 2 * M_PI * std::floor((lon + M_PI) / (2 * M_PI));
  const double lat = std::atan2(-d.y(), std::hypot(d.x(), d.z()));
  *x = (lon + lon_ref + M_PI) * scale_x - 0.5 + Panorama::kPad;
  *y = (M_PI / 2 - lat) * scale_y - 0.5 + Panorama::kPad;
}

// Largest error, in level pixels, that interpolating the map from a grid may make.
constexpr double kGridTolerance = 0.02;

}  // namespace

cv::Mat Panorama::SampleMap(const PinholeCamera& camera, const Eigen::Quaterniond& world_from_cam,
                            int level, bool allow_grid) const {
  const int w = width_ >> level, h = height_ >> level;
  const double scale_x = w / (2 * M_PI), scale_y = h / M_PI;
  const Eigen::Matrix3d rotation = world_from_cam.toRotationMatrix();
  const Eigen::Vector3d centre = rotation * camera.RayInCam(camera.cx, camera.cy);
  const double lon_ref = std::atan2(centre.x(), centre.z());
  cv::Mat map(camera.height, camera.width, CV_32FC2);

  // The map is smooth away from the poles: compute it exactly on a grid of nodes every `stride`
  // pixels and interpolate bilinearly, after checking the interpolation at every cell centre.
  // This removes nearly all of the per-pixel trigonometry of large views (the canvas).
  for (int stride : {8, 4}) {
    if (!allow_grid || camera.width < 4 * stride || camera.height < 4 * stride) break;
    const int nx = (camera.width - 1 + stride - 1) / stride + 1;
    const int ny = (camera.height - 1 + stride - 1) / stride + 1;
    std::vector<double> gx(nx * ny), gy(nx * ny);
    for (int j = 0; j < ny; ++j) {
      for (int i = 0; i < nx; ++i) {
        UnwrappedCoords(rotation * camera.RayInCam(i * stride, j * stride), lon_ref, scale_x,
                        scale_y, &gx[j * nx + i], &gy[j * nx + i]);
      }
    }
    bool smooth = true;
    for (int j = 0; j + 1 < ny && smooth; ++j) {
      for (int i = 0; i + 1 < nx && smooth; ++i) {
        double x, y;
        UnwrappedCoords(rotation * camera.RayInCam((i + 0.5) * stride, (j + 0.5) * stride),
                        lon_ref, scale_x, scale_y, &x, &y);
        const int k = j * nx + i;
        const double ix = 0.25 * (gx[k] + gx[k + 1] + gx[k + nx] + gx[k + nx + 1]);
        const double iy = 0.25 * (gy[k] + gy[k + 1] + gy[k + nx] + gy[k + nx + 1]);
        smooth = std::abs(ix - x) < kGridTolerance && std::abs(iy - y) < kGridTolerance;
      }
    }
    if (!smooth) continue;
    std::vector<float> row_x(nx), row_y(nx);
    const float inv = 1.0f / stride;
    const float wrap = static_cast<float>(w);
    const float low = -0.5f + kPad, high = w - 0.5f + kPad;
    for (int y = 0; y < camera.height; ++y) {
      const int j = std::min(y / stride, ny - 2);
      const float ty = (y - j * stride) * inv;
      for (int i = 0; i < nx; ++i) {
        const int k = j * nx + i;
        row_x[i] = static_cast<float>(gx[k] + ty * (gx[k + nx] - gx[k]));
        row_y[i] = static_cast<float>(gy[k] + ty * (gy[k + nx] - gy[k]));
      }
      float* out = map.ptr<float>(y);
      for (int x = 0; x < camera.width; ++x) {
        const int i = std::min(x / stride, nx - 2);
        const float tx = (x - i * stride) * inv;
        float u = row_x[i] + tx * (row_x[i + 1] - row_x[i]);
        if (u < low) u += wrap;
        if (u >= high) u -= wrap;
        out[2 * x] = u;
        out[2 * x + 1] = row_y[i] + tx * (row_y[i + 1] - row_y[i]);
      }
    }
    return map;
  }

  // Exact: trigonometry at every pixel.
  const Eigen::Matrix3f rotation_f = rotation.cast<float>();
  const float inv_f = static_cast<float>(1.0 / camera.focal);
  const float sx = static_cast<float>(scale_x), sy = static_cast<float>(scale_y);
  for (int y = 0; y < camera.height; ++y) {
    float* row = map.ptr<float>(y);
    const float ry = static_cast<float>((y - camera.cy)) * inv_f;
    for (int x = 0; x < camera.width; ++x) {
      const float rx = static_cast<float>((x - camera.cx)) * inv_f;
      const Eigen::Vector3f d = rotation_f * Eigen::Vector3f(rx, ry, 1.0f);
      const float lon = std::atan2(d.x(), d.z());
      const float lat = std::atan2(-d.y(), std::sqrt(d.x() * d.x() + d.z() * d.z()));
      // EquirectX/EquirectY, shifted by the padding.
      row[2 * x] = (lon + static_cast<float>(M_PI)) * sx - 0.5f + kPad;
      row[2 * x + 1] = (static_cast<float>(M_PI / 2) - lat) * sy - 0.5f + kPad;
    }
  }
  return map;
}

cv::Mat Panorama::RenderRays(const std::vector<Eigen::Vector3d>& rays, int width, int height,
                             const std::vector<Eigen::Matrix3d>& world_from_row, int level) const {
  BLURKIT_CHECK(rays.size() == size_t(width) * height && !world_from_row.empty());
  const int w = width_ >> level, h = height_ >> level;
  const double sx = w / (2 * M_PI), sy = h / M_PI;
  cv::Mat map(height, width, CV_32FC2);
  for (int y = 0; y < height; ++y) {
    const Eigen::Matrix3d& rotation = world_from_row[world_from_row.size() == 1 ? 0 : y];
    float* row = map.ptr<float>(y);
    for (int x = 0; x < width; ++x) {
      const Eigen::Vector3d d = rotation * rays[size_t(y) * width + x];
      const double lon = std::atan2(d.x(), d.z());
      const double lat = std::atan2(-d.y(), std::hypot(d.x(), d.z()));
      row[2 * x] = static_cast<float>((lon + M_PI) * sx - 0.5 + kPad);
      row[2 * x + 1] = static_cast<float>((M_PI / 2 - lat) * sy - 0.5 + kPad);
    }
  }
  cv::Mat out;
  cv::remap(padded_levels_[level], out, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return out;
}

cv::Mat Panorama::Render(const PinholeCamera& camera, const Eigen::Quaterniond& world_from_cam,
                         int level) const {
  BLURKIT_CHECK(level >= 0 && level < levels());
  const cv::Mat map = SampleMap(camera, world_from_cam, level, /*allow_grid=*/true);
  cv::Mat out;
  cv::remap(padded_levels_[level], out, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return out;
}

}  // namespace blurkit::synth
