// blurkit's version, one source for every tool and output: the project's version (CMakeLists.txt,
// project(... VERSION ...), which python/blurkit/__init__.py must repeat) and the git commit the
// binaries were built from (cmake/blurkit_version.cmake). Tools print BuildVersion() for
// --version, and checkpoints and bench's JSON tables record it. Datasets record Version() in their
// "generator" (shards and index.json): it is part of a dataset's fingerprint, so a later build of
// the same version continues an interrupted run and writes the same bytes.
#pragma once

#include <string>

namespace blurkit {
std::string Version();       // "0.1.0"
std::string GitCommit();     // `git describe --always --dirty` at build time, or "unknown"
std::string BuildVersion();  // "0.1.0 (git d13fde6a1b2c)"
}  // namespace blurkit
