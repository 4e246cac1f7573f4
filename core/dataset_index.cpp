// index.json: shard names, the dataset index, its fingerprint, and the shard entries it records.
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

ShardEntry DescribeShard(const fs::path& file, int64_t shard, int64_t first_sample,
                         int64_t num_samples) {
  return ShardEntry{file.filename().string(), shard, first_sample, num_samples, Sha256OfFile(file),
                    static_cast<int64_t>(fs::file_size(file))};
}

void CheckShardFileName(const std::string& name, const std::string& origin) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\\') != std::string::npos) {
    throw InputError(Msg() << origin << ": shard file '" << name
                           << "' is not a plain file name inside the dataset folder");
  }
}


std::string ShardFileName(int64_t shard, int64_t total_shards) {
  char name[64];
  std::snprintf(name, sizeof(name), "shard-%05lld-of-%05lld.h5", static_cast<long long>(shard),
                static_cast<long long>(total_shards));
  return name;
}

std::string IndexFileName(int part_index, int num_parts) {
  if (num_parts <= 1) return "index.json";
  char name[64];
  std::snprintf(name, sizeof(name), "index.part-%03d-of-%03d.json", part_index, num_parts);
  return name;
}

int64_t DatasetIndex::TotalShards() const {
  return shard_size > 0 ? (num_samples + shard_size - 1) / shard_size : 0;
}

std::string DatasetIndex::Fingerprint() const {
  Json json{{"schema_version", schema_version},
            {"spec", spec.ToJson()},
            {"num_samples", num_samples},
            {"shard_size", shard_size}};
  return Sha256OfString(json.dump());
}

Json DatasetIndex::ToJson() const {
  Json shard_list = Json::array();
  for (const auto& s : shards) {
    Json entry{{"file", s.file},
               {"shard", s.shard},
               {"first_sample", s.first_sample},
               {"num_samples", s.num_samples},
               {"sha256", s.sha256}};
    if (s.bytes > 0) entry["bytes"] = s.bytes;
    shard_list.push_back(entry);
  }
  Json json = spec.ToJson();
  json["schema_version"] = schema_version;
  json["num_samples"] = num_samples;
  json["shard_size"] = shard_size;
  json["total_shards"] = TotalShards();
  json["complete"] = complete;
  json["fingerprint"] = Fingerprint();
  if (num_parts > 1) {
    json["part_index"] = part_index;
    json["num_parts"] = num_parts;
  }
  json["shards"] = shard_list;
  return json;
}

DatasetIndex DatasetIndex::FromJson(const Json& json, const std::string& origin) {
  DatasetIndex index;
  try {
    index.schema_version = json.at("schema_version").get<int>();
    if (index.schema_version < kOldestSchemaVersion || index.schema_version > kSchemaVersion) {
      throw InputError(Msg() << origin << ": schema version " << index.schema_version
                             << " is not supported (this blurkit reads versions "
                             << kOldestSchemaVersion << " to " << kSchemaVersion << ")");
    }
    index.spec = DatasetSpec::FromJson(json, origin);
    index.num_samples = json.at("num_samples").get<int64_t>();
    index.shard_size = json.at("shard_size").get<int64_t>();
    index.complete = json.at("complete").get<bool>();
    index.part_index = json.value("part_index", 0);
    index.num_parts = json.value("num_parts", 1);
    for (const auto& s : json.at("shards")) {
      ShardEntry entry{s.at("file").get<std::string>(), s.at("shard").get<int64_t>(),
                       s.at("first_sample").get<int64_t>(), s.at("num_samples").get<int64_t>(),
                       s.at("sha256").get<std::string>(), s.value("bytes", int64_t{0})};
      CheckShardFileName(entry.file, origin);
      if (entry.first_sample < 0 || entry.num_samples <= 0 || entry.bytes < 0) {
        throw InputError(Msg() << origin << ": shard " << entry.file
                               << " has an invalid sample range or size");
      }
      index.shards.push_back(entry);
    }
  } catch (const Json::exception& e) {
    throw InputError(Msg() << origin << ": invalid index: " << e.what());
  }
  if (index.num_samples < 0 || index.shard_size <= 0) {
    throw InputError(Msg() << origin << ": invalid sample count or shard size");
  }
  std::sort(index.shards.begin(), index.shards.end(),
            [](const ShardEntry& a, const ShardEntry& b) { return a.shard < b.shard; });
  return index;
}

DatasetIndex DatasetIndex::Load(const fs::path& file) {
  const std::string text = ReadFileToString(file);
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw InputError(Msg() << file.string() << ": not valid JSON");
  return FromJson(json, file.string());
}

void DatasetIndex::Save(const fs::path& file) const {
  WriteFileAtomic(file, ToJson().dump(2) + "\n");
}

}  // namespace blurkit
