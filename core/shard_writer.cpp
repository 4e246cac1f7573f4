// ShardWriter: one shard written under a temporary name, committed atomically.
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

struct ShardWriter::Handles {
  Handle file;
  Handle blurred;
  Handle sharp;
  Handle raw;  // spec.raw_mosaic only
  // spec.events only: the thresholds (one sample per chunk) and the events (1-D, growing).
  Handle event_thresholds, event_x, event_y, event_t, event_p;
};

namespace {

// Events per chunk of the growing event datasets.
constexpr hsize_t kEventChunk = 1 << 16;

}  // namespace

ShardWriter::ShardWriter(const fs::path& final_path, const DatasetSpec& spec, int64_t first_sample,
                         int64_t num_samples, Format format)
    : final_path_(final_path),
      temporary_path_(TemporaryPathFor(final_path)),
      spec_(spec),
      first_sample_(first_sample),
      num_samples_(num_samples),
      format_(format),
      handles_(std::make_unique<Handles>()) {
  spec_.Check();
  BLURKIT_CHECK(num_samples > 0 && first_sample >= 0);
  auto lock = hdf5::Hdf5Lock();
  const std::string where = temporary_path_.string();
  // A property HDF5 refuses would write another file than the format promises: stop.
  auto require = [&](herr_t status, const char* what) {
    if (status < 0) throw IoError(Msg() << where << ": HDF5 refused " << what << " (is its build complete?)");
  };
  Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  require(H5Pset_obj_track_times(fcpl.get(), false), "to drop timestamps");  // also the root group
  // Schema 2: HDF5's 1.10 file format, whose superblock, object headers and chunk indexes carry
  // checksums. Both bounds are fixed so that the bytes do not depend on the HDF5 release.
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (format_ == Format::kChecked) {
    require(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V110, H5F_LIBVER_V110),
            "the 1.10 file format (schema 2)");
  }
  handles_->file = Handle(H5Fcreate(where.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), H5Fclose);
  if (!handles_->file.valid()) {
    throw IoError(Msg() << where << ": cannot create the shard file (is the folder writable?)");
  }
  const hsize_t n = num_samples_, f = spec_.frames, h = spec_.height, w = spec_.width;
  auto create = [&](const char* name, std::vector<hsize_t> dims, hid_t type = H5T_STD_U8LE) {
    std::vector<hsize_t> chunk = dims;
    chunk[0] = 1;
    Handle dcpl = hdf5::NewDatasetCreation();
    require(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), "the chunk shape");
    require(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), "to skip fill values");
    if (spec_.compression > 0) require(H5Pset_deflate(dcpl.get(), spec_.compression), "gzip compression");
    // Last: the checksum covers the stored (compressed) bytes.
    if (format_ == Format::kChecked) require(H5Pset_fletcher32(dcpl.get()), "Fletcher-32 checksums");
    Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
    Handle dataset(H5Dcreate2(handles_->file.get(), name, type, space.get(), H5P_DEFAULT,
                              dcpl.get(), H5P_DEFAULT),
                   H5Dclose);
    if (!dataset.valid()) throw IoError(Msg() << where << ": cannot create dataset " << name);
    return dataset;
  };
  handles_->blurred = create("blurred", {n, h, w, 3});
  handles_->sharp = create("sharp", {n, f, h, w, 3});
  if (spec_.raw_mosaic) handles_->raw = create("raw", {n, h, w}, H5T_STD_U16LE);
  if (spec_.events) {
    handles_->event_thresholds = create("event_thresholds", {n, 2, h, w}, H5T_IEEE_F32LE);
    // The events of all samples, one after another: 1-D, extended at each sample.
    auto create_events = [&](const char* name, hid_t type) {
      Handle dcpl = hdf5::NewDatasetCreation();
      const hsize_t chunk = kEventChunk, zero = 0, unlimited = H5S_UNLIMITED;
      require(H5Pset_chunk(dcpl.get(), 1, &chunk), "the chunk shape");
      require(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), "to skip fill values");
      if (spec_.compression > 0) require(H5Pset_deflate(dcpl.get(), spec_.compression), "gzip compression");
      if (format_ == Format::kChecked) require(H5Pset_fletcher32(dcpl.get()), "Fletcher-32 checksums");
      Handle space(H5Screate_simple(1, &zero, &unlimited), H5Sclose);
      Handle dataset(H5Dcreate2(handles_->file.get(), name, type, space.get(), H5P_DEFAULT,
                                dcpl.get(), H5P_DEFAULT),
                     H5Dclose);
      if (!dataset.valid()) throw IoError(Msg() << where << ": cannot create dataset " << name);
      return dataset;
    };
    handles_->event_x = create_events("event_x", H5T_STD_U16LE);
    handles_->event_y = create_events("event_y", H5T_STD_U16LE);
    handles_->event_t = create_events("event_t", H5T_STD_I64LE);
    handles_->event_p = create_events("event_p", H5T_STD_I8LE);
  }
}

