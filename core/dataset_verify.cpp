// VerifyDataset: the full check behind `blurkit-synth shards verify`.
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

VerifyReport VerifyDataset(const fs::path& folder) {
  VerifyReport report;
  const fs::path index_file = folder / "index.json";
  DatasetIndex index;
  try {
    index = DatasetIndex::Load(index_file);
  } catch (const Error& e) {
    report.problems.push_back(e.what());
    return report;
  }
  if (!index.complete) {
    report.problems.push_back(index_file.string() +
                              ": marked incomplete (the run was interrupted; rerun it to resume)");
  }
  if (static_cast<int64_t>(index.shards.size()) != index.TotalShards()) {
    report.problems.push_back(Msg() << index_file.string() << ": lists " << index.shards.size()
                                    << " shards, expected " << index.TotalShards());
  }
  int64_t expected_first = 0;
  std::map<std::string, std::string> seen_ids;
  for (const auto& entry : index.shards) {
    const fs::path path = folder / entry.file;
    const std::string where = path.string();
    ++report.shards_checked;
    if (entry.first_sample != expected_first) {
      report.problems.push_back(Msg() << where << ": starts at sample " << entry.first_sample
                                      << ", expected " << expected_first);
    }
    expected_first = entry.first_sample + entry.num_samples;
    if (!fs::exists(path)) {
      report.problems.push_back(where + ": missing");
      continue;
    }
    try {
      std::error_code ec;
      const auto size = fs::file_size(path, ec);
      if (!ec && entry.bytes > 0 && static_cast<int64_t>(size) != entry.bytes) {
        report.problems.push_back(Msg() << where << ": " << size << " bytes, index.json records "
                                        << entry.bytes);
      }
      const std::string digest = Sha256OfFile(path);
      if (digest != entry.sha256) {
        report.problems.push_back(where + ": sha256 " + digest + " does not match index.json (" +
                                  entry.sha256 + "): the file was changed or damaged");
      }
      ShardReader reader(path);
      if (reader.spec().ToJson() != index.spec.ToJson() ||
          reader.schema_version() != index.schema_version) {
        report.problems.push_back(where + ": attributes differ from index.json");
      }
      if (reader.first_sample() != entry.first_sample ||
          reader.num_samples() != entry.num_samples) {
        report.problems.push_back(where + ": sample range differs from index.json");
      }
      for (int64_t i = 0; i < reader.num_samples(); ++i) {
        Sample sample = reader.Read(i);
        if (sample.index != entry.first_sample + i) {
          report.problems.push_back(Msg() << where << ": sample '" << sample.id << "' has index "
                                          << sample.index << ", expected "
                                          << entry.first_sample + i);
        }
        auto [it, inserted] = seen_ids.emplace(sample.id, entry.file);
        if (!inserted) {
          report.problems.push_back(where + ": sample id '" + sample.id + "' also appears in " +
                                    it->second);
        }
        ++report.samples_checked;
      }
    } catch (const Error& e) {
      report.problems.push_back(e.what());
    }
  }
  if (expected_first != index.num_samples && report.problems.empty()) {
    report.problems.push_back(Msg() << index_file.string() << ": shards hold " << expected_first
                                    << " samples, the index announces " << index.num_samples);
  }
  return report;
}

}  // namespace blurkit
