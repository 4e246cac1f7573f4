#include "blurkit/synth/rotation_path.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "blurkit/core/error.h"

namespace blurkit::synth {
namespace {

RotationPath YawPath(double degrees) {
  RotationPath path = RotationPath::Slerp(QuaternionFromEuler(0, 0, 0),
                                          QuaternionFromEuler(degrees, 0, 0));
  return path;
}

TEST(RotationPath, SlerpAtZeroHalfAndOne) {
  const Eigen::Quaterniond start = QuaternionFromEuler(20, 10, 0);
  const RotationPath path = RotationPath::Slerp(start, start * QuaternionFromEuler(0, 0, 12));
  EXPECT_TRUE(path.At(0).isApprox(path.start(), 1e-12));
  EXPECT_TRUE(path.At(1).isApprox(path.end(), 1e-12));
  const Eigen::Quaterniond half = path.At(0.5);
  EXPECT_NEAR(path.start().angularDistance(half), path.end().angularDistance(half), 1e-12);
  EXPECT_NEAR(path.start().angularDistance(half) * 180 / M_PI, 6.0, 1e-9);
  // Halfway about the same axis: start * Euler(0, 0, 6).
  EXPECT_TRUE(half.isApprox(path.start() * QuaternionFromEuler(0, 0, 6), 1e-12));
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


// ---------------------------------------------------------------------------------------------
// shake: Boracchi & Foi's walk lifted to rotations

RotationPathOptions ShakeOptionsFor(double gaussian, double centripetal, double big, double anxiety,
                                    double roll = 0) {
  RotationPathOptions o;
  o.trajectory = TrajectoryKind::kShake;
  o.max_angle = 6;
  o.shake.fixed = true;
  o.shake.gaussian = gaussian;
  o.shake.centripetal = centripetal;
  o.shake.big_shakes = big;
  o.shake.anxiety = anxiety;
  o.shake.roll = roll;
  return o;
}

// Mean of path angle / chord angle over paths 0..count-1 of seed 7.
double MeanPathOverChord(const RotationPathOptions& o, int count) {
  double sum = 0;
  for (int i = 0; i < count; ++i) {
    RandomStream rng(7, RandomPurpose::kSampleGeometry, i);
    const RotationPath p = SampleRotationPath(o, rng);
    sum += p.MagnitudeDegrees() / p.ChordDegrees();
  }
  return sum / count;
}

TEST(ShakePath, ConstantAngularSpeedAndTheDrawnAngle) {
  RotationPathOptions o;
  o.trajectory = TrajectoryKind::kShake;
  o.max_angle = 5;
  for (int i = 0; i < 20; ++i) {
    RandomStream rng(3, RandomPurpose::kSampleGeometry, i);
    const RotationPath p = SampleRotationPath(o, rng);
    ASSERT_EQ(p.knots.size(), 2000u);
    EXPECT_DOUBLE_EQ(p.times.front(), 0.0);
    EXPECT_DOUBLE_EQ(p.times.back(), 1.0);
    // The path's angle is the angle of the drawn Euler rotation, as for slerp.
    const Eigen::Quaterniond turn =
        QuaternionFromEuler(p.euler_delta_deg.x(), p.euler_delta_deg.y(), p.euler_delta_deg.z());
    const double drawn = Eigen::AngleAxisd(turn).angle() * 180 / M_PI;
    EXPECT_NEAR(p.MagnitudeDegrees(), drawn, 1e-6 * drawn + 1e-9);
    // Constant angular speed: every step turns by the same angle.
    const double step = p.knots[0].angularDistance(p.knots[1]);
    for (size_t k = 1; k + 1 < p.knots.size(); k += 97) {
      EXPECT_NEAR(p.knots[k].angularDistance(p.knots[k + 1]), step, 1e-9);
    }
    EXPECT_LE(p.ChordDegrees(), p.MagnitudeDegrees() + 1e-9);
  }
}

TEST(ShakePath, WithoutRandomTermsItIsAGreatCircle) {
  // No Gaussian term, no pull, no big shakes, no roll: the direction never changes, so the camera
  // turns about one fixed axis: path angle = chord angle.
  const RotationPathOptions o = ShakeOptionsFor(0, 0, 0, 0.1);
  EXPECT_NEAR(MeanPathOverChord(o, 10), 1.0, 1e-6);
}

TEST(ShakePath, IsNotAGreatCircleAndFollowsItsParameters) {
  // The defaults (parameters drawn per path) bend the path: path angle over chord angle > 1.
  RotationPathOptions defaults;
  defaults.trajectory = TrajectoryKind::kShake;
  defaults.max_angle = 6;
  const double drawn = MeanPathOverChord(defaults, 60);
  EXPECT_GT(drawn, 1.05);
  // A stronger Gaussian term bends more; a stronger pull back towards the start bends more.
  const double calm = MeanPathOverChord(ShakeOptionsFor(2, 0, 0, 0.1), 40);
  const double shaky = MeanPathOverChord(ShakeOptionsFor(10, 0, 0, 0.1), 40);
  const double pulled = MeanPathOverChord(ShakeOptionsFor(2, 0.7, 0, 0.1), 40);
  EXPECT_GT(calm, 1.0 + 1e-4);
  EXPECT_GT(shaky, calm * 1.05) << calm << " vs " << shaky;
  EXPECT_GT(pulled, calm * 1.05) << calm << " vs " << pulled;
}

TEST(ShakePath, BigShakesReverseTheDirectionAtTheirRate) {
  // With only big shakes (no Gaussian or centripetal term) the direction changes only at a big
  // shake, which turns it by pi + U(-0.5, 0.5) rad before renormalising: count sharp turns.
  const RotationPathOptions o = ShakeOptionsFor(0, 0, 0.2, 1.0);
  int64_t turns = 0, steps = 0;
  for (int i = 0; i < 40; ++i) {
    RandomStream rng(11, RandomPurpose::kSampleGeometry, i);
    const RotationPath p = SampleRotationPath(o, rng);
    for (size_t k = 1; k + 1 < p.knots.size(); ++k) {
      // The axis of step k in the camera frame.
      const Eigen::AngleAxisd a(p.knots[k - 1].conjugate() * p.knots[k]);
      const Eigen::AngleAxisd b(p.knots[k].conjugate() * p.knots[k + 1]);
      if (a.axis().dot(b.axis()) < 0) ++turns;
      ++steps;
    }
  }
  // Expected probability big * anxiety = 0.2 per step; a big shake v + 2v e^{i(pi+d)} points
  // backwards whenever cos(d) > 1/2, i.e. always for |d| <= 0.5. 40 x 1998 steps: 15984 expected,
  // binomial sd 113; 5% is more than 7 sd.
  const double rate = double(turns) / steps;
  EXPECT_NEAR(rate, 0.2, 0.01) << turns << " of " << steps;
}

TEST(ShakePath, RollFollowsItsFlag) {
  auto max_roll_rate = [](double roll) {
    const RotationPathOptions o = ShakeOptionsFor(5, 0.3, 0, 0.1, roll);
    double largest = 0;
    for (int i = 0; i < 5; ++i) {
      RandomStream rng(5, RandomPurpose::kSampleGeometry, i);
      const RotationPath p = SampleRotationPath(o, rng);
      for (size_t k = 0; k + 1 < p.knots.size(); ++k) {
        const Eigen::AngleAxisd a(p.knots[k].conjugate() * p.knots[k + 1]);
        largest = std::max(largest, std::abs(a.axis().z()));
      }
    }
    return largest;
  };
  EXPECT_LT(max_roll_rate(0), 1e-9);
  const double some = max_roll_rate(0.2);
  EXPECT_GT(some, 0.02);
  // |z| of the axis (r s, ...) / |(.., .., r s)| with s <= 1: at most r / sqrt(1 + r^2).
  EXPECT_LE(some, 0.2 / std::sqrt(1.04) + 1e-9);
}

TEST(ShakePath, SameSeedSameKnotsAndOptionsChecked) {
  RotationPathOptions o;
  o.trajectory = TrajectoryKind::kShake;
  RandomStream a(1, RandomPurpose::kSampleGeometry, 4), b(1, RandomPurpose::kSampleGeometry, 4);
  const RotationPath pa = SampleRotationPath(o, a), pb = SampleRotationPath(o, b);
  for (size_t k = 0; k < pa.knots.size(); ++k) ASSERT_EQ(pa.knots[k].coeffs(), pb.knots[k].coeffs());
  o.shake.steps = 1;
  EXPECT_THROW(o.Check(), InputError);
  o.shake.steps = 100;
  o.shake.anxiety = -1;
  EXPECT_THROW(o.Check(), InputError);
}

// ---------------------------------------------------------------------------------------------
// gyro

TEST(GyroPath, ConstantRateIntegratesToTheExponential) {
  // A constant body rate w for T seconds turns the camera to start * exp([w] T), whatever the
  // (irregular) sampling.
  const Eigen::Vector3d w(0.3, -0.5, 0.2);  // rad/s
  std::vector<double> t;
  std::vector<Eigen::Vector3d> rates;
  double now = 0;
  for (int k = 0; k < 200; ++k) {
    t.push_back(now);
    rates.push_back(w);
    now += 0.004 + 0.006 * ((k * 37) % 11) / 10.0;  // 4 to 10 ms steps
  }
  auto log = GyroLog::FromSamples(t, rates);
  RotationPathOptions o;
  o.trajectory = TrajectoryKind::kGyro;
  o.gyro = log;
  o.exposure_time = 0.25;
  o.Check();
  RandomStream rng(2, RandomPurpose::kSampleGeometry, 0);
  const RotationPath p = SampleRotationPath(o, rng);
  const Eigen::Quaterniond expected =
      p.start() * Eigen::Quaterniond(Eigen::AngleAxisd(w.norm() * 0.25, w.normalized()));
  EXPECT_LT(p.end().angularDistance(expected), 1e-9);
  EXPECT_NEAR(p.MagnitudeDegrees(), w.norm() * 0.25 * 180 / M_PI, 1e-7);
  EXPECT_NEAR(p.ChordDegrees(), p.MagnitudeDegrees(), 1e-7);
  // Halfway in time is halfway in angle.
  const Eigen::Quaterniond half =
      p.start() * Eigen::Quaterniond(Eigen::AngleAxisd(w.norm() * 0.125, w.normalized()));
  EXPECT_LT(p.At(0.5).angularDistance(half), 1e-9);
  EXPECT_GT(p.knots.size(), 25u);  // every log sample inside the window is a knot
}

TEST(GyroPath, VaryingRateUsesTheTrapezoidalRule) {
  // Yaw rate rising linearly from 0 to 2 rad/s over 1 s: the angle is the integral, 1 rad.
  std::vector<double> t;
  std::vector<Eigen::Vector3d> rates;
  for (int k = 0; k <= 100; ++k) {
    t.push_back(k * 0.01);
    rates.emplace_back(0, 2.0 * k * 0.01, 0);
  }
  std::vector<double> times;
  std::vector<Eigen::Quaterniond> knots;
  GyroLog::FromSamples(t, rates)->Integrate(0.0, 1.0, Eigen::Quaterniond::Identity(), &times, &knots);
  EXPECT_NEAR(knots.back().angularDistance(Eigen::Quaterniond::Identity()), 1.0, 1e-9);
  // About +y: a yaw to the right (synth/camera.h).
  EXPECT_LT(knots.back().angularDistance(QuaternionFromEuler(180 / M_PI, 0, 0)), 1e-9);
  // A window that starts and ends between samples.
  GyroLog::FromSamples(t, rates)->Integrate(0.105, 0.5, Eigen::Quaterniond::Identity(), &times, &knots);
  const double expected = (0.605 * 0.605 - 0.105 * 0.105);  // integral of 2t dt
  EXPECT_NEAR(knots.back().angularDistance(Eigen::Quaterniond::Identity()), expected, 1e-9);
  EXPECT_DOUBLE_EQ(times.front(), 0.0);
  EXPECT_DOUBLE_EQ(times.back(), 1.0);
}

class GyroFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("blurkit_gyro_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  std::string ErrorOf(const std::filesystem::path& file) {
    try {
      GyroLog::Load(file);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
  std::filesystem::path dir_;
};

TEST_F(GyroFileTest, ReadsHeaderCommentsAndEachSeparator) {
  auto log = GyroLog::Load(Write("a.csv", "t,wx,wy,wz\n# phone\n0,0.1,0.2,0.3\n0.01,0.1,0.2,0.3\r\n"
                                          "0.025,0.1,0.2,0.3\n\n0.03,0,0,0\n"));
  EXPECT_EQ(log->size(), 4u);
  EXPECT_NEAR(log->duration(), 0.03, 1e-12);
  EXPECT_EQ(log->name(), "a.csv");
  EXPECT_EQ(log->sha256().size(), 64u);
  // One delimiter a file, found from its first line: semicolons, tabs, runs of spaces.
  for (const char* text : {"t;wx;wy;wz\n0;0.1;0.2;0.3\n0.03;0;0;0\n", "0\t0.1\t0.2\t0.3\n0.03\t0\t0\t0\n",
                           "# t wx wy wz\n0  0.1 0.2 0.3\n  0.03 0 0 0\n"}) {
    auto other = GyroLog::Load(Write("b.csv", text));
    EXPECT_EQ(other->size(), 2u) << text;
    EXPECT_NEAR(other->duration(), 0.03, 1e-12) << text;
  }
}

TEST_F(GyroFileTest, BadFilesNameTheFileAndTheLine) {
  std::string e = ErrorOf(dir_ / "missing.csv");
  EXPECT_NE(e.find("missing.csv: cannot open"), std::string::npos) << e;
  e = ErrorOf(Write("b.csv", "t,wx,wy,wz\n0,0,0,0\n0.01,0,zero,0\n"));
  EXPECT_NE(e.find("b.csv:3: expected 4 numbers"), std::string::npos) << e;
  e = ErrorOf(Write("c.csv", "0,0,0,0\n0.01,0,0\n"));
  EXPECT_NE(e.find("c.csv:2: expected 4 numbers"), std::string::npos) << e;
  e = ErrorOf(Write("d.csv", "0,0,0,0\n0.01,0,0,0\n0.01,0,0,0\n"));
  EXPECT_NE(e.find("d.csv:3: time 0.01 s does not increase"), std::string::npos) << e;
  e = ErrorOf(Write("e.csv", "t,wx,wy,wz\n0,0,0,0\n"));
  EXPECT_NE(e.find("e.csv: a gyroscope log needs at least two samples, found 1"), std::string::npos) << e;
  e = ErrorOf(Write("f.csv", "0,0,0,0\n0.01,nan,0,0\n"));
  EXPECT_NE(e.find("f.csv:2: NaN"), std::string::npos) << e;
}

TEST_F(GyroFileTest, ALogShorterThanTheExposureIsRefused) {
  RotationPathOptions o;
  o.trajectory = TrajectoryKind::kGyro;
  EXPECT_THROW(o.Check(), InputError);  // no log
  o.gyro = GyroLog::Load(Write("short.csv", "0,0,0,0\n0.02,0,0,0\n"));
  o.exposure_time = 0.05;
  try {
    o.Check();
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("short.csv: the log covers 0.02 s, shorter than "
                                         "--exposure-time 0.05 s"),
              std::string::npos)
        << e.what();
  }
  o.exposure_time = 0.01;
  EXPECT_NO_THROW(o.Check());
}

}  // namespace
}  // namespace blurkit::synth
