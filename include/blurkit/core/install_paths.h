// Where an installed blurkit keeps the data its tools read at run time: the folder share/blurkit
// beside the running program's bin/ (PREFIX/bin/blurkit-synth reads PREFIX/share/blurkit), found
// from /proc/self/exe, so that a relocated installation finds its own data and never the source
// or build tree. The build tree mirrors the layout (build/share/blurkit beside build/synth/).
#pragma once

#include <filesystem>

namespace blurkit {

// PREFIX/share/blurkit for the running program at PREFIX/<dir>/<program>; empty where the
// program's path cannot be read.
std::filesystem::path InstalledDataDir();

// A data manifest given as a path is returned as is; a bare name ("demo_panorama" or
// "demo_panorama.json") that is not a file in the working directory is looked up in
// InstalledDataDir()/data_manifests. Throws InputError naming both places where neither has it.
std::filesystem::path FindManifestFile(const std::filesystem::path& file);

}  // namespace blurkit
