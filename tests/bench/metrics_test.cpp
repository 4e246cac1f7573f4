#include "blurkit/bench/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "../../bench/ssim_kernel.h"  // both kernels, to run the one this processor does not pick
#include "blurkit/core/error.h"
#include "blurkit/core/random.h"
#include <opencv2/imgproc.hpp>

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

TEST(Ssim, BaselineAndAvx2KernelsAgree) {
  // Ssim() runs the AVX2+FMA kernel where the processor has it, so the baseline kernel is never
  // run on these machines but is on older ones: both run here on the same inputs (8-bit RGB, and
  // float luma as the `y` profile feeds it; sizes around the 256-value column strips). The two
  // sum in the same order; FMA rounds once where the baseline rounds twice, so they may differ in
  // the last bits: 1e-6 is 100 times what that can add up to over a mean of float32 SSIM values.
  if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
    GTEST_SKIP() << "this processor has no AVX2+FMA: only the baseline kernel can run";
  }
  float w[internal::kPad + 1];
  const cv::Mat kernel = cv::getGaussianKernel(11, 1.5, CV_32F);
  for (int d = 0; d <= internal::kPad; ++d) w[d] = kernel.at<float>(internal::kPad + d);
  RandomStream rng(3, RandomPurpose::kSampleGeometry, 0);
  for (const auto [rows, cols] : {std::pair{11, 11}, {37, 91}, {64, 300}, {90, 513}}) {
    for (int channels : {1, 3}) {
      SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(cols) + "x" + std::to_string(channels));
      const size_t n = size_t(rows) * cols * channels;
      std::vector<uint8_t> x8(n), y8(n);
      std::vector<float> xf(n), yf(n);
      for (size_t i = 0; i < n; ++i) {
        x8[i] = uint8_t(rng.UniformInt(256));
        y8[i] = uint8_t(std::clamp<int>(x8[i] + int(rng.UniformInt(41)) - 20, 0, 255));
        xf[i] = float(rng.Uniform(-110.0, 110.0));
        yf[i] = xf[i] + float(rng.Uniform(-9.0, 9.0));
      }
      internal::SsimInput input;
      input.rows = rows;
      input.cols = cols;
      input.channels = channels;
      input.stride = size_t(cols) * channels;
      std::vector<float> scratch(internal::SsimScratchFloats(channels));
      for (bool eight_bit : {true, false}) {
        if (eight_bit && channels == 1) continue;  // 8-bit input is RGB only
        internal::SsimInput in = input;
        if (eight_bit) {
          in.x8 = x8.data();
          in.y8 = y8.data();
        } else {
          in.xf = xf.data();
          in.yf = yf.data();
        }
        const double fast = internal::SsimKernelAvx2(in, w, scratch.data());
        const double base = internal::SsimKernelBaseline(in, w, scratch.data());
        EXPECT_NEAR(fast, base, 1e-6) << (eight_bit ? "8-bit" : "float");
        EXPECT_GT(fast, 0.05);
        EXPECT_LT(fast, 0.999);
      }
    }
  }
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
