// Camera rotation paths for rotational blur.
//
// Three kinds (--trajectory):
//   slerp  Argaw et al. 2021, section 3, "Rotational blur": a random initial orientation, a random
//          rotation given by its Euler angles, and quaternion Slerp for the orientations in between:
//          a constant-velocity turn along a great circle. The default.
//   shake  hand shake: Boracchi & Foi 2012 ("Modeling the performance of image restoration from
//          motion blur", the authors' createTrajectory.m) lifted from image-plane positions to
//          rotations. The camera turns at constant angular speed; the direction of its angular
//          velocity in yaw/pitch does their random walk (a Gaussian term, a pull back towards the
//          start, rare impulsive near-reversals), roll follows a smaller random walk.
//   gyro   a window of a recorded gyroscope log (body rates in the camera's own axes), integrated
//          from a random initial orientation: R(t + dt) = R(t) exp([w]x dt).
//
// Every path is a list of knots (time in [0, 1] as a fraction of the exposure, world_from_cam);
// between two knots the camera turns about one axis at constant rate, which Slerp reproduces
// exactly. The number of rendered sub-frames grows linearly with the path's length (the paper's
// n = k * |theta|, or the auto rule below).
#pragma once

#include <Eigen/Geometry>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "blurkit/core/random.h"
#include "blurkit/synth/camera.h"

namespace blurkit::synth {

enum class TrajectoryKind { kSlerp, kShake, kGyro };
std::string ToString(TrajectoryKind kind);
TrajectoryKind TrajectoryKindFromString(const std::string& name);  // throws InputError

// Boracchi & Foi's trajectory parameters. Each is drawn per trajectory, uniform in [0, value]
// (createTrajectory.m: gaussianTerm = 10 rand, centripetal = 0.7 rand, freqBigShakes = 0.2 rand,
// anxiety = 0.1 rand), unless `fixed`, which takes the values as they are.
struct ShakeOptions {
  double gaussian = 10.0;    // gaussianTerm: weight of the random change of direction per step
  double centripetal = 0.7;  // pull of the walk back towards its start
  double big_shakes = 0.2;   // freqBigShakes: a near-reversal has probability big_shakes * anxiety per step
  double anxiety = 0.1;      // scales the random and centripetal terms and the big-shake probability
  double roll = 0.2;         // largest roll rate as a fraction of the yaw/pitch rate (0: no roll)
  int steps = 2000;          // numT: steps of the walk (knots of the path)
  bool fixed = false;        // take the four parameters above as given instead of drawing them

  void Check() const;  // throws InputError
};

struct GyroFileOptions;  // blurkit/synth/gyro_formats.h
struct FisheyeLens;      // blurkit/synth/lens.h

// A gyroscope log: times in seconds and the camera's body rates in rad/s about its own axes (x
// right, y down, z forward, as in synth/camera.h). Sampling may be irregular.
class GyroLog {
 public:
  // Reads any log blurkit/synth/gyro_formats.h reads (a GoPro MP4 or GPMF stream, a Gyroflow
  // .gcsv, a CSV; blurkit's own rows t,wx,wy,wz: comma, semicolon, tab or space separated, a
  // header line and '#' comments allowed). Throws InputError naming the file and the line or byte
  // of what is wrong: a malformed row, times that do not increase, fewer than two samples.
  static std::shared_ptr<const GyroLog> Load(const std::filesystem::path& file);
  static std::shared_ptr<const GyroLog> Load(const std::filesystem::path& file, const GyroFileOptions& options);
  static std::shared_ptr<const GyroLog> FromSamples(std::vector<double> times,
                                                    std::vector<Eigen::Vector3d> rates,
                                                    std::string name = "gyro");

  const std::string& name() const { return name_; }     // file name, for messages and params
  const std::string& sha256() const { return sha256_; }  // of the file ("" when made in memory)
  double start_time() const { return times_.front(); }
  double duration() const { return times_.back() - times_.front(); }
  size_t size() const { return times_.size(); }
  // GoPro logs: the exposure time of each video frame (SHUT), seconds; empty for other logs.
  const std::vector<double>& exposures() const { return exposures_; }

  // The knots of the path over [t0, t0 + exposure], starting at `start`: the window's ends and
  // every log sample inside it. Between samples the rate is the mean of the two samples' rates
  // (trapezoidal rule), so a constant rate integrates to exactly start * exp([w] exposure).
  // Times are returned as fractions of the exposure.
  void Integrate(double t0, double exposure, const Eigen::Quaterniond& start,
                 std::vector<double>* times, std::vector<Eigen::Quaterniond>* knots) const;

