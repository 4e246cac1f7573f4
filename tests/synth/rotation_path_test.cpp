#include "blurkit/synth/rotation_path.h"

#include <gtest/gtest.h>

#include "blurkit/core/error.h"

namespace blurkit::synth {
namespace {

RotationPath YawPath(double degrees) {
  RotationPath path;
  path.start = QuaternionFromEuler(0, 0, 0);
  path.end = QuaternionFromEuler(degrees, 0, 0);
  return path;
}

TEST(RotationPath, SlerpAtZeroHalfAndOne) {
  RotationPath path;
  path.start = QuaternionFromEuler(20, 10, 0);
  path.end = path.start * QuaternionFromEuler(0, 0, 12);
  EXPECT_TRUE(path.At(0).isApprox(path.start, 1e-12));
  EXPECT_TRUE(path.At(1).isApprox(path.end, 1e-12));
  const Eigen::Quaterniond half = path.At(0.5);
  EXPECT_NEAR(path.start.angularDistance(half), path.end.angularDistance(half), 1e-12);
  EXPECT_NEAR(path.start.angularDistance(half) * 180 / M_PI, 6.0, 1e-9);
  // Halfway about the same axis: start * Euler(0, 0, 6).
  EXPECT_TRUE(half.isApprox(path.start * QuaternionFromEuler(0, 0, 6), 1e-12));
}

TEST(RotationPath, MagnitudeIsTheRotationAngle) {
  EXPECT_NEAR(YawPath(7.5).MagnitudeDegrees(), 7.5, 1e-9);
  RandomStream rng(1, RandomPurpose::kSampleGeometry, 0);
  RotationPathOptions options;
  options.max_angle = 4;
  for (int i = 0; i < 100; ++i) {
    const RotationPath p = SampleRotationPath(options, rng);
    EXPECT_LE(p.euler_delta_deg.cwiseAbs().maxCoeff(), 4.0);
    EXPECT_LE(p.MagnitudeDegrees(), 4.0 * std::sqrt(3.0) + 1e-9);
  }
}

TEST(RotationPath, FrameCountGrowsLinearlyWithAngle) {
  const PinholeCamera cam = PinholeCamera::FromHorizontalFov(256, 256, 60);
  RotationPathOptions options;
  options.frames_per_degree = 4;  // n = k |theta|, as in the paper
  EXPECT_EQ(SubframeCount(YawPath(5), cam, options, 3), 21);   // 20 -> (3-1)*m+1 = 21
  EXPECT_EQ(SubframeCount(YawPath(10), cam, options, 3), 41);  // 40 -> 41
  EXPECT_EQ(SubframeCount(YawPath(10), cam, options, 7), 43);  // 40 -> 6*7+1
  // Auto: about (trajectory length / 0.5 px), so twice the angle gives about twice the frames
  // (slightly more: perspective makes image points move faster than the angle towards the edges).
  options.frames_per_degree = 0;
  const int n5 = SubframeCount(YawPath(5), cam, options, 7);
  const int n10 = SubframeCount(YawPath(10), cam, options, 7);
  EXPECT_GE(double(n10 - 1) / (n5 - 1), 1.95);
  EXPECT_LE(double(n10 - 1) / (n5 - 1), 2.2);
  // A 5 degree yaw moves the image centre by focal * tan(5 deg) = 19.4 px -> at least 39 steps.
  EXPECT_GE(n5 - 1, 2 * cam.focal * std::tan(5 * M_PI / 180));
  EXPECT_EQ((n5 - 1) % 6, 0);
}

TEST(RotationPath, FrameCountIsBoundedAndAtLeastF) {
  const PinholeCamera cam = PinholeCamera::FromHorizontalFov(256, 256, 60);
  RotationPathOptions options;
  options.max_subframes = 50;
  const int n = SubframeCount(YawPath(40), cam, options, 7);
  EXPECT_LE(n, 50);
  EXPECT_EQ((n - 1) % 6, 0);
  EXPECT_EQ(SubframeCount(YawPath(0), cam, options, 7), 7);
}

TEST(RotationPath, OptionsCheckRejectsNonsense) {
  RotationPathOptions options;
  options.max_angle = -1;
  EXPECT_THROW(options.Check(), InputError);
  options = {};
  options.max_subframes = 1;
  EXPECT_THROW(options.Check(), InputError);
}

}  // namespace
}  // namespace blurkit::synth
