#include "blurkit/core/shard.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/error.h"
#include "blurkit/core/random.h"
#include "blurkit/core/sha256.h"
#include "hdf5_io.h"

namespace blurkit {
namespace fs = std::filesystem;
using hdf5::Handle;

std::string ToString(DatasetKind kind) {
  switch (kind) {
    case DatasetKind::kRotation: return "rotation";
    case DatasetKind::kVideo: return "video";
    case DatasetKind::kPairs: return "pairs";
    case DatasetKind::kPrediction: return "prediction";
  }
  return "unknown";
}

DatasetKind DatasetKindFromString(const std::string& name) {
  if (name == "rotation") return DatasetKind::kRotation;
  if (name == "video") return DatasetKind::kVideo;
  if (name == "pairs") return DatasetKind::kPairs;
  if (name == "prediction") return DatasetKind::kPrediction;
  throw InputError(Msg() << "unknown dataset kind '" << name
                         << "' (expected rotation, video, pairs or prediction)");
}

void DatasetSpec::Check() const {
  if (frames < 1 || frames % 2 == 0) {
    throw InputError(Msg() << "the number of sharp frames must be odd and positive (the middle frame "
                              "is F/2), got "
                           << frames);
  }
  if (kind != DatasetKind::kPairs && kind != DatasetKind::kPrediction && frames < 3) {
    throw InputError(Msg() << "a " << ToString(kind) << " dataset needs at least 3 sharp frames, got "
                           << frames);
  }
  if (height <= 0 || width <= 0) {
    throw InputError(Msg() << "image size must be positive, got " << width << "x" << height);
  }
  if (compression < 0 || compression > 9) {
    throw InputError(Msg() << "compression must be a gzip level 0..9, got " << compression);
  }
}

Json DatasetSpec::ToJson() const {
  return Json{{"kind", ToString(kind)},
              {"frames", frames},
              {"height", height},
              {"width", width},
              {"generator", generator},
              {"blur_magnitude_unit", blur_magnitude_unit},
              {"params", params},
              {"seed", seed},
              {"manifest_sha256", manifest_sha256},
              {"compression", compression}};
}

DatasetSpec DatasetSpec::FromJson(const Json& json, const std::string& origin) {
  try {
    DatasetSpec spec;
    spec.kind = DatasetKindFromString(json.at("kind").get<std::string>());
    spec.frames = json.at("frames").get<int>();
    spec.height = json.at("height").get<int>();
    spec.width = json.at("width").get<int>();
    spec.generator = json.value("generator", "");
    spec.blur_magnitude_unit = json.value("blur_magnitude_unit", "");
    spec.params = json.value("params", Json::object());
    spec.seed = json.value("seed", uint64_t{0});
    spec.manifest_sha256 = json.value("manifest_sha256", "");
    spec.compression = json.value("compression", 0);
    spec.Check();
    return spec;
  } catch (const Json::exception& e) {
    throw InputError(Msg() << origin << ": invalid dataset description: " << e.what());
  } catch (const InputError& e) {
    throw InputError(Msg() << origin << ": " << e.what());
  }
}

void CheckSampleShape(const Sample& sample, const DatasetSpec& spec, const std::string& where) {
  const size_t image = static_cast<size_t>(spec.height) * spec.width * 3;
  auto fail = [&](const std::string& what) {
    throw InputError(Msg() << where << ": sample '" << sample.id << "' (index " << sample.index
                           << "): " << what);
  };
  if (sample.id.empty()) fail("has no sample id");
  if (sample.blurred.size() != image) {
    fail(Msg() << "blurred image has " << sample.blurred.size() << " bytes, expected " << image
               << " (" << spec.width << "x" << spec.height << "x3)");
  }
  if (sample.sharp.size() != image * spec.frames) {
    fail(Msg() << "sharp frames hold " << sample.sharp.size() << " bytes, expected "
               << image * spec.frames << " (" << spec.frames << " frames of " << spec.width << "x"
               << spec.height << "x3)");
  }
  if (spec.kind == DatasetKind::kRotation) {
    if (sample.orientation.size() != 4u * spec.frames) fail("needs one quaternion per frame");
    if (sample.homography.size() != 9u * spec.frames) fail("needs one homography per frame");
    if (sample.trajectory.size() % 4 != 0) fail("trajectory must hold whole quaternions (w, x, y, z)");
  }
  if (spec.kind == DatasetKind::kVideo && sample.source_frames.size() != size_t(spec.frames)) {
    fail("needs one source frame number per frame");
  }
}

// ---------------------------------------------------------------------------------------------
// Checksums (schema 2)

namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the metadata digest hashes little-endian bytes");

template <typename T>
void AppendBytes(std::string& out, const std::vector<T>& values) {
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

// sha256 of the per-sample metadata columns, which HDF5 stores without a checksum. The bytes
// hashed, in this order: each value of sample_id, then of source_file, then of source_sha256, as
// UTF-8 followed by one NUL byte; then sample_index (int64), blur_magnitude (float32), orientation
// (float64), homography (float64), source_frames (int64) and trajectory (float64, as stored:
// [n, M, 4] with its zero rows), little-endian, row-major, the columns a shard lacks being empty.
// python/blurkit (metadata_sha256) computes the same digest.
std::string MetadataDigest(const std::vector<std::string>& ids,
                           const std::vector<std::string>& source_files,
                           const std::vector<std::string>& source_hashes,
                           const std::vector<int64_t>& indices, const std::vector<float>& magnitudes,
                           const std::vector<double>& orientations,
                           const std::vector<double>& homographies,
                           const std::vector<int64_t>& source_frames,
                           const std::vector<double>& trajectory) {
  std::string bytes;
  for (const auto* column : {&ids, &source_files, &source_hashes}) {
    for (const auto& value : *column) {
      bytes += value;
      bytes.push_back('\0');
    }
  }
  AppendBytes(bytes, indices);
  AppendBytes(bytes, magnitudes);
  AppendBytes(bytes, orientations);
  AppendBytes(bytes, homographies);
  AppendBytes(bytes, source_frames);
  AppendBytes(bytes, trajectory);
  return Sha256OfString(bytes);
}

// True when the dataset's filter pipeline holds Fletcher-32.
bool HasFletcher32(hid_t dataset) {
  Handle dcpl(H5Dget_create_plist(dataset), H5Pclose);
  if (!dcpl.valid()) return false;
  const int filters = H5Pget_nfilters(dcpl.get());
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0, config = 0;
    size_t elements = 0;
    if (H5Pget_filter2(dcpl.get(), static_cast<unsigned>(i), &flags, &elements, nullptr, 0, nullptr,
                       &config) == H5Z_FILTER_FLETCHER32) {
      return true;
    }
  }
  return false;
}

}  // namespace

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

