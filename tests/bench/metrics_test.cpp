#include "blurkit/bench/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "blurkit/core/error.h"
#include "blurkit/core/random.h"

namespace blurkit::bench {
namespace {

std::vector<uint8_t> Constant(int h, int w, uint8_t r, uint8_t g, uint8_t b) {
  std::vector<uint8_t> v(size_t(h) * w * 3);
  for (size_t i = 0; i < v.size(); i += 3) v[i] = r, v[i + 1] = g, v[i + 2] = b;
  return v;
}

// SSIM of two constant images from the formula: the variances and covariance vanish, so
// SSIM = (2ab + C1) / (a^2 + b^2 + C1) per channel.
double ConstantSsim(double a, double b) {
  const double c1 = (0.01 * 255) * (0.01 * 255);
  return (2 * a * b + c1) / (a * a + b * b + c1);
}

TEST(Ssim, IdenticalImagesScoreOne) {
  std::vector<uint8_t> a(40 * 30 * 3);
  RandomStream rng(1, RandomPurpose::kSampleGeometry, 0);
  for (auto& v : a) v = uint8_t(rng.UniformInt(256));
  // float32 statistics: equal to the float64 formula to well within the 1e-4 the bench promises.
  EXPECT_NEAR(Ssim({a.data(), 30, 40}, {a.data(), 30, 40}, {}), 1.0, 1e-6);
}

TEST(Ssim, ConstantImagesMatchTheFormula) {
  const auto a = Constant(32, 32, 100, 50, 200), b = Constant(32, 32, 120, 50, 150);
  const double expected = (ConstantSsim(100, 120) + ConstantSsim(50, 50) + ConstantSsim(200, 150)) / 3;
  // Flat images are the hardest case for float32 variances (E[x^2] - E[x]^2 of equal numbers).
  EXPECT_NEAR(Ssim({a.data(), 32, 32}, {b.data(), 32, 32}, {}), expected, 1e-5);
}

TEST(Ssim, HalfNoiseLowersItAndYProfileUsesLuma) {
  std::vector<uint8_t> a(64 * 64 * 3), b;
  RandomStream rng(2, RandomPurpose::kSampleGeometry, 0);
  for (size_t i = 0; i < a.size(); ++i) a[i] = uint8_t(100 + 50 * std::sin(i * 0.001));
  b = a;
  for (auto& v : b) v = uint8_t(std::clamp(int(v) + int(rng.UniformInt(41)) - 20, 0, 255));
  const double rgb = Ssim({a.data(), 64, 64}, {b.data(), 64, 64}, {});
  EXPECT_LT(rgb, 0.9);
  EXPECT_GT(rgb, 0.0);
  const double y = Ssim({a.data(), 64, 64}, {b.data(), 64, 64}, MetricProfile::Parse("y"));
  EXPECT_NE(y, rgb);
  const auto s = ScoreFrame({a.data(), 64, 64}, {b.data(), 64, 64}, {});
  EXPECT_EQ(s.ssim, rgb);
  EXPECT_EQ(s.psnr, Psnr({a.data(), 64, 64}, {b.data(), 64, 64}, {}));
}

TEST(Ssim, TooSmallAfterCropIsAClearError) {
  const auto a = Constant(12, 12, 1, 2, 3);
  EXPECT_THROW(Ssim({a.data(), 12, 12}, {a.data(), 12, 12}, MetricProfile::Parse("rgb-crop2")),
               InputError);
}

}  // namespace
}  // namespace blurkit::bench
