#include "blurkit/synth/rotation_path.h"

#include "blurkit/synth/lens.h"

#include "blurkit/synth/gyro_formats.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <fstream>
#include <limits>
#include <sstream>

#include "blurkit/core/error.h"
#include "blurkit/core/sha256.h"

namespace blurkit::synth {

std::string ToString(TrajectoryKind kind) {
  switch (kind) {
    case TrajectoryKind::kSlerp: return "slerp";
    case TrajectoryKind::kShake: return "shake";
    case TrajectoryKind::kGyro: return "gyro";
  }
  return "?";
}

TrajectoryKind TrajectoryKindFromString(const std::string& name) {
  if (name == "slerp") return TrajectoryKind::kSlerp;
  if (name == "shake") return TrajectoryKind::kShake;
  if (name == "gyro") return TrajectoryKind::kGyro;
  throw InputError(Msg() << "--trajectory must be slerp, shake or gyro, got '" << name << "'");
}

void ShakeOptions::Check() const {
  auto in = [](double v, double hi) { return v >= 0 && v <= hi; };
  if (!in(gaussian, 1000)) throw InputError(Msg() << "--shake-gaussian must be in [0, 1000], got " << gaussian);
  if (!in(centripetal, 100)) {
    throw InputError(Msg() << "--shake-centripetal must be in [0, 100], got " << centripetal);
  }
  if (!in(big_shakes, 1)) throw InputError(Msg() << "--shake-big must be in [0, 1], got " << big_shakes);
  if (!in(anxiety, 1)) throw InputError(Msg() << "--shake-anxiety must be in [0, 1], got " << anxiety);
  if (!in(roll, 10)) throw InputError(Msg() << "--shake-roll must be in [0, 10], got " << roll);
  if (steps < 2 || steps > 100000) {
    throw InputError(Msg() << "--shake-steps must be in [2, 100000], got " << steps);
  }
}

// ---------------------------------------------------------------------------------------------
// Gyroscope logs

std::shared_ptr<const GyroLog> GyroLog::FromSamples(std::vector<double> times,
                                                    std::vector<Eigen::Vector3d> rates,
                                                    std::string name) {
  BLURKIT_CHECK(times.size() == rates.size() && times.size() >= 2);
  for (size_t i = 1; i < times.size(); ++i) BLURKIT_CHECK(times[i] > times[i - 1]) << name;
  auto log = std::make_shared<GyroLog>();
  log->name_ = std::move(name);
  log->times_ = std::move(times);
  log->rates_ = std::move(rates);
  return log;
}

std::shared_ptr<const GyroLog> GyroLog::Load(const std::filesystem::path& file) {
  return Load(file, GyroFileOptions{});
}

std::shared_ptr<const GyroLog> GyroLog::Load(const std::filesystem::path& file,
                                             const GyroFileOptions& options) {
  GyroRecording rec = ReadGyroRecording(file, options);
  auto log = std::make_shared<GyroLog>();
  log->name_ = file.filename().string();
  log->sha256_ = Sha256OfFile(file);
  log->times_ = std::move(rec.t);
  log->rates_ = std::move(rec.w);
  log->exposures_ = std::move(rec.exposure);
  return log;
}

void GyroLog::Integrate(double t0, double exposure, const Eigen::Quaterniond& start,
                        std::vector<double>* times, std::vector<Eigen::Quaterniond>* knots) const {
  BLURKIT_CHECK(exposure > 0 && t0 >= times_.front() && t0 + exposure <= times_.back() + 1e-9)
      << name_ << ": window [" << t0 << ", " << t0 + exposure << "]";
  times->assign(1, 0.0);
  knots->assign(1, start);
  const double t_end = std::min(t0 + exposure, times_.back());
  // The interval [times_[j], times_[j + 1]) that holds t0.
  size_t j = std::upper_bound(times_.begin(), times_.end(), t0) - times_.begin();
  j = std::clamp<size_t>(j, 1, times_.size() - 1) - 1;
  Eigen::Quaterniond q = start;
  double now = t0;
  while (now < t_end && j + 1 < times_.size()) {
    const double next = std::min(times_[j + 1], t_end);
    if (next > now) {
      const Eigen::Vector3d w = 0.5 * (rates_[j] + rates_[j + 1]);
      const double angle = w.norm() * (next - now);
      if (angle > 0) q = (q * Eigen::AngleAxisd(angle, w.normalized())).normalized();
      times->push_back((next - t0) / exposure);
      knots->push_back(q);
      now = next;
    }
    ++j;
  }
  times->back() = 1.0;
  if (times->size() == 1) {  // zero-length window (cannot happen for exposure > 0)
    times->push_back(1.0);
    knots->push_back(q);
  }
}

// ---------------------------------------------------------------------------------------------
// Options and paths

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
  if (trajectory == TrajectoryKind::kShake) shake.Check();
  if (!(std::isfinite(readout_time) && readout_time >= 0 && readout_time <= 1)) {
    throw InputError(Msg() << "--readout-time must be in [0, 1] seconds (0: a global shutter), got " << readout_time);
  }
  if (readout_time > 0) {
    if (trajectory == TrajectoryKind::kShake) {
      throw InputError("--readout-time (a rolling shutter) works with --trajectory slerp or gyro, not shake");
    }
    if (!(exposure_time > 0)) {
      throw InputError(Msg() << "--readout-time needs --exposure-time S > 0: the readout is timed against the "
                                "exposure, got " << exposure_time);
    }
    if (gyro && !gyro->exposures().empty() && gyro->duration() > 0) {
      // A rolling shutter reads every row within one frame.
      const double frame_time = gyro->duration() / double(gyro->exposures().size());
      if (readout_time > frame_time) {
        throw InputError(Msg() << "--readout-time " << readout_time << " s is longer than a frame of "
                               << gyro->name() << " (" << frame_time << " s: " << gyro->exposures().size()
                               << " frames in " << gyro->duration() << " s)");
      }
    }
    if (gyro && exposure_time + readout_time > gyro->duration()) {
      throw InputError(Msg() << gyro->name() << ": the log covers " << gyro->duration() << " s, shorter than "
                             << "--exposure-time + --readout-time " << exposure_time + readout_time << " s");
    }
  }
  if (trajectory == TrajectoryKind::kGyro) {
    if (!gyro) throw InputError("--trajectory gyro needs --gyro FILE.csv (rows t,wx,wy,wz)");
    if (!(exposure_time > 0)) {
      throw InputError(Msg() << "--trajectory gyro needs --exposure-time S > 0 (seconds of the log "
                                "per sample), got "
                             << exposure_time);
    }
    if (exposure_time > gyro->duration()) {
      throw InputError(Msg() << gyro->name() << ": the log covers " << gyro->duration()
                             << " s, shorter than --exposure-time " << exposure_time << " s");
    }
  }
}

