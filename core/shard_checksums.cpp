#include "shard_checksums.h"

#include "blurkit/core/sha256.h"
#include "hdf5_io.h"

namespace blurkit::detail {
using hdf5::Handle;

namespace {
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the metadata digest hashes little-endian bytes");

template <typename T>
void AppendBytes(std::string& out, const std::vector<T>& values) {
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

}  // namespace

// sha256 of the per-sample metadata columns, which HDF5 stores without a checksum. The bytes
// hashed, in this order: each value of sample_id, then of source_file, then of source_sha256, as
// UTF-8 followed by one NUL byte; then sample_index (int64), blur_magnitude (float32), orientation
// (float64), homography (float64), source_frames (int64) and trajectory (float64, as stored:
// [n, M, 4] with its zero rows), little-endian, row-major, the columns a shard lacks being empty;
// then, where the shard has /sample_params, each of its values followed by one NUL byte; last,
// where it has events, event_offsets and event_exposure (int64), which HDF5 stores unfiltered.
// python/blurkit (metadata_sha256) computes the same digest.
std::string MetadataDigest(const std::vector<std::string>& ids,
                           const std::vector<std::string>& source_files,
                           const std::vector<std::string>& source_hashes,
                           const std::vector<int64_t>& indices, const std::vector<float>& magnitudes,
                           const std::vector<double>& orientations,
                           const std::vector<double>& homographies,
                           const std::vector<int64_t>& source_frames,
                           const std::vector<double>& trajectory,
                           const std::vector<std::string>& sample_params,
                           const std::vector<int64_t>& event_tables) {
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
  for (const auto& value : sample_params) {
    bytes += value;
    bytes.push_back('\0');
  }
  AppendBytes(bytes, event_tables);
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

}  // namespace blurkit::detail
