// The blurkit dataset format: the contract between synth, train and bench (schema version 2).
//
// A dataset is a folder:
//   index.json                 what the dataset is (DatasetIndex below): schema version, kind, shape,
//                              generation parameters, seed, and each shard's sample range and sha256
//   shard-00000-of-00004.h5    HDF5 shards, each holding a contiguous range of samples
//
// One shard file holds n samples of H x W pixels with F sharp frames (F odd; the middle frame is F/2):
//   /blurred         uint8   [n, H, W, 3]     the blurred image, RGB, HWC; one sample per chunk
//   /sharp           uint8   [n, F, H, W, 3]  the sharp frames in time order; one sample per chunk
//   /sample_id       string  [n]              unique within the dataset
//   /sample_index    int64   [n]              index of the sample in the whole dataset
//   /source_file     string  [n]              the source's file name (panorama, video, frame folder)
//   /source_sha256   string  [n]              the source's sha256 ("" where unknown)
//   /blur_magnitude  float32 [n]              degrees (rotation) or pixels (video); see the unit attr
//   /orientation     float64 [n, F, 4]        rotation only: each frame's world_from_cam quaternion,
//                                             order (w, x, y, z); conventions in synth/camera.h
//   /homography      float64 [n, F, 3, 3]     rotation only: maps middle-frame pixel coordinates to
//                                             frame j's (x_j ~ H_j x_mid); identity at j = F/2
//   /trajectory      float64 [n, M, 4]        rotation only: every sub-frame's world_from_cam quaternion
//                                             (w, x, y, z), the frame of /orientation, in time order
//                                             (rolling shutter: the path over every row's exposure);
//                                             M = the shard's longest path, zero rows after a
//                                             sample's last sub-frame. Absent in shards written
//                                             before it existed (they still read).
//   /source_frames   int64   [n, F]           video only: the source frame number of each sharp frame
//   /sample_params   string  [n]              optional: each sample's own drawn values, a JSON object
//                                             (the camera pipeline's gains, noise levels, ...); present
//                                             where a generator draws such values
//   /raw             uint16  [n, H, W]        optional (spec raw_mosaic): the blurred image's noisy Bayer
//                                             mosaic as the camera pipeline made it; its pattern,
//                                             gains and levels are in /sample_params and params
//   /event_x, /event_y uint16 [E], /event_t int64 [E], /event_p int8 [E]
//                                             optional (spec events): every sample's events, concatenated
//                                             in sample order, each sample's in time order; t in
//                                             nanoseconds from its exposure start, p +1 or -1
//                                             (synth/events.h)
//   /event_offsets   int64   [n + 1]          with events: sample i's are [offsets[i], offsets[i + 1])
//   /event_thresholds float32 [n, 2, H, W]    with events: each pixel's C+ and C- (log units)
//   /event_exposure  int64   [n, 2]           with events: the exposure's start and end, ns (start 0)
//   The event model's parameters are in params["events"]. The events and thresholds are chunked
//   and carry Fletcher-32 checksums (schema 2), and gzip at the shard's compression level.
// Root attributes: schema_version, kind, generator, frames, height, width, first_sample, num_samples,
// blur_magnitude_unit, params (JSON text), seed, manifest_sha256, compression (gzip level, 0 = none),
// metadata_sha256 (schema 2).
//
// Checksums (schema 2): every read checks what it reads.
//   - /blurred and /sharp carry HDF5's Fletcher-32 filter; a chunk is one sample, so reading a
//     sample checks that sample, and a damaged one is an error naming the shard and the sample.
//   - The file uses HDF5's 1.10 format (library version bounds v110), whose superblock, object
//     headers (and so the attributes) and chunk indexes carry their own checksums.
//   - metadata_sha256 is the sha256 of the per-sample metadata columns, which HDF5 stores without
//     a checksum (variable-length strings live in its global heap); see MetadataDigest in
//     core/shard_checksums.cpp for the exact byte layout, which python/blurkit's
//     metadata_sha256 reproduces.
// Schema 1 shards (written before checksums) still read; `blurkit-synth shards inspect` says they
// carry no checksums. index.json (schema 2) also records each shard's size in bytes, so readers
// refuse a truncated or replaced shard before any work.
//
// Shards are byte-identical for the same samples: HDF5 object timestamps are switched off, and
// everything is written in one fixed order.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace blurkit {

