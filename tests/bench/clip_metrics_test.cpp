#include "blurkit/bench/clip_metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "blurkit/core/random.h"

namespace blurkit::bench {
namespace {

TEST(PsnrFamily, PwpsnrAndPooledPsnrAreExactForClipsTooLongForInt32Sums) {
  // 1x1 frames, the prediction black where the truth is white: every squared difference is
  // 255^2, so a value's sum over 40001 frames (2.6e9) does not fit an int32. The MSE is 1: 0 dB.
  const int f = 40001;
  const std::vector<uint8_t> black(size_t(f) * 3, 0), white(size_t(f) * 3, 255);
  const ClipView p{black.data(), f, 1, 1}, g{white.data(), f, 1, 1};
  EXPECT_EQ(Pwpsnr(p, g), 0.0);
  EXPECT_EQ(PooledPsnr(p, g), 0.0);
  // One frame in the middle matches: the MSE is (f - 1) / f in both orders.
  std::vector<uint8_t> almost = black;
  std::fill_n(almost.begin() + size_t(f / 2) * 3, 3, 255);
  const double want = 10 * std::log10(double(f) / (f - 1));
  EXPECT_NEAR(Pwpsnr(ClipView{almost.data(), f, 1, 1}, g), want, 1e-12);
  EXPECT_NEAR(PooledPsnr(ClipView{almost.data(), f, 1, 1}, g), want, 1e-12);
}

TEST(Bootstrap, ConstantValuesGiveAPointAndNanValuesAreLeftOut) {
  const Bootstrap b(5);
  const Interval c = b.MeanInterval({2.5, 2.5, 2.5, 2.5, 2.5});
  EXPECT_EQ(c.lo, 2.5);
  EXPECT_EQ(c.hi, 2.5);
  const Interval n = b.MeanInterval({1.0, NAN, 1.0, NAN, 1.0});
  EXPECT_EQ(n.lo, 1.0);
  EXPECT_EQ(n.hi, 1.0);
  const Interval spread = b.MeanInterval({0, 1, 2, 3, 4});
  EXPECT_GE(spread.lo, 0.0);
  EXPECT_LT(spread.lo, 2.0);
  EXPECT_GT(spread.hi, 2.0);
  EXPECT_LE(spread.hi, 4.0);
  const Interval none = b.MeanInterval({NAN, NAN, NAN, NAN, NAN});
  EXPECT_TRUE(std::isnan(none.lo) && std::isnan(none.hi));
}

TEST(Bootstrap, DrawsAreTheDocumentedStreamResampleByResample) {
  // The header's draw order, written out: resample b's clip i is the (b * clips + i)-th draw of
  // one stream. The intervals must equal these to the bit (they did when the draws were stored).
  const int clips = 37, resamples = 500;
  std::vector<double> values(clips);
  for (int i = 0; i < clips; ++i) values[i] = std::sin(i * 0.7) * 3 + (i % 5 == 0 ? NAN : 0.0);
  RandomStream rng(Bootstrap::kSeed, RandomPurpose::kBootstrap, clips);
  std::vector<double> means;
  for (int b = 0; b < resamples; ++b) {
    double sum = 0;
    int64_t count = 0;
    for (int i = 0; i < clips; ++i) {
      const double v = values[rng.UniformInt(clips)];
      if (std::isnan(v)) continue;
      sum += v;
      ++count;
    }
    if (count) means.push_back(sum / count);
  }
  std::sort(means.begin(), means.end());
  auto percentile = [&](double q) {  // numpy.percentile's linear interpolation
    const double pos = q * (means.size() - 1);
    const size_t i = size_t(pos), j = std::min(i + 1, means.size() - 1);
    return means[i] + (pos - i) * (means[j] - means[i]);
  };
  const Interval got = Bootstrap(clips, resamples).MeanInterval(values);
  EXPECT_EQ(got.lo, percentile(0.025));
  EXPECT_EQ(got.hi, percentile(0.975));
}

TEST(Bootstrap, SeveralMetricsAtOnceGiveEachTheIntervalItGetsAlone) {
  const int clips = 50;
  std::vector<double> a(clips), b(clips), c(clips, NAN);
  for (int i = 0; i < clips; ++i) {
    a[i] = i * 0.1;
    b[i] = i % 3 ? std::cos(i) : NAN;
  }
  const Bootstrap boot(clips);
  const std::vector<Interval> all = boot.MeanIntervals({&a, &b, &c});
  ASSERT_EQ(all.size(), 3u);
  for (int k = 0; k < 2; ++k) {
    const Interval alone = boot.MeanInterval(k == 0 ? a : b);
    EXPECT_EQ(all[k].lo, alone.lo) << k;
    EXPECT_EQ(all[k].hi, alone.hi) << k;
  }
  EXPECT_TRUE(std::isnan(all[2].lo));
}

TEST(Bootstrap, KeepsNoDrawsSoATrillionClipsCostNoMemory) {
  // Storing resamples x clips indices would need 8.8 PB here (8 GB at a million clips).
  const int64_t clips = int64_t{1} << 40;
  const Bootstrap b(clips);
  EXPECT_EQ(b.resamples(), Bootstrap::kResamples);
}

}  // namespace
}  // namespace blurkit::bench
