// SHA-256 digests (OpenSSL's libcrypto), as lower-case hex strings: the checksums of sources in
// manifests and of shards in a dataset's index.json.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace blurkit {

// Digest of a whole file. Throws IoError naming the file when it cannot be read.
std::string Sha256OfFile(const std::filesystem::path& path);

// Digest of a byte string.
std::string Sha256OfBytes(const void* data, size_t size);
inline std::string Sha256OfString(const std::string& s) { return Sha256OfBytes(s.data(), s.size()); }

}  // namespace blurkit