using Json = nlohmann::json;

inline constexpr int kSchemaVersion = 2;        // written
inline constexpr int kOldestSchemaVersion = 1;  // still read (no checksums)

enum class DatasetKind {
  kRotation,    // rendered from panoramas by camera rotation (synth panorama)
  kVideo,       // averaged frames of high-speed video (synth video)
  kPairs,       // imported blurred/sharp pairs, F = 1
  kPrediction,  // a method's predicted frames for the samples of a test dataset
};
std::string ToString(DatasetKind kind);
DatasetKind DatasetKindFromString(const std::string& name);  // throws InputError

// What every shard of a dataset shares.
struct DatasetSpec {
  DatasetKind kind = DatasetKind::kRotation;
  int frames = 3;                           // F, odd
  int height = 256;                         // H
  int width = 256;                          // W
  std::string generator;                    // e.g. "blurkit-synth 0.1.0"
  std::string blur_magnitude_unit = "degrees";  // "degrees", "pixels" or "" (none)
  Json params = Json::object();             // the full generation parameters
  uint64_t seed = 0;
  std::string manifest_sha256;              // digest of the manifest the sources came from, or ""
  int compression = 0;                      // gzip level of the image datasets, 0 = none
  bool raw_mosaic = false;                  // shards hold /raw, the camera's noisy Bayer mosaic
  bool events = false;                      // shards hold the event camera's /event_* datasets

  // Throws InputError describing what is wrong (even F, zero size, ...).
  void Check() const;
  Json ToJson() const;
  static DatasetSpec FromJson(const Json& json, const std::string& origin);
};

// An event camera's output beside one sample (spec.events): events in time order.
struct SampleEvents {
  std::vector<uint16_t> x, y;
  std::vector<int64_t> t;             // ns from the exposure start
  std::vector<int8_t> p;              // +1 or -1
  std::vector<float> thresholds;      // 2 * H * W: C+ then C-, row-major
  int64_t exposure_start = 0, exposure_end = 0;  // ns
};

// One sample. Images are uint8 RGB, HWC, row-major.
struct Sample {
  int64_t index = 0;                   // position in the dataset
  std::string id;
  std::string source_file;
  std::string source_sha256;
  float blur_magnitude = 0;
  std::vector<uint8_t> blurred;        // H * W * 3
  std::vector<uint8_t> sharp;          // F * H * W * 3, frames in time order
  std::vector<double> orientation;     // rotation: F * 4, (w, x, y, z) world_from_cam
  std::vector<double> homography;      // rotation: F * 9, row-major, frame_j_from_middle
  std::vector<int64_t> source_frames;  // video: F
  std::vector<double> trajectory;      // rotation: n_sub * 4, every sub-frame's (w, x, y, z);
                                       // empty where the shard has none
  std::string params;                  // the sample's own drawn values (JSON object text, e.g. the
                                       // camera pipeline's gains and noise levels); "" where none
  std::vector<uint16_t> raw;           // spec.raw_mosaic: H * W Bayer mosaic codes; else empty
  SampleEvents events;                 // spec.events only

  const uint8_t* SharpFrame(int j, const DatasetSpec& spec) const {
    return sharp.data() + static_cast<size_t>(j) * spec.height * spec.width * 3;
  }
};

// Throws InputError unless `sample` has the sizes `spec` requires; `where` names it in the message.
void CheckSampleShape(const Sample& sample, const DatasetSpec& spec, const std::string& where);

// Writes one shard under a temporary name; Commit() makes it appear under its final name.
// A writer destroyed before Commit() deletes its temporary file. Not thread-safe: one writer
// per thread of control (HDF5 calls are serialised internally).
class ShardWriter {
 public:
  // kUnchecked writes schema 1 (no checksums), as blurkit did before schema 2: for tests that
  // old datasets still read, and for measuring what checksums cost (scripts/perf/shards.sh).
  enum class Format { kChecked, kUnchecked };
  ShardWriter(const std::filesystem::path& final_path, const DatasetSpec& spec, int64_t first_sample,
              int64_t num_samples, Format format = Format::kChecked);
  ~ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  // Appends the next sample; its index must be first_sample + count so far.
  void Append(const Sample& sample);
  // Writes the metadata, closes, flushes and renames. All num_samples must have been appended.
  void Commit();

