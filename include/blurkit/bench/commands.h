// The commands of blurkit-bench as typed functions (the tool's main() only parses options).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "blurkit/bench/report.h"
#include "blurkit/bench/scoring.h"

namespace blurkit::bench {

struct ScoreCommandOptions {
  std::filesystem::path ground_truth;  // test dataset (shards)
  std::string predictions;             // prediction dataset, PNG folder or "blurred-input"
  std::string name;                    // method name in the tables (default: from the source)
  std::filesystem::path out;           // report folder
  ScoreOptions score;
  bool baseline = true;                // also score blurred-input, as the floor
  int bins = 5;                        // blur-size bins
  int strips = 4;                      // samples shown in the HTML report
};

struct ScoreCommandResult {
  std::vector<MethodSummary> summaries;  // the method, then the baseline
  std::string markdown;                  // the summary table
  std::filesystem::path report;          // report.html
};

// Writes per_sample.csv, summary.{md,csv,json,tex}, blur_size.{md,csv,json,tex,svg}, report.html.
ScoreCommandResult RunScore(const ScoreCommandOptions& options);

// The cross-dataset matrix (the paper's Table 4 in shape), from a JSON config:
// {
//   "profile": "rgb", "order": "best-mean-psnr", "bins": 5, "strips": 3,
//   "test_sets": {"panorama": "runs/panorama_test", "video": "runs/video_test"},
//   "methods": [
//     {"name": "motion", "trained_on": "panorama",
//      "predictions": {"panorama": "runs/pred/motion_panorama", "video": "runs/pred/motion_video"}},
//     {"name": "blurred-input", "trained_on": "-",
//      "predictions": {"panorama": "blurred-input", "video": "blurred-input"}}
//   ]
// }
// Relative paths are relative to the config file. Every method must have predictions for every
// test set. Writes matrix.*, positions_<test>.*, blur_size_<test>.* and report.html into `out`.
struct MatrixCommandOptions {
  std::filesystem::path config;
  std::filesystem::path out;
  int threads = 0;
  bool progress = true;
  bool allow_missing = false;
};
struct MatrixCommandResult {
  Table matrix;
  std::filesystem::path report;
};
MatrixCommandResult RunMatrix(const MatrixCommandOptions& options);

// Two methods on one test set, paired over its clips: for every metric A, B and B - A over the
// same clips, B - A with a 95% bootstrap interval, and the fraction of clips where B is better; the
// notes say how many clips were compared and how many left out. Writes compare.{md,csv,json,tex}
// and report.html into `out` when it is given.
struct CompareCommandOptions {
  std::filesystem::path ground_truth;
  std::vector<std::string> predictions;  // A, then B
  std::vector<std::string> names;        // optional names of A and B
  std::filesystem::path out;             // optional
  ScoreOptions score;
};
struct CompareCommandResult {
  PairedComparison comparison;
  Table table;
};
CompareCommandResult RunCompare(const CompareCommandOptions& options);

}  // namespace blurkit::bench
