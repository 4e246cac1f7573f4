// Released blurred/sharp pairs as F = 1 datasets (kind "pairs"), so the benchmark can compare a
// model's middle frame with single-image deblurring (Argaw et al. 2021, Table 3).
//
//   GoPro_Large (Nah et al. 2017): <root>/{train,test}/<scene>/{blur,blur_gamma,sharp}/<frame>.png;
//     --blur picks blur (averaged in pixel values) or blur_gamma (averaged in gamma 2.2); the sharp
//     frame of each pair is the middle frame of the averaged window. Inputs are the root, a split
//     folder or scene folders; pairs are matched by file name.
//   RealBlur (Rim et al. 2020): a pair list (RealBlur_J_test_list.txt ...), one pair per line:
//     "<sharp path> <blurred path>" relative to the list's folder (or --data-root); the scene is
//     the folder above gt/ and blur/.
// Pixels are copied unchanged (BGR -> RGB); sizes: full images when every pair has one size,
// otherwise a centred crop (--crop WxH) of every pair.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "blurkit/core/shard.h"

namespace blurkit::synth {

struct ImagePair {
  std::string name;                  // "GOPR0384_11_00/000001.png": recorded as the source file
  std::filesystem::path blurred, sharp;
};

// Pairs of GoPro_Large folders; `blur_folder` is "blur" or "blur_gamma". Throws InputError naming
// the scene and file of a blurred image without its sharp one (or the reverse), or inputs without
// scenes.
std::vector<ImagePair> GoProPairs(const std::vector<std::filesystem::path>& inputs,
                                  const std::string& blur_folder);
// Pairs of a RealBlur list file; paths resolve against `root` (default: the list's folder).
// Throws InputError naming the list and line of a malformed line or a missing file.
std::vector<ImagePair> RealBlurPairs(const std::filesystem::path& list,
                                     const std::filesystem::path& root = {});

struct PairsDatasetOptions {
  std::vector<ImagePair> pairs;
  std::string source = "gopro";  // "gopro" or "realblur": recorded in the parameters
  std::string blur_folder;       // GoPro: blur or blur_gamma
  int crop_width = 0;            // centred crop; 0 x 0 = full images (all pairs of one size)
  int crop_height = 0;
  std::string manifest_sha256;
  int compression = 0;

  // Reads the sizes of PNG pairs from their headers (others when decoded) and throws InputError
  // naming the pair when sizes differ without a crop, or the crop does not fit.
  void Check();
  Json ToJson() const;
  DatasetSpec Spec() const;

  int width = 0, height = 0;  // the images' size, set by Check()
};

// Sample i is pair i. Thread-safe (no state).
Sample MakePairSample(const PairsDatasetOptions& options, int64_t index);

}  // namespace blurkit::synth