ShardWriter::~ShardWriter() {
  if (committed_) return;
  {
    auto lock = hdf5::Hdf5Lock();
    handles_.reset();
  }
  std::error_code ec;
  fs::remove(temporary_path_, ec);
}

void ShardWriter::Append(const Sample& sample) {
  BLURKIT_CHECK(!committed_ && count_ < num_samples_) << final_path_;
  BLURKIT_CHECK(sample.index == first_sample_ + count_)
      << "sample " << sample.index << " appended where " << first_sample_ + count_ << " belongs";
  CheckSampleShape(sample, spec_, final_path_.string());
  {
    auto lock = hdf5::Hdf5Lock();
    auto write = [&](const Handle& dataset, const void* data, std::vector<hsize_t> block,
                     hid_t type = H5T_NATIVE_UINT8) {
      std::vector<hsize_t> start(block.size(), 0);
      start[0] = count_;
      Handle file_space(H5Dget_space(dataset.get()), H5Sclose);
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, block.data(),
                          nullptr);
      Handle mem_space(H5Screate_simple(static_cast<int>(block.size()), block.data(), nullptr),
                       H5Sclose);
      if (H5Dwrite(dataset.get(), type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0) {
        throw IoError(Msg() << temporary_path_.string() << ": cannot write sample " << sample.id
                            << " (disk full?)");
      }
    };
    const hsize_t f = spec_.frames, h = spec_.height, w = spec_.width;
    write(handles_->blurred, sample.blurred.data(), {1, h, w, 3});
    write(handles_->sharp, sample.sharp.data(), {1, f, h, w, 3});
    if (spec_.raw_mosaic) write(handles_->raw, sample.raw.data(), {1, h, w}, H5T_NATIVE_UINT16);
    if (spec_.events) {
      const SampleEvents& ev = sample.events;
      write(handles_->event_thresholds, ev.thresholds.data(), {1, 2, h, w}, H5T_NATIVE_FLOAT);
      const hsize_t start = static_cast<hsize_t>(event_offsets_.back()), count = ev.t.size();
      auto append = [&](const Handle& dataset, const void* data, hid_t type) {
        const hsize_t size = start + count;
        if (H5Dset_extent(dataset.get(), &size) < 0) {
          throw IoError(Msg() << temporary_path_.string() << ": cannot grow the events for sample "
                              << sample.id);
        }
        if (count == 0) return;
        Handle file_space(H5Dget_space(dataset.get()), H5Sclose);
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr);
        Handle mem_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
        if (H5Dwrite(dataset.get(), type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0) {
          throw IoError(Msg() << temporary_path_.string() << ": cannot write the events of sample "
                              << sample.id << " (disk full?)");
        }
      };
      append(handles_->event_x, ev.x.data(), H5T_NATIVE_UINT16);
      append(handles_->event_y, ev.y.data(), H5T_NATIVE_UINT16);
      append(handles_->event_t, ev.t.data(), H5T_NATIVE_INT64);
      append(handles_->event_p, ev.p.data(), H5T_NATIVE_INT8);
      event_offsets_.push_back(static_cast<int64_t>(start + count));
      event_exposure_.insert(event_exposure_.end(), {ev.exposure_start, ev.exposure_end});
    }
  }
  params_.push_back(sample.params);
  ids_.push_back(sample.id);
  indices_.push_back(sample.index);
  source_files_.push_back(sample.source_file);
  source_hashes_.push_back(sample.source_sha256);
  magnitudes_.push_back(sample.blur_magnitude);
  orientations_.insert(orientations_.end(), sample.orientation.begin(), sample.orientation.end());
  homographies_.insert(homographies_.end(), sample.homography.begin(), sample.homography.end());
  source_frames_.insert(source_frames_.end(), sample.source_frames.begin(),
                        sample.source_frames.end());
  trajectories_.push_back(sample.trajectory);
  ++count_;
}

