// Writing a dataset as shards, shared by every synth command (panorama, video, import-pairs).
//
// Sample i is computed by a factory from (seed, i) alone; samples are computed in parallel (TBB)
// and written in order, one shard at a time, so memory stays bounded whatever the sample count.
// Each finished shard is committed atomically and recorded, with its sha256, in the run's index,
// itself rewritten atomically. Running the same command again resumes: shards whose file matches
// the recorded checksum are kept, the rest are written. A run may be split over machines:
// part K of N writes the shards s with s % N == K and its own index.part-K-of-N.json;
// AssembleDataset() merges the parts into index.json.
// --overwrite replaces a dataset made with other parameters without touching other parts' work:
// each part removes only its own shards (those it does not keep) and its own temporaries; the part
// that assembles the finished dataset removes what the replaced one left under other names.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <functional>
#include <string>

#include "blurkit/core/shard.h"

namespace blurkit::synth {

struct ShardedRunOptions {
  std::filesystem::path out;   // dataset folder (created if missing)
  int64_t num_samples = 0;     // samples in the whole dataset
  int64_t shard_size = 64;     // samples per shard
  int shard_index = 0;         // this run's part, in [0, num_shards)
  int num_shards = 1;          // number of parts the run is split into
  int threads = 0;             // worker threads, 0 = all cores
  bool overwrite = false;      // replace a dataset made with other parameters (see below)
  bool progress = true;        // progress on stderr

  void Check() const;  // throws InputError
};

// This process's part of a split run, from the scheduler that started it, for when
// --shard-index/--num-shards are not given: a Slurm job array (SLURM_ARRAY_TASK_ID counted from
// SLURM_ARRAY_TASK_MIN, of SLURM_ARRAY_TASK_COUNT parts), or RANK/WORLD_SIZE (torchrun, and other
// launchers that set them). Returns false when neither is set. `source` names the variables used.
// Throws InputError when they are malformed.
bool PartFromScheduler(const std::map<std::string, std::string>& env, int* index, int* count,
                       std::string* source);

struct ShardedRunSummary {
  int64_t samples_written = 0;
  int64_t shards_written = 0;
  int64_t shards_kept = 0;     // already complete and intact (resumed run)
  int64_t shards_owned = 0;    // shards this part is responsible for
  double seconds = 0;
  std::filesystem::path index_file;
  bool assembled = false;      // index.json written (single run, or the last part of a split one)
};

using SampleFactory = std::function<Sample(int64_t index)>;

ShardedRunSummary WriteShardedDataset(const ShardedRunOptions& options, const DatasetSpec& spec,
                                      const SampleFactory& make_sample);

// Merges the complete part indices of a split run into index.json. Throws InputError naming the
// missing or incomplete parts. num_parts = 0: the folder must hold the parts of one split;
// num_parts = N: only index.part-K-of-N.json are read (a replaced dataset's parts of another split
// are left out).
DatasetIndex AssembleDataset(const std::filesystem::path& folder, int num_parts = 0);

}  // namespace blurkit::synth
