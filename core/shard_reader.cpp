// ShardReader: random access to the samples of one shard, checked as they are read.
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
    if (checksummed()) {
      const std::string stored = hdf5::ReadStringAttribute(file_, "metadata_sha256", where);
      const std::string digest =
          detail::MetadataDigest(ids_, source_files_, source_hashes_, indices_, magnitudes_, orientations_,
                         homographies_, source_frames_, trajectories_);
      if (stored != digest) {
        throw InputError(Msg() << where << ": checksum error in the per-sample metadata (sample "
                                          "ids, sources, blur magnitudes, poses): the shard is "
                                          "damaged");
      }
    }
    const hsize_t h = spec_.height, w = spec_.width;
    // Only the shapes (and, in schema 2, the checksum filter) here; the pixels are read per sample.
    for (auto [name, dims] : {std::pair<const char*, std::vector<hsize_t>>{"blurred", {n, h, w, 3}},
                              {"sharp", {n, f, h, w, 3}}}) {
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
  sample.blurred.resize(h * w * 3);
  sample.sharp.resize(f * h * w * 3);
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
  auto lock = hdf5::Hdf5Lock();
  auto read = [&](const char* name, void* data, std::vector<hsize_t> block) {
    Handle dataset(H5Dopen2(file_, name, H5P_DEFAULT), H5Dclose);
    std::vector<hsize_t> start(block.size(), 0);
    start[0] = i;
    Handle file_space(H5Dget_space(dataset.get()), H5Sclose);
    H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, block.data(),
                        nullptr);
    Handle mem_space(H5Screate_simple(static_cast<int>(block.size()), block.data(), nullptr),
                     H5Sclose);
    if (!dataset.valid() || H5Dread(dataset.get(), H5T_NATIVE_UINT8, mem_space.get(),
                                    file_space.get(), H5P_DEFAULT, data) < 0) {
      throw InputError(Msg() << path_.string() << ": sample '" << ids_[i] << "' (index "
                             << indices_[i] << "): cannot read '" << name << "': "
                             << (checksummed() ? "checksum error or damaged shard"
                                               : "damaged shard? (schema 1: no checksums)"));
    }
  };
  read("blurred", sample.blurred.data(), {1, h, w, 3});
  read("sharp", sample.sharp.data(), {1, f, h, w, 3});
  return sample;
}

}  // namespace blurkit
