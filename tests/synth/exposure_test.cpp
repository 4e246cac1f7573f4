#include "blurkit/synth/exposure.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "blurkit/core/error.h"

namespace blurkit::synth {
namespace {

double SrgbEncodeReference(double x) {
  return x <= 0.0031308 ? 12.92 * x : 1.055 * std::pow(x, 1.0 / 2.4) - 0.055;
}

TEST(CameraResponse, EveryCodeRoundTrips) {
  for (const auto& response : {CameraResponse::Srgb(), CameraResponse::Gamma(2.2),
                               CameraResponse::Linear()}) {
    for (int v = 0; v < 256; ++v) {
      EXPECT_EQ(response.Encode(response.Decode(static_cast<uint8_t>(v))), v) << response.name();
    }
  }
}

TEST(CameraResponse, EncodeFollowsTheDocumentedRoundingRule) {
  // v = floor(255 f(clamp(x)) + 0.5), away from the exact half-way points (float precision).
  const CameraResponse srgb = CameraResponse::Srgb(), gamma = CameraResponse::Gamma(2.2);
  int checked = 0;
  for (int i = 0; i <= 20000; ++i) {
    const double x = i / 20000.0;
    for (int which = 0; which < 2; ++which) {
      const double f = which == 0 ? SrgbEncodeReference(x) : std::pow(x, 1 / 2.2);
      const double scaled = 255 * f + 0.5;
      if (std::abs(scaled - std::round(scaled)) < 1e-4) continue;  // too close to a tie
      const int expected = static_cast<int>(std::floor(scaled));
      EXPECT_EQ((which == 0 ? srgb : gamma).Encode(static_cast<float>(x)), expected) << x;
      ++checked;
    }
  }
  EXPECT_GT(checked, 39000);
  EXPECT_EQ(srgb.Encode(2.0f), 255);   // clipped
  EXPECT_EQ(srgb.Encode(-1.0f), 0);
  EXPECT_EQ(srgb.Encode(NAN), 0);
}

TEST(CameraResponse, ParsesNamesAndTables) {
  EXPECT_EQ(CameraResponse::Parse("gamma").name(), CameraResponse::Gamma(2.2).name());
  EXPECT_NEAR(CameraResponse::Parse("gamma:2.4").Decode(128), std::pow(128 / 255.0, 2.4), 1e-6);
  EXPECT_THROW(CameraResponse::Parse("nonsense"), InputError);
  const auto file = std::filesystem::temp_directory_path() /
                    ("blurkit_crf_" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream out(file);
    for (int v = 0; v < 256; ++v) out << std::pow(v / 255.0, 2.0) << "\n";
  }
  const CameraResponse table = CameraResponse::Parse(file.string());
  EXPECT_NEAR(table.Decode(100), std::pow(100 / 255.0, 2.0), 1e-6);
  for (int v = 0; v < 256; ++v) EXPECT_EQ(table.Encode(table.Decode(uint8_t(v))), v);
  {
    std::ofstream out(file);
    out << "1 2 3\n";
  }
  EXPECT_THROW(CameraResponse::Parse(file.string()), InputError);
  std::filesystem::remove(file);
}

TEST(Exposure, AutoExposureMapsLogAverageToKeyAndClipsHighlights) {
  ExposureOptions options;  // auto, key 0.18
  cv::Mat hdr(8, 8, CV_32FC3, cv::Scalar(40, 40, 40));
  RandomStream rng(1, RandomPurpose::kSampleGeometry, 0);
  const double scale = ExposureScale(options, /*hdr_source=*/true, hdr, rng);
  EXPECT_NEAR(scale * 40, 0.18, 1e-3);
  EXPECT_EQ(ExposureScale(options, /*hdr_source=*/false, hdr, rng), 1.0);
  options.exposure = "1";
  EXPECT_EQ(ExposureScale(options, false, hdr, rng), 2.0);
  // Encoding clips: a value of 40 at scale 1 saturates to 255.
  std::vector<uint8_t> rgb(8 * 8 * 3);
  EncodeToRgb8(hdr, 1.0, CameraResponse::Srgb(), rgb.data());
  EXPECT_EQ(rgb[0], 255);
}

TEST(Exposure, NoiseHasTheRequestedVarianceAndIsDeterministic) {
  ExposureOptions options;
  options.noise_poisson = 0.01;
  options.noise_gaussian = 0.02;
  cv::Mat a(64, 64, CV_32FC3, cv::Scalar::all(0.3)), b = a.clone();
  RandomStream r1(5, RandomPurpose::kSampleNoise, 3), r2(5, RandomPurpose::kSampleNoise, 3);
  AddSensorNoise(a, options, r1);
  AddSensorNoise(b, options, r2);
  EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0);
  cv::Scalar mean, stddev;
  cv::meanStdDev(a.reshape(1), mean, stddev);
  EXPECT_NEAR(mean[0], 0.3, 0.005);
  EXPECT_NEAR(stddev[0] * stddev[0], 0.01 * 0.3 + 0.02 * 0.02, 0.0004);
}

TEST(Exposure, ChecksOptions) {
  ExposureOptions options;
  options.exposure = "bright";
  EXPECT_THROW(options.Check(), InputError);
  options = {};
  options.noise_poisson = -1;
  EXPECT_THROW(options.Check(), InputError);
}

}  // namespace
}  // namespace blurkit::synth
