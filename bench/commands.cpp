#include "blurkit/bench/commands.h"

#include <cmath>
#include <map>
#include <memory>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/error.h"

namespace blurkit::bench {
namespace fs = std::filesystem;

ScoreCommandResult RunScore(const ScoreCommandOptions& options) {
  if (options.bins < 1) throw InputError("--bins must be at least 1");
  CheckOutputOutside(options.out, options.ground_truth);
  CheckOutputOutside(options.out, options.predictions);
  auto source = OpenPredictions(options.predictions);
  ScoreRun run = ScoreMethod(options.ground_truth, *source, options.score);
  if (!options.name.empty()) run.method = options.name;
  OutputFolder folder(options.out);  // removed again if anything below fails
  std::vector<ScoreRun> runs = {run};
  std::unique_ptr<PredictionSource> baseline;
  if (options.baseline && options.predictions != "blurred-input") {
    baseline = OpenPredictions("blurred-input");
    ScoreOptions quiet = options.score;
    quiet.progress = false;
    quiet.allow_missing = true;
    runs.push_back(ScoreMethod(options.ground_truth, *baseline, quiet));
  }
  ScoreCommandResult result;
  for (const auto& r : runs) result.summaries.push_back(Summarize(r));
  const std::string dataset = options.ground_truth.string();
  const auto notes = ScoringNotes(options.score, dataset);
  const int f = run.spec.frames;
  const Table summary = PositionTable(result.summaries, "scores per frame position", notes, f);
  summary.WriteAll(options.out, "summary");
  WriteFileAtomic(options.out / "per_sample.csv", PerSampleTable(run).ToCsv());
  const auto [lo, hi] = MagnitudeRange(runs);
  const Table blur = BlurSizeTable(runs, options.bins, lo, hi, "PSNR against blur size", notes);
  blur.WriteAll(options.out, "blur_size");
  const std::string svg = BlurSizeSvg(runs, options.bins, lo, hi, run.spec.blur_magnitude_unit,
                                      "PSNR against blur size");
  WriteFileAtomic(options.out / "blur_size.svg", svg);

  std::string body = summary.ToHtml();
  if (!run.missing.empty()) {
    body += "<p class=\"note\">" + std::to_string(run.missing.size()) +
            " samples had no prediction and were not scored.</p>\n";
  }
  body += "<h2>PSNR against blur size</h2>\n" + svg + blur.ToHtml();
  std::vector<std::pair<const ScoreRun*, const PredictionSource*>> shown = {{&runs[0], source.get()}};
  body += "<h2>Samples</h2>\n" + StripsHtml(options.ground_truth, shown, options.strips);
  result.report = options.out / "report.html";
  WriteFileAtomic(result.report, HtmlPage("blurkit-bench: " + run.method, body));
  result.markdown = summary.ToMarkdown();
  folder.Keep();
  return result;
}

MatrixCommandResult RunMatrix(const MatrixCommandOptions& options) {
  const Json config = Json::parse(ReadFileToString(options.config), nullptr, false);
  const std::string where = options.config.string();
  if (config.is_discarded() || !config.is_object()) throw InputError(where + ": not a JSON object");
  const fs::path base = options.config.parent_path();
  auto resolve = [&](const std::string& path) {
    if (path == "blurred-input") return path;
    const fs::path p(path);
    return (p.is_absolute() ? p : base / p).string();
  };
  ScoreOptions score;
  int bins = 5, strips = 3;
  std::vector<std::pair<std::string, fs::path>> test_sets;
  struct Method {
    std::string name, trained_on;
    std::map<std::string, std::string> predictions;
  };
  std::vector<Method> methods;
  try {
    score.profile = MetricProfile::Parse(config.value("profile", "rgb"));
    score.protocol = ParseProtocol(config.value("protocol", "blurkit"));
    score.order = ParseOrderRule(config.value(
        "order", score.protocol == Protocol::kBlur2vidGopro ? "per-metric-max" : "best-mean-psnr"));
    score.patch = config.value("patch", 40);
    bins = config.value("bins", 5);
    strips = config.value("strips", 3);
    for (const auto& [name, path] : config.at("test_sets").items()) {
      test_sets.emplace_back(name, resolve(path.get<std::string>()));
    }
    for (const auto& m : config.at("methods")) {
      Method method{m.at("name").get<std::string>(), m.value("trained_on", "-"), {}};
      for (const auto& [test, path] : m.at("predictions").items()) {
        method.predictions[test] = resolve(path.get<std::string>());
      }
      methods.push_back(method);
    }
  } catch (const Json::exception& e) {
    throw InputError(Msg() << where << ": " << e.what());
  }
  if (test_sets.empty() || methods.empty()) throw InputError(where + ": needs test_sets and methods");
  for (const auto& m : methods) {
    for (const auto& [test, path] : test_sets) {
      if (!m.predictions.count(test)) {
        throw InputError(Msg() << where << ": method '" << m.name << "' has no predictions for test set '"
                               << test << "'");
      }
    }
  }
  score.threads = options.threads;
  score.progress = options.progress;
  score.allow_missing = options.allow_missing;
  OutputFolder folder(options.out);  // removed again if anything below fails

  MatrixCommandResult result;
  Table& matrix = result.matrix;
  matrix.title = "cross-dataset matrix: rows trained on, columns tested on";
  matrix.notes = {"metric profile: " + score.profile.Name(), "frame order: " + ToString(score.order),
                  "cells: middle frame and the mean of the non-middle frames; PWPSNR (blur2vid's "
                  "per-pixel order); EPE (DIS) of the first-to-last-frame motion, lower is better "
                  "(OpenCV DIS flow, not RAFT: not comparable with blur2vid's EPE)",
                  "[lo, hi]: 95% bootstrap interval of the mean over clips (" +
                      std::to_string(Bootstrap::kResamples) + " resamples, fixed seed)"};
  if (score.protocol != Protocol::kBlurkit) matrix.notes.push_back("protocol: " + ToString(score.protocol));
  matrix.header = {"method", "trained on"};
  for (const auto& [test, path] : test_sets) {
    for (const char* c : {"PSNR mid", "SSIM mid", "PSNR others", "SSIM others", "PWPSNR", "EPE (DIS)"}) {
      matrix.header.push_back(test + " " + c);
    }
  }
  std::string sections;
  std::map<std::string, std::vector<std::string>> cells;  // method -> cells
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> cell_ci;
  for (const auto& [test, gt] : test_sets) {
    std::vector<ScoreRun> runs;
    std::vector<std::unique_ptr<PredictionSource>> sources;
    for (const auto& m : methods) {
      sources.push_back(OpenPredictions(m.predictions.at(test)));
      ScoreRun run = ScoreMethod(gt, *sources.back(), score);
      run.method = m.name + (m.trained_on == "-" ? "" : " (" + m.trained_on + ")");
      runs.push_back(std::move(run));
    }
    std::vector<MethodSummary> summaries;
    for (size_t k = 0; k < runs.size(); ++k) {
      summaries.push_back(Summarize(runs[k]));
      const MethodSummary& s = summaries.back();
      const std::string key = methods[k].name + "\t" + methods[k].trained_on;
      auto& row = cells[key];
      row.insert(row.end(), {FormatNumber(s.psnr_middle, 2), FormatNumber(s.ssim_middle, 4),
                             FormatNumber(s.psnr_others, 2), FormatNumber(s.ssim_others, 4),
                             FormatNumber(s.pwpsnr, 2), FormatNumber(s.epe_dis, 3)});
      auto& ci = cell_ci[key];
      for (const auto& [name, decimals] : {std::pair{"psnr_middle", 2}, {"ssim_middle", 4}, {"psnr_others", 2},
                                           {"ssim_others", 4}, {"pwpsnr", 2}, {"epe_dis", 3}}) {
        ci.push_back(IntervalCells(s, name, decimals));
      }
    }
    const auto notes = ScoringNotes(score, test + " (" + gt.string() + ")");
    const int f = runs.front().spec.frames;
    const Table positions = PositionTable(summaries, "tested on " + test, notes, f);
    positions.WriteAll(options.out, "positions_" + test);
    const auto [lo, hi] = MagnitudeRange(runs);
    const Table blur = BlurSizeTable(runs, bins, lo, hi, "PSNR against blur size: " + test, notes);
    blur.WriteAll(options.out, "blur_size_" + test);
    const std::string svg = BlurSizeSvg(runs, bins, lo, hi, runs.front().spec.blur_magnitude_unit,
                                        "PSNR against blur size: " + test);
    WriteFileAtomic(options.out / ("blur_size_" + test + ".svg"), svg);
    std::vector<std::pair<const ScoreRun*, const PredictionSource*>> shown;
    for (size_t k = 0; k < runs.size(); ++k) shown.emplace_back(&runs[k], sources[k].get());
    sections += "<h2>Tested on " + test + "</h2>\n" + positions.ToHtml() + svg + blur.ToHtml() +
                StripsHtml(gt, shown, strips);
  }
  for (const auto& m : methods) {
    std::vector<std::string> row = {m.name, m.trained_on};
    const auto& c = cells[m.name + "\t" + m.trained_on];
    row.insert(row.end(), c.begin(), c.end());
    std::vector<std::pair<std::string, std::string>> ci = {{}, {}};
    const auto& cc = cell_ci[m.name + "\t" + m.trained_on];
    ci.insert(ci.end(), cc.begin(), cc.end());
    matrix.AddRow(row, ci);
  }
  matrix.WriteAll(options.out, "matrix");
  result.report = options.out / "report.html";
  WriteFileAtomic(result.report,
                  HtmlPage("blurkit-bench: cross-dataset report", matrix.ToHtml() + sections));
  folder.Keep();
  return result;
}

CompareCommandResult RunCompare(const CompareCommandOptions& options) {
  if (options.predictions.size() != 2) {
    throw InputError(Msg() << "compare needs two --pred (A, then B), got " << options.predictions.size());
  }
  for (const auto& p : options.predictions) {
    if (!options.out.empty()) CheckOutputOutside(options.out, p);
  }
  std::vector<ScoreRun> runs;
  for (size_t k = 0; k < 2; ++k) {
    auto source = OpenPredictions(options.predictions[k]);
    ScoreRun run = ScoreMethod(options.ground_truth, *source, options.score);
    if (k < options.names.size() && !options.names[k].empty()) run.method = options.names[k];
    runs.push_back(std::move(run));
  }
  if (runs[0].method == runs[1].method) {
    runs[0].method += " (A)";
    runs[1].method += " (B)";
  }
  CompareCommandResult result;
  result.comparison = ComparePaired(runs[0], runs[1]);
  const PairedComparison& c = result.comparison;
  Table& t = result.table;
  t.title = "paired comparison: B = " + runs[1].method + " against A = " + runs[0].method;
  t.notes = ScoringNotes(options.score, options.ground_truth.string());
  t.notes.push_back(
      "clips: " + std::to_string(c.shared) +
      " scored by both and compared; left out: " + std::to_string(c.clips_a - c.shared) +
      " scored by A only, " + std::to_string(c.clips_b - c.shared) + " by B only");
  t.notes.push_back(
      "A, B and B - A: means over the same clips, those both scored where both have a "
      "value (the column clips; left out: clips both scored where one has none); B - A "
      "with its 95% bootstrap interval, an interval that excludes 0 is a difference "
      "these clips support. B wins: the fraction of those clips where B is better (ties "
      "count half)");
  t.header = {"metric", "clips", "left out", "A", "B", "B - A", "B wins", "better"};
  for (const auto& d : c.metrics) {
    const int decimals = d.name.rfind("ssim", 0) == 0 || d.name == "patch_ssim" ? 4 : d.name == "epe_dis" ? 3 : 2;
    const bool clear = !std::isnan(d.ci.lo) && (d.ci.lo > 0 || d.ci.hi < 0);
    const bool b_better = d.lower_is_better ? d.difference < 0 : d.difference > 0;
    const std::string better = !clear ? "no clear difference" : b_better ? "B" : "A";
    std::vector<std::pair<std::string, std::string>> ci(t.header.size());  // B - A's only
    ci[5] = {FormatNumber(d.ci.lo, decimals), FormatNumber(d.ci.hi, decimals)};
    t.AddRow({d.label + (d.lower_is_better ? " (lower is better)" : ""), std::to_string(d.clips),
              std::to_string(d.left_out), FormatNumber(d.mean_a, decimals),
              FormatNumber(d.mean_b, decimals), FormatNumber(d.difference, decimals),
              FormatNumber(d.b_wins, 3), better},
             ci);
  }
  if (!options.out.empty()) {
    OutputFolder folder(options.out);
    t.WriteAll(options.out, "compare");
    WriteFileAtomic(options.out / "report.html", HtmlPage("blurkit-bench: compare", t.ToHtml()));
    folder.Keep();
  }
  return result;
}

}  // namespace blurkit::bench
