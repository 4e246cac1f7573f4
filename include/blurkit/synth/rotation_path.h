// Camera rotation paths for rotational blur (Argaw et al. 2021, section 3, "Rotational blur"):
// a random initial orientation, a random rotation given by its Euler angles, and quaternion Slerp
// for the orientations in between. The number of rendered sub-frames grows linearly with the
// rotation's magnitude, n = k * |theta|.
#pragma once

#include <Eigen/Geometry>
#include <vector>

#include "blurkit/core/random.h"
#include "blurkit/synth/camera.h"

namespace blurkit::synth {

struct RotationPathOptions {
  // Each Euler angle of the rotation (yaw, pitch, roll) is uniform in [-max_angle, max_angle] (deg).
  double max_angle = 8.0;
  // Initial orientation: yaw uniform over the full circle, pitch in [-pitch_range, pitch_range],
  // roll in [-roll_range, roll_range] (degrees).
  double pitch_range = 30.0;
  double roll_range = 5.0;
  // k in n = k * |theta| (sub-frames per degree of rotation). 0 chooses k per sample so that no
  // output pixel moves more than max_step_pixels between consecutive sub-frames (no ghosting).
  double frames_per_degree = 0.0;
  double max_step_pixels = 0.5;
  // Upper bound on the number of sub-frames of one sample.
  int max_subframes = 512;

  void Check() const;  // throws InputError
};

struct RotationPath {
  Eigen::Quaterniond start = Eigen::Quaterniond::Identity();  // world_from_cam at t = 0
  Eigen::Quaterniond end = Eigen::Quaterniond::Identity();    // world_from_cam at t = 1
  Eigen::Vector3d euler_delta_deg = Eigen::Vector3d::Zero();   // (yaw, pitch, roll) of the rotation

  // Slerp between start and end, t in [0, 1].
  Eigen::Quaterniond At(double t) const { return start.slerp(t, end); }
  // |theta|: the angle of the rotation from start to end, in degrees.
  double MagnitudeDegrees() const;
};

// Draws a path: start = Euler(yaw, pitch, roll), end = start * Euler(delta) (the rotation is
// applied in the camera's own frame).
RotationPath SampleRotationPath(const RotationPathOptions& options, RandomStream& rng);

// The longest distance, in pixels, that any of a grid of image points travels along the path.
double MaxTrajectoryPixels(const RotationPath& path, const PinholeCamera& camera);

// Number of sub-frames to render: n = k * |theta| (at least `frames`), rounded up to (frames-1)*m+1
// so that the `frames` sharp frames are sub-frames 0, m, 2m, ..., n-1; bounded by max_subframes.
int SubframeCount(const RotationPath& path, const PinholeCamera& camera,
                  const RotationPathOptions& options, int frames);

}  // namespace blurkit::synth
