// Small datasets written in code for the bench tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <functional>

#include "../test_dataset.h"
#include "blurkit/core/random.h"
#include "blurkit/core/shard.h"

namespace blurkit::bench::testing {

// A dataset of `n` samples of kind `kind`, one shard; `fill(sample)` may change the random content.
inline void WriteDataset(const std::filesystem::path& dir, DatasetKind kind, int frames, int n,
                         int h, int w, uint64_t seed,
                         const std::function<void(Sample&)>& fill = nullptr) {
  DatasetSpec spec;
  spec.kind = kind;
  spec.frames = frames;
  spec.height = h;
  spec.width = w;
  spec.generator = "test";
  spec.blur_magnitude_unit = "pixels";
  blurkit::test_data::WriteSamples(dir, spec, n, [&](int64_t i) {
    Sample s;
    s.index = i;
    s.id = "s" + std::to_string(i);
    s.blur_magnitude = float(i);
    RandomStream rng(seed, RandomPurpose::kSampleGeometry, i);
    s.blurred.resize(size_t(h) * w * 3);
    s.sharp.resize(size_t(h) * w * 3 * frames);
    for (auto& v : s.blurred) v = uint8_t(rng.UniformInt(256));
    for (auto& v : s.sharp) v = uint8_t(rng.UniformInt(256));
    if (kind == DatasetKind::kRotation) {
      s.orientation.assign(4 * frames, 0.5);
      s.homography.assign(9 * frames, 0.0);
    }
    if (kind == DatasetKind::kVideo) s.source_frames.assign(frames, i);
    if (fill) fill(s);
    return s;
  });
}

// A prediction dataset holding, for each sample of `gt`, `transform(gt_sample)` as frames.
inline void WritePredictions(const std::filesystem::path& gt, const std::filesystem::path& dir,
                             int frames, const std::function<std::vector<uint8_t>(const Sample&)>& transform,
                             int skip_every = 0) {
  DatasetReader reader(gt);
  DatasetSpec spec = reader.spec();
  spec.kind = DatasetKind::kPrediction;
  spec.frames = frames;
  spec.blur_magnitude_unit = "";
  std::vector<Sample> samples;
  for (int64_t i = 0; i < reader.size(); ++i) {
    if (skip_every > 0 && i % skip_every == 0) continue;
    Sample g = reader.Read(i);
    Sample p;
    p.index = static_cast<int64_t>(samples.size());
    p.id = g.id;
    p.blurred = g.blurred;
    p.sharp = transform(g);
    samples.push_back(p);
  }
  blurkit::test_data::WriteSamples(dir, spec, static_cast<int64_t>(samples.size()),
                                 [&](int64_t i) { return samples[i]; });
}

// Frames of a sample in reverse order.
inline std::vector<uint8_t> Reversed(const Sample& s, int frames) {
  const size_t image = s.sharp.size() / frames;
  std::vector<uint8_t> out;
  for (int j = frames - 1; j >= 0; --j) {
    out.insert(out.end(), s.sharp.begin() + j * image, s.sharp.begin() + (j + 1) * image);
  }
  return out;
}

}  // namespace blurkit::bench::testing
