#include "blurkit/synth/sharded_run.h"

#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_pipeline.h>

#include <algorithm>
#include <map>
#include <memory>
#include <regex>
#include <set>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/error.h"
#include "blurkit/core/progress.h"
#include "blurkit/core/sha256.h"
#include "blurkit/core/stop_signal.h"

namespace blurkit::synth {
namespace fs = std::filesystem;

void ShardedRunOptions::Check() const {
  if (out.empty()) throw InputError("--out is required");
  if (num_samples <= 0) throw InputError(Msg() << "--samples must be positive, got " << num_samples);
  if (shard_size <= 0) throw InputError(Msg() << "--shard-size must be positive, got " << shard_size);
  if (num_shards < 1 || shard_index < 0 || shard_index >= num_shards) {
    throw InputError(Msg() << "--shard-index must be in [0, --num-shards), got " << shard_index
                           << " of " << num_shards);
  }
  if (threads < 0) throw InputError(Msg() << "--threads must be >= 0, got " << threads);
}

namespace {

// Shard number of a file name "shard-00003-of-00010.h5[.<pid>.tmp]", or -1.
int64_t ShardNumberOf(const std::string& name) {
  static const std::regex pattern(R"(shard-(\d+)-of-(\d+)\.h5(\.\d+\.tmp)?)");
  std::smatch m;
  if (!std::regex_match(name, m, pattern)) return -1;
  return std::stoll(m[1].str());
}

// Once a dataset is complete and assembled: what a dataset it replaced left under names the new
// one does not use (shards of another count and their temporaries, part indices of another
// split). Every part of the new dataset is complete by then, so none of this is a part's work in
// progress; files under the new dataset's own names are left alone.
void RemoveWhatAReplacedDatasetLeft(const fs::path& folder, int64_t total_shards, int num_parts) {
  static const std::regex shard(R"(shard-(\d+)-of-(\d+)\.h5(\.\d+\.tmp)?)");
  static const std::regex part(R"(index\.part-(\d+)-of-(\d+)\.json(\.\d+\.tmp)?)");
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    std::smatch m;
    if ((std::regex_match(name, m, shard) && std::stoll(m[2].str()) != total_shards) ||
        (std::regex_match(name, m, part) && std::stoll(m[2].str()) != num_parts)) {
      stale.push_back(entry.path());
    }
  }
  std::error_code ignored;  // another part that assembles at the same time may remove them first
  for (const fs::path& path : stale) fs::remove(path, ignored);
}

}  // namespace

bool PartFromScheduler(const std::map<std::string, std::string>& env, int* index, int* count,
                       std::string* source) {
  auto get = [&](const char* name) -> const std::string* {
    auto it = env.find(name);
    return it == env.end() || it->second.empty() ? nullptr : &it->second;
  };
  auto integer = [&](const char* name) {
    const std::string* v = get(name);
    try {
      size_t used = 0;
      const long n = std::stol(*v, &used);
      if (used != v->size() || n < 0) throw std::invalid_argument(*v);
      return static_cast<int>(n);
    } catch (const std::logic_error&) {
      throw InputError(Msg() << "environment variable " << name << "='" << *v
                             << "' should be a non-negative integer");
    }
  };
  if (get("SLURM_ARRAY_TASK_ID") && get("SLURM_ARRAY_TASK_COUNT")) {
    const int min = get("SLURM_ARRAY_TASK_MIN") ? integer("SLURM_ARRAY_TASK_MIN") : 0;
    *index = integer("SLURM_ARRAY_TASK_ID") - min;
    *count = integer("SLURM_ARRAY_TASK_COUNT");
    *source = "SLURM_ARRAY_TASK_ID=" + *get("SLURM_ARRAY_TASK_ID") + " of SLURM_ARRAY_TASK_COUNT=" +
              *get("SLURM_ARRAY_TASK_COUNT") + (min ? " from " + std::to_string(min) : "");
  } else if (get("RANK") && get("WORLD_SIZE")) {
    *index = integer("RANK");
    *count = integer("WORLD_SIZE");
    *source = "RANK=" + *get("RANK") + " of WORLD_SIZE=" + *get("WORLD_SIZE");
  } else {
    return false;
  }
  if (*count < 1 || *index < 0 || *index >= *count) {
    throw InputError(Msg() << *source << ": part " << *index << " is not in [0, " << *count
                           << ") (a job array must count its tasks without gaps, e.g. --array=0-3)");
  }
  return true;
}

