#include "blurkit/synth/photo.h"

#include <gtest/gtest.h>

#include <iostream>
#include <opencv2/core.hpp>

#include "blurkit/synth/panorama.h"
#include "blurkit/synth/rotation_blur.h"

namespace blurkit::synth {
namespace {

// A panorama with detail at about a 17-pixel period (60 cycles around the equator at 1024 wide).
cv::Mat TexturedPanorama(int height) {
  cv::Mat p(height, 2 * height, CV_32FC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < 2 * height; ++x) {
      const double lon = (x + 0.5) / (2 * height) * 2 * M_PI, lat = (y + 0.5) / height * M_PI;
      const float a = static_cast<float>(0.5 + 0.4 * std::sin(60 * lon) * std::sin(50 * lat));
      const float b = static_cast<float>(0.5 + 0.4 * std::cos(45 * lon + 30 * lat));
      p.at<cv::Vec3f>(y, x) = {a, b, 0.5f * (a + b)};
    }
  }
  return p;
}

double Psnr(const cv::Mat& a, const cv::Mat& b) {
  const double mse = cv::norm(a, b, cv::NORM_L2SQR) / (a.total() * a.channels());
  return 10 * std::log10(1.0 / std::max(mse, 1e-20));
}

RotationBlurOptions ViewOptions() {
  RotationBlurOptions o;
  o.width = o.height = 64;
  o.fov = 30;
  o.frames = 5;
  return o;
}

TEST(Photo, CameraFollowsTheConventionsAndThePyramid) {
  auto photo = Photo::FromLinear(cv::Mat(300, 401, CV_32FC3, cv::Scalar::all(0.5)), 90);
  const PinholeCamera c = photo->Camera(0);
  EXPECT_DOUBLE_EQ(c.cx, 200.0);
  EXPECT_DOUBLE_EQ(c.cy, 149.5);
  EXPECT_NEAR(c.focal, 200.5, 1e-9);  // (W / 2) / tan(45 deg)
  ASSERT_GE(photo->levels(), 3);
  // pyrDown puts level-(l+1) pixel i on level-l pixel 2i: K scales by 1/2.
  EXPECT_DOUBLE_EQ(photo->Camera(1).focal, c.focal / 2);
  EXPECT_DOUBLE_EQ(photo->Camera(1).cx, 100.0);
  EXPECT_EQ(photo->Camera(1).width, 201);
  // The coarsest level still at least as dense as the view.
  EXPECT_EQ(photo->LevelFor(1.0 / c.focal), 0);
  EXPECT_EQ(photo->LevelFor(1.0 / (c.focal / 2)), 1);
  EXPECT_EQ(photo->LevelFor(1.0 / (c.focal / 3)), 1);
  EXPECT_EQ(photo->LevelFor(1.0 / (c.focal / 4.5)), 2);
}

TEST(Photo, ContainsAndStartRanges) {
  auto photo = Photo::FromLinear(cv::Mat(300, 400, CV_32FC3, cv::Scalar::all(0.5)), 60);
  const PinholeCamera view = PinholeCamera::FromHorizontalFov(64, 64, 20);
  double yaw = 0, pitch = 0;
  photo->StartRanges(view, &yaw, &pitch);
  EXPECT_GT(yaw, 15);  // 30 - 10 degrees, less for the narrower vertical extent
  EXPECT_LT(yaw, 20.5);
  EXPECT_GT(pitch, 5);
  EXPECT_LT(pitch, yaw);
  EXPECT_TRUE(photo->Contains(view, Eigen::Quaterniond::Identity()));
  EXPECT_TRUE(photo->Contains(view, QuaternionFromEuler(yaw - 0.5, 0, 0)));
  EXPECT_FALSE(photo->Contains(view, QuaternionFromEuler(yaw + 0.5, 0, 0)));
  EXPECT_TRUE(photo->Contains(view, QuaternionFromEuler(0, -(pitch - 0.5), 0)));
  EXPECT_FALSE(photo->Contains(view, QuaternionFromEuler(0, pitch + 0.5, 0)));
  EXPECT_FALSE(photo->Contains(view, QuaternionFromEuler(180, 0, 0)));  // behind the camera
  // A view wider than the photo has no room at all.
  photo->StartRanges(PinholeCamera::FromHorizontalFov(64, 64, 70), &yaw, &pitch);
  EXPECT_LT(yaw, 0);
}

// Renders blur along one path from a panorama and from a wide pinhole photo of it: returns the
// lowest PSNR over the sharp frames and the blurred image's PSNR.
std::pair<double, double> PhotoAgainstPanorama(int pano_height, int view_size, double view_fov) {
  // A wide pinhole view rendered from a panorama is a photo; blur rendered from that photo along a
  // path must give the frames the panorama gives along the same path, expressed in the world
  // (world_from_cam = world_from_photo * photo_from_cam).
  auto pano = Panorama::FromLinear(TexturedPanorama(pano_height));
  const Eigen::Quaterniond world_from_photo = QuaternionFromEuler(30, 10, 0);
  const PinholeCamera photo_camera = PinholeCamera::FromHorizontalFov(1200, 900, 100);
  auto photo = Photo::FromLinear(pano->Render(photo_camera, world_from_photo, 0), 100);

  const Eigen::Quaterniond start = QuaternionFromEuler(5, -3, 2);
  const RotationPath in_photo = RotationPath::Slerp(start, start * QuaternionFromEuler(4, 2, 1));
  RotationPath in_world = in_photo;
  for (auto& q : in_world.knots) q = world_from_photo * q;
  RotationBlurOptions options = ViewOptions();
  options.width = options.height = view_size;
  options.fov = view_fov;
  options.method = RenderMethod::kDirect;
  EXPECT_TRUE(PathInsidePhoto(*photo, options, in_photo));
  const RotationRender from_photo = RenderRotationBlur(*photo, options, in_photo);
  const RotationRender from_pano = RenderRotationBlur(*pano, options, in_world);
  EXPECT_EQ(from_photo.subframes, from_pano.subframes);
  double worst = 1e9;
  for (int j = 0; j < options.frames; ++j) {
    worst = std::min(worst, Psnr(from_photo.sharp[j], from_pano.sharp[j]));
    EXPECT_LT(from_photo.orientations[j].angularDistance(in_photo.At(j / 4.0)), 1e-12);
    EXPECT_TRUE(from_photo.homographies[j].isApprox(from_pano.homographies[j], 1e-9));
  }
  return {worst, Psnr(from_photo.blurred, from_pano.blurred)};
}

TEST(Photo, PhotoOfAPanoramaGivesThePanoramaFramesAtTheSameOrientations) {
  // Geometry: a view denser than both sources (6.4 px/degree; panorama 2.8, photo 8.8 at the
  // centre), so both sample their full-resolution level and differ only by the photo's extra
  // bilinear resampling. Measured: sharp frames 58.7 dB or more, blurred 71.9 dB; the bounds
  // leave 8 dB and more, far beyond what floating-point paths of other CPUs change (cv::remap
  // quantises coordinates to 1/32 px on every machine), while a geometric error of 0.1 px would
  // already cost more than that.
  const auto [sharp, blurred] = PhotoAgainstPanorama(512, 64, 10);
  EXPECT_GT(sharp, 50.0);
  EXPECT_GT(blurred, 60.0);
  // Anti-aliased: a coarser view (2.1 px/degree) makes the photo sample its second pyramid level
  // while the panorama samples its full one; the difference is then the prefilter, not the
  // geometry. Measured: 37.7 dB and 42.3 dB.
  const auto [sharp_aa, blurred_aa] = PhotoAgainstPanorama(512, 64, 30);
  EXPECT_GT(sharp_aa, 35.0);
  EXPECT_GT(blurred_aa, 40.0);
  std::cout << "photo vs panorama PSNR: dense view " << sharp << " / " << blurred
            << " dB, anti-aliased view " << sharp_aa << " / " << blurred_aa
            << " dB (worst sharp frame / blurred)\n";
}

TEST(Photo, BlurredImageIsTheAverageOfTheViewsAlongTheStoredPath) {
  auto photo = Photo::FromLinear(TexturedPanorama(300)(cv::Rect(0, 0, 500, 300)).clone(), 70);
  const RotationBlurOptions options = ViewOptions();
  RotationPathOptions paths;
  paths.trajectory = TrajectoryKind::kShake;
  paths.max_angle = 3;
  RandomStream rng(4, RandomPurpose::kSampleGeometry, 0);
  const RotationPath path = SamplePathFrom(QuaternionFromEuler(2, 1, 0), paths, rng);
  ASSERT_TRUE(PathInsidePhoto(*photo, options, path));
  const RotationRender r = RenderRotationBlur(*photo, options, path);
  ASSERT_EQ(static_cast<int>(r.trajectory.size()), r.subframes);
  const int level = photo->LevelFor(options.Camera().PixelAngle());
  cv::Mat mean = cv::Mat::zeros(64, 64, CV_32FC3);
  for (const auto& q : r.trajectory) mean += photo->Render(options.Camera(), q, level);
  mean /= static_cast<double>(r.trajectory.size());
  EXPECT_LT(cv::norm(mean, r.blurred, cv::NORM_INF), 1e-5);
}

}  // namespace
}  // namespace blurkit::synth
