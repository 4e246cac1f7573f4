#include "blurkit/core/version.h"

namespace blurkit {
std::string Version() { return BLURKIT_VERSION_STRING; }
}  // namespace blurkit
