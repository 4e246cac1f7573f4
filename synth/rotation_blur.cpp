#include "blurkit/synth/rotation_blur.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <opencv2/imgproc.hpp>

#include "blurkit/core/error.h"
#include "blurkit/synth/camera_pipeline.h"

namespace blurkit::synth {
namespace {

// Smallest cosine between a sub-frame ray and the canvas axis that the canvas accepts (75 deg):
// beyond it the perspective canvas stretches too much to be worth its cost.
constexpr double kMinCanvasCos = 0.2588;
// Largest canvas, in output-sized images.
constexpr double kMaxCanvasImages = 24.0;

// Rays through points of a pinhole view's border (its edges are straight lines in any other
// pinhole view that shares the centre: a few points bound it).
std::vector<Eigen::Vector3d> PinholeBorder(const PinholeCamera& camera) {
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
  return boundary;
}

// The border rays of the output: its lens's (many points: the edges curve) or its pinhole's.
std::vector<Eigen::Vector3d> Border(const RotationBlurOptions& options, const PinholeCamera& camera) {
  return options.lens ? options.lens->border : PinholeBorder(camera);
}

// The camera of a canvas that holds every sub-frame (whose border rays are `boundary`), or
// nullopt-like (focal 0) when none fits.
PinholeCamera CanvasCamera(const PinholeCamera& camera, const std::vector<Eigen::Vector3d>& boundary,
                           const std::vector<Eigen::Quaterniond>& subs,
                           const Eigen::Quaterniond& world_from_canvas, double oversample) {
  double umin = std::numeric_limits<double>::infinity(), vmin = umin;
  double umax = -umin, vmax = -umin;
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
  if (lens && (lens->lens.width != width || lens->lens.height != height)) {
    throw InputError(Msg() << "the lens is scaled to " << lens->lens.width << "x" << lens->lens.height
                           << ", the output is " << width << "x" << height);
  }
  path.Check();
  if (path.max_subframes < frames) {
    throw InputError(Msg() << "--max-subframes (" << path.max_subframes
                           << ") must be at least --frames (" << frames << ")");
  }
}

namespace {

// Where each pixel of a lens view samples a pinhole image (a canvas or a photo): the pixel's ray,
// turned by row y's rotation and projected by the image's K, is m(y) * ray.
template <typename RowMatrix>
void LensMap(const LensRays& lens, RowMatrix m_of_row, cv::Mat* map) {
  const int width = lens.lens.width, height = lens.lens.height;
  map->create(height, width, CV_32FC2);
  for (int y = 0; y < height; ++y) {
    // In float, as HomographyMap: the maps are float, and float rays place a pixel within 1e-4 of
    // a canvas pixel.
    const Eigen::Matrix3f m = m_of_row(y).template cast<float>();
    const size_t row = size_t(y) * width;
    const float *rx = lens.x.data() + row, *ry = lens.y.data() + row, *rz = lens.z.data() + row;
    float* out = map->ptr<float>(y);
    for (int x = 0; x < width; ++x) {
      const float inv = 1.0f / (m(2, 0) * rx[x] + m(2, 1) * ry[x] + m(2, 2) * rz[x]);
      out[2 * x] = (m(0, 0) * rx[x] + m(0, 1) * ry[x] + m(0, 2) * rz[x]) * inv;
      out[2 * x + 1] = (m(1, 0) * rx[x] + m(1, 1) * ry[x] + m(1, 2) * rz[x]) * inv;
    }
  }
}

// K_to * R_to_from_world * R_world_from_view: a view's rays into pinhole image `to`'s pixels.
Eigen::Matrix3d IntoImage(const PinholeCamera& to, const Eigen::Quaterniond& world_from_to,
                          const Eigen::Quaterniond& world_from_view) {
  return to.K() * (world_from_to.conjugate() * world_from_view).toRotationMatrix();
}

// The sub-frame orientations of a path: n = SubframeCount() evenly spaced times over [0, 1].
std::vector<Eigen::Quaterniond> Subframes(const RotationPath& path, const PinholeCamera& camera,
                                          const RotationBlurOptions& options) {
  const int n = SubframeCount(path, camera, options.path, options.frames, options.Lens());
  BLURKIT_CHECK((n - 1) % (options.frames - 1) == 0) << n << " sub-frames for " << options.frames
                                                       << " frames";
  std::vector<Eigen::Quaterniond> subs(n);
  for (int i = 0; i < n; ++i) subs[i] = path.At(n == 1 ? 0.0 : double(i) / (n - 1));
  return subs;
}

// Adds 1 to `mask` where a channel of the sub-frame is saturated (both continuous CV_32FC3).
void AddSaturated(const cv::Mat& frame, cv::Mat* mask) {
  float* m = mask->ptr<float>();
  const float* p = frame.ptr<float>();
  for (size_t k = 0, n = frame.total() * 3; k < n; ++k) m[k] += p[k] >= kSaturatedLinear ? 1.0f : 0.0f;
}

// Averages the sub-frames that render(i, &frame) produces and keeps the sharp ones and the poses.
template <typename RenderSubframe>
void Accumulate(const PinholeCamera& camera, const RotationBlurOptions& options,
                const std::vector<Eigen::Quaterniond>& subs, RenderSubframe render,
                RotationRender* out) {
  const int n = static_cast<int>(subs.size());
  const int step = (n - 1) / (options.frames - 1);
  const Eigen::Quaterniond& middle = subs[(n - 1) / 2];
  out->subframes = n;
  out->trajectory = subs;
  out->blurred = cv::Mat::zeros(camera.height, camera.width, CV_32FC3);
  if (options.saturation_mask) out->saturation_mask = cv::Mat::zeros(camera.height, camera.width, CV_32FC3);
  cv::Mat frame;
  for (int i = 0; i < n; ++i) {
    render(i, &frame);
    cv::add(out->blurred, frame, out->blurred);
    if (options.saturation_mask) AddSaturated(frame, &out->saturation_mask);
    if (i % step == 0) out->sharp.push_back(frame.clone());
  }
  out->blurred *= 1.0 / n;
  if (options.saturation_mask) out->saturation_mask *= 1.0 / n;
  for (int j = 0; j < options.frames; ++j) {
    const Eigen::Quaterniond& q = subs[j * step];
    out->orientations.push_back(q);
    out->homographies.push_back(RotationHomography(camera, middle, camera, q));
  }
}

// The sampling map of a view whose row y looks along world_from_row(y), into `to`'s pixels.
template <typename RowOrientation>
void RowsMap(const PinholeCamera& camera, RowOrientation world_from_row, const PinholeCamera& to,
             const Eigen::Quaterniond& world_from_to, cv::Mat* map) {
  map->create(camera.height, camera.width, CV_32FC2);
  for (int y = 0; y < camera.height; ++y) {
    const Eigen::Matrix3d h = RotationHomography(camera, world_from_row(y), to, world_from_to);
    float* m = map->ptr<float>(y);
    for (int x = 0; x < camera.width; ++x) {
      const Eigen::Vector3d p = h * Eigen::Vector3d(x, y, 1.0);
      m[2 * x] = static_cast<float>(p.x() / p.z());
      m[2 * x + 1] = static_cast<float>(p.y() / p.z());
    }
  }
}

// Rolling shutter: renders every sub-frame and target with render(row_orientation, &frame),
// where row_orientation(y) is the orientation row y sees.
template <typename RenderRows>
void AccumulateRolling(const PinholeCamera& camera, const RotationBlurOptions& options,
                       const RotationPath& path, int n, RenderRows render, RotationRender* out) {
  const int f = options.frames, step = (n - 1) / (f - 1);
  const double last_row = std::max(camera.height - 1, 1);
  out->subframes = n;
  out->blurred = cv::Mat::zeros(camera.height, camera.width, CV_32FC3);
  if (options.saturation_mask) out->saturation_mask = cv::Mat::zeros(camera.height, camera.width, CV_32FC3);
  cv::Mat frame;
  for (int i = 0; i < n; ++i) {
    const double t = n == 1 ? 0.0 : double(i) / (n - 1);
    render([&](int y) { return path.RowAt(t, y / last_row); }, &frame);
    cv::add(out->blurred, frame, out->blurred);
    if (options.saturation_mask) AddSaturated(frame, &out->saturation_mask);
  }
  out->blurred *= 1.0 / n;
  if (options.saturation_mask) out->saturation_mask *= 1.0 / n;
  const Eigen::Quaterniond middle = path.RowAt(0.5, 0.5);
  for (int j = 0; j < f; ++j) {
    const double t = double(j * step) / (n - 1);
    const Eigen::Quaterniond q = path.RowAt(t, 0.5);
    if (options.rolling_targets) {
      render([&](int y) { return path.RowAt(t, y / last_row); }, &frame);
    } else {
      render([&](int) { return q; }, &frame);
    }
    out->sharp.push_back(frame.clone());
    out->orientations.push_back(q);
    out->homographies.push_back(RotationHomography(camera, middle, camera, q));
  }
  // The whole readout: the path evenly spaced at the sub-frames' step.
  const int m = static_cast<int>(std::lround((n - 1) / (1 - path.readout_share))) + 1;
  for (int k = 0; k < m; ++k) out->trajectory.push_back(path.At(double(k) / (m - 1)));
}

// The path's orientations at the sub-frames' spacing over the whole readout (every row's views):
// what a canvas or a photo must hold.
std::vector<Eigen::Quaterniond> RollingViews(const RotationPath& path, int n) {
  const int m = static_cast<int>(std::lround((n - 1) / (1 - path.readout_share))) + 1;
  std::vector<Eigen::Quaterniond> views(m);
  for (int k = 0; k < m; ++k) views[k] = path.At(double(k) / (m - 1));
  return views;
}

}  // namespace

RotationRender RenderRotationBlur(const Panorama& panorama, const RotationBlurOptions& options,
                                  const RotationPath& path) {
  if (path.readout_share > 0) {
    const PinholeCamera camera = options.Camera();
    RotationRender out;
    out.magnitude_degrees = path.ExposureMagnitudeDegrees();
    const int n = SubframeCount(path, camera, options.path, options.frames, options.Lens());
    const std::vector<Eigen::Quaterniond> views = RollingViews(path, n);
    const Eigen::Quaterniond middle = path.RowAt(0.5, 0.5);
    const int level = panorama.LevelFor(camera.PixelAngle());
    PinholeCamera canvas_camera{0, 0, 0, 0, 0};
    cv::Mat canvas;
    if (options.method == RenderMethod::kCanvas) {
      canvas_camera = CanvasCamera(camera, Border(options, camera), views, middle, options.canvas_oversample);
      if (canvas_camera.focal > 0) {
        canvas = panorama.Render(canvas_camera, middle, level);
        out.used_canvas = true;
      }
    }
    cv::Mat map;
    AccumulateRolling(camera, options, path, n, [&](auto world_from_row, cv::Mat* frame) {
      if (options.lens && out.used_canvas) {
        LensMap(*options.lens, [&](int y) { return IntoImage(canvas_camera, middle, world_from_row(y)); }, &map);
        cv::remap(canvas, *frame, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      } else if (options.lens) {
        std::vector<Eigen::Matrix3d> rows(camera.height);
        for (int y = 0; y < camera.height; ++y) rows[y] = world_from_row(y).toRotationMatrix();
        *frame = panorama.RenderRays(options.lens->rays, camera.width, camera.height, rows, level);
      } else if (out.used_canvas) {
        RowsMap(camera, world_from_row, canvas_camera, middle, &map);
        cv::remap(canvas, *frame, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      } else {
        // Row by row from the sphere: a one-row camera whose principal point is shifted.
        frame->create(camera.height, camera.width, CV_32FC3);
        for (int y = 0; y < camera.height; ++y) {
          PinholeCamera row = camera;
          row.height = 1;
          row.cy = camera.cy - y;
          panorama.Render(row, world_from_row(y), level).copyTo(frame->row(y));
        }
      }
    }, &out);
    return out;
  }
  const PinholeCamera camera = options.Camera();
  RotationRender out;
  out.magnitude_degrees = path.MagnitudeDegrees();
  const std::vector<Eigen::Quaterniond> subs = Subframes(path, camera, options);
  const Eigen::Quaterniond middle = subs[(subs.size() - 1) / 2];
  const int level = panorama.LevelFor(camera.PixelAngle());

  PinholeCamera canvas_camera{0, 0, 0, 0, 0};
  cv::Mat canvas;
  if (options.method == RenderMethod::kCanvas) {
    canvas_camera = CanvasCamera(camera, Border(options, camera), subs, middle, options.canvas_oversample);
    if (canvas_camera.focal > 0) {
      canvas = panorama.Render(canvas_camera, middle, level);
      out.used_canvas = true;
    }
  }
  // One view at orientation q (map: scratch space), for the sub-frames and for frame_at.
  auto view = [&panorama, camera, canvas, canvas_camera, middle, level, lens = options.lens](
                  const Eigen::Quaterniond& q, cv::Mat* frame, cv::Mat* map) {
    if (lens && canvas_camera.focal > 0) {
      const Eigen::Matrix3d m = IntoImage(canvas_camera, middle, q);
      LensMap(*lens, [&](int) { return m; }, map);
      cv::remap(canvas, *frame, *map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    } else if (lens) {
      *frame = panorama.RenderRays(lens->rays, camera.width, camera.height, {q.toRotationMatrix()}, level);
    } else if (canvas_camera.focal > 0) {
      HomographyMap(RotationHomography(camera, q, canvas_camera, middle), camera.width, camera.height, map);
      cv::remap(canvas, *frame, *map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    } else {
      *frame = panorama.Render(camera, q, level);
    }
  };
  cv::Mat map;
  Accumulate(camera, options, subs, [&](int i, cv::Mat* frame) { view(subs[i], frame, &map); }, &out);
  out.frame_at = [view, path](double t) {
    cv::Mat frame, map;
    view(path.At(t), &frame, &map);
    return frame;
  };
  return out;
}

bool PathInsidePhoto(const Photo& photo, const RotationBlurOptions& options,
                     const RotationPath& path, std::vector<Eigen::Quaterniond>* subframes) {
  const PinholeCamera camera = options.Camera();
  std::vector<Eigen::Quaterniond> subs =
      path.readout_share > 0
          ? RollingViews(path, SubframeCount(path, camera, options.path, options.frames, options.Lens()))
          : Subframes(path, camera, options);
  for (const auto& q : subs) {
    if (options.lens ? !photo.ContainsRays(options.lens->border, q) : !photo.Contains(camera, q)) return false;
  }
  if (subframes) *subframes = std::move(subs);
  return true;
}

RotationRender RenderRotationBlur(const Photo& photo, const RotationBlurOptions& options,
                                  const RotationPath& path,
                                  const std::vector<Eigen::Quaterniond>* subframes) {
  const PinholeCamera camera = options.Camera();
  RotationRender out;
  const int level = photo.LevelFor(camera.PixelAngle());
  const PinholeCamera source = photo.Camera(level);
  const cv::Mat& image = photo.Level(level);
  cv::Mat map;
  if (path.readout_share > 0) {
    out.magnitude_degrees = path.ExposureMagnitudeDegrees();
    const int n = SubframeCount(path, camera, options.path, options.frames, options.Lens());
    AccumulateRolling(camera, options, path, n, [&](auto world_from_row, cv::Mat* frame) {
      if (options.lens) {
        LensMap(*options.lens, [&](int y) {
          return IntoImage(source, Eigen::Quaterniond::Identity(), world_from_row(y));
        }, &map);
      } else {
        RowsMap(camera, world_from_row, source, Eigen::Quaterniond::Identity(), &map);
      }
      cv::remap(image, *frame, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    }, &out);
    return out;
  }
  out.magnitude_degrees = path.MagnitudeDegrees();
  const std::vector<Eigen::Quaterniond> subs =
      subframes ? *subframes : Subframes(path, camera, options);
  // One view at orientation q (map: scratch space), for the sub-frames and for frame_at.
  auto view = [&image, camera, source, lens = options.lens](const Eigen::Quaterniond& q, cv::Mat* frame,
                                                             cv::Mat* map) {
    if (lens) {
      const Eigen::Matrix3d m = IntoImage(source, Eigen::Quaterniond::Identity(), q);
      LensMap(*lens, [&](int) { return m; }, map);
    } else {
      HomographyMap(RotationHomography(camera, q, source, Eigen::Quaterniond::Identity()), camera.width,
                    camera.height, map);
    }
    cv::remap(image, *frame, *map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  };
  Accumulate(camera, options, subs, [&](int i, cv::Mat* frame) { view(subs[i], frame, &map); }, &out);
  out.frame_at = [view, path](double t) {
    cv::Mat frame, map;
    view(path.At(t), &frame, &map);
    return frame;
  };
  return out;
}

}  // namespace blurkit::synth
