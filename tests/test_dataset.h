// One writer of small datasets for the C++ tests: `n` samples made in code, in one shard, with
// the index.json that lists it, as blurkit-synth would write them (tests/bench/test_datasets.h and
// tests/train/test_data.h make their samples with it).
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "blurkit/core/sha256.h"
#include "blurkit/core/shard.h"

namespace blurkit::test_data {

inline void WriteSamples(const std::filesystem::path& dir, const DatasetSpec& spec, int64_t n,
                         const std::function<Sample(int64_t index)>& make) {
  std::filesystem::create_directories(dir);
  const std::string name = ShardFileName(0, 1);
  {
    ShardWriter writer(dir / name, spec, 0, n);
    for (int64_t i = 0; i < n; ++i) writer.Append(make(i));
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

}  // namespace blurkit::test_data
