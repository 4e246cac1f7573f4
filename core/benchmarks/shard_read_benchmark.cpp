// Shard I/O speed, for scripts/perf/shards.sh (what gzip compression and checksums cost).
// Usage:
//   shard_read_benchmark DATASET_DIR [REPEATS]
//       reads every sample in shuffled order (as the trainer does), REPEATS times; prints samples/s
//   shard_read_benchmark --copy SRC_DIR DST_DIR checked|unchecked
//       rewrites a dataset's shards with checksums (schema 2) or without (schema 1, as blurkit
//       wrote before checksums), keeping everything else; prints the write speed in samples/s
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "blurkit/core/error.h"
#include "blurkit/core/shard.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int Read(const std::string& folder, int repeats) {
  blurkit::DatasetReader reader(folder);
  size_t bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < repeats; ++r) {
    for (int64_t i : reader.ShuffledOrder(1, r)) {
      const blurkit::Sample s = reader.Read(i);
      bytes += s.blurred.size() + s.sharp.size();
    }
  }
  const double seconds = Seconds(start);
  std::printf("%.1f samples/s %.1f MB/s\n", repeats * reader.size() / seconds, bytes / seconds / 1e6);
  return 0;
}

int Copy(const std::string& from, const std::string& to, const std::string& format) {
  namespace fs = std::filesystem;
  if (format != "checked" && format != "unchecked") {
    std::fprintf(stderr, "error: format must be checked or unchecked, got '%s'\n", format.c_str());
    return 2;
  }
  const bool checked = format == "checked";
  blurkit::DatasetReader reader(from);
  fs::create_directories(to);
  blurkit::DatasetIndex index = reader.index();
  index.schema_version = checked ? blurkit::kSchemaVersion : 1;
  index.shards.clear();
  // Samples are read first, so that only the writing is timed.
  std::vector<std::vector<blurkit::Sample>> shards;
  for (const auto& entry : reader.index().shards) {
    shards.emplace_back();
    for (int64_t i = 0; i < entry.num_samples; ++i) {
      shards.back().push_back(reader.Read(entry.first_sample + i));
    }
  }
  const auto start = std::chrono::steady_clock::now();
  for (size_t s = 0; s < shards.size(); ++s) {
    const auto& entry = reader.index().shards[s];
    const fs::path path = fs::path(to) / entry.file;
    blurkit::ShardWriter writer(path, reader.spec(), entry.first_sample, entry.num_samples,
                                checked ? blurkit::ShardWriter::Format::kChecked
                                        : blurkit::ShardWriter::Format::kUnchecked);
    for (const auto& sample : shards[s]) writer.Append(sample);
    writer.Commit();
    index.shards.push_back(blurkit::DescribeShard(path, entry.shard, entry.first_sample,
                                                  entry.num_samples));
    if (!checked) index.shards.back().bytes = 0;  // schema 1 indexes record no sizes
  }
  const double seconds = Seconds(start);
  index.Save(fs::path(to) / "index.json");
  std::printf("%.1f samples/s written\n", reader.size() / seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s DATASET_DIR [REPEATS]\n       %s --copy SRC_DIR DST_DIR checked|unchecked\n",
                 argv[0], argv[0]);
    return 2;
  }
  try {
    if (std::string(argv[1]) == "--copy") {
      if (argc != 5) {
        std::fprintf(stderr, "usage: %s --copy SRC_DIR DST_DIR checked|unchecked\n", argv[0]);
        return 2;
      }
      return Copy(argv[2], argv[3], argv[4]);
    }
    return Read(argv[1], argc > 2 ? std::stoi(argv[2]) : 3);
  } catch (const blurkit::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
