// Small datasets written in code for the trainer tests: a textured square that moves across the
// frames, the blurred image their average (a miniature of the paper's data).
#pragma once

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "../test_dataset.h"
#include "blurkit/core/random.h"
#include "blurkit/core/shard.h"

namespace blurkit::train::testing {

inline void WriteMovingSquares(const std::filesystem::path& dir, int n, int frames, int size,
                               uint64_t seed, const std::string& id_prefix = "m") {
  DatasetSpec spec;
  spec.kind = DatasetKind::kVideo;
  spec.frames = frames;
  spec.height = spec.width = size;
  spec.generator = "test";
  spec.blur_magnitude_unit = "pixels";
  blurkit::test_data::WriteSamples(dir, spec, n, [&](int64_t i) {
    RandomStream rng(seed, RandomPurpose::kSampleGeometry, i);
    const int x0 = static_cast<int>(rng.UniformInt(size / 2)), y0 = static_cast<int>(rng.UniformInt(size / 2));
    const int dx = static_cast<int>(rng.UniformInt(5)) - 2, dy = static_cast<int>(rng.UniformInt(5)) - 2;
    const uint8_t r = uint8_t(rng.UniformInt(200) + 55), g = uint8_t(rng.UniformInt(200) + 55);
    Sample s;
    s.index = i;
    s.id = id_prefix + std::to_string(i);
    s.sharp.assign(size_t(frames) * size * size * 3, 20);
    std::vector<float> sum(size_t(size) * size * 3, 0);
    for (int j = 0; j < frames; ++j) {
      uint8_t* frame = s.sharp.data() + size_t(j) * size * size * 3;
      const int sx = x0 + dx * j, sy = y0 + dy * j;
      for (int y = std::max(0, sy); y < std::min(size, sy + size / 4); ++y)
        for (int x = std::max(0, sx); x < std::min(size, sx + size / 4); ++x) {
          uint8_t* p = frame + (size_t(y) * size + x) * 3;
          p[0] = r;
          p[1] = g;
          p[2] = uint8_t((x * 7 + y * 3) % 256);
        }
      for (size_t k = 0; k < sum.size(); ++k) sum[k] += frame[k];
    }
    s.blurred.resize(sum.size());
    for (size_t k = 0; k < sum.size(); ++k) s.blurred[k] = uint8_t(std::lround(sum[k] / frames));
    s.blur_magnitude = float(std::hypot(dx, dy) * (frames - 1));
    s.source_frames.assign(frames, i);
    return s;
  });
}

}  // namespace blurkit::train::testing
