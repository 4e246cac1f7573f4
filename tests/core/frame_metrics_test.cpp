#include "blurkit/core/frame_metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "blurkit/core/error.h"

namespace blurkit {
namespace {

TEST(Psnr, MatchesTheFormulaOnASmallImage) {
  // 2x2 RGB; differences 0, 4, 0 | 2, 0, 0 | 0, 0, 0 | 0, 0, 6 -> MSE = (16 + 4 + 36) / 12.
  const uint8_t a[12] = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120};
  const uint8_t b[12] = {10, 24, 30, 42, 50, 60, 70, 80, 90, 100, 110, 126};
  const double mse = (16.0 + 4.0 + 36.0) / 12.0;
  EXPECT_NEAR(Psnr({a, 2, 2}, {b, 2, 2}, {}), 10 * std::log10(255.0 * 255.0 / mse), 1e-12);
  EXPECT_TRUE(std::isinf(Psnr({a, 2, 2}, {a, 2, 2}, {})));
  EXPECT_EQ(CappedPsnr(INFINITY), kPsnrCap);
}

TEST(Psnr, LumaProfileAndBorderCrop) {
  // Y profile: one pixel differs in G by 10 -> Y differs by 128.553 * 10 / 255.
  uint8_t a[27] = {}, b[27] = {};
  b[13] = 10;  // centre pixel of a 3x3 image, G channel
  const double dy = 128.553 * 10 / 255.0;
  MetricProfile y = MetricProfile::Parse("y");
  EXPECT_NEAR(Psnr({a, 3, 3}, {b, 3, 3}, y), 10 * std::log10(255.0 * 255.0 / (dy * dy / 9)), 1e-9);
  // Cropping one pixel leaves only the centre.
  MetricProfile crop = MetricProfile::Parse("y-crop1");
  EXPECT_EQ(crop.crop_border, 1);
  EXPECT_EQ(crop.Name(), "y-crop1");
  EXPECT_NEAR(Psnr({a, 3, 3}, {b, 3, 3}, crop), 10 * std::log10(255.0 * 255.0 / (dy * dy)), 1e-9);
  EXPECT_THROW(Psnr({a, 3, 3}, {b, 3, 3}, MetricProfile::Parse("rgb-crop2")), InputError);
  EXPECT_THROW(MetricProfile::Parse("lab"), InputError);
  EXPECT_THROW(MetricProfile::Parse("y-cropx"), InputError);
}

TEST(OrderRule, ReversedPredictionScoresTheSameUnderBestAndMaxAndLowerUnderGroundTruth) {
  // Forward order is poor (a reversed prediction), reverse order is good.
  const std::vector<double> fp = {20, 30, 21}, fs = {0.5, 0.9, 0.55};
  const std::vector<double> rp = {28, 30, 29}, rs = {0.85, 0.9, 0.86};
  const auto best = ApplyOrderRule(fp, fs, rp, rs, OrderRule::kBestMeanPsnr);
  const auto max = ApplyOrderRule(fp, fs, rp, rs, OrderRule::kPerMetricMax);
  const auto gt = ApplyOrderRule(fp, fs, rp, rs, OrderRule::kGroundTruth);
  EXPECT_EQ(best.psnr, rp);
  EXPECT_EQ(best.ssim, rs);
  EXPECT_TRUE(best.psnr_reversed && best.ssim_reversed);
  EXPECT_EQ(max.psnr, rp);
  EXPECT_EQ(max.ssim, rs);
  EXPECT_EQ(gt.psnr, fp);
  EXPECT_EQ(gt.ssim, fs);
}

TEST(OrderRule, BestMeanPsnrKeepsOneOrderWhilePerMetricMaxMayMix) {
  // PSNR prefers forward, SSIM prefers reverse.
  const std::vector<double> fp = {25, 30, 25}, fs = {0.6, 0.9, 0.6};
  const std::vector<double> rp = {24, 30, 24}, rs = {0.7, 0.9, 0.7};
  const auto best = ApplyOrderRule(fp, fs, rp, rs, OrderRule::kBestMeanPsnr);
  EXPECT_FALSE(best.psnr_reversed);
  EXPECT_EQ(best.ssim, fs);  // the PSNR's order, for SSIM too
  const auto max = ApplyOrderRule(fp, fs, rp, rs, OrderRule::kPerMetricMax);
  EXPECT_EQ(max.psnr, fp);
  EXPECT_EQ(max.ssim, rs);
  EXPECT_TRUE(max.ssim_reversed);
}

TEST(OrderRule, ParsesNames) {
  EXPECT_EQ(ParseOrderRule("best-mean-psnr"), OrderRule::kBestMeanPsnr);
  EXPECT_EQ(ParseOrderRule("max"), OrderRule::kPerMetricMax);
  EXPECT_EQ(ParseOrderRule("ground-truth"), OrderRule::kGroundTruth);
  EXPECT_THROW(ParseOrderRule("random"), InputError);
  EXPECT_EQ(ToString(OrderRule::kPerMetricMax), "per-metric-max");
}

}  // namespace
}  // namespace blurkit