// ---------------------------------------------------------------------------------------------
// ShardWriter

struct ShardWriter::Handles {
  Handle file;
  Handle blurred;
  Handle sharp;
};

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
  Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  H5Pset_obj_track_times(fcpl.get(), false);  // also for the root group
  // Schema 2: HDF5's 1.10 file format, whose superblock, object headers and chunk indexes carry
  // checksums. Both bounds are fixed so that the bytes do not depend on the HDF5 release.
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (format_ == Format::kChecked) H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V110, H5F_LIBVER_V110);
  handles_->file = Handle(H5Fcreate(where.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), H5Fclose);
  if (!handles_->file.valid()) {
    throw IoError(Msg() << where << ": cannot create the shard file (is the folder writable?)");
  }
  const hsize_t n = num_samples_, f = spec_.frames, h = spec_.height, w = spec_.width;
  auto create = [&](const char* name, std::vector<hsize_t> dims) {
    std::vector<hsize_t> chunk = dims;
    chunk[0] = 1;
    Handle dcpl = hdf5::NewDatasetCreation();
    H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
    H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER);
    if (spec_.compression > 0) H5Pset_deflate(dcpl.get(), spec_.compression);
    if (format_ == Format::kChecked) H5Pset_fletcher32(dcpl.get());  // last: checks stored bytes
    Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
    Handle dataset(H5Dcreate2(handles_->file.get(), name, H5T_STD_U8LE, space.get(), H5P_DEFAULT,
                              dcpl.get(), H5P_DEFAULT),
                   H5Dclose);
    if (!dataset.valid()) throw IoError(Msg() << where << ": cannot create dataset " << name);
    return dataset;
  };
  handles_->blurred = create("blurred", {n, h, w, 3});
  handles_->sharp = create("sharp", {n, f, h, w, 3});
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
    auto write = [&](const Handle& dataset, const void* data, std::vector<hsize_t> block) {
      std::vector<hsize_t> start(block.size(), 0);
      start[0] = count_;
      Handle file_space(H5Dget_space(dataset.get()), H5Sclose);
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, block.data(),
                          nullptr);
      Handle mem_space(H5Screate_simple(static_cast<int>(block.size()), block.data(), nullptr),
                       H5Sclose);
      if (H5Dwrite(dataset.get(), H5T_NATIVE_UINT8, mem_space.get(), file_space.get(), H5P_DEFAULT,
                   data) < 0) {
        throw IoError(Msg() << temporary_path_.string() << ": cannot write sample " << sample.id
                            << " (disk full?)");
      }
    };
    const hsize_t f = spec_.frames, h = spec_.height, w = spec_.width;
    write(handles_->blurred, sample.blurred.data(), {1, h, w, 3});
    write(handles_->sharp, sample.sharp.data(), {1, f, h, w, 3});
  }
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
      hdf5::WriteStringAttribute(file, "metadata_sha256",
                                 MetadataDigest(ids_, source_files_, source_hashes_, indices_,
                                                magnitudes_, orientations_, homographies_,
                                                source_frames_, trajectory),
                                 where);
    }
    handles_->blurred.Reset();
    handles_->sharp.Reset();
    if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) {
      throw IoError(Msg() << where << ": cannot flush the shard (disk full?)");
    }
    handles_->file.Reset();
  }
  CommitTemporaryFile(temporary_path_, final_path_);
  committed_ = true;
}

// ---------------------------------------------------------------------------------------------
// ShardReader

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
          MetadataDigest(ids_, source_files_, source_hashes_, indices_, magnitudes_, orientations_,
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
      if (checksummed() && !HasFletcher32(dataset.get())) {
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

// ---------------------------------------------------------------------------------------------
// Index

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

// ---------------------------------------------------------------------------------------------
// DatasetReader

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

// ---------------------------------------------------------------------------------------------
// Verify

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
