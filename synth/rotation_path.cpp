#include "blurkit/synth/rotation_path.h"

#include <algorithm>
#include <cmath>

#include "blurkit/core/error.h"

namespace blurkit::synth {

void RotationPathOptions::Check() const {
  if (!(max_angle >= 0 && max_angle <= 90)) {
    throw InputError(Msg() << "--max-angle must be in [0, 90] degrees, got " << max_angle);
  }
  if (!(pitch_range >= 0 && pitch_range <= 90)) {
    throw InputError(Msg() << "--pitch-range must be in [0, 90] degrees, got " << pitch_range);
  }
  if (!(roll_range >= 0 && roll_range <= 180)) {
    throw InputError(Msg() << "--roll-range must be in [0, 180] degrees, got " << roll_range);
  }
  if (!(frames_per_degree >= 0)) {
    throw InputError(Msg() << "--frames-per-degree must be >= 0 (0 = auto), got "
                           << frames_per_degree);
  }
  if (!(max_step_pixels > 0)) {
    throw InputError(Msg() << "the largest step between sub-frames must be > 0 px, got "
                           << max_step_pixels);
  }
  if (max_subframes < 3) {
    throw InputError(Msg() << "--max-subframes must be at least 3, got " << max_subframes);
  }
}

double RotationPath::MagnitudeDegrees() const {
  return start.angularDistance(end) * 180.0 / M_PI;
}

RotationPath SampleRotationPath(const RotationPathOptions& options, RandomStream& rng) {
  RotationPath path;
  const double yaw = rng.Uniform(-180.0, 180.0);
  const double pitch = rng.Uniform(-options.pitch_range, options.pitch_range);
  const double roll = rng.Uniform(-options.roll_range, options.roll_range);
  const double a = options.max_angle;
  path.euler_delta_deg = {rng.Uniform(-a, a), rng.Uniform(-a, a), rng.Uniform(-a, a)};
  path.start = QuaternionFromEuler(yaw, pitch, roll);
  path.end = (path.start * QuaternionFromEuler(path.euler_delta_deg.x(), path.euler_delta_deg.y(),
                                               path.euler_delta_deg.z()))
                 .normalized();
  return path;
}

double MaxTrajectoryPixels(const RotationPath& path, const PinholeCamera& camera) {
  // Points of a 5x5 grid (corners included) followed through 32 steps of the path, expressed in the
  // start camera's image: the arc length of the point that moves most.
  constexpr int kGrid = 5, kSteps = 32;
  double longest = 0;
  for (int gy = 0; gy < kGrid; ++gy) {
    for (int gx = 0; gx < kGrid; ++gx) {
      const double x = (camera.width - 1) * gx / double(kGrid - 1);
      const double y = (camera.height - 1) * gy / double(kGrid - 1);
      const Eigen::Vector3d ray_world = path.start * camera.RayInCam(x, y);
      double length = 0;
      Eigen::Vector2d previous(x, y);
      for (int s = 1; s <= kSteps; ++s) {
        const Eigen::Vector3d ray = path.At(double(s) / kSteps).conjugate() * ray_world;
        if (ray.z() <= 1e-6) return std::numeric_limits<double>::infinity();
        const Eigen::Vector2d p(camera.focal * ray.x() / ray.z() + camera.cx,
                                camera.focal * ray.y() / ray.z() + camera.cy);
        length += (p - previous).norm();
        previous = p;
      }
      longest = std::max(longest, length);
    }
  }
  return longest;
}

int SubframeCount(const RotationPath& path, const PinholeCamera& camera,
                  const RotationPathOptions& options, int frames) {
  BLURKIT_CHECK(frames >= 1 && frames % 2 == 1);
  double wanted;
  if (options.frames_per_degree > 0) {
    wanted = std::ceil(options.frames_per_degree * path.MagnitudeDegrees());
  } else {
    wanted = std::ceil(MaxTrajectoryPixels(path, camera) / options.max_step_pixels) + 1;
  }
  if (!std::isfinite(wanted)) wanted = options.max_subframes;
  wanted = std::clamp(wanted, double(frames), double(options.max_subframes));
  if (frames == 1) return static_cast<int>(wanted);
  // n = (frames - 1) * m + 1, the smallest such n >= wanted, but never above max_subframes.
  const int gaps = frames - 1;
  int m = static_cast<int>(std::ceil((wanted - 1) / gaps));
  while (m > 1 && gaps * m + 1 > options.max_subframes) --m;
  return gaps * std::max(m, 1) + 1;
}

}  // namespace blurkit::synth
