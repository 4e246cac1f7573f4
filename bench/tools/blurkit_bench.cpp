// blurkit-bench: scores predicted frame sequences against blur datasets and writes the tables,
// charts and report that go into papers.
#include <boost/program_options.hpp>
#include <iostream>
#include <string>

#include "blurkit/bench/commands.h"
#include "blurkit/core/error.h"
#include "blurkit/core/stop_signal.h"
#include "blurkit/core/tool_main.h"
#include "blurkit/core/version.h"

namespace po = boost::program_options;
using namespace blurkit;
using namespace blurkit::bench;

namespace {

constexpr const char* kUsage = R"(blurkit-bench: order-aware scores of predicted frame sequences

usage: blurkit-bench <command> [options]

commands:
  score    one method on one test dataset: per-sample CSV, per-position summary, PSNR against
           blur size, HTML report (with the blurred-input baseline alongside)
  matrix   the cross-dataset matrix from a JSON config (methods, the set each was trained on,
           predictions per test set), with per-position tables, charts and an HTML report
  compare  two methods on one test set, paired over its clips: for every metric B - A with a
           95% bootstrap interval and how often B is better

Every mean carries a 95% bootstrap interval over clips. Besides order-aware PSNR/SSIM per frame
position, the field's clip metrics: PSNR_p, PWPSNR, pooled PSNR, re-blur PSNR against the
ground truth and against the input, EPE (DIS) and patch SSIM (docs/bench.md).

'blurkit-bench <command> --help' lists a command's options.
)";

struct ScoringFlags {
  std::string profile, order, protocol;
};

void AddScoringOptions(po::options_description& d, ScoringFlags* flags, ScoreOptions* score) {
  d.add_options()
      ("profile", po::value(&flags->profile)->default_value("rgb"),
       "rgb, y (BT.601 luma as BasicSR), optionally -crop<N> border crop, e.g. y-crop4")
      ("order", po::value(&flags->order)->default_value("best-mean-psnr"),
       "best-mean-psnr (one order per sample, by mean PSNR), per-metric-max (as the paper "
       "reports), or ground-truth")
      ("protocol", po::value(&flags->protocol)->default_value("blurkit"),
       "blurkit, or blur2vid-gopro: blur2vid's GoPro protocol (1280x720 test sets reduced 2x "
       "with area averaging before any metric; RGB, no crop, per-metric-max)")
      ("patch", po::value(&score->patch)->default_value(40),
       "tile side of patch SSIM (non-overlapping tiles, as blur2vid)")
      ("no-clip-metrics", "skip PWPSNR, pooled PSNR, re-blur PSNR vs GT, EPE (DIS) and patch SSIM");
}

void ApplyScoringOptions(const po::variables_map& vm, const ScoringFlags& flags, ScoreOptions* score) {
  score->protocol = ParseProtocol(flags.protocol);
  score->profile = MetricProfile::Parse(flags.profile);
  // The protocol's own order unless one is given.
  const bool order_given = !vm["order"].defaulted();
  score->order = ParseOrderRule(score->protocol == Protocol::kBlur2vidGopro && !order_given
                                    ? "per-metric-max"
                                    : flags.order);
  score->clip_metrics = !vm.count("no-clip-metrics");
  if (score->patch < 7) throw InputError(Msg() << "--patch must be at least 7, got " << score->patch);
}

