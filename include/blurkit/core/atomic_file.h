// Atomic file output: content is written under a temporary name in the same folder, flushed to disk
// and renamed over the final name, so a killed run never leaves a file that looks complete.
// Temporary names end in ".tmp" (see IsTemporaryPath); a resumed run deletes the ones it finds.
#pragma once

#include <filesystem>
#include <string>

namespace blurkit {

// "<dir>/<name>.<pid>.tmp" beside `final_path`.
std::filesystem::path TemporaryPathFor(const std::filesystem::path& final_path);
bool IsTemporaryPath(const std::filesystem::path& path);

// fsync()s the file `temporary`, renames it to `final_path` and fsync()s the folder.
// Throws IoError naming both paths on failure.
void CommitTemporaryFile(const std::filesystem::path& temporary,
                         const std::filesystem::path& final_path);

// Writes `content` to `path` atomically.
void WriteFileAtomic(const std::filesystem::path& path, const std::string& content);

// Reads a whole file; throws InputError naming it when it cannot be read.
std::string ReadFileToString(const std::filesystem::path& path);

}  // namespace blurkit
