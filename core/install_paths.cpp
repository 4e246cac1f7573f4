#include "blurkit/core/install_paths.h"

#include <system_error>

#include "blurkit/core/error.h"

namespace blurkit {
namespace fs = std::filesystem;

fs::path InstalledDataDir() {
  std::error_code error;
  const fs::path program = fs::canonical("/proc/self/exe", error);
  if (error || !program.has_parent_path()) return {};
  return (program.parent_path().parent_path() / "share" / "blurkit").lexically_normal();
}

fs::path FindManifestFile(const fs::path& file) {
  std::error_code error;
  if (file.empty() || file.has_parent_path() || fs::exists(file, error)) return file;
  const fs::path folder = InstalledDataDir() / "data_manifests";
  for (const fs::path& name : {file, fs::path(file.string() + ".json")}) {
    if (!InstalledDataDir().empty() && fs::is_regular_file(folder / name, error)) return folder / name;
  }
  throw InputError(Msg() << "manifest '" << file.string()
                         << "': expected a data manifest file (a path to a .json) or the name of "
                            "an installed one; there is no such file here nor in "
                         << folder.string());
}

}  // namespace blurkit