  int64_t count() const { return count_; }
  const std::filesystem::path& final_path() const { return final_path_; }

 private:
  struct Handles;
  std::filesystem::path final_path_;
  std::filesystem::path temporary_path_;
  DatasetSpec spec_;
  int64_t first_sample_;
  int64_t num_samples_;
  Format format_;
  int64_t count_ = 0;
  bool committed_ = false;
  std::unique_ptr<Handles> handles_;
  // Metadata gathered while appending, written at Commit().
  std::vector<std::string> ids_, source_files_, source_hashes_;
  std::vector<int64_t> indices_;
  std::vector<float> magnitudes_;
  std::vector<double> orientations_, homographies_;
  std::vector<int64_t> source_frames_;
  std::vector<std::vector<double>> trajectories_;
  std::vector<std::string> params_;
  // spec.events: every sample's events so far, concatenated, and where each sample's start.
  std::vector<int64_t> event_offsets_{0}, event_exposure_;
};

// Random access to the samples of one shard file. Thread-safe.
class ShardReader {
 public:
  explicit ShardReader(const std::filesystem::path& path);
  ~ShardReader();
  ShardReader(const ShardReader&) = delete;
  ShardReader& operator=(const ShardReader&) = delete;

  const DatasetSpec& spec() const { return spec_; }
  int64_t first_sample() const { return first_sample_; }
  int64_t num_samples() const { return num_samples_; }
  const std::filesystem::path& path() const { return path_; }
  int schema_version() const { return schema_version_; }
  // Schema 2: pixels, metadata and HDF5 structures carry checksums that every read checks.
  bool checksummed() const { return schema_version_ >= 2; }

  // The i-th sample of this shard (0 <= i < num_samples()).
  Sample Read(int64_t i) const;

  // Per-sample metadata, read when the shard is opened (no pixels).
  const std::vector<std::string>& sample_ids() const { return ids_; }
  const std::vector<std::string>& source_files() const { return source_files_; }
  const std::vector<float>& blur_magnitudes() const { return magnitudes_; }
  // Rotation shards: whether /trajectory is present, and each sample's sub-frame count.
  bool has_trajectory() const { return trajectory_rows_ > 0; }
  const std::vector<int64_t>& trajectory_lengths() const { return trajectory_lengths_; }
  // spec.events: sample i's events are [event_offsets()[i], event_offsets()[i + 1]).
  const std::vector<int64_t>& event_offsets() const { return event_offsets_; }

  // How many pixel chunks (two per sample: blurred, sharp) were read as stored, then checked by
  // blurkit's own Fletcher-32 (and inflated by zlib) where they carry one: the fast path of shards
  // as blurkit writes them. The others went through HDF5's filter pipeline. For tests and
  // profiling.
  int64_t raw_chunk_reads() const { return raw_chunk_reads_.load(std::memory_order_relaxed); }

  // How a pixel dataset stores its chunks (core/shard_reader.cpp decides, when it is opened).
  enum class ChunkForm {
    kOther,                  // anything else: HDF5's filter pipeline
    kPlain,                  // one sample per chunk, no filters (schema 1)
    kChecksummed,            // one sample per chunk, filters exactly {Fletcher-32}
    kDeflatedAndChecksummed  // one sample per chunk, filters exactly {deflate, Fletcher-32}
  };

