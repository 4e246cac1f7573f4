#include "blurkit/core/version.h"

#include "blurkit_version_info.h"  // generated at build time (cmake/blurkit_version.cmake)

namespace blurkit {
std::string Version() { return BLURKIT_VERSION_STRING; }
std::string GitCommit() { return BLURKIT_GIT_COMMIT; }
std::string BuildVersion() { return Version() + " (git " + GitCommit() + ")"; }
}  // namespace blurkit
