// ShardReader: random access to the samples of one shard, checked as they are read.
#include "blurkit/core/shard.h"

#include <zlib.h>

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

namespace {

// How a pixel dataset stores its chunks, from its creation properties. Where each chunk is one
// sample (chunk dims `block`) and the filter pipeline is exactly Fletcher-32, or exactly deflate
// then Fletcher-32 (what blurkit writes, without and with --compression), a stored chunk is the
// pixels, or their zlib stream, followed by the checksum of those bytes, and the reader can undo
// it itself; without filters (schema 1) it is the pixels. Any other pipeline (shuffle, another
// program's filter, another order), or pixels stored as another type than 8-bit unsigned, is
// HDF5's.
ShardReader::ChunkForm ChunkFormOf(hid_t dataset, const std::vector<hsize_t>& block) {
  using Form = ShardReader::ChunkForm;
  Handle type(H5Dget_type(dataset), H5Tclose);
  if (!type.valid() || H5Tget_class(type.get()) != H5T_INTEGER || H5Tget_size(type.get()) != 1 ||
      H5Tget_sign(type.get()) != H5T_SGN_NONE) {
    return Form::kOther;
  }
  Handle dcpl(H5Dget_create_plist(dataset), H5Pclose);
  if (!dcpl.valid() || H5Pget_layout(dcpl.get()) != H5D_CHUNKED) return Form::kOther;
  std::vector<hsize_t> chunk(block.size());
  if (H5Pget_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()) !=
          static_cast<int>(block.size()) ||
      chunk != block) {
    return Form::kOther;
  }
  std::vector<H5Z_filter_t> filters(std::max(H5Pget_nfilters(dcpl.get()), 0));
  for (size_t k = 0; k < filters.size(); ++k) {
    unsigned flags = 0, config = 0;
    size_t elements = 0;
    filters[k] = H5Pget_filter2(dcpl.get(), static_cast<unsigned>(k), &flags, &elements, nullptr, 0,
                                nullptr, &config);
  }
  if (filters.empty()) return Form::kPlain;
  if (filters == std::vector<H5Z_filter_t>{H5Z_FILTER_FLETCHER32}) return Form::kChecksummed;
  if (filters == std::vector<H5Z_filter_t>{H5Z_FILTER_DEFLATE, H5Z_FILTER_FLETCHER32}) {
    return Form::kDeflatedAndChecksummed;
  }
  return Form::kOther;
}

// HDF5's Fletcher-32 (H5_checksum_fletcher32 of H5checksum.c, the filter of schema 2's pixels),
// computed in HDF5's blocks of 360 16-bit big-endian words, each block's two sums formed at once
// in loops the compiler vectorises: s1 + sum(w) and s2 + n s1 + sum((n - k) w_k), which are the
// integers HDF5's word-by-word loop reaches (wrapped to 32 bits, as its sums are), then folded
// as HDF5 folds them. The same value, several times faster.
__attribute__((target_clones("avx2", "default"))) uint32_t Fletcher32(const uint8_t* data, size_t bytes) {
  size_t words = bytes / 2;
  uint32_t s1 = 0, s2 = 0;
  while (words) {
    const size_t n = std::min<size_t>(words, 360);
    uint64_t a = 0, b = 0;
    // Runs of 32 words with 32-bit sums (at most 528 * 65535 < 2^32), which vectorise at the
    // x86-64 baseline; word k of the block weighs n - k.
    size_t k0 = 0;
    for (; k0 + 32 <= n; k0 += 32) {
      uint32_t sa = 0, sb = 0;
      const uint8_t* d = data + 2 * k0;
      for (uint32_t k = 0; k < 32; ++k) {
        const uint32_t w = (uint32_t(d[2 * k]) << 8) | d[2 * k + 1];
        sa += w;
        sb += (32 - k) * w;
      }
      a += sa;
      b += sb + uint64_t(n - k0 - 32) * sa;
    }
    for (size_t k = k0; k < n; ++k) {
      const uint64_t w = (uint64_t(data[2 * k]) << 8) | data[2 * k + 1];
      a += w;
      b += (n - k) * w;
    }
    s1 = uint32_t(s1 + a);
    s2 = uint32_t(s2 + uint64_t(n) * (s1 - uint32_t(a)) + b);
    s1 = (s1 & 0xffff) + (s1 >> 16);
    s2 = (s2 & 0xffff) + (s2 >> 16);
    data += 2 * n;
    words -= n;
  }
  if (bytes % 2) {
    s1 += uint32_t(*data) << 8;
    s2 += s1;
    s1 = (s1 & 0xffff) + (s1 >> 16);
    s2 = (s2 & 0xffff) + (s2 >> 16);
  }
  s1 = (s1 & 0xffff) + (s1 >> 16);
  s2 = (s2 & 0xffff) + (s2 >> 16);
  return (s2 << 16) | s1;
}

}  // namespace