int ScoreMain(int argc, char** argv) {
  ScoreCommandOptions o;
  std::string gt, out;
  ScoringFlags flags;
  po::options_description d("blurkit-bench score");
  d.add_options()
      ("gt", po::value(&gt)->required(), "ground-truth test dataset (shard folder)")
      ("pred", po::value(&o.predictions)->required(),
       "predictions: a prediction dataset, a folder of <sample_id>_<j>.png, or blurred-input")
      ("name", po::value(&o.name), "method name in the tables")
      ("out,o", po::value(&out)->required(), "report folder");
  AddScoringOptions(d, &flags, &o.score);
  d.add_options()
      ("allow-missing", po::bool_switch(&o.score.allow_missing),
       "score the samples that have predictions and report the others")
      ("no-baseline", "do not score the blurred-input baseline alongside")
      ("bins", po::value(&o.bins)->default_value(5), "blur-size bins")
      ("strips", po::value(&o.strips)->default_value(4), "samples shown in the report")
      ("threads,j", po::value(&o.score.threads)->default_value(0), "threads, 0 = all cores")
      ("quiet,q", "no progress output")
      ("help,h", "this help");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, d), vm);
  if (vm.count("help")) {
    std::cout << d << "\nexample:\n  blurkit-bench score --gt runs/demo/panorama_test --pred "
                      "runs/demo/pred/motion --out runs/demo/score_motion\n";
    return 0;
  }
  po::notify(vm);
  o.ground_truth = gt;
  o.out = out;
  ApplyScoringOptions(vm, flags, &o.score);
  o.score.progress = !vm.count("quiet");
  o.baseline = !vm.count("no-baseline");
  InstallStopHandlers();  // SIGINT/SIGTERM: stop, remove the report folder, exit 128 + signal
  const ScoreCommandResult result = RunScore(o);
  std::cout << result.markdown << "\nreport: " << result.report.string() << "\n";
  return 0;
}

int MatrixMain(int argc, char** argv) {
  MatrixCommandOptions o;
  std::string config, out;
  po::options_description d("blurkit-bench matrix");
  d.add_options()
      ("config,c", po::value(&config)->required(), "JSON config (see docs/bench.md)")
      ("out,o", po::value(&out)->required(), "report folder")
      ("allow-missing", po::bool_switch(&o.allow_missing), "score what has predictions")
      ("threads,j", po::value(&o.threads)->default_value(0), "threads, 0 = all cores")
      ("quiet,q", "no progress output")
      ("help,h", "this help");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, d), vm);
  if (vm.count("help")) {
    std::cout << d;
    return 0;
  }
  po::notify(vm);
  o.config = config;
  o.out = out;
  o.progress = !vm.count("quiet");
  InstallStopHandlers();
  const MatrixCommandResult result = RunMatrix(o);
  std::cout << result.matrix.ToMarkdown() << "\nreport: " << result.report.string() << "\n";
  return 0;
}

int CompareMain(int argc, char** argv) {
  CompareCommandOptions o;
  std::string gt, out;
  ScoringFlags flags;
  po::options_description d("blurkit-bench compare");
  d.add_options()
      ("gt", po::value(&gt)->required(), "ground-truth test dataset (shard folder)")
      ("pred", po::value(&o.predictions)->required(),
       "predictions, given twice: A (the reference) then B; a prediction dataset, a folder of "
       "<sample_id>_<j>.png, or blurred-input")
      ("name", po::value(&o.names), "names of A and B in the table, given in the same order")
      ("out,o", po::value(&out), "also write compare.{md,csv,json,tex} and report.html here");
  AddScoringOptions(d, &flags, &o.score);
  d.add_options()
      ("allow-missing", po::bool_switch(&o.score.allow_missing),
       "compare on the samples both have predictions for")
      ("threads,j", po::value(&o.score.threads)->default_value(0), "threads, 0 = all cores")
      ("quiet,q", "no progress output")
      ("help,h", "this help");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, d), vm);
  if (vm.count("help")) {
    std::cout << d << "\nexample:\n  blurkit-bench compare --gt runs/demo/panorama_test --pred "
                      "blurred-input --pred runs/demo/pred/motion_panorama_panorama\n";
    return 0;
  }
  po::notify(vm);
  o.ground_truth = gt;
  o.out = out;
  ApplyScoringOptions(vm, flags, &o.score);
  o.score.progress = !vm.count("quiet");
  InstallStopHandlers();
  const CompareCommandResult result = RunCompare(o);
  std::cout << result.table.ToMarkdown();
  if (!out.empty()) std::cout << "\nreport: " << (o.out / "report.html").string() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return RunTool("blurkit-bench", kUsage,
                 {{"score", ScoreMain}, {"matrix", MatrixMain}, {"compare", CompareMain}}, argc, argv);
}
