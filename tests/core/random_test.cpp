#include "blurkit/core/random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace blurkit {
namespace {

TEST(RandomStream, SameSeedPurposeAndIndexGiveTheSameNumbers) {
  RandomStream a(42, RandomPurpose::kSampleGeometry, 7);
  RandomStream b(42, RandomPurpose::kSampleGeometry, 7);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.NextU64(), b.NextU64());
}

TEST(RandomStream, StreamsDifferByIndexPurposeAndSeed) {
  const uint64_t base = RandomStream(42, RandomPurpose::kSampleGeometry, 7).NextU64();
  EXPECT_NE(base, RandomStream(42, RandomPurpose::kSampleGeometry, 8).NextU64());
  EXPECT_NE(base, RandomStream(42, RandomPurpose::kSampleNoise, 7).NextU64());
  EXPECT_NE(base, RandomStream(43, RandomPurpose::kSampleGeometry, 7).NextU64());
}

TEST(RandomStream, KnownFirstValuesPinTheGenerator) {
  // Pinned so that a change to the generator (xoshiro256** seeded through SplitMix64 from seed,
  // purpose and index), which would silently change every dataset, fails here. The values were
  // printed by this implementation once; they must never change.
  RandomStream rng(1, RandomPurpose::kSampleGeometry, 0);
  EXPECT_EQ(rng.NextU64(), 0xdadeb38019e7d503ull);
  EXPECT_EQ(rng.NextU64(), 0x823dba533f5692afull);
  EXPECT_EQ(rng.NextU64(), 0x95aea92eea6dc887ull);
  // Seed, purpose and index all enter the state.
  EXPECT_EQ(RandomStream(7, RandomPurpose::kShuffle, 12345).NextU64(), 0x6ecf527cea5071f3ull);
  // The derived draws that geometry and noise use.
  EXPECT_EQ(RandomStream(1, RandomPurpose::kSampleGeometry, 0).Uniform(), 0.85496065022917311);
  EXPECT_EQ(RandomStream(2, RandomPurpose::kSampleNoise, 3).UniformInt(1000), 685u);
}

TEST(RandomStream, UniformMomentsAndRange) {
  RandomStream rng(3, RandomPurpose::kSampleGeometry, 0);
  double sum = 0, sum2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double u = rng.Uniform(-2.0, 4.0);
    ASSERT_GE(u, -2.0);
    ASSERT_LT(u, 4.0);
    sum += u;
    sum2 += u * u;
  }
  const double mean = sum / n, var = sum2 / n - mean * mean;
  EXPECT_NEAR(mean, 1.0, 0.02);
  EXPECT_NEAR(var, 36.0 / 12.0, 0.03);
}

TEST(RandomStream, UniformIntCoversRangeWithoutBias) {
  RandomStream rng(5, RandomPurpose::kShuffle, 0);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) counts[rng.UniformInt(7)]++;
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);
}

TEST(RandomStream, NormalAndPoissonMoments) {
  RandomStream rng(9, RandomPurpose::kSampleNoise, 0);
  const int n = 100000;
  double s = 0, s2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = rng.Normal();
    s += x;
    s2 += x * x;
  }
  EXPECT_NEAR(s / n, 0.0, 0.02);
  EXPECT_NEAR(s2 / n, 1.0, 0.02);
  for (double lambda : {0.5, 10.0, 200.0}) {
    double ps = 0, ps2 = 0;
    for (int i = 0; i < n; ++i) {
      const double k = static_cast<double>(rng.Poisson(lambda));
      ps += k;
      ps2 += k * k;
    }
    const double mean = ps / n;
    EXPECT_NEAR(mean, lambda, 0.03 * lambda + 0.01) << lambda;
    EXPECT_NEAR(ps2 / n - mean * mean, lambda, 0.05 * lambda + 0.02) << lambda;
  }
  EXPECT_EQ(rng.Poisson(0.0), 0u);
}

}  // namespace
}  // namespace blurkit
