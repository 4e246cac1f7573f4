#include "blurkit/core/install_paths.h"

#include <dlfcn.h>

#include <system_error>

#include "blurkit/core/error.h"

namespace blurkit {
namespace fs = std::filesystem;

fs::path InstalledDataDir() {
  // The file this code was loaded from: a tool (PREFIX/bin/blurkit-synth) or the Python module
  // (PREFIX/lib/python3/dist-packages/blurkit/_synth...so), whose interpreter is not ours. The data
  // is PREFIX/share/blurkit, found by going up from that file's folder (at most five folders).
  std::error_code error;
  fs::path object;
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&InstalledDataDir), &info) != 0 && info.dli_fname && *info.dli_fname) {
    object = fs::canonical(info.dli_fname, error);
  }
  if (object.empty() || error) object = fs::canonical("/proc/self/exe", error);
  if (error || !object.has_parent_path()) return {};
  fs::path dir = object.parent_path();
  for (int up = 0; up < 5 && dir.has_parent_path(); ++up, dir = dir.parent_path()) {
    const fs::path candidate = dir / "share" / "blurkit";
    if (fs::is_directory(candidate, error)) return candidate.lexically_normal();
  }
  return (object.parent_path().parent_path() / "share" / "blurkit").lexically_normal();
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