 private:
  std::filesystem::path path_;
  DatasetSpec spec_;
  int schema_version_ = kSchemaVersion;
  int64_t first_sample_ = 0;
  int64_t num_samples_ = 0;
  int64_t file_ = -1;
  std::vector<std::string> ids_, source_files_, source_hashes_;
  std::vector<int64_t> indices_;
  std::vector<float> magnitudes_;
  std::vector<int64_t> event_offsets_, event_exposure_;  // spec.events only
  std::vector<double> orientations_, homographies_;
  std::vector<int64_t> source_frames_;
  int64_t trajectory_rows_ = 0;              // M
  std::vector<double> trajectories_;         // n * M * 4, zero-padded
  std::vector<int64_t> trajectory_lengths_;  // per sample
  std::vector<std::string> params_;          // /sample_params, where present
  ChunkForm chunk_forms_[2] = {ChunkForm::kOther, ChunkForm::kOther};  // blurred, sharp
  mutable std::atomic<int64_t> raw_chunk_reads_{0};
};

struct ShardEntry {
  std::string file;  // name inside the dataset folder
  int64_t shard = 0;  // position among all shards of the dataset
  int64_t first_sample = 0;
  int64_t num_samples = 0;
  std::string sha256;
  int64_t bytes = 0;  // file size; 0 where unknown (schema 1 indexes)
};

// The index entry of a committed shard file: its name, sha256 and size.
ShardEntry DescribeShard(const std::filesystem::path& file, int64_t shard, int64_t first_sample,
                         int64_t num_samples);

// Throws InputError unless `name` is a plain file name inside the dataset folder (no folder
// separators, not "." or ".."): index.json must not point readers outside its folder.
void CheckShardFileName(const std::string& name, const std::string& origin);

// index.json. A run split over machines (--shard-index/--num-shards) writes one part index per
// machine, index.part-K-of-N.json; `blurkit-synth shards assemble` merges them into index.json.
struct DatasetIndex {
  int schema_version = kSchemaVersion;
  DatasetSpec spec;
  int64_t num_samples = 0;     // samples in the whole dataset
  int64_t shard_size = 0;      // samples per shard (the last one may hold fewer)
  bool complete = false;       // all shards this index is responsible for are written
  int part_index = 0;          // this index covers shards s with s % num_parts == part_index
  int num_parts = 1;
  std::vector<ShardEntry> shards;  // written shards, ordered by shard number

  int64_t TotalShards() const;
  // Digest of what determines the dataset's bytes (spec, sample count, shard size): runs may
  // resume or be assembled only when it is equal.
  std::string Fingerprint() const;
  Json ToJson() const;
  static DatasetIndex FromJson(const Json& json, const std::string& origin);
  static DatasetIndex Load(const std::filesystem::path& file);  // throws InputError
  void Save(const std::filesystem::path& file) const;           // atomic
};

// "shard-00003-of-00010.h5"
std::string ShardFileName(int64_t shard, int64_t total_shards);
// "index.json" for a whole run, "index.part-001-of-004.json" for a part.
std::string IndexFileName(int part_index, int num_parts);

// Reads a complete dataset folder. Thread-safe; shard files are opened on first use.
class DatasetReader {
 public:
  explicit DatasetReader(const std::filesystem::path& folder);
  ~DatasetReader();

  const DatasetIndex& index() const { return index_; }
  const DatasetSpec& spec() const { return index_.spec; }
  int64_t size() const { return index_.num_samples; }
  const std::filesystem::path& folder() const { return folder_; }

  Sample Read(int64_t sample_index) const;
  // The ids of all samples, in dataset order (metadata only, no pixels).
  std::vector<std::string> SampleIds() const;
  // A permutation of all sample indices for one epoch: the shards in a random order, taken
  // `window` at a time, and the samples of each group of shards in a random order. window = 1
  // touches one shard at a time (streaming from slow storage); a larger window mixes sources in
  // every batch, which training needs where one shard holds one source (one panorama, one clip).
  std::vector<int64_t> ShuffledOrder(uint64_t seed, uint64_t epoch, int window = 1) const;

 private:
  const ShardReader& Shard(size_t position) const;
  std::filesystem::path folder_;
  DatasetIndex index_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<ShardReader>> readers_;
};

struct VerifyReport {
  int64_t shards_checked = 0;
  int64_t samples_checked = 0;
  std::vector<std::string> problems;  // each names the file and, where it applies, the sample
  bool ok() const { return problems.empty(); }
};
// Checks index.json, every shard's sha256, schema and attributes, and reads every sample.
VerifyReport VerifyDataset(const std::filesystem::path& folder);

}  // namespace blurkit
