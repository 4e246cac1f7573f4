// The commands of blurkit-synth as typed functions, so that tests run them in-process and the
// tool's main() only parses options and prints.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "blurkit/core/shard.h"
#include "blurkit/synth/pairs_import.h"
#include "blurkit/synth/panorama_dataset.h"
#include "blurkit/synth/sharded_run.h"
#include "blurkit/synth/video_dataset.h"

namespace blurkit::synth {

struct PanoramaCommandOptions {
  std::vector<std::filesystem::path> inputs;  // panorama (or photo) files and folders
  std::filesystem::path manifest;             // or: a manifest and one of its splits
  std::string split;
  std::filesystem::path data_root;            // overrides the manifest's data root
  PanoramaDatasetOptions dataset;             // sources are filled from inputs or manifest
  ShardedRunOptions run;
};

struct PanoramaCommandSummary {
  ShardedRunSummary run;
  PanoramaSampleMaker::Stats stats;
  size_t panoramas = 0;  // sources (panoramas or photos)
  bool photos = false;
};

// `blurkit-synth panorama`, and `blurkit-synth photos` when options.dataset.photos is set.
PanoramaCommandSummary RunPanorama(PanoramaCommandOptions options);
// What RunPanorama renders from: the sources (from --input or the manifest, checked against its
// sha256) filled in and the options checked. Writes nothing (options.run.out may be empty).
PanoramaDatasetOptions ResolvePanorama(PanoramaCommandOptions options);
std::string FormatSummary(const PanoramaCommandSummary& summary);

struct VideoCommandOptions {
  std::vector<std::filesystem::path> inputs;  // video files, frame folders, GoPro folders
  std::filesystem::path manifest;             // or: a manifest and one of its splits
  std::string split;
  std::filesystem::path data_root;            // overrides the manifest's data root
  VideoDatasetOptions dataset;                // clips are filled from inputs or manifest
  ShardedRunOptions run;                      // num_samples is set from the clips
};

struct VideoCommandSummary {
  ShardedRunSummary run;
  VideoSampleMaker::Stats stats;
  size_t clips = 0;
  int64_t source_frames = 0;  // frames of the clips, all of them
  int64_t windows = 0;
  double scan_seconds = 0;    // listing the clips (videos are read through once to count frames)
};

// `blurkit-synth video`. On bad input found while writing, an output folder this run created is
// removed, so nothing partial is left behind; a folder that held an earlier run keeps it.
VideoCommandSummary RunVideo(VideoCommandOptions options);
// The clips RunVideo reads (listed and, from a manifest, checked), unchecked options otherwise.
VideoDatasetOptions ResolveVideo(VideoCommandOptions options);
std::string FormatSummary(const VideoCommandSummary& summary);

struct PairsCommandOptions {
  std::vector<std::filesystem::path> inputs;  // GoPro_Large root, split or scene folders
  std::filesystem::path realblur_list;        // or: a RealBlur pair list
  std::filesystem::path data_root;            // RealBlur: paths relative to this (default: list's folder)
  PairsDatasetOptions dataset;                // pairs are filled from inputs or the list
  ShardedRunOptions run;
};

struct PairsCommandSummary {
  ShardedRunSummary run;
  size_t pairs = 0;
  int width = 0, height = 0;
};

// `blurkit-synth import-pairs`.
PairsCommandSummary RunImportPairs(PairsCommandOptions options);
std::string FormatSummary(const PairsCommandSummary& summary);

// `blurkit-synth shards inspect DIR`: a human-readable summary of a dataset.
std::string InspectDataset(const std::filesystem::path& folder);

// `blurkit-synth shards export DIR --count N --out DIR`: PNG strips (blurred image, then the sharp
// frames in time order) of N samples spread evenly over the dataset. Returns the files written.
std::vector<std::filesystem::path> ExportStrips(const std::filesystem::path& folder, int count,
                                                const std::filesystem::path& out);

}  // namespace blurkit::synth
