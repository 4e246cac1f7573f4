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
// Throws IoError naming both paths on failure, after removing `temporary`.
void CommitTemporaryFile(const std::filesystem::path& temporary,
                         const std::filesystem::path& final_path);

// Writes `content` to `path` atomically.
void WriteFileAtomic(const std::filesystem::path& path, const std::string& content);

// A command's output folder. The constructor creates it (and missing parents); unless Keep() is
// called, the destructor removes what it created, so a command that fails leaves nothing that
// looks like a result. A folder that existed before is left in place.
class OutputFolder {
 public:
  explicit OutputFolder(const std::filesystem::path& folder);  // throws IoError
  ~OutputFolder();
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;
  void Keep() { keep_ = true; }
  bool created() const { return !created_.empty(); }

 private:
  std::filesystem::path created_;  // the outermost folder this object created, or empty
  bool keep_ = false;
};

// Throws InputError unless the output folder `out` lies outside `input` (a dataset or source
// folder a command reads): writing into its own input would damage it.
void CheckOutputOutside(const std::filesystem::path& out, const std::filesystem::path& input);

// Reads a whole file; throws InputError naming it when it cannot be read.
std::string ReadFileToString(const std::filesystem::path& path);

}  // namespace blurkit
