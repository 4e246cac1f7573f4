#include "blurkit/synth/rotation_blur.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "test_panoramas.h"

namespace blurkit::synth {
namespace {

RotationPath Path(double yaw0, double pitch0, double yaw1, double pitch1, double roll1 = 0) {
  RotationPath path = RotationPath::Slerp(QuaternionFromEuler(yaw0, pitch0, 0),
                                          QuaternionFromEuler(yaw1, pitch1, roll1));
  return path;
}

RotationBlurOptions Options(int size, double fov, int frames) {
  RotationBlurOptions options;
  options.width = options.height = size;
  options.fov = fov;
  options.frames = frames;
  return options;
}

TEST(RotationBlur, OneColourPanoramaBlursToThatColour) {
  auto pano = Panorama::FromLinear(testing::ConstantPanorama(256, {0.1f, 0.4f, 0.8f}));
  const RotationRender r = RenderRotationBlur(*pano, Options(64, 60, 5), Path(0, 0, 8, 5, 3));
  cv::Scalar mean, stddev;
  cv::meanStdDev(r.blurred, mean, stddev);
  EXPECT_NEAR(mean[0], 0.1, 1e-5);
  EXPECT_NEAR(mean[1], 0.4, 1e-5);
  EXPECT_NEAR(mean[2], 0.8, 1e-5);
  EXPECT_LT(stddev[2], 1e-5);
  EXPECT_EQ(r.sharp.size(), 5u);
}

TEST(RotationBlur, VerticalLineUnderYawGivesHorizontalStreakOfExpectedLengthAndEnergy) {
  // A thin vertical line at longitude 0; the camera turns from yaw -5 to +5 degrees, so the line
  // sweeps the centre row from x = cx + f tan(5) to cx - f tan(5).
  auto pano = Panorama::FromLinear(testing::VerticalLinePanorama(1024));
  for (RenderMethod method : {RenderMethod::kCanvas, RenderMethod::kDirect}) {
    RotationBlurOptions options = Options(128, 60, 3);
    options.method = method;
    const RotationRender r = RenderRotationBlur(*pano, options, Path(-5, 0, 5, 0));
    const PinholeCamera cam = options.Camera();
    const double expected_length = 2 * cam.focal * std::tan(5 * M_PI / 180);  // 19.4 px
    const cv::Mat row = r.blurred.row(64);
    double energy_blurred = 0, energy_sharp = 0;
    for (int x = 0; x < 128; ++x) {
      energy_blurred += row.at<cv::Vec3f>(0, x)[1];
      energy_sharp += r.sharp[1].at<cv::Vec3f>(64, x)[1];
    }
    // The streak: pixels holding at least a quarter of the uniform streak density.
    const double threshold = 0.25 * energy_blurred / expected_length;
    int first = -1, last = -1;
    for (int x = 0; x < 128; ++x) {
      if (row.at<cv::Vec3f>(0, x)[1] > threshold) {
        if (first < 0) first = x;
        last = x;
      }
    }
    EXPECT_NEAR(last - first, expected_length, 3.0) << (method == RenderMethod::kCanvas);
    // Energy: the line is one panorama pixel (2 pi / 2048 rad) wide with value 1, and a row of the
    // output samples 1 / focal rad per pixel, so a row holds focal * 2 pi / 2048 in any frame.
    // The blurred row averages many sub-pixel phases and must match it closely; a single sharp
    // frame samples one phase of a one-pixel-wide line, which only roughly conserves it.
    const double line_energy = cam.focal * 2 * M_PI / 2048;
    EXPECT_NEAR(energy_blurred, line_energy, 0.03 * line_energy);
    EXPECT_NEAR(energy_sharp, line_energy, 0.15 * line_energy);
    EXPECT_NEAR(0.5 * (first + last), cam.cx, 1.5);
    // Above and below the streak the line stays a line: rows are alike (pure yaw).
    EXPECT_NEAR(cv::sum(r.blurred.row(30))[1], energy_blurred, 0.05 * energy_blurred);
    EXPECT_GT(r.subframes, 2 * expected_length);
  }
}

// Intensity-weighted mean and variance of the x position along one row (green channel).
std::pair<double, double> RowMoments(const cv::Mat& image, int y) {
  double w = 0, m = 0, m2 = 0;
  for (int x = 0; x < image.cols; ++x) {
    const double v = image.at<cv::Vec3f>(y, x)[1];
    w += v, m += v * x, m2 += v * x * x;
  }
  m /= w;
  return {m, m2 / w - m * m};
}

TEST(RotationBlur, ARollingShutterShearsALineByFOmegaReadoutAndBlursEveryRowByFOmegaExposure) {
  // A vertical line and a constant yaw rate: the camera turns 6 degrees in the exposure (20 ms) and
  // goes on turning through the 10 ms readout. Row y sees the turn y / (H - 1) * 10 ms later.
  auto pano = Panorama::FromLinear(testing::VerticalLinePanorama(1024));
  for (RenderMethod method : {RenderMethod::kCanvas, RenderMethod::kDirect}) {
    SCOPED_TRACE(method == RenderMethod::kCanvas ? "canvas" : "direct");
    RotationBlurOptions options = Options(96, 60, 3);
    options.method = method;
    options.rolling_targets = true;
    const double exposure = 0.020, readout = 0.010, turn = 6.0;
    RotationPath path = Path(-3, 0, 3, 0);
    ExtendSlerpForReadout(&path, exposure, readout);
    EXPECT_NEAR(path.readout_share, readout / (exposure + readout), 1e-12);
    const RotationRender r = RenderRotationBlur(*pano, options, path);
    const PinholeCamera cam = options.Camera();
    // Rolling-shutter targets: the line's x in the first target shears between the top and bottom
    // rows by the turn during the readout, f * (tan(a_bottom) - tan(a_top)) ~ f * w * r.
    const double w = turn / exposure * M_PI / 180;  // rad/s
    const double a_top = -3 * M_PI / 180, a_bottom = a_top + w * readout;
    const double shear_expected = cam.focal * (std::tan(a_bottom) - std::tan(a_top));  // 5.0 px
    const double shear = RowMoments(r.sharp[0], 2).first - RowMoments(r.sharp[0], 93).first;
    EXPECT_NEAR(std::abs(shear), shear_expected * 91.0 / 95.0, 0.5) << shear;
    // Global-shutter targets (the default): no shear.
    RotationBlurOptions global = options;
    global.rolling_targets = false;
    const RotationRender g = RenderRotationBlur(*pano, global, path);
    EXPECT_NEAR(RowMoments(g.sharp[0], 2).first, RowMoments(g.sharp[0], 93).first, 0.1);
    // Every row's blur: a uniform streak of length L has variance L^2 / 12 over the line's own,
    // and L = f * w * exposure (tan, per row), within 0.5 px for every row sampled.
    const RotationRender still = RenderRotationBlur(*pano, global, Path(0, 0, 0, 0));
    for (int y : {2, 24, 48, 72, 93}) {
      const double v = y / 95.0;
      const double a0 = a_top + w * readout * v, a1 = a0 + w * exposure;
      const double length_expected = cam.focal * (std::tan(a1) - std::tan(a0));
      const double spread = RowMoments(r.blurred, y).second - RowMoments(still.blurred, y).second;
      EXPECT_NEAR(std::sqrt(12 * spread), length_expected, 0.5) << "row " << y;
    }
    // The whole readout is in the trajectory; the blur magnitude is one row's turn.
    EXPECT_NEAR(r.magnitude_degrees, turn, 1e-6);
    EXPECT_NEAR(Eigen::AngleAxisd(r.trajectory.front().conjugate() * r.trajectory.back()).angle() * 180 / M_PI,
                turn * (exposure + readout) / exposure, 1e-6);
  }
}

TEST(RotationBlur, AReadoutManyExposuresLongKeepsTurningTheSameWay) {
  // 13.8 degrees in a 2 ms exposure and a 30 ms readout: 221 degrees in all. Slerp between knots
  // takes the shorter arc, so the extension needs knots under 180 degrees apart to keep going.
  const double per_exposure = 13.8 * M_PI / 180, exposure = 0.002, readout = 0.030;
  RotationPath path = RotationPath::Slerp(Eigen::Quaterniond::Identity(),
                                          Eigen::Quaterniond(Eigen::AngleAxisd(per_exposure, Eigen::Vector3d::UnitY())));
  ExtendSlerpForReadout(&path, exposure, readout);
  for (int k = 0; k <= 64; ++k) {
    const double tau = k / 64.0, angle = per_exposure * (1 + readout / exposure) * tau;
    const Eigen::Quaterniond q = path.At(tau);
    const double sign = q.w() * std::cos(angle / 2) + q.y() * std::sin(angle / 2) >= 0 ? 1 : -1;
    EXPECT_NEAR(sign * q.w(), std::cos(angle / 2), 1e-9) << tau;
    EXPECT_NEAR(sign * q.y(), std::sin(angle / 2), 1e-9) << tau;
  }
  EXPECT_NEAR(path.ExposureMagnitudeDegrees(), 13.8, 1e-9);  // one row's turn
}

TEST(RotationBlur, HomographyWarpsMiddleFrameOntoFrameJ) {
  auto pano = Panorama::FromLinear(testing::SmoothPanorama(512));
  const RotationBlurOptions options = Options(96, 60, 5);
  const RotationRender r = RenderRotationBlur(*pano, options, Path(30, 10, 36, 6, 4));
  ASSERT_EQ(r.homographies.size(), 5u);
  EXPECT_TRUE(r.homographies[2].isApprox(Eigen::Matrix3d::Identity(), 1e-9));
  for (int j : {0, 1, 3, 4}) {
    cv::Mat h(3, 3, CV_64F);
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) h.at<double>(a, b) = r.homographies[j](a, b);
    cv::Mat warped, valid;
    cv::warpPerspective(r.sharp[2], warped, h, r.sharp[j].size(), cv::INTER_LINEAR,
                        cv::BORDER_CONSTANT, cv::Scalar::all(-1));
    double diff = 0;
    int count = 0;
    for (int y = 0; y < 96; ++y) {
      for (int x = 0; x < 96; ++x) {
        const cv::Vec3f w = warped.at<cv::Vec3f>(y, x);
        if (w[0] < 0) continue;  // outside the middle frame
        diff += std::abs(w[0] - r.sharp[j].at<cv::Vec3f>(y, x)[0]);
        ++count;
      }
    }
    EXPECT_GT(count, 96 * 96 / 2);
    EXPECT_LT(diff / count, 0.01) << "frame " << j;
  }
  // Orientations are the path's ends and middle.
  EXPECT_TRUE(r.orientations.front().isApprox(QuaternionFromEuler(30, 10, 0), 1e-9));
  EXPECT_TRUE(r.orientations.back().isApprox(QuaternionFromEuler(36, 6, 4), 1e-9));
}

TEST(RotationBlur, CanvasMethodMatchesDirectSampling) {
  auto pano = Panorama::FromLinear(testing::SmoothPanorama(512));
  RotationBlurOptions canvas = Options(96, 60, 3), direct = canvas;
  direct.method = RenderMethod::kDirect;
  const RotationPath path = Path(-40, -20, -31, -14, 6);
  const RotationRender a = RenderRotationBlur(*pano, canvas, path);
  const RotationRender b = RenderRotationBlur(*pano, direct, path);
  EXPECT_TRUE(a.used_canvas);
  EXPECT_FALSE(b.used_canvas);
  EXPECT_EQ(a.subframes, b.subframes);
  EXPECT_LT(cv::norm(a.blurred, b.blurred, cv::NORM_L1) / (96 * 96 * 3), 0.004);
  for (int j = 0; j < 3; ++j) {
    EXPECT_LT(cv::norm(a.sharp[j], b.sharp[j], cv::NORM_L1) / (96 * 96 * 3), 0.006) << j;
  }
}

TEST(RotationBlur, HugeRotationFallsBackToDirectRendering) {
  auto pano = Panorama::FromLinear(testing::SmoothPanorama(256));
  RotationBlurOptions options = Options(32, 90, 3);
  options.path.max_subframes = 64;
  const RotationRender r = RenderRotationBlur(*pano, options, Path(0, 0, 150, 0));
  EXPECT_FALSE(r.used_canvas);
  EXPECT_NEAR(r.magnitude_degrees, 150, 1e-6);
  EXPECT_LE(r.subframes, 64);
}


TEST(RotationBlur, BlurredImageIsTheAverageOfTheViewsAlongTheStoredPathForEveryKind) {
  // For slerp, shake and gyro paths: the stored trajectory holds the n sub-frames at evenly
  // spaced times (both ends included), the sharp frames are among them, and the blurred image is
  // the mean of the views at those orientations (exactly, when each is sampled from the sphere;
  // within the canvas warp's resampling otherwise).
  auto pano = Panorama::FromLinear(testing::SmoothPanorama(256));
  std::vector<double> t;
  std::vector<Eigen::Vector3d> rates;
  for (int k = 0; k < 100; ++k) {
    t.push_back(0.01 * k);
    rates.emplace_back(0.4 * std::sin(0.3 * k), 0.6 * std::cos(0.2 * k), 0.1);
  }
  for (TrajectoryKind kind : {TrajectoryKind::kSlerp, TrajectoryKind::kShake, TrajectoryKind::kGyro}) {
    RotationBlurOptions options = Options(48, 60, 5);
    options.path.trajectory = kind;
    options.path.max_angle = 5;
    options.path.gyro = GyroLog::FromSamples(t, rates);
    options.path.exposure_time = 0.5;
    RandomStream rng(9, RandomPurpose::kSampleGeometry, static_cast<uint64_t>(kind));
    const RotationPath path = SampleRotationPath(options.path, rng);
    for (RenderMethod method : {RenderMethod::kDirect, RenderMethod::kCanvas}) {
      options.method = method;
      const RotationRender r = RenderRotationBlur(*pano, options, path);
      const int n = r.subframes;
      ASSERT_EQ(static_cast<int>(r.trajectory.size()), n) << ToString(kind);
      const int level = pano->LevelFor(options.Camera().PixelAngle());
      cv::Mat mean = cv::Mat::zeros(48, 48, CV_32FC3);
      for (int i = 0; i < n; ++i) {
        EXPECT_LT(r.trajectory[i].angularDistance(path.At(double(i) / (n - 1))), 1e-12);
        mean += pano->Render(options.Camera(), r.trajectory[i], level);
      }
      mean /= static_cast<double>(n);
      EXPECT_LT(r.trajectory.front().angularDistance(path.start()), 1e-12);
      EXPECT_LT(r.trajectory.back().angularDistance(path.end()), 1e-12);
      for (int j = 0; j < 5; ++j) {
        EXPECT_LT(r.orientations[j].angularDistance(r.trajectory[j * (n - 1) / 4]), 1e-15);
      }
      const double error = cv::norm(mean, r.blurred, cv::NORM_INF);
      if (method == RenderMethod::kDirect) {
        EXPECT_LT(error, 1e-5) << ToString(kind);
      } else {
        EXPECT_LT(error, 0.02) << ToString(kind);  // the canvas' second bilinear interpolation
      }
      EXPECT_NEAR(r.magnitude_degrees, path.MagnitudeDegrees(), 1e-12);
    }
  }
}

}  // namespace
}  // namespace blurkit::synth