RotationPath RotationPath::Slerp(const Eigen::Quaterniond& start, const Eigen::Quaterniond& end) {
  RotationPath path;
  path.times = {0.0, 1.0};
  path.knots = {start, end};
  return path;
}

Eigen::Quaterniond RotationPath::At(double t) const {
  BLURKIT_CHECK(knots.size() >= 2 && knots.size() == times.size());
  if (t <= times.front()) return knots.front();
  if (t >= times.back()) return knots.back();
  const size_t j = std::upper_bound(times.begin(), times.end(), t) - times.begin() - 1;
  const double s = (t - times[j]) / (times[j + 1] - times[j]);
  return knots[j].slerp(s, knots[j + 1]);
}

double RotationPath::MagnitudeDegrees() const {
  double angle = 0;
  for (size_t j = 0; j + 1 < knots.size(); ++j) angle += knots[j].angularDistance(knots[j + 1]);
  return angle * 180.0 / M_PI;
}

double RotationPath::ExposureMagnitudeDegrees() const {
  if (readout_share == 0) return MagnitudeDegrees();
  // Each of 9 rows, through the knots inside its exposure (exact for the piecewise slerp).
  double most = 0;
  for (int r = 0; r <= 8; ++r) {
    const double begin = readout_share * r / 8.0, end = begin + 1 - readout_share;
    double angle = 0;
    Eigen::Quaterniond previous = At(begin);
    for (size_t k = 0; k < times.size(); ++k) {
      if (times[k] <= begin || times[k] >= end) continue;
      angle += previous.angularDistance(knots[k]);
      previous = knots[k];
    }
    angle += previous.angularDistance(At(end));
    most = std::max(most, angle);
  }
  return most * 180.0 / M_PI;
}

double RotationPath::ChordDegrees() const {
  return start().angularDistance(end()) * 180.0 / M_PI;
}

Eigen::Quaterniond SampleStartOrientation(const RotationPathOptions& options, RandomStream& rng) {
  const double yaw = rng.Uniform(-180.0, 180.0);
  const double pitch = rng.Uniform(-options.pitch_range, options.pitch_range);
  const double roll = rng.Uniform(-options.roll_range, options.roll_range);
  return QuaternionFromEuler(yaw, pitch, roll);
}

