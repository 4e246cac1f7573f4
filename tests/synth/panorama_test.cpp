#include "blurkit/synth/panorama.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "blurkit/core/error.h"
#include "test_panoramas.h"

namespace blurkit::synth {
namespace {
namespace fs = std::filesystem;

fs::path TempDir() {
  const fs::path dir = fs::temp_directory_path() / ("blurkit_pano_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

TEST(Panorama, PaddingWrapsLongitudeAndContinuesAcrossThePoles) {
  cv::Mat image(8, 16, CV_32FC3);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 16; ++x) image.at<cv::Vec3f>(y, x) = {float(x), float(y), 0};
  const cv::Mat padded = PadEquirectangular(image, 2);
  ASSERT_EQ(padded.rows, 12);
  ASSERT_EQ(padded.cols, 20);
  // Left padding = rightmost columns; right padding = leftmost columns.
  EXPECT_EQ(padded.at<cv::Vec3f>(5, 0)[0], 14);
  EXPECT_EQ(padded.at<cv::Vec3f>(5, 19)[0], 1);
  // Above the top row: the top rows again (mirrored), half a turn (8 columns) away.
  EXPECT_EQ(padded.at<cv::Vec3f>(1, 2 + 3)[1], 0);      // row -1 <- row 0
  EXPECT_EQ(padded.at<cv::Vec3f>(1, 2 + 3)[0], 11);     // column 3 <- column 11
  EXPECT_EQ(padded.at<cv::Vec3f>(0, 2 + 3)[1], 1);      // row -2 <- row 1
  EXPECT_EQ(padded.at<cv::Vec3f>(10, 2 + 12)[1], 7);    // row 8 <- row 7
  EXPECT_EQ(padded.at<cv::Vec3f>(10, 2 + 12)[0], 4);    // column 12 <- column 4
}

TEST(Panorama, OneColourPanoramaRendersThatColourEverywhereIncludingPoles) {
  auto pano = Panorama::FromLinear(testing::ConstantPanorama(256, {0.2f, 0.5f, 0.7f}));
  const PinholeCamera cam = PinholeCamera::FromHorizontalFov(64, 64, 90);
  for (double pitch : {0.0, 89.0, -90.0}) {
    const cv::Mat view = pano->Render(cam, QuaternionFromEuler(170, pitch, 0), 0);
    cv::Scalar mean, stddev;
    cv::meanStdDev(view, mean, stddev);
    EXPECT_NEAR(mean[0], 0.2, 1e-5);
    EXPECT_NEAR(mean[2], 0.7, 1e-5);
    EXPECT_LT(stddev[1], 1e-5) << "pitch " << pitch;
  }
}

TEST(Panorama, SeamAtLongitude180IsInvisible) {
  // A horizontal gradient in longitude that is continuous across the seam: cos(lon).
  cv::Mat image(128, 256, CV_32FC3);
  for (int x = 0; x < 256; ++x) {
    const float v = 0.5f + 0.4f * std::cos(((x + 0.5f) / 256) * 2 * float(M_PI) - float(M_PI));
    image.col(x).setTo(cv::Scalar(v, v, v));
  }
  auto pano = Panorama::FromLinear(image);
  const PinholeCamera cam = PinholeCamera::FromHorizontalFov(64, 64, 40);
  const cv::Mat view = pano->Render(cam, QuaternionFromEuler(180, 0, 0), 0);
  // Near lon = 180 the value is close to its minimum 0.1 and varies smoothly (no jump).
  for (int x = 1; x < 64; ++x) {
    EXPECT_LT(std::abs(view.at<cv::Vec3f>(32, x)[0] - view.at<cv::Vec3f>(32, x - 1)[0]), 0.01);
  }
  EXPECT_NEAR(view.at<cv::Vec3f>(32, 32)[0], 0.1, 0.01);
}

TEST(Panorama, PyramidLevelPreventsAliasingOfFineDetail) {
  // 1-pixel checkerboard seen at a quarter of the panorama's resolution: level 0 aliases into
  // strong patterns, the prefiltered level gives the mean grey.
  auto pano = Panorama::FromLinear(testing::CheckerPanorama(512, 1));
  const double pano_pixel = 2 * M_PI / 1024;
  const PinholeCamera cam = PinholeCamera::FromHorizontalFov(64, 64, 64 * 4 * pano_pixel * 180 / M_PI);
  const int level = pano->LevelFor(cam.PixelAngle());
  EXPECT_GE(level, 2);
  cv::Scalar mean, stddev_level, stddev_zero;
  cv::meanStdDev(pano->Render(cam, QuaternionFromEuler(0, 0, 0), level), mean, stddev_level);
  EXPECT_NEAR(mean[0], 0.5, 0.02);
  cv::meanStdDev(pano->Render(cam, QuaternionFromEuler(0, 0, 0), 0), mean, stddev_zero);
  EXPECT_LT(stddev_level[0], 0.05);
  EXPECT_GT(stddev_zero[0], 4 * stddev_level[0]);
}

TEST(Panorama, LoadDecodesSrgbAndRefusesWrongAspectRatio) {
  const fs::path dir = TempDir();
  cv::Mat gray(64, 128, CV_8UC3, cv::Scalar(188, 188, 188));
  cv::imwrite((dir / "ok.png").string(), gray);
  auto pano = Panorama::Load(dir / "ok.png", CameraResponse::Srgb());
  EXPECT_FALSE(pano->hdr());
  EXPECT_NEAR(pano->Level(0).at<cv::Vec3f>(10, 10)[0], CameraResponse::Srgb().Decode(188), 1e-7);
  EXPECT_NEAR(CameraResponse::Srgb().Decode(188), 0.5029, 1e-3);

  cv::imwrite((dir / "wide.png").string(), cv::Mat(64, 100, CV_8UC3, cv::Scalar::all(0)));
  try {
    Panorama::Load(dir / "wide.png", CameraResponse::Srgb());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("wide.png"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("100x64"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "corrupt.png") << "\x89PNG but not really";
  EXPECT_THROW(Panorama::Load(dir / "corrupt.png", CameraResponse::Srgb()), InputError);
  EXPECT_THROW(Panorama::Load(dir / "missing.png", CameraResponse::Srgb()), InputError);
  fs::remove_all(dir);
}

TEST(Panorama, LoadsHdrAsLinearRadiance) {
  const fs::path dir = TempDir();
  cv::Mat hdr(32, 64, CV_32FC3, cv::Scalar(0.25, 2.0, 30.0));
  ASSERT_TRUE(cv::imwrite((dir / "sky.hdr").string(), hdr));
  auto pano = Panorama::Load(dir / "sky.hdr", CameraResponse::Srgb());
  EXPECT_TRUE(pano->hdr());
  EXPECT_NEAR(pano->Level(0).at<cv::Vec3f>(5, 5)[2], 30.0, 0.5);  // RGBE: ~1% precision
  fs::remove_all(dir);
}

}  // namespace
}  // namespace blurkit::synth