ShardedRunSummary WriteShardedDataset(const ShardedRunOptions& options, const DatasetSpec& spec,
                                      const SampleFactory& make_sample) {
  options.Check();
  spec.Check();
  ShardedRunSummary summary;
  std::error_code ec;
  const bool created = !fs::exists(options.out, ec);
  fs::create_directories(options.out, ec);
  if (ec || !fs::is_directory(options.out)) {
    throw IoError(Msg() << options.out.string() << ": cannot create the output folder"
                        << (ec ? ": " + ec.message() : std::string()));
  }

  DatasetIndex index;
  index.spec = spec;
  index.num_samples = options.num_samples;
  index.shard_size = options.shard_size;
  index.part_index = options.shard_index;
  index.num_parts = options.num_shards;
  const int64_t total = index.TotalShards();
  const fs::path index_path = options.out / IndexFileName(options.shard_index, options.num_shards);
  summary.index_file = index_path;
  auto owned = [&](int64_t s) { return s % options.num_shards == options.shard_index; };

  // What an earlier run left: keep intact shards made with the same parameters. An index made with
  // other parameters (this part's own, or index.json) is a dataset that --overwrite replaces.
  std::set<int64_t> kept;
  bool replacing = false;
  for (const fs::path& candidate : {index_path, options.out / "index.json"}) {
    if (!fs::exists(candidate)) continue;
    const DatasetIndex old = DatasetIndex::Load(candidate);
    if (old.Fingerprint() != index.Fingerprint()) {
      if (!options.overwrite) {
        throw InputError(Msg() << options.out.string()
                               << " holds a dataset made with other parameters (" << candidate.string()
                               << "); pass --overwrite to replace it, or choose another --out");
      }
      replacing = true;
      continue;
    }
    for (const auto& entry : old.shards) {
      if (!owned(entry.shard) || kept.count(entry.shard)) continue;
      const fs::path file = options.out / entry.file;
      if (fs::exists(file) && Sha256OfFile(file) == entry.sha256) {
        kept.insert(entry.shard);
        index.shards.push_back(entry);
      }
    }
  }
  // A part removes only what it will itself rewrite: when it replaces a dataset, the shard files
  // of its own shards that it does not keep (so that a failed run leaves none of the old dataset's
  // under the new names), and the temporary files of its own shards and index left by a killed
  // run ("<name>.<pid>.tmp"). Its index is rewritten below. Other parts' shards, indices and
  // temporaries are theirs: tasks of one Slurm array started together with --overwrite must not
  // delete each other's new work. index.json and what the replaced dataset left under other names
  // are for the part that assembles the dataset (RemoveWhatAReplacedDatasetLeft).
  const std::string index_prefix = index_path.filename().string() + ".";
  for (const auto& entry : fs::directory_iterator(options.out)) {
    const std::string name = entry.path().filename().string();
    const int64_t s = ShardNumberOf(name);
    if (s < 0 || s >= total || !owned(s)) {
      const bool own_index_temporary =
          IsTemporaryPath(entry.path()) && name.rfind(index_prefix, 0) == 0;
      if (own_index_temporary) fs::remove(entry.path());
      continue;
    }
    const std::string own = ShardFileName(s, total);
    if (IsTemporaryPath(entry.path()) ? name.rfind(own + ".", 0) == 0
                                      : replacing && !kept.count(s) && name == own) {
      fs::remove(entry.path());
    }
  }

  std::vector<int64_t> pending;
  for (int64_t s = 0; s < total; ++s) {
    if (!owned(s)) continue;
    ++summary.shards_owned;
    if (!kept.count(s)) pending.push_back(s);
  }
  summary.shards_kept = static_cast<int64_t>(kept.size());
  std::sort(index.shards.begin(), index.shards.end(),
            [](const ShardEntry& a, const ShardEntry& b) { return a.shard < b.shard; });
  const bool index_existed = fs::exists(index_path);
  index.Save(index_path);  // also proves early that the folder is writable

  auto first_of = [&](int64_t s) { return s * options.shard_size; };
  auto count_of = [&](int64_t s) {
    return std::min(options.shard_size, options.num_samples - first_of(s));
  };
  int64_t pending_samples = 0;
  for (int64_t s : pending) pending_samples += count_of(s);

  Progress progress("synth " + options.out.filename().string(), pending_samples, "samples",
                    options.progress);
  // What a failure or a stop leaves: every committed shard and the index that lists them; the
  // shard being written is removed with its writer; an index this run created is removed when it
  // lists nothing, and so is the output folder when this run created it and it is then empty.
  // Nothing of another part's (a sibling task of a Slurm array writing into the same folder) is
  // touched. The message says how far the run got and what is left.
  auto how_far = [&]() -> std::string {
    const std::string out = options.out.string();
    if (!index.shards.empty()) {
      return Msg() << index.shards.size() << " of " << summary.shards_owned
                   << " shards are complete in " << out << " and kept";
    }
    if (!index_existed) {
      std::error_code ignored;
      if (fs::remove(index_path, ignored)) {
        // fs::remove leaves a folder that holds anything (another part's files, say).
        if (created && fs::remove(options.out, ignored)) {
          return Msg() << "no shard was complete, and " << out
                       << ", which this run had created, was removed";
        }
        return Msg() << "no shard was complete, and this run left nothing in " << out;
      }
    }
    return Msg() << "0 of " << summary.shards_owned << " shards are complete in " << out;
  };
  try {
    if (!pending.empty()) {
      const int threads =
          options.threads > 0 ? options.threads : tbb::info::default_concurrency();
      tbb::global_control control(tbb::global_control::max_allowed_parallelism, threads);
      size_t next_shard = 0;
      int64_t next_in_shard = 0;
      std::unique_ptr<ShardWriter> writer;
      int64_t writer_shard = -1;
      tbb::parallel_pipeline(
          static_cast<size_t>(2 * threads + 2),
          tbb::make_filter<void, int64_t>(
              tbb::filter_mode::serial_in_order,
              [&](tbb::flow_control& control_flow) -> int64_t {
                if (next_shard >= pending.size() || StopRequested()) {
                  control_flow.stop();
                  return 0;
                }
                const int64_t s = pending[next_shard];
                const int64_t index_of_sample = first_of(s) + next_in_shard;
                if (++next_in_shard == count_of(s)) {
                  ++next_shard;
                  next_in_shard = 0;
                }
                return index_of_sample;
              }) &
              tbb::make_filter<int64_t, std::shared_ptr<Sample>>(
                  tbb::filter_mode::parallel,
                  [&](int64_t i) { return std::make_shared<Sample>(make_sample(i)); }) &
              tbb::make_filter<std::shared_ptr<Sample>, void>(
                  tbb::filter_mode::serial_in_order, [&](std::shared_ptr<Sample> sample) {
                    const int64_t s = sample->index / options.shard_size;
                    if (!writer) {
                      writer_shard = s;
                      writer = std::make_unique<ShardWriter>(options.out / ShardFileName(s, total),
                                                             spec, first_of(s), count_of(s));
                    }
                    BLURKIT_CHECK(s == writer_shard);
                    writer->Append(*sample);
                    sample.reset();
                    ++summary.samples_written;
                    progress.Advance();
                    if (writer->count() == count_of(s)) {
                      writer->Commit();
                      const fs::path file = writer->final_path();
                      writer.reset();
                      index.shards.push_back(DescribeShard(file, s, first_of(s), count_of(s)));
                      std::sort(index.shards.begin(), index.shards.end(),
                                [](const ShardEntry& a, const ShardEntry& b) {
                                  return a.shard < b.shard;
                                });
                      index.Save(index_path);
                      ++summary.shards_written;
                    }
                  }));
    }
  } catch (const IoError& e) {
    throw IoError(Msg() << e.what() << "\n" << how_far()
                        << "; the same command continues the run once the cause (a full disk?) is "
                           "fixed");
  } catch (const InputError& e) {
    // Bad input found late (a source first decoded at sample 195 of 400) costs no finished shard.
    throw InputError(Msg() << e.what() << "\n" << how_far()
                           << "; the same command continues the run once the input is repaired");
  } catch (const Interrupted& e) {
    throw Interrupted(
        Msg() << e.what() << ": " << how_far() << "; the same command continues the run",
        e.signal());
  } catch (const std::exception& e) {
    // Anything else (an OpenCV error, memory exhausted) is cleaned up and reported the same way.
    throw Error(Msg() << e.what() << "\n" << how_far()
                      << "; the same command continues the run once the cause is fixed");
  } catch (...) {
    throw Error(Msg() << "unknown error\n" << how_far()
                      << "; the same command continues the run once the cause is fixed");
  }
  if (StopRequested()) {
    progress.Finish();
    throw Interrupted(Msg() << "stopped by " << StopSignalName() << ": " << how_far()
                            << "; the same command continues the run",
                      StopSignalNumber());
  }
  progress.Finish();
  index.complete = true;
  index.Save(index_path);
  summary.seconds = progress.ElapsedSeconds();
  if (options.num_shards == 1) {
    summary.assembled = true;
  } else {
    // The last part to finish assembles the dataset; a part index of the replaced dataset (other
    // parameters) is not finished.
    bool all_done = true;
    for (int k = 0; k < options.num_shards && all_done; ++k) {
      const fs::path part = options.out / IndexFileName(k, options.num_shards);
      if (!fs::exists(part)) {
        all_done = false;
      } else {
        const DatasetIndex other = DatasetIndex::Load(part);
        all_done = other.complete && other.Fingerprint() == index.Fingerprint();
      }
    }
    if (all_done) {
      AssembleDataset(options.out, options.num_shards);
      summary.assembled = true;
    }
  }
  if (summary.assembled && options.overwrite) {
    RemoveWhatAReplacedDatasetLeft(options.out, total, options.num_shards);
  }
  return summary;
}