ShardReader::ShardReader(const fs::path& path) : path_(path) {
  auto lock = hdf5::Hdf5Lock();
  const std::string where = path.string();
  if (!fs::exists(path)) throw InputError(Msg() << where << ": shard file does not exist");
  if (H5Fis_hdf5(where.c_str()) <= 0) {
    throw InputError(Msg() << where << ": not an HDF5 file (truncated or damaged shard?)");
  }
  file_ = H5Fopen(where.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file_ < 0) throw InputError(Msg() << where << ": cannot open the shard (damaged?)");
  try {
    const int64_t version = hdf5::ReadInt64Attribute(file_, "schema_version", where);
    if (version < kOldestSchemaVersion || version > kSchemaVersion) {
      throw InputError(Msg() << where << ": schema version " << version
                             << " is not supported (this blurkit reads versions "
                             << kOldestSchemaVersion << " to " << kSchemaVersion << ")");
    }
    schema_version_ = static_cast<int>(version);
    Json json{{"kind", hdf5::ReadStringAttribute(file_, "kind", where)},
              {"frames", hdf5::ReadInt64Attribute(file_, "frames", where)},
              {"height", hdf5::ReadInt64Attribute(file_, "height", where)},
              {"width", hdf5::ReadInt64Attribute(file_, "width", where)},
              {"generator", hdf5::ReadStringAttribute(file_, "generator", where)},
              {"blur_magnitude_unit",
               hdf5::ReadStringAttribute(file_, "blur_magnitude_unit", where)},
              {"seed", hdf5::ReadUInt64Attribute(file_, "seed", where)},
              {"manifest_sha256", hdf5::ReadStringAttribute(file_, "manifest_sha256", where)},
              {"compression", hdf5::ReadInt64Attribute(file_, "compression", where)}};
    if (hdf5::HasDataset(file_, "raw")) json["raw_mosaic"] = true;  // the mosaic's presence is the flag
    if (hdf5::HasDataset(file_, "event_offsets")) json["events"] = true;  // likewise the events'
    const std::string params = hdf5::ReadStringAttribute(file_, "params", where);
    json["params"] = Json::parse(params, nullptr, /*allow_exceptions=*/false);
    if (json["params"].is_discarded()) {
      throw InputError(Msg() << where << ": attribute 'params' is not valid JSON");
    }
    spec_ = DatasetSpec::FromJson(json, where);
    first_sample_ = hdf5::ReadInt64Attribute(file_, "first_sample", where);
    num_samples_ = hdf5::ReadInt64Attribute(file_, "num_samples", where);
    if (num_samples_ < 0 || first_sample_ < 0) {
      throw InputError(Msg() << where << ": negative sample range");
    }
    const hsize_t n = num_samples_, f = spec_.frames;
    ids_ = hdf5::ReadStrings(file_, "sample_id", n, where);
    source_files_ = hdf5::ReadStrings(file_, "source_file", n, where);
    source_hashes_ = hdf5::ReadStrings(file_, "source_sha256", n, where);
    indices_.resize(n);
    hdf5::ReadArray(file_, "sample_index", H5T_NATIVE_INT64, {n}, indices_.data(), where);
    magnitudes_.resize(n);
    hdf5::ReadArray(file_, "blur_magnitude", H5T_NATIVE_FLOAT, {n}, magnitudes_.data(), where);
    if (spec_.kind == DatasetKind::kRotation) {
      orientations_.resize(n * f * 4);
      homographies_.resize(n * f * 9);
      hdf5::ReadArray(file_, "orientation", H5T_NATIVE_DOUBLE, {n, f, 4}, orientations_.data(),
                      where);
      hdf5::ReadArray(file_, "homography", H5T_NATIVE_DOUBLE, {n, f, 3, 3}, homographies_.data(),
                      where);
      if (hdf5::HasDataset(file_, "trajectory")) {
        const std::vector<hsize_t> dims = hdf5::DatasetDims(file_, "trajectory", where);
        if (dims.size() != 3 || dims[0] != n || dims[2] != 4) {
          throw InputError(Msg() << where << ": dataset 'trajectory' must have shape [" << n
                                 << ", M, 4]");
        }
        trajectory_rows_ = static_cast<int64_t>(dims[1]);
        trajectories_.resize(n * dims[1] * 4);
        hdf5::ReadArray(file_, "trajectory", H5T_NATIVE_DOUBLE, dims, trajectories_.data(), where);
        // A sample's path ends at its last non-zero row (a unit quaternion is never zero).
        trajectory_lengths_.assign(n, 0);
        for (hsize_t i = 0; i < n; ++i) {
          for (int64_t r = trajectory_rows_; r > 0; --r) {
            const double* q = &trajectories_[(i * trajectory_rows_ + r - 1) * 4];
            if (q[0] != 0 || q[1] != 0 || q[2] != 0 || q[3] != 0) {
              trajectory_lengths_[i] = r;
              break;
            }
          }
        }
      }
    }
    if (spec_.kind == DatasetKind::kVideo) {
      source_frames_.resize(n * f);
      hdf5::ReadArray(file_, "source_frames", H5T_NATIVE_INT64, {n, f}, source_frames_.data(),
                      where);
    }
    if (hdf5::HasDataset(file_, "sample_params")) params_ = hdf5::ReadStrings(file_, "sample_params", n, where);
    if (spec_.events) {
      event_offsets_.resize(n + 1);
      event_exposure_.resize(n * 2);
      hdf5::ReadArray(file_, "event_offsets", H5T_NATIVE_INT64, {n + 1}, event_offsets_.data(), where);
      hdf5::ReadArray(file_, "event_exposure", H5T_NATIVE_INT64, {n, 2}, event_exposure_.data(), where);
      const hsize_t total = static_cast<hsize_t>(event_offsets_.back());
      bool ordered = event_offsets_[0] == 0;
      for (hsize_t k = 0; k < n; ++k) ordered = ordered && event_offsets_[k] <= event_offsets_[k + 1];
      if (!ordered) throw InputError(Msg() << where << ": 'event_offsets' must rise from 0");
      for (const char* name : {"event_x", "event_y", "event_t", "event_p"}) {
        if (!hdf5::HasDataset(file_, name) || hdf5::DatasetDims(file_, name, where) != std::vector<hsize_t>{total}) {
          throw InputError(Msg() << where << ": dataset '" << name << "' must hold the " << total
                                 << " events 'event_offsets' announces");
        }
      }
      const hsize_t h = spec_.height, w = spec_.width;
      if (!hdf5::HasDataset(file_, "event_thresholds") ||
          hdf5::DatasetDims(file_, "event_thresholds", where) != std::vector<hsize_t>{n, 2, h, w}) {
        throw InputError(Msg() << where << ": dataset 'event_thresholds' must have shape [" << n
                               << ", 2, " << h << ", " << w << "]");
      }
    }
    if (checksummed()) {
      std::vector<int64_t> event_tables = event_offsets_;  // empty without events
      event_tables.insert(event_tables.end(), event_exposure_.begin(), event_exposure_.end());
      const std::string stored = hdf5::ReadStringAttribute(file_, "metadata_sha256", where);
      const std::string digest =
          detail::MetadataDigest(ids_, source_files_, source_hashes_, indices_, magnitudes_, orientations_,
                         homographies_, source_frames_, trajectories_, params_, event_tables);
      if (stored != digest) {
        throw InputError(Msg() << where << ": checksum error in the per-sample metadata (sample "
                                          "ids, sources, blur magnitudes, poses): the shard is "
                                          "damaged");
      }
    }
    const hsize_t h = spec_.height, w = spec_.width;
    // Only the shapes (and, in schema 2, the checksum filter) here; the pixels are read per sample.
    std::vector<std::pair<const char*, std::vector<hsize_t>>> images{{"blurred", {n, h, w, 3}},
                                                                      {"sharp", {n, f, h, w, 3}}};
    if (spec_.raw_mosaic) images.push_back({"raw", {n, h, w}});  // read through HDF5's pipeline
    if (!event_offsets_.empty()) {  // likewise
      const hsize_t total = static_cast<hsize_t>(event_offsets_.back());
      images.push_back({"event_thresholds", {n, 2, h, w}});
      for (const char* name : {"event_x", "event_y", "event_t", "event_p"}) images.push_back({name, {total}});
    }
    for (size_t k = 0; k < images.size(); ++k) {
      const auto& [name, dims] = images[k];
      if (!hdf5::HasDataset(file_, name)) {
        throw InputError(Msg() << where << ": dataset '" << name << "' is missing");
      }
      Handle dataset(H5Dopen2(file_, name, H5P_DEFAULT), H5Dclose);
      if (!dataset.valid()) {
        throw InputError(Msg() << where << ": cannot open dataset '" << name << "' (damaged shard?)");
      }
      Handle space(H5Dget_space(dataset.get()), H5Sclose);
      const int rank = space.valid() ? H5Sget_simple_extent_ndims(space.get()) : -1;
      std::vector<hsize_t> got(rank > 0 ? rank : 0);
      if (rank > 0) H5Sget_simple_extent_dims(space.get(), got.data(), nullptr);
      if (got != dims) {
        throw InputError(Msg() << where << ": dataset '" << name
                               << "' does not have the shape the attributes announce");
      }
      if (checksummed() && !detail::HasFletcher32(dataset.get())) {
        throw InputError(Msg() << where << ": dataset '" << name
                               << "' lacks the Fletcher-32 checksums schema 2 requires (damaged "
                                  "shard?)");
      }
      std::vector<hsize_t> block = dims;
      block[0] = 1;
      if (k < 2) chunk_forms_[k] = ChunkFormOf(dataset.get(), block);
    }
  } catch (...) {
    H5Fclose(file_);
    file_ = -1;
    throw;
  }
}

