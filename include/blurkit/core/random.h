// Seeded random streams.
//
// Every random decision about a sample is drawn from a stream derived from (seed, purpose, sample
// index) alone, so a dataset's bytes do not depend on the thread count, the order in which samples
// are computed, or how a run was split across machines.
//
// The generator (xoshiro256**, seeded through SplitMix64) and the distributions are written here by
// hand on purpose: the std:: distributions are implementation-defined, so the same seed could give
// other numbers with another standard library, and the datasets would no longer be reproducible.
#pragma once

#include <cstdint>

namespace blurkit {

// Purposes of random streams, so that two uses never share numbers.
enum class RandomPurpose : uint64_t {
  kSampleGeometry = 1,  // camera orientations, rotations, crops
  kSampleNoise = 2,     // sensor noise
  kShuffle = 3,         // shard and sample order of readers
  kAugment = 4,         // training-time crops and flips
  kBootstrap = 5,       // blurkit-bench's confidence intervals (resampled clips)
  kSampleCamera = 6,    // the camera pipeline's per-sample values (gains, pattern, noise levels, ...)
  kSampleRawNoise = 7,  // the camera pipeline's noise on the sensor mosaic
  kSampleEvents = 8,    // the event camera's per-pixel contrast thresholds (synth/events.h)
};

class RandomStream {
 public:
  RandomStream(uint64_t seed, RandomPurpose purpose, uint64_t index);

  uint64_t NextU64();
  // Uniform in [0, 1), 53 random bits.
  double Uniform();
  // Uniform in [lo, hi).
  double Uniform(double lo, double hi);
  // Uniform integer in [0, n), without modulo bias. n > 0.
  uint64_t UniformInt(uint64_t n);
  // Standard normal (Box-Muller).
  double Normal();
  // Poisson with mean lambda >= 0 (inversion for small lambda, a rounded normal above 64).
  uint64_t Poisson(double lambda);

 private:
  uint64_t state_[4];
};

// SplitMix64 finaliser: a well-mixed 64-bit hash of x.
uint64_t Mix64(uint64_t x);

}  // namespace blurkit