namespace {

// Boracchi & Foi's walk (createTrajectory.m), its positions x in their units (the whole walk is
// MaxTotalLength = 60 long), lifted to rotations: step k turns the camera by angle/(steps - 1)
// about an axis of its own frame whose yaw/pitch part follows the walk's direction and whose roll
// part follows a smaller walk. Constant angular speed; the path's angle is exactly `angle`.
RotationPath ShakePath(const Eigen::Quaterniond& start, double angle_deg, const ShakeOptions& o,
                       RandomStream& rng) {
  using Complex = std::complex<double>;
  constexpr double kMaxTotalLength = 60.0;
  const int steps = o.steps;
  const double gaussian = o.fixed ? o.gaussian : o.gaussian * rng.Uniform();
  const double centripetal = o.fixed ? o.centripetal : o.centripetal * rng.Uniform();
  const double big_shakes = o.fixed ? o.big_shakes : o.big_shakes * rng.Uniform();
  const double anxiety = o.fixed ? o.anxiety : o.anxiety * rng.Uniform();
  const double init_angle = rng.Uniform(0.0, 2 * M_PI);
  const double length = kMaxTotalLength / (steps - 1);
  const Complex v0 = std::polar(1.0, init_angle);
  Complex v = anxiety > 0 ? v0 * anxiety : v0 * length;
  Complex x = 0;
  double roll_walk = 0;  // in [-1, 1]: the roll rate as a fraction of o.roll
  const double roll_step = 2.0 / std::sqrt(double(steps));

  RotationPath path;
  path.times.resize(steps);
  path.knots.resize(steps);
  path.times[0] = 0;
  path.knots[0] = start;
  const double step_angle = angle_deg * M_PI / 180.0 / (steps - 1);
  for (int t = 0; t + 1 < steps; ++t) {
    Complex next_direction = 0;
    if (rng.Uniform() < big_shakes * anxiety) {
      next_direction = 2.0 * v * std::exp(Complex(0, M_PI + (rng.Uniform() - 0.5)));
    }
    const double nr = rng.Normal(), ni = rng.Normal();
    const Complex dv = next_direction + anxiety * (gaussian * Complex(nr, ni) - centripetal * x) * length;
    if (std::abs(v + dv) > 0) v += dv;
    v = v / std::abs(v) * length;
    x += v;
    roll_walk += roll_step * rng.Normal();
    if (roll_walk > 1) roll_walk = 2 - roll_walk;  // reflected into [-1, 1]
    if (roll_walk < -1) roll_walk = -2 - roll_walk;
    roll_walk = std::clamp(roll_walk, -1.0, 1.0);
    // The walk's real part is yaw (about the camera's y axis), its imaginary part pitch (about x).
    const Complex direction = v / std::abs(v);
    const Eigen::Vector3d axis =
        Eigen::Vector3d(direction.imag(), direction.real(), o.roll * roll_walk).normalized();
    path.knots[t + 1] = (path.knots[t] * Eigen::AngleAxisd(step_angle, axis)).normalized();
    path.times[t + 1] = double(t + 1) / (steps - 1);
  }
  path.times.back() = 1.0;
  return path;
}

}  // namespace

void ExtendSlerpForReadout(RotationPath* path, double exposure_time, double readout_time) {
  BLURKIT_CHECK(path->knots.size() == 2 && exposure_time > 0 && readout_time > 0);
  // The turn goes on at the same angular velocity while the last rows are exposed.
  const double rho = readout_time / exposure_time;
  const Eigen::AngleAxisd per_exposure(path->knots[0].conjugate() * path->knots[1]);
  // Knots at most 90 degrees apart, so that slerp between them never takes the other way round.
  const int segments = std::max(1, static_cast<int>(std::ceil(per_exposure.angle() * rho / (M_PI / 2))));
  path->times = {0.0, 1.0 / (1 + rho)};
  for (int k = 1; k <= segments; ++k) {
    const double t = 1 + rho * k / segments;  // in exposures
    path->knots.push_back(
        (path->knots[0] * Eigen::AngleAxisd(per_exposure.angle() * t, per_exposure.axis())).normalized());
    path->times.push_back(k == segments ? 1.0 : t / (1 + rho));
  }
  path->readout_share = rho / (1 + rho);
}

