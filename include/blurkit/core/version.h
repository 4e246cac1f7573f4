// blurkit's version, recorded in every shard's "generator" attribute.
#pragma once

#include <string>

namespace blurkit {
std::string Version();
}  // namespace blurkit