void ShardWriter::Commit() {
  BLURKIT_CHECK(!committed_);
  BLURKIT_CHECK(count_ == num_samples_)
      << final_path_ << ": " << count_ << " of " << num_samples_ << " samples appended";
  {
    auto lock = hdf5::Hdf5Lock();
    const std::string where = temporary_path_.string();
    const hid_t file = handles_->file.get();
    const hsize_t n = num_samples_, f = spec_.frames;
    hdf5::WriteStrings(file, "sample_id", ids_, where);
    hdf5::WriteArray(file, "sample_index", H5T_NATIVE_INT64, H5T_STD_I64LE, {n}, indices_.data(),
                     where);
    hdf5::WriteStrings(file, "source_file", source_files_, where);
    hdf5::WriteStrings(file, "source_sha256", source_hashes_, where);
    hdf5::WriteArray(file, "blur_magnitude", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, {n},
                     magnitudes_.data(), where);
    // The trajectories, zero-padded to the longest (none: no dataset, as before it existed).
    size_t rows = 0;
    for (const auto& t : trajectories_) rows = std::max(rows, t.size() / 4);
    std::vector<double> trajectory(rows * 4 * n, 0.0);
    for (size_t i = 0; i < trajectories_.size(); ++i) {
      std::copy(trajectories_[i].begin(), trajectories_[i].end(), trajectory.begin() + i * rows * 4);
    }
    if (spec_.kind == DatasetKind::kRotation) {
      hdf5::WriteArray(file, "orientation", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, {n, f, 4},
                       orientations_.data(), where);
      hdf5::WriteArray(file, "homography", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, {n, f, 3, 3},
                       homographies_.data(), where);
      if (rows > 0) {
        hdf5::WriteArray(file, "trajectory", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, {n, rows, 4},
                         trajectory.data(), where);
      }
    } else {
      trajectory.clear();
    }
    if (spec_.kind == DatasetKind::kVideo) {
      hdf5::WriteArray(file, "source_frames", H5T_NATIVE_INT64, H5T_STD_I64LE, {n, f},
                       source_frames_.data(), where);
    }
    // Per-sample drawn values: only where a sample has some (none: no dataset, as before).
    const bool any_params =
        std::any_of(params_.begin(), params_.end(), [](const std::string& p) { return !p.empty(); });
    if (!any_params) params_.clear();
    if (any_params) hdf5::WriteStrings(file, "sample_params", params_, where);
    if (spec_.events) {
      hdf5::WriteArray(file, "event_offsets", H5T_NATIVE_INT64, H5T_STD_I64LE, {n + 1},
                       event_offsets_.data(), where);
      hdf5::WriteArray(file, "event_exposure", H5T_NATIVE_INT64, H5T_STD_I64LE, {n, 2},
                       event_exposure_.data(), where);
    }
    const bool checked = format_ == Format::kChecked;
    hdf5::WriteInt64Attribute(file, "schema_version", checked ? kSchemaVersion : 1, where);
    hdf5::WriteStringAttribute(file, "kind", ToString(spec_.kind), where);
    hdf5::WriteStringAttribute(file, "generator", spec_.generator, where);
    hdf5::WriteInt64Attribute(file, "frames", spec_.frames, where);
    hdf5::WriteInt64Attribute(file, "height", spec_.height, where);
    hdf5::WriteInt64Attribute(file, "width", spec_.width, where);
    hdf5::WriteInt64Attribute(file, "first_sample", first_sample_, where);
    hdf5::WriteInt64Attribute(file, "num_samples", num_samples_, where);
    hdf5::WriteStringAttribute(file, "blur_magnitude_unit", spec_.blur_magnitude_unit, where);
    hdf5::WriteStringAttribute(file, "params", spec_.params.dump(), where);
    hdf5::WriteUInt64Attribute(file, "seed", spec_.seed, where);
    hdf5::WriteStringAttribute(file, "manifest_sha256", spec_.manifest_sha256, where);
    hdf5::WriteInt64Attribute(file, "compression", spec_.compression, where);
    if (checked) {
      std::vector<int64_t> event_tables;  // empty without events
      if (spec_.events) {
        event_tables = event_offsets_;
        event_tables.insert(event_tables.end(), event_exposure_.begin(), event_exposure_.end());
      }
      hdf5::WriteStringAttribute(file, "metadata_sha256",
                                 detail::MetadataDigest(ids_, source_files_, source_hashes_, indices_,
                                                magnitudes_, orientations_, homographies_,
                                                source_frames_, trajectory, params_, event_tables),
                                 where);
    }
    // Every close is checked: a shard whose last metadata did not reach the disk is never renamed
    // into place (the destructor removes the temporary file).
    bool datasets_closed =
        handles_->blurred.Close() & handles_->sharp.Close() & (!spec_.raw_mosaic || handles_->raw.Close());
    if (spec_.events) {
      datasets_closed = datasets_closed & handles_->event_thresholds.Close() & handles_->event_x.Close() &
                        handles_->event_y.Close() & handles_->event_t.Close() & handles_->event_p.Close();
    }
    if (!datasets_closed) throw IoError(Msg() << where << ": cannot close the pixel datasets (disk full?)");
    if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) {
      throw IoError(Msg() << where << ": cannot flush the shard (disk full?)");
    }
    if (!handles_->file.Close()) throw IoError(Msg() << where << ": cannot close the shard (disk full?)");
  }
  CommitTemporaryFile(temporary_path_, final_path_);
  committed_ = true;
}

}  // namespace blurkit
