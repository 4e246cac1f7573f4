// The outputs of blurkit-bench: tables (per position, per sample, by blur size, cross-dataset), an
// SVG chart of PSNR against blur size (the paper's Fig. 6), and one self-contained HTML report.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "blurkit/bench/scoring.h"
#include "blurkit/bench/table.h"

namespace blurkit::bench {

// Rows: methods; columns: PSNR and SSIM per position, middle, non-middle, re-blur PSNR, and the
// parameter count and speed where a method reports them.
Table PositionTable(const std::vector<MethodSummary>& methods, const std::string& title,
                    const std::vector<std::string>& notes, int frames);
Table PerSampleTable(const ScoreRun& run);
// The interval of a summary's mean (by PerClipMetrics name) as table cells {lo, hi}; {"", ""}
// where there is none.
std::pair<std::string, std::string> IntervalCells(const MethodSummary& m, const std::string& name,
                                                  int decimals);

// Bins over [lo, hi] shared by all runs (the ground truth's range).
Table BlurSizeTable(const std::vector<ScoreRun>& runs, int bins, double lo, double hi,
                    const std::string& title, const std::vector<std::string>& notes);
std::string BlurSizeSvg(const std::vector<ScoreRun>& runs, int bins, double lo, double hi,
                        const std::string& unit, const std::string& title);
// Range of the magnitudes of the scored samples of all runs.
std::pair<double, double> MagnitudeRange(const std::vector<ScoreRun>& runs);

// Strips of `count` samples spread over the test set: the blurred input and ground-truth frames,
// then each method's frames in the order its scores used. HTML with embedded PNGs.
std::string StripsHtml(const std::filesystem::path& ground_truth,
                       const std::vector<std::pair<const ScoreRun*, const PredictionSource*>>& methods,
                       int count);

// A complete HTML page (inline CSS, no external resources) around `body`.
std::string HtmlPage(const std::string& title, const std::string& body);

// The note lines every table carries.
std::vector<std::string> ScoringNotes(const ScoreOptions& options, const std::string& dataset);

}  // namespace blurkit::bench
