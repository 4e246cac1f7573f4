// Checksums of schema-2 shards, shared by the shard writer and reader (core-internal).
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace blurkit::detail {

// sha256 of the per-sample metadata columns, which HDF5 stores without a checksum; the exact
// bytes hashed are described in shard_checksums.cpp. python/blurkit (metadata_sha256) computes
// the same digest.
std::string MetadataDigest(const std::vector<std::string>& ids,
                           const std::vector<std::string>& source_files,
                           const std::vector<std::string>& source_hashes,
                           const std::vector<int64_t>& indices, const std::vector<float>& magnitudes,
                           const std::vector<double>& orientations,
                           const std::vector<double>& homographies,
                           const std::vector<int64_t>& source_frames,
                           const std::vector<double>& trajectory,
                           const std::vector<std::string>& sample_params,
                           const std::vector<int64_t>& event_tables = {});

// True when the dataset's filter pipeline holds Fletcher-32.
bool HasFletcher32(hid_t dataset);

}  // namespace blurkit::detail