 private:
  std::string name_, sha256_;
  std::vector<double> times_;
  std::vector<Eigen::Vector3d> rates_;
  std::vector<double> exposures_;
};

struct RotationPathOptions {
  TrajectoryKind trajectory = TrajectoryKind::kSlerp;
  // slerp and shake: each Euler angle of the rotation (yaw, pitch, roll) is uniform in
  // [-max_angle, max_angle] (deg); shake turns by that rotation's angle along its random walk.
  double max_angle = 8.0;
  // Initial orientation: yaw uniform over the full circle, pitch in [-pitch_range, pitch_range],
  // roll in [-roll_range, roll_range] (degrees). (Photos draw yaw and pitch inside the photo.)
  double pitch_range = 30.0;
  double roll_range = 5.0;
  ShakeOptions shake;
  std::shared_ptr<const GyroLog> gyro;  // gyro: the log
  double exposure_time = 0;             // gyro: seconds of the log one sample integrates; with a
                                        // rolling shutter, every trajectory's exposure (seconds)
  // Rolling shutter: seconds from the first row's exposure start to the last row's (0: a global
  // shutter). Row y of a sub-frame sees the path at its own time, y / (H - 1) * readout_time later.
  double readout_time = 0;
  // k in n = k * |theta| (sub-frames per degree of the path's angle). 0 chooses k per sample so
  // that no output pixel moves more than max_step_pixels between consecutive sub-frames.
  double frames_per_degree = 0.0;
  double max_step_pixels = 0.5;
  // Upper bound on the number of sub-frames of one sample.
  int max_subframes = 512;

  void Check() const;  // throws InputError
};

struct RotationPath {
  std::vector<double> times;               // knot times, increasing from 0 to 1
  std::vector<Eigen::Quaterniond> knots;   // world_from_cam at those times
  Eigen::Vector3d euler_delta_deg = Eigen::Vector3d::Zero();  // slerp, shake: the drawn rotation
  // Rolling shutter: the share of [0, 1] that is the readout, s = readout / (exposure + readout);
  // the path then covers every row's exposure: row fraction v in [0, 1] (v = y / (H - 1)) is
  // exposed over [s v, s v + 1 - s]. 0 for a global shutter (the path is the exposure).
  double readout_share = 0;

  // The paper's path: Slerp from start to end.
  static RotationPath Slerp(const Eigen::Quaterniond& start, const Eigen::Quaterniond& end);

  const Eigen::Quaterniond& start() const { return knots.front(); }
  const Eigen::Quaterniond& end() const { return knots.back(); }
  // The orientation at time t in [0, 1]: Slerp between the knots around t.
  Eigen::Quaterniond At(double t) const;
  // The orientation of row fraction v (0 = first row, 1 = last) at exposure fraction t.
  Eigen::Quaterniond RowAt(double t, double v) const {
    return At((1 - readout_share) * t + readout_share * v);
  }
  // The path's angle, in degrees: the sum of its segments' rotation angles (for slerp, |theta|,
  // the angle of the rotation from start to end). This is the blur magnitude in the shards.
  double MagnitudeDegrees() const;
  // The angle one row turns during its exposure: MagnitudeDegrees() for a global shutter; with a
  // rolling shutter, the largest over the rows (sampled), the blur magnitude in the shards.
  double ExposureMagnitudeDegrees() const;
  // The angle between start and end, degrees (<= MagnitudeDegrees(), equal for a great circle).
  double ChordDegrees() const;
};

// The random initial orientation of the panorama path: yaw over the full circle, pitch and roll
// in their ranges.
Eigen::Quaterniond SampleStartOrientation(const RotationPathOptions& options, RandomStream& rng);

// A rolling shutter's slerp path: the turn from knot 0 to knot 1 (the exposure) continued at the
// same angular velocity over the readout, with readout_share set.
void ExtendSlerpForReadout(RotationPath* path, double exposure_time, double readout_time);

// A path of options.trajectory's kind from `start`; with options.readout_time > 0 it covers every
// row's exposure (readout_share > 0).
RotationPath SamplePathFrom(const Eigen::Quaterniond& start, const RotationPathOptions& options,
                            RandomStream& rng);

// SampleStartOrientation, then SamplePathFrom. For slerp: end = start * Euler(delta) (the
// rotation is applied in the camera's own frame).
RotationPath SampleRotationPath(const RotationPathOptions& options, RandomStream& rng);

// The longest distance, in pixels, that any of a grid of image points travels along the path;
// through `lens` (scaled to the output) where given, else through the pinhole `camera`.
double MaxTrajectoryPixels(const RotationPath& path, const PinholeCamera& camera,
                           const FisheyeLens* lens = nullptr);

// Number of sub-frames to render: n = k * |theta| (at least `frames`), rounded up to (frames-1)*m+1
// so that the `frames` sharp frames are sub-frames 0, m, 2m, ..., n-1 (evenly spaced in time, the
// first at the exposure's start, the last at its end); bounded by max_subframes.
int SubframeCount(const RotationPath& path, const PinholeCamera& camera,
                  const RotationPathOptions& options, int frames, const FisheyeLens* lens = nullptr);

}  // namespace blurkit::synth
