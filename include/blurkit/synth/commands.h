// The commands of blurkit-synth as typed functions, so that tests run them in-process and the
// tool's main() only parses options and prints.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "blurkit/core/shard.h"
#include "blurkit/synth/panorama_dataset.h"
#include "blurkit/synth/sharded_run.h"

namespace blurkit::synth {

struct PanoramaCommandOptions {
  std::vector<std::filesystem::path> inputs;  // panorama files and folders
  std::filesystem::path manifest;             // or: a manifest and one of its splits
  std::string split;
  std::filesystem::path data_root;            // overrides the manifest's data root
  PanoramaDatasetOptions dataset;             // sources are filled from inputs or manifest
  ShardedRunOptions run;
};

struct PanoramaCommandSummary {
  ShardedRunSummary run;
  PanoramaSampleMaker::Stats stats;
  size_t panoramas = 0;
};

// `blurkit-synth panorama`.
PanoramaCommandSummary RunPanorama(PanoramaCommandOptions options);
std::string FormatSummary(const PanoramaCommandSummary& summary);

// `blurkit-synth shards inspect DIR`: a human-readable summary of a dataset.
std::string InspectDataset(const std::filesystem::path& folder);

// `blurkit-synth shards export DIR --count N --out DIR`: PNG strips (blurred image, then the sharp
// frames in time order) of N samples spread evenly over the dataset. Returns the files written.
std::vector<std::filesystem::path> ExportStrips(const std::filesystem::path& folder, int count,
                                                const std::filesystem::path& out);

}  // namespace blurkit::synth
