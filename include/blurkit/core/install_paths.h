// Where an installed blurkit keeps the data its tools read at run time: the folder share/blurkit
// of its prefix (PREFIX/bin/blurkit-synth and PREFIX/lib/python3/dist-packages/blurkit/_synth*.so
// read PREFIX/share/blurkit), found from the file the code was loaded from (dladdr), so that a
// relocated installation, and the Python module under any interpreter, finds its own data and never
// the source tree. The build tree mirrors the layout (build/share/blurkit above build/synth/).
#pragma once

#include <filesystem>

namespace blurkit {

// The first share/blurkit folder found going up (at most five folders) from the tool's or the
// module's own folder; PREFIX/share/blurkit of PREFIX/<dir>/<program> where none exists; empty
// where the path cannot be read.
std::filesystem::path InstalledDataDir();

// A data manifest given as a path is returned as is; a bare name ("demo_panorama" or
// "demo_panorama.json") that is not a file in the working directory is looked up in
// InstalledDataDir()/data_manifests. Throws InputError naming both places where neither has it.
std::filesystem::path FindManifestFile(const std::filesystem::path& file);

}  // namespace blurkit
