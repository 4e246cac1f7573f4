// Where a method's predicted frames come from. blurkit-bench scores any method, not only blurkit's:
//   - a prediction dataset: the shard format (kind "prediction"), F predicted frames per sample in
//     `sharp`, matched to the ground truth by sample_id (`blurred` may hold the input). Its params
//     attribute may carry {"model": {"name": ..., "parameters": N, "fps": {"128": .., "256": ..,
//     "512": ..}}}, shown beside the scores;
//   - a folder of PNG files named <sample_id>_<j>.png, j = 0..F-1 in time order (8-bit RGB);
//   - "blurred-input": every frame is the blurred image itself, the floor every method must beat.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "blurkit/core/shard.h"

namespace blurkit::bench {

struct PredictedFrames {
  int frames = 0;
  std::vector<uint8_t> rgb;  // frames * H * W * 3
};

class PredictionSource {
 public:
  virtual ~PredictionSource() = default;
  virtual std::string Name() const = 0;
  // The frames predicted for ground-truth sample `gt`, or nullopt when the method has none.
  // Throws InputError naming the sample when the frames have the wrong size. Thread-safe.
  virtual std::optional<PredictedFrames> Frames(const Sample& gt, const DatasetSpec& spec) const = 0;
  // The sample ids the source holds, or nullopt when it cannot list them (the baseline).
  virtual std::optional<std::vector<std::string>> Ids() const = 0;
  // {"name", "parameters", "fps": {...}} where the method reports them, else an empty object.
  virtual Json ModelInfo() const { return Json::object(); }
};

// "blurred-input", a prediction dataset folder (has index.json) or a PNG folder. Throws InputError.
std::unique_ptr<PredictionSource> OpenPredictions(const std::string& where);

// File name of frame j of a sample in a PNG prediction folder.
std::string PredictionPngName(const std::string& sample_id, int j);

}  // namespace blurkit::bench