ShardReader::~ShardReader() {
  if (file_ >= 0) {
    auto lock = hdf5::Hdf5Lock();
    H5Fclose(file_);
  }
}

Sample ShardReader::Read(int64_t i) const {
  BLURKIT_CHECK(i >= 0 && i < num_samples_) << path_ << " sample " << i;
  Sample sample;
  sample.index = indices_[i];
  sample.id = ids_[i];
  sample.source_file = source_files_[i];
  sample.source_sha256 = source_hashes_[i];
  sample.blur_magnitude = magnitudes_[i];
  const size_t f = spec_.frames, h = spec_.height, w = spec_.width;
  if (!orientations_.empty()) {
    sample.orientation.assign(orientations_.begin() + i * f * 4,
                              orientations_.begin() + (i + 1) * f * 4);
    sample.homography.assign(homographies_.begin() + i * f * 9,
                             homographies_.begin() + (i + 1) * f * 9);
  }
  if (trajectory_rows_ > 0) {
    const auto begin = trajectories_.begin() + i * trajectory_rows_ * 4;
    sample.trajectory.assign(begin, begin + trajectory_lengths_[i] * 4);
  }
  if (!source_frames_.empty()) {
    sample.source_frames.assign(source_frames_.begin() + i * f, source_frames_.begin() + (i + 1) * f);
  }
  // One sample's pixels of dataset k (0 blurred, 1 sharp) into `out`. Where the chunks hold the
  // pixels (or their zlib stream) and their Fletcher-32 and nothing else (schema 2 as blurkit
  // writes it; schema 1: the pixels alone), the stored chunk is read as it is: uncompressed
  // straight into `out`, deflated into a buffer this thread reuses. It is checked, with a
  // Fletcher-32 several times faster than HDF5's, and inflated after the HDF5 lock is released.
  // Beyond the sample's own pixels this allocates nothing per read, whereas HDF5's pipeline
  // allocates and frees a buffer per chunk, which glibc (default thresholds) hands back to the
  // kernel and faults in again every time; no allocator setting is changed for that.
  // Anything else (another filter or order, a chunk of an unexpected size or whose filter was
  // skipped) goes through HDF5's own pipeline, which checks the same checksums with HDF5's code.
  auto read = [&](int k, std::vector<uint8_t>& out, std::vector<hsize_t> block) {
    const char* name = k == 0 ? "blurred" : "sharp";
    auto fail = [&] {
      return InputError(Msg() << path_.string() << ": sample '" << ids_[i] << "' (index "
                              << indices_[i] << "): cannot read '" << name << "': "
                              << (checksummed() ? "checksum error or damaged shard"
                                                : "damaged shard? (schema 1: no checksums)"));
    };
    size_t bytes = 1;
    for (hsize_t d : block) bytes *= d;
    const ChunkForm form = chunk_forms_[k];
    // Uncompressed, `out` takes the pixels and the 4 bytes of checksum, dropped once checked.
    thread_local std::vector<uint8_t> reused;
    std::vector<uint8_t>& chunk = form == ChunkForm::kDeflatedAndChecksummed ? reused : out;
    const size_t checksum = form == ChunkForm::kPlain ? 0 : 4;
    {
      auto lock = hdf5::Hdf5Lock();
      Handle dataset(H5Dopen2(file_, name, H5P_DEFAULT), H5Dclose);
      std::vector<hsize_t> start(block.size(), 0);
      start[0] = i;
      bool raw = false;
      if (form != ChunkForm::kOther && dataset.valid()) {
        hsize_t stored = 0;
        uint32_t filters = 0;
        // A deflated chunk is at most the pixels plus zlib's few bytes per 16 KiB block (HDF5
        // stores it unfiltered, flagged in `filters`, when deflate would make it larger).
        if (H5Dget_chunk_storage_size(dataset.get(), start.data(), &stored) >= 0 &&
            (form == ChunkForm::kDeflatedAndChecksummed ? stored > 4 && stored <= 2 * bytes + 1024
                                                        : stored == bytes + checksum)) {
          chunk.resize(stored);
          raw = H5Dread_chunk(dataset.get(), H5P_DEFAULT, start.data(), &filters,
                              chunk.data()) >= 0 &&
                filters == 0;
        }
      }
      if (!raw) {
        out.resize(bytes);
        Handle file_space(H5Dget_space(dataset.get()), H5Sclose);
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, block.data(),
                            nullptr);
        Handle mem_space(H5Screate_simple(static_cast<int>(block.size()), block.data(), nullptr),
                         H5Sclose);
        if (!dataset.valid() || H5Dread(dataset.get(), H5T_NATIVE_UINT8, mem_space.get(),
                                        file_space.get(), H5P_DEFAULT, out.data()) < 0) {
          throw fail();
        }
        return;
      }
    }
    // The checksum of the stored bytes follows them, 4 bytes little-endian.
    const size_t payload = chunk.size() - checksum;
    if (checksum) {
      const uint8_t* c = chunk.data() + payload;
      const uint32_t want = uint32_t(c[0]) | (uint32_t(c[1]) << 8) | (uint32_t(c[2]) << 16) |
                            (uint32_t(c[3]) << 24);
      const uint32_t got = Fletcher32(chunk.data(), payload);
      // HDF5 also accepts the byte order of releases before 1.6.2 (each 16-bit half swapped).
      const uint32_t swapped = ((got & 0x00ff00ffu) << 8) | ((got >> 8) & 0x00ff00ffu);
      if (want != got && want != swapped) throw fail();
    }
    out.resize(bytes);
    if (form == ChunkForm::kDeflatedAndChecksummed) {
      // HDF5's deflate filter stores one zlib stream (compress2); it must give the whole sample.
      uLongf inflated = bytes;
      uLong consumed = payload;
      if (uncompress2(out.data(), &inflated, chunk.data(), &consumed) != Z_OK ||
          inflated != bytes) {
        throw fail();
      }
    }
    raw_chunk_reads_.fetch_add(1, std::memory_order_relaxed);
  };
  read(0, sample.blurred, {1, h, w, 3});
  read(1, sample.sharp, {1, f, h, w, 3});
  if (!params_.empty()) sample.params = params_[i];
  if (spec_.raw_mosaic) {
    // The mosaic through HDF5's own pipeline (its Fletcher-32 checked there).
    sample.raw.resize(h * w);
    auto lock = hdf5::Hdf5Lock();
    Handle dataset(H5Dopen2(file_, "raw", H5P_DEFAULT), H5Dclose);
    const std::vector<hsize_t> start{hsize_t(i), 0, 0}, block{1, h, w};
    Handle file_space(dataset.valid() ? H5Dget_space(dataset.get()) : -1, H5Sclose);
    if (file_space.valid()) {
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, block.data(), nullptr);
    }
    Handle mem_space(H5Screate_simple(3, block.data(), nullptr), H5Sclose);
    if (!dataset.valid() || !file_space.valid() ||
        H5Dread(dataset.get(), H5T_NATIVE_UINT16, mem_space.get(), file_space.get(), H5P_DEFAULT,
                sample.raw.data()) < 0) {
      throw InputError(Msg() << path_.string() << ": sample '" << ids_[i] << "' (index " << indices_[i]
                             << "): cannot read 'raw': checksum error or damaged shard");
    }
  }
  if (spec_.events) {
    // Through HDF5's pipeline: its Fletcher-32 checks every chunk read.
    SampleEvents& ev = sample.events;
    const hsize_t start = static_cast<hsize_t>(event_offsets_[i]);
    const hsize_t count = static_cast<hsize_t>(event_offsets_[i + 1] - event_offsets_[i]);
    ev.exposure_start = event_exposure_[2 * i];
    ev.exposure_end = event_exposure_[2 * i + 1];
    ev.x.resize(count);
    ev.y.resize(count);
    ev.t.resize(count);
    ev.p.resize(count);
    ev.thresholds.resize(2 * h * w);
    auto lock = hdf5::Hdf5Lock();
    auto read = [&](const char* name, hid_t type, void* data, std::vector<hsize_t> first,
                    std::vector<hsize_t> block) {
      Handle dataset(H5Dopen2(file_, name, H5P_DEFAULT), H5Dclose);
      Handle file_space(dataset.valid() ? H5Dget_space(dataset.get()) : -1, H5Sclose);
      Handle mem_space(H5Screate_simple(static_cast<int>(block.size()), block.data(), nullptr), H5Sclose);
      bool ok = dataset.valid() && file_space.valid();
      if (ok) {
        ok = H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, first.data(), nullptr, block.data(),
                                 nullptr) >= 0 &&
             H5Dread(dataset.get(), type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) >= 0;
      }
      if (!ok) {
        throw InputError(Msg() << path_.string() << ": sample '" << ids_[i] << "' (index " << indices_[i]
                               << "): cannot read '" << name << "': checksum error or damaged shard");
      }
    };
    read("event_thresholds", H5T_NATIVE_FLOAT, ev.thresholds.data(), {hsize_t(i), 0, 0, 0}, {1, 2, h, w});
    if (count > 0) {
      read("event_x", H5T_NATIVE_UINT16, ev.x.data(), {start}, {count});
      read("event_y", H5T_NATIVE_UINT16, ev.y.data(), {start}, {count});
      read("event_t", H5T_NATIVE_INT64, ev.t.data(), {start}, {count});
      read("event_p", H5T_NATIVE_INT8, ev.p.data(), {start}, {count});
    }
  }
  return sample;
}

}  // namespace blurkit