DatasetIndex AssembleDataset(const fs::path& folder, int num_parts_wanted) {
  std::map<int, fs::path> parts;
  int num_parts = -1;
  static const std::regex pattern(R"(index\.part-(\d+)-of-(\d+)\.json)");
  if (!fs::is_directory(folder)) throw InputError(Msg() << folder.string() << ": not a folder");
  for (const auto& entry : fs::directory_iterator(folder)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (!std::regex_match(name, m, pattern)) continue;
    const int n = std::stoi(m[2].str());
    if (num_parts_wanted > 0 && n != num_parts_wanted) continue;  // another split's part
    if (num_parts >= 0 && n != num_parts) {
      throw InputError(Msg() << folder.string() << ": part indices of different splits (" << n
                             << " and " << num_parts << " parts)");
    }
    num_parts = n;
    parts[std::stoi(m[1].str())] = entry.path();
  }
  if (num_parts < 0) {
    throw InputError(Msg() << folder.string() << ": no index.part-K-of-"
                           << (num_parts_wanted > 0 ? std::to_string(num_parts_wanted) : "N")
                           << ".json files to assemble");
  }
  DatasetIndex merged;
  for (int k = 0; k < num_parts; ++k) {
    if (!parts.count(k)) {
      throw InputError(Msg() << folder.string() << ": part " << k << " of " << num_parts
                             << " is missing (" << IndexFileName(k, num_parts) << ")");
    }
    const DatasetIndex part = DatasetIndex::Load(parts[k]);
    if (!part.complete) {
      throw InputError(Msg() << parts[k].string()
                             << ": this part is incomplete (rerun its command to resume it)");
    }
    if (k == 0) {
      merged = part;
      merged.shards.clear();
    } else if (part.Fingerprint() != merged.Fingerprint()) {
      throw InputError(Msg() << parts[k].string()
                             << ": made with other parameters than part 0; cannot assemble");
    }
    merged.shards.insert(merged.shards.end(), part.shards.begin(), part.shards.end());
  }
  std::sort(merged.shards.begin(), merged.shards.end(),
            [](const ShardEntry& a, const ShardEntry& b) { return a.shard < b.shard; });
  if (static_cast<int64_t>(merged.shards.size()) != merged.TotalShards()) {
    throw InputError(Msg() << folder.string() << ": the parts hold " << merged.shards.size()
                           << " shards, expected " << merged.TotalShards());
  }
  merged.part_index = 0;
  merged.num_parts = 1;
  merged.complete = true;
  merged.Save(folder / "index.json");
  return merged;
}

}  // namespace blurkit::synth
