// `blurkit-train restore`: a user's own blurred photo in, the F frames out (PNG files and an
// animated PNG). Built only where OpenCV is (it reads and writes image files).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace blurkit::train {

struct RestoreOptions {
  std::filesystem::path model, input, out;
  std::string device = "auto";
  int threads = 0;
  int frame_ms = 150;  // animation: display time of each frame
};
// Returns the files written.
std::vector<std::filesystem::path> Restore(const RestoreOptions& options);

}  // namespace blurkit::train
