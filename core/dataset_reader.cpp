// DatasetReader: a complete dataset folder, its shards opened on first use, and epoch orders.
#include "blurkit/core/shard.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/error.h"
#include "blurkit/core/random.h"
#include "blurkit/core/sha256.h"
#include "hdf5_io.h"
#include "shard_checksums.h"

namespace blurkit {
namespace fs = std::filesystem;
using hdf5::Handle;

DatasetReader::DatasetReader(const fs::path& folder) : folder_(folder) {
  const fs::path index_file = folder / "index.json";
  if (!fs::exists(index_file)) {
    throw InputError(Msg() << folder.string()
                           << ": not a blurkit dataset (no index.json; a split run needs "
                              "'blurkit-synth shards assemble' first)");
  }
  index_ = DatasetIndex::Load(index_file);
  if (!index_.complete || index_.num_parts != 1) {
    throw InputError(Msg() << index_file.string()
                           << ": the dataset is incomplete (rerun the same command to resume it)");
  }
  int64_t expected = 0;
  for (const auto& s : index_.shards) {
    if (s.first_sample != expected) {
      throw InputError(Msg() << index_file.string() << ": shard " << s.file
                             << " starts at sample " << s.first_sample << ", expected "
                             << expected);
    }
    expected += s.num_samples;
  }
  if (expected != index_.num_samples) {
    throw InputError(Msg() << index_file.string() << ": shards hold " << expected
                           << " samples, the index announces " << index_.num_samples);
  }
  if (static_cast<int64_t>(index_.shards.size()) != index_.TotalShards()) {
    throw InputError(Msg() << index_file.string() << ": lists " << index_.shards.size()
                           << " shards, expected " << index_.TotalShards());
  }
  // Cheap checks of every shard before any work: present, and (schema 2 indexes) of the recorded
  // size, so that a truncated or replaced shard is refused up front. `shards verify` does the
  // full check (sha256 of every byte).
  for (const auto& s : index_.shards) {
    const fs::path path = folder_ / s.file;
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) {
      throw InputError(Msg() << path.string() << ": shard listed in index.json is missing or "
                                                 "unreadable");
    }
    if (s.bytes > 0 && static_cast<int64_t>(size) != s.bytes) {
      throw InputError(Msg() << path.string() << ": " << size << " bytes, index.json records "
                             << s.bytes << " (truncated or replaced shard; 'blurkit-synth shards "
                                           "verify' checks every byte)");
    }
  }
  readers_.resize(index_.shards.size());
}

DatasetReader::~DatasetReader() = default;

const ShardReader& DatasetReader::Shard(size_t position) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!readers_[position]) {
    const ShardEntry& entry = index_.shards[position];
    auto reader = std::make_unique<ShardReader>(folder_ / entry.file);
    if (reader->first_sample() != entry.first_sample ||
        reader->num_samples() != entry.num_samples) {
      throw InputError(Msg() << (folder_ / entry.file).string()
                             << ": sample range does not match index.json");
    }
    if (reader->spec().ToJson() != index_.spec.ToJson() ||
        reader->schema_version() != index_.schema_version) {
      throw InputError(Msg() << (folder_ / entry.file).string()
                             << ": its attributes (kind, shape, parameters, seed or schema) differ "
                                "from index.json: a shard of another dataset?");
    }
    readers_[position] = std::move(reader);
  }
  return *readers_[position];
}

Sample DatasetReader::Read(int64_t sample_index) const {
  if (sample_index < 0 || sample_index >= index_.num_samples) {
    throw InputError(Msg() << folder_.string() << ": sample index " << sample_index
                           << " out of range [0, " << index_.num_samples << ")");
  }
  auto it = std::upper_bound(
      index_.shards.begin(), index_.shards.end(), sample_index,
      [](int64_t value, const ShardEntry& entry) { return value < entry.first_sample; });
  const size_t position = static_cast<size_t>(it - index_.shards.begin()) - 1;
  const ShardReader& reader = Shard(position);
  return reader.Read(sample_index - index_.shards[position].first_sample);
}

std::vector<std::string> DatasetReader::SampleIds() const {
  std::vector<std::string> ids;
  ids.reserve(index_.num_samples);
  for (size_t s = 0; s < index_.shards.size(); ++s) {
    const auto& shard_ids = Shard(s).sample_ids();
    ids.insert(ids.end(), shard_ids.begin(), shard_ids.end());
  }
  return ids;
}

namespace {
template <typename T>
void ShuffleInPlace(std::vector<T>& values, RandomStream& rng) {
  // Fisher-Yates with blurkit's own stream (std::shuffle is implementation-defined).
  for (size_t i = values.size(); i > 1; --i) {
    std::swap(values[i - 1], values[rng.UniformInt(i)]);
  }
}
}  // namespace

std::vector<int64_t> DatasetReader::ShuffledOrder(uint64_t seed, uint64_t epoch, int window) const {
  if (window < 1) throw InputError(Msg() << "shuffle window must be >= 1 shard, got " << window);
  RandomStream rng(seed, RandomPurpose::kShuffle, epoch);
  std::vector<size_t> shard_order(index_.shards.size());
  std::iota(shard_order.begin(), shard_order.end(), size_t{0});
  ShuffleInPlace(shard_order, rng);
  std::vector<int64_t> order;
  order.reserve(index_.num_samples);
  for (size_t g = 0; g < shard_order.size(); g += window) {
    std::vector<int64_t> group;
    for (size_t s = g; s < std::min(shard_order.size(), g + window); ++s) {
      const ShardEntry& entry = index_.shards[shard_order[s]];
      for (int64_t i = 0; i < entry.num_samples; ++i) group.push_back(entry.first_sample + i);
    }
    ShuffleInPlace(group, rng);
    order.insert(order.end(), group.begin(), group.end());
  }
  return order;
}

}  // namespace blurkit
