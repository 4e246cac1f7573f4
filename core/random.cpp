#include "blurkit/core/random.h"

#include <cmath>

#include "blurkit/core/error.h"

namespace blurkit {
namespace {

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

RandomStream::RandomStream(uint64_t seed, RandomPurpose purpose, uint64_t index) {
  uint64_t s = Mix64(Mix64(seed) ^ Mix64(static_cast<uint64_t>(purpose) * 0x632be59bd9b4e019ULL) ^
                     Mix64(index + 0x8cb92ba72f3d8dd7ULL));
  for (auto& word : state_) {
    s += 0x9e3779b97f4a7c15ULL;
    word = Mix64(s);
  }
}

uint64_t RandomStream::NextU64() {
  const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = Rotl(state_[3], 45);
  return result;
}

double RandomStream::Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

double RandomStream::Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

uint64_t RandomStream::UniformInt(uint64_t n) {
  BLURKIT_CHECK(n > 0);
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do {
    x = NextU64();
  } while (x >= limit);
  return x % n;
}

double RandomStream::Normal() {
  // Box-Muller; u1 in (0, 1] so that the logarithm is finite.
  const double u1 = 1.0 - Uniform();
  const double u2 = Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

uint64_t RandomStream::Poisson(double lambda) {
  BLURKIT_CHECK(lambda >= 0) << lambda;
  if (lambda == 0) return 0;
  if (lambda > 64) {
    const double x = std::floor(lambda + std::sqrt(lambda) * Normal() + 0.5);
    return x < 0 ? 0 : static_cast<uint64_t>(x);
  }
  // Knuth's multiplication method: exact, and fast enough for small means.
  const double limit = std::exp(-lambda);
  uint64_t k = 0;
  double p = Uniform();
  while (p > limit) {
    ++k;
    p *= Uniform();
  }
  return k;
}

}  // namespace blurkit