RotationPath SamplePathFrom(const Eigen::Quaterniond& start, const RotationPathOptions& options,
                            RandomStream& rng) {
  if (options.trajectory == TrajectoryKind::kGyro) {
    const GyroLog& log = *options.gyro;
    // With a rolling shutter the window also covers the readout: the last row's exposure.
    const double window = options.exposure_time + options.readout_time;
    const double t0 = log.start_time() + rng.Uniform() * (log.duration() - window);
    RotationPath path;
    log.Integrate(t0, window, start, &path.times, &path.knots);
    if (options.readout_time > 0) path.readout_share = options.readout_time / window;
    return path;
  }
  const double a = options.max_angle;
  // One draw per statement: the order of function arguments' evaluation is unspecified.
  const double delta_yaw = rng.Uniform(-a, a);
  const double delta_pitch = rng.Uniform(-a, a);
  const double delta_roll = rng.Uniform(-a, a);
  const Eigen::Vector3d delta(delta_yaw, delta_pitch, delta_roll);
  const Eigen::Quaterniond turn = QuaternionFromEuler(delta.x(), delta.y(), delta.z());
  RotationPath path;
  if (options.trajectory == TrajectoryKind::kSlerp) {
    path = RotationPath::Slerp(start, (start * turn).normalized());
    if (options.readout_time > 0) ExtendSlerpForReadout(&path, options.exposure_time, options.readout_time);
  } else {
    const double angle = Eigen::AngleAxisd(turn).angle() * 180.0 / M_PI;
    path = ShakePath(start, angle, options.shake, rng);
  }
  path.euler_delta_deg = delta;
  return path;
}

RotationPath SampleRotationPath(const RotationPathOptions& options, RandomStream& rng) {
  const Eigen::Quaterniond start = SampleStartOrientation(options, rng);
  return SamplePathFrom(start, options, rng);
}

double MaxTrajectoryPixels(const RotationPath& path, const PinholeCamera& camera,
                           const FisheyeLens* lens) {
  // Points of a 5x5 grid (corners included) followed along the path, expressed in the start
  // camera's image: the arc length of the point that moves most. Slerp-like paths are followed in
  // 32 steps; paths of many knots through their knots (between knots the motion is one short
  // turn about a fixed axis).
  constexpr int kGrid = 5, kSteps = 32;
  // The path length in pixels of the point seen at (x, y) in the first of `cam_from_world`,
  // followed through the others; infinite where it goes behind the camera.
  auto followed = [&](double x, double y, const std::vector<Eigen::Quaterniond>& cam_from_world) {
    if (lens) {
      const Eigen::Vector3d ray_world = cam_from_world[0].conjugate() * lens->Ray(x, y);
      double length = 0;
      Eigen::Vector2d previous(x, y), p;
      for (size_t s = 1; s < cam_from_world.size(); ++s) {
        if (!lens->Project(cam_from_world[s] * ray_world, &p.x(), &p.y())) {
          return std::numeric_limits<double>::infinity();
        }
        length += (p - previous).norm();
        previous = p;
      }
      return length;
    }
    const Eigen::Vector3d ray_world = cam_from_world[0].conjugate() * camera.RayInCam(x, y);
    double length = 0;
    Eigen::Vector2d previous(x, y);
    for (size_t s = 1; s < cam_from_world.size(); ++s) {
      const Eigen::Vector3d ray = cam_from_world[s] * ray_world;
      if (ray.z() <= 1e-6) return std::numeric_limits<double>::infinity();
      const Eigen::Vector2d p(camera.focal * ray.x() / ray.z() + camera.cx,
                              camera.focal * ray.y() / ray.z() + camera.cy);
      length += (p - previous).norm();
      previous = p;
    }
    return length;
  };
  std::vector<Eigen::Quaterniond> cam_from_world;
  if (path.readout_share == 0) {
    if (path.knots.size() > kSteps + 1) {
      for (const auto& q : path.knots) cam_from_world.push_back(q.conjugate());
    } else {
      for (int s = 0; s <= kSteps; ++s) cam_from_world.push_back(path.At(double(s) / kSteps).conjugate());
    }
  }
  double longest = 0;
  for (int gy = 0; gy < kGrid; ++gy) {
    const double v = gy / double(kGrid - 1);
    if (path.readout_share > 0) {
      // Rolling shutter: each row of points is followed over its own row's exposure.
      const int steps = std::max<int>(kSteps, static_cast<int>(path.knots.size()));
      cam_from_world.clear();
      for (int s = 0; s <= steps; ++s) cam_from_world.push_back(path.RowAt(double(s) / steps, v).conjugate());
    }
    for (int gx = 0; gx < kGrid; ++gx) {
      const double x = (camera.width - 1) * gx / double(kGrid - 1);
      const double y = (camera.height - 1) * gy / double(kGrid - 1);
      longest = std::max(longest, followed(x, y, cam_from_world));
    }
  }
  return longest;
}

int SubframeCount(const RotationPath& path, const PinholeCamera& camera,
                  const RotationPathOptions& options, int frames, const FisheyeLens* lens) {
  BLURKIT_CHECK(frames >= 1 && frames % 2 == 1);
  double wanted;
  if (options.frames_per_degree > 0) {
    wanted = std::ceil(options.frames_per_degree * path.ExposureMagnitudeDegrees());
  } else {
    wanted = std::ceil(MaxTrajectoryPixels(path, camera, lens) / options.max_step_pixels) + 1;
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
