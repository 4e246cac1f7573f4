#include "blurkit/core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "blurkit/core/error.h"

namespace blurkit {
namespace fs = std::filesystem;
namespace {

void FsyncPath(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) {
    throw IoError(Msg() << path.string() << ": cannot open to flush it: " << std::strerror(errno));
  }
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  // Some file systems refuse fsync on folders (EINVAL); the rename is still atomic there.
  if (rc != 0 && !(directory && saved == EINVAL)) {
    throw IoError(Msg() << path.string() << ": cannot flush to disk: " << std::strerror(saved));
  }
}

}  // namespace

fs::path TemporaryPathFor(const fs::path& final_path) {
  return final_path.parent_path() /
         (final_path.filename().string() + "." + std::to_string(::getpid()) + ".tmp");
}

bool IsTemporaryPath(const fs::path& path) { return path.extension() == ".tmp"; }

void CommitTemporaryFile(const fs::path& temporary, const fs::path& final_path) {
  std::error_code ec;
  try {
    FsyncPath(temporary, false);
  } catch (const IoError&) {
    fs::remove(temporary, ec);  // a failed commit leaves nothing of its own behind
    throw;
  }
  fs::rename(temporary, final_path, ec);
  if (ec) {
    const std::string why = ec.message();
    fs::remove(temporary, ec);
    throw IoError(Msg() << "cannot rename " << temporary.string() << " to " << final_path.string()
                        << ": " << why);
  }
  fs::path folder = final_path.parent_path();
  FsyncPath(folder.empty() ? fs::path(".") : folder, true);
}

void WriteFileAtomic(const fs::path& path, const std::string& content) {
  const fs::path temporary = TemporaryPathFor(path);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(Msg() << temporary.string() << ": cannot create the file");
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    out.close();  // checked too: the close writes what the stream still holds
    if (!out) {
      std::error_code ec;
      fs::remove(temporary, ec);
      throw IoError(Msg() << temporary.string() << ": write failed (disk full?)");
    }
  }
  CommitTemporaryFile(temporary, path);
}

void CheckOutputOutside(const fs::path& out, const fs::path& input) {
  std::error_code ec;
  if (input.empty() || !fs::is_directory(input, ec)) return;
  const fs::path o = fs::weakly_canonical(fs::absolute(out), ec);
  const fs::path i = fs::weakly_canonical(fs::absolute(input), ec);
  auto oi = o.begin();
  for (auto ii = i.begin(); ii != i.end(); ++ii, ++oi) {
    if (ii->empty()) continue;  // a trailing separator
    if (oi == o.end() || *oi != *ii) return;
  }
  throw InputError(Msg() << out.string() << ": the output folder lies inside the input "
                         << input.string() << "; choose an output folder outside it");
}

OutputFolder::OutputFolder(const fs::path& folder) {
  fs::path outermost;
  for (fs::path p = fs::absolute(folder).lexically_normal(); !p.empty() && !fs::exists(p);
       p = p.parent_path()) {
    outermost = p;
    if (p == p.parent_path()) break;
  }
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec || !fs::is_directory(folder)) {
    throw IoError(Msg() << folder.string() << ": cannot create the output folder"
                        << (ec ? ": " + ec.message() : std::string()));
  }
  created_ = outermost;
}

OutputFolder::~OutputFolder() {
  if (keep_ || created_.empty()) return;
  std::error_code ec;
  fs::remove_all(created_, ec);
}

std::string ReadFileToString(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(Msg() << path.string() << ": cannot open the file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace blurkit
