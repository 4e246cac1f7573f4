#include "blurkit/synth/rotation_blur.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "blurkit/core/error.h"

namespace blurkit::synth {
namespace {

// Smallest cosine between a sub-frame ray and the canvas axis that the canvas accepts (75 deg):
// beyond it the perspective canvas stretches too much to be worth its cost.
constexpr double kMinCanvasCos = 0.2588;
// Largest canvas, in output-sized images.
constexpr double kMaxCanvasImages = 24.0;

// The camera of a canvas that holds every sub-frame, or nullopt-like (focal 0) when none fits.
PinholeCamera CanvasCamera(const PinholeCamera& camera, const std::vector<Eigen::Quaterniond>& subs,
                           const Eigen::Quaterniond& world_from_canvas, double oversample) {
  double umin = std::numeric_limits<double>::infinity(), vmin = umin;
  double umax = -umin, vmax = -umin;
  constexpr int kEdgePoints = 8;
  std::vector<Eigen::Vector3d> boundary;
  for (int k = 0; k <= kEdgePoints; ++k) {
    const double fx = (camera.width - 1) * double(k) / kEdgePoints;
    const double fy = (camera.height - 1) * double(k) / kEdgePoints;
    boundary.push_back(camera.RayInCam(fx, 0));
    boundary.push_back(camera.RayInCam(fx, camera.height - 1));
    boundary.push_back(camera.RayInCam(0, fy));
    boundary.push_back(camera.RayInCam(camera.width - 1, fy));
  }
  for (const auto& q : subs) {
    const Eigen::Matrix3d canvas_from_sub = (world_from_canvas.conjugate() * q).toRotationMatrix();
    for (const auto& ray : boundary) {
      const Eigen::Vector3d r = canvas_from_sub * ray.normalized();
      if (r.z() < kMinCanvasCos) return PinholeCamera{0, 0, 0, 0, 0};
      umin = std::min(umin, r.x() / r.z());
      umax = std::max(umax, r.x() / r.z());
      vmin = std::min(vmin, r.y() / r.z());
      vmax = std::max(vmax, r.y() / r.z());
    }
  }
  PinholeCamera canvas;
  canvas.focal = camera.focal * oversample;
  const double margin = 2.0 / canvas.focal;  // two canvas pixels for the bilinear footprint
  umin -= margin;
  vmin -= margin;
  umax += margin;
  vmax += margin;
  canvas.width = static_cast<int>(std::ceil((umax - umin) * canvas.focal)) + 1;
  canvas.height = static_cast<int>(std::ceil((vmax - vmin) * canvas.focal)) + 1;
  canvas.cx = -umin * canvas.focal;
  canvas.cy = -vmin * canvas.focal;
  const double images = double(canvas.width) * canvas.height /
                        (double(camera.width) * camera.height * oversample * oversample);
  if (images > kMaxCanvasImages) return PinholeCamera{0, 0, 0, 0, 0};
  return canvas;
}

// The sampling map of a homography: map(x, y) = dehomogenised h * (x, y, 1), CV_32FC2. Written
// here rather than calling cv::warpPerspective because the loop vectorises and the map then goes
// to cv::remap with float maps, which is measurably faster per sub-frame (scripts/perf_synth.sh).
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

}  // namespace

void RotationBlurOptions::Check() const {
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384) {
    throw InputError(Msg() << "--size must be positive (and at most 16384), got " << width << "x"
                           << height);
  }
  if (!(fov > 1 && fov < 170)) {
    throw InputError(Msg() << "--fov must be in (1, 170) degrees, got " << fov);
  }
  if (frames < 3 || frames % 2 == 0) {
    throw InputError(Msg() << "--frames must be odd and at least 3 (the middle frame is F/2), got "
                           << frames);
  }
  if (!(canvas_oversample >= 1 && canvas_oversample <= 4)) {
    throw InputError(Msg() << "canvas oversampling must be in [1, 4], got " << canvas_oversample);
  }
  path.Check();
  if (path.max_subframes < frames) {
    throw InputError(Msg() << "--max-subframes (" << path.max_subframes
                           << ") must be at least --frames (" << frames << ")");
  }
}

RotationRender RenderRotationBlur(const Panorama& panorama, const RotationBlurOptions& options,
                                  const RotationPath& path) {
  const PinholeCamera camera = options.Camera();
  RotationRender out;
  out.magnitude_degrees = path.MagnitudeDegrees();
  const int n = SubframeCount(path, camera, options.path, options.frames);
  const int gaps = options.frames - 1;
  BLURKIT_CHECK((n - 1) % gaps == 0) << n << " sub-frames for " << options.frames << " frames";
  const int step = (n - 1) / gaps;
  out.subframes = n;

  std::vector<Eigen::Quaterniond> subs(n);
  for (int i = 0; i < n; ++i) subs[i] = path.At(n == 1 ? 0.0 : double(i) / (n - 1));
  const Eigen::Quaterniond middle = subs[(n - 1) / 2];
  const int level = panorama.LevelFor(camera.PixelAngle());

  PinholeCamera canvas_camera{0, 0, 0, 0, 0};
  cv::Mat canvas;
  if (options.method == RenderMethod::kCanvas) {
    canvas_camera = CanvasCamera(camera, subs, middle, options.canvas_oversample);
    if (canvas_camera.focal > 0) {
      canvas = panorama.Render(canvas_camera, middle, level);
      out.used_canvas = true;
    }
  }

  out.blurred = cv::Mat::zeros(camera.height, camera.width, CV_32FC3);
  cv::Mat frame, map;
  for (int i = 0; i < n; ++i) {
    if (out.used_canvas) {
      HomographyMap(RotationHomography(camera, subs[i], canvas_camera, middle), camera.width,
                    camera.height, &map);
      cv::remap(canvas, frame, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    } else {
      frame = panorama.Render(camera, subs[i], level);
    }
    cv::add(out.blurred, frame, out.blurred);
    if (i % step == 0) out.sharp.push_back(frame.clone());
  }
  out.blurred *= 1.0 / n;

  for (int j = 0; j < options.frames; ++j) {
    const Eigen::Quaterniond& q = subs[j * step];
    out.orientations.push_back(q);
    out.homographies.push_back(RotationHomography(camera, middle, camera, q));
  }
  return out;
}

}  // namespace blurkit::synth
