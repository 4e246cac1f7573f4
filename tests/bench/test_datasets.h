// Small datasets written in code for the bench tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <functional>

#include "blurkit/core/random.h"
#include "blurkit/core/sha256.h"
#include "blurkit/core/shard.h"

namespace blurkit::bench::testing {

// A dataset of `n` samples of kind `kind`, one shard; `fill(sample)` may change the random content.
inline void WriteDataset(const std::filesystem::path& dir, DatasetKind kind, int frames, int n,
                         int h, int w, uint64_t seed,
                         const std::function<void(Sample&)>& fill = nullptr) {
  std::filesystem::create_directories(dir);
  DatasetSpec spec;
  spec.kind = kind;
  spec.frames = frames;
  spec.height = h;
  spec.width = w;
  spec.generator = "test";
  spec.blur_magnitude_unit = "pixels";
  const std::string name = ShardFileName(0, 1);
  {
    ShardWriter writer(dir / name, spec, 0, n);
    for (int i = 0; i < n; ++i) {
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
      writer.Append(s);
    }
    writer.Commit();
  }
  DatasetIndex index;
  index.spec = spec;
  index.num_samples = n;
  index.shard_size = n;
  index.complete = true;
  index.shards.push_back({name, 0, 0, n, Sha256OfFile(dir / name)});
  index.Save(dir / "index.json");
}

// A prediction dataset holding, for each sample of `gt`, `transform(gt_sample)` as frames.
inline void WritePredictions(const std::filesystem::path& gt, const std::filesystem::path& dir,
                             int frames, const std::function<std::vector<uint8_t>(const Sample&)>& transform,
                             int skip_every = 0) {
  DatasetReader reader(gt);
  std::filesystem::create_directories(dir);
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
  const std::string name = ShardFileName(0, 1);
  {
    ShardWriter writer(dir / name, spec, 0, static_cast<int64_t>(samples.size()));
    for (const auto& s : samples) writer.Append(s);
    writer.Commit();
  }
  DatasetIndex index;
  index.spec = spec;
  index.num_samples = static_cast<int64_t>(samples.size());
  index.shard_size = index.num_samples;
  index.complete = true;
  index.shards.push_back({name, 0, 0, index.num_samples, Sha256OfFile(dir / name)});
  index.Save(dir / "index.json");
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
