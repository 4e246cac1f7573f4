// blurkit-synth: builds blur datasets in the blurkit shard format, and inspects them.
#include <boost/program_options.hpp>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <algorithm>
#include <string>
#include <vector>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/error.h"
#include "blurkit/core/manifest.h"
#include "blurkit/core/stop_signal.h"
#include "blurkit/core/tool_main.h"
#include "blurkit/core/version.h"
#include "blurkit/synth/command_line.h"
#include "blurkit/synth/commands.h"
#include "blurkit/synth/gyro_formats.h"
#include "blurkit/synth/export.h"
#include "blurkit/synth/sharded_run.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace blurkit;
using namespace blurkit::synth;
using cli::ParseSize;
using cli::RunOptions;
using cli::FinishRunOptions;
using cli::AddGyroReadOptions;

namespace {

constexpr const char* kUsage = R"(blurkit-synth: motion-blur datasets in the blurkit shard format

usage: blurkit-synth <command> [options]

commands:
  panorama            rotational blur from equirectangular panoramas (camera rotation + Slerp,
                      hand shake or a gyroscope log: --trajectory)
  photos              rotational blur from ordinary photographs (K R K^-1), the same paths
  video               dynamic blur: windows of high-speed video frames averaged in linear light
  import-pairs        released blurred/sharp pairs (GoPro_Large, RealBlur) as F = 1 datasets
  shards inspect DIR  summary of a dataset
  shards verify DIR   check checksums, schema and every sample; non-zero exit on damage
  shards export DIR   PNG strips to look at, or the dataset for BasicSR (LMDB), GoPro-style
                      folders or WebDataset: --format F --out DIR
  shards assemble DIR merge the part indices of a run split with --num-shards into index.json
  gyro inspect FILE   what a gyroscope log holds (GoPro MP4 or GPMF, Gyroflow .gcsv, CSV) as
                      --trajectory gyro reads it; --csv OUT writes the rates as used

'blurkit-synth <command> --help' lists a command's options.
)";

// `panorama` and `photos` (photos = true).
int RotationMain(int argc, char** argv, bool photos) {
  PanoramaCommandOptions o;
  const cli::Parsed parsed = cli::ParsePanoramaCommand(
      std::vector<std::string>(argv + 1, argv + argc), photos, cli::Caller::kTool, &o);
  if (parsed.help) {
    std::cout << parsed.help_text;
    return 0;
  }
  const PanoramaCommandSummary summary = RunPanorama(o);
  std::cout << FormatSummary(summary);
  return 0;
}

int VideoMain(int argc, char** argv) {
  VideoCommandOptions o;
  const cli::Parsed parsed = cli::ParseVideoCommand(std::vector<std::string>(argv + 1, argv + argc),
                                                    cli::Caller::kTool, &o);
  if (parsed.help) {
    std::cout << parsed.help_text;
    return 0;
  }
  const VideoCommandSummary summary = RunVideo(o);
  std::cout << FormatSummary(summary);
  return 0;
}

int ImportPairsMain(int argc, char** argv) {
  PairsCommandOptions o;
  std::vector<std::string> inputs;
  std::string list, out, crop = "full";
  po::options_description input("Input");
  input.add_options()
      ("input,i", po::value(&inputs)->multitoken(),
       "GoPro_Large folders: the root, train/ or test/, or scene folders (<scene>/sharp beside "
       "<scene>/blur and <scene>/blur_gamma)")
      ("blur", po::value(&o.dataset.blur_folder), "GoPro_Large: which blurred images, blur "
       "(averaged in pixel values) or blur_gamma (averaged in gamma 2.2); required, because "
       "papers mix them up")
      ("realblur-list", po::value(&list), "or: a RealBlur pair list (lines '<gt path> <blur path>')")
      ("data-root", po::value<std::string>(), "RealBlur: folder the list's paths are relative to "
       "(default: the list's folder)")
      ("crop", po::value(&crop)->default_value("full"), "full images (all pairs of one size), or a "
       "centred crop of N or WxH pixels");
  po::options_description run = RunOptions(o.run, out, o.dataset.compression, nullptr);
  po::options_description all("blurkit-synth import-pairs: blurred/sharp pairs as F = 1 datasets");
  all.add(input).add(run);
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, all), vm);
  if (vm.count("help")) {
    std::cout << all << "\nexamples:\n"
                 "  blurkit-synth import-pairs --input /data/GOPRO_Large/test --blur blur_gamma "
                 "--out runs/gopro_pairs_test\n"
                 "  blurkit-synth import-pairs --realblur-list /data/RealBlur/RealBlur_J_test_list.txt "
                 "--crop 512 --out runs/realblur_j_test\n";
    return 0;
  }
  po::notify(vm);
  FinishRunOptions(vm, out, o.run);
  if (!inputs.empty() && o.dataset.blur_folder.empty()) {
    throw InputError("--blur is required with GoPro_Large input: blur (pixel-value average) or "
                     "blur_gamma (gamma 2.2 average)");
  }
  for (const auto& i : inputs) o.inputs.emplace_back(i);
  o.realblur_list = list;
  if (vm.count("data-root")) o.data_root = vm["data-root"].as<std::string>();
  if (crop != "full") ParseSize(crop, &o.dataset.crop_width, &o.dataset.crop_height);
  const PairsCommandSummary summary = RunImportPairs(o);
  std::cout << FormatSummary(summary);
  return 0;
}

// `gyro inspect FILE`: what a gyroscope log holds, as blurkit reads it.
int GyroMain(int argc, char** argv) {
  std::string action, file, csv;
  GyroFileOptions read;
  po::options_description named("blurkit-synth gyro inspect FILE");
  named.add_options()
      ("csv", po::value(&csv), "also write the rates as used: t_seconds,wx,wy,wz (rad/s, blurkit's "
       "camera axes: x right, y down, z forward)");
  AddGyroReadOptions(named, read);
  named.add_options()("help,h", "this help");
  po::options_description hidden;
  hidden.add_options()("action", po::value(&action))("file", po::value(&file));
  po::options_description all;
  all.add(named).add(hidden);
  po::positional_options_description positional;
  positional.add("action", 1).add("file", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
  po::notify(vm);
  if (vm.count("help") || action.empty()) {
    std::cout << "usage: blurkit-synth gyro inspect FILE [--csv OUT]\n\n"
                 "What a gyroscope log holds as blurkit reads it (a GoPro MP4/MOV or raw GPMF stream, a "
                 "Gyroflow .gcsv, a CSV): device, streams, samples, the rate measured from the "
                 "timestamps, duration, the axis mapping applied, shutter times, per-axis bias and "
                 "range.\n\n"
              << named;
    return action.empty() && !vm.count("help") ? 2 : 0;
  }
  if (action != "inspect") throw InputError(Msg() << "gyro: unknown action '" << action << "' (inspect)");
  if (file.empty()) throw InputError("gyro inspect: give the log file");
  const GyroRecording rec = ReadGyroRecording(file, read);
  const size_t n = rec.t.size();
  const double duration = rec.t.back() - rec.t.front();
  std::vector<double> dt;
  for (size_t i = 1; i < n; ++i) dt.push_back(rec.t[i] - rec.t[i - 1]);
  std::sort(dt.begin(), dt.end());
  Eigen::Vector3d mean = Eigen::Vector3d::Zero(), lo = rec.w[0], hi = rec.w[0];
  for (const auto& w : rec.w) {
    mean += w;
    lo = lo.cwiseMin(w);
    hi = hi.cwiseMax(w);
  }
  mean /= double(n);
  std::cout << std::fixed;
  std::cout << "file:       " << file << "\n"
            << "format:     " << rec.format << "\n";
  if (!rec.device.empty()) std::cout << "device:     " << rec.device << "\n";
  if (!rec.streams.empty()) {
    std::cout << "streams:   ";
    for (const auto& st : rec.streams) std::cout << " " << st << ";";
    std::cout << "\n";
  }
  std::cout << std::setprecision(3) << "samples:    " << n << " gyroscope, over " << duration << " s\n"
            << std::setprecision(1) << "rate:       " << (n - 1) / duration << " Hz measured from the timestamps "
            << "(median interval " << std::setprecision(3) << dt[dt.size() / 2] * 1000 << " ms, from " << rec.timing
            << ")\n"
            << "axes:       " << rec.axes << "\n"
            << std::setprecision(4) << "bias:       mean rate (" << mean.x() << ", " << mean.y() << ", " << mean.z()
            << ") rad/s\n"
            << "range:      x [" << lo.x() << ", " << hi.x() << "], y [" << lo.y() << ", " << hi.y() << "], z ["
            << lo.z() << ", " << hi.z() << "] rad/s\n";
  if (!rec.accel.empty()) {
    Eigen::Vector3d a = Eigen::Vector3d::Zero();
    for (const auto& v : rec.accel) a += v;
    a /= double(rec.accel.size());
    std::cout << std::setprecision(2) << "gravity:    mean accelerometer (" << a.x() << ", " << a.y() << ", " << a.z()
              << ") m/s^2 (a level camera at rest reads about (0, -9.8, 0))\n";
  }
  if (!rec.exposure.empty()) {
    std::vector<double> e = rec.exposure;
    std::sort(e.begin(), e.end());
    std::cout << std::setprecision(2) << "exposure:   " << e.size() << " frames (SHUT), median " << e[e.size() / 2] * 1000
              << " ms, from " << e.front() * 1000 << " to " << e.back() * 1000 << " ms (--exposure-time from-log)\n";
  }
  if (!csv.empty()) {
    std::ostringstream out;
    out << "t_seconds,wx,wy,wz\n" << std::setprecision(9);
    out.unsetf(std::ios::floatfield);
    for (size_t i = 0; i < n; ++i) {
      out << rec.t[i] << "," << rec.w[i].x() << "," << rec.w[i].y() << "," << rec.w[i].z() << "\n";
    }
    WriteFileAtomic(csv, out.str());
    std::cout << "wrote " << csv << "\n";
  }
  return 0;
}

int ShardsMain(int argc, char** argv) {
  std::string action, folder, out, format = "strips";
  int count = 8;
  ExportOptions ex;
  bool quiet = false;
  po::options_description named("blurkit-synth shards inspect|verify|export|assemble DIR");
  named.add_options()
      ("format", po::value(&format)->default_value("strips"),
       "export: strips (PNG strips to look at), basicsr-lmdb (BasicSR/NAFNet/Restormer LMDB "
       "pair), gopro (blur/, sharp/, frames/ PNG folders) or webdataset (tar shards); "
       "docs/export.md")
      ("out,o", po::value(&out), "export: output folder")
      ("count", po::value(&count)->default_value(8), "export strips: number of samples")
      ("crop", po::value(&ex.crop)->default_value(0),
       "export basicsr-lmdb: cut sub-images of N x N (0 = whole images), as BasicSR's "
       "extract_subimages.py (NAFNet's GoPro: 512)")
      ("crop-step", po::value(&ex.crop_step)->default_value(0),
       "export basicsr-lmdb: stride between sub-images (0 = crop / 2; NAFNet's GoPro: 256)")
      ("shard-size", po::value(&ex.shard_size)->default_value(0),
       "export webdataset: samples per tar file; 0 = at most 1000 and at least 8 tars, so that a "
       "DataLoader with up to 8 workers has a tar for each")
      ("png-compression", po::value(&ex.png_compression)->default_value(1),
       "export: zlib level of the PNGs, 0 (fastest, largest) to 9 (smallest); 1 is BasicSR's "
       "create_lmdb.py default")
      ("overwrite", po::bool_switch(&ex.overwrite), "export: replace a non-empty --out")
      ("quiet,q", po::bool_switch(&quiet), "export: no progress")
      ("help,h", "this help");
  po::options_description hidden;
  hidden.add_options()("action", po::value(&action))("folder", po::value(&folder));
  po::options_description all;
  all.add(named).add(hidden);
  po::positional_options_description positional;
  positional.add("action", 1).add("folder", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
  po::notify(vm);
  if (vm.count("help") || action.empty()) {
    std::cout << named << "\n" << kUsage;
    return vm.count("help") ? 0 : 2;
  }
  if (folder.empty()) throw InputError("shards " + action + ": a dataset folder is required");
  if (action == "inspect") {
    std::cout << InspectDataset(folder);
  } else if (action == "verify") {
    const VerifyReport report = VerifyDataset(folder);
    if (!report.ok()) {
      for (const auto& p : report.problems) std::cerr << "error: " << p << "\n";
      std::cerr << "verify: " << report.problems.size() << " problem(s) in " << folder << "\n";
      return 1;
    }
    std::cout << "ok: " << report.shards_checked << " shards, " << report.samples_checked
              << " samples verified in " << folder << "\n";
  } else if (action == "export" && format == "strips") {
    if (out.empty()) throw InputError("shards export: --out is required");
    const auto files = ExportStrips(folder, count, out);
    std::cout << "wrote " << files.size() << " strips (blurred | sharp frames in time order) to "
              << out << "\n";
  } else if (action == "export") {
    ex.dataset = folder;
    ex.out = out;
    ex.format = format;
    ex.progress = !quiet;
    InstallStopHandlers();
    const ExportSummary s = ExportDataset(ex);
    if (s.already_complete) {
      std::cout << "already complete: " << out << " (" << s.samples << " samples, " << s.images
                << " images; --overwrite exports again)\n";
    } else {
      std::cout << "exported " << s.samples << " samples (" << s.images << " images) as " << format
                << " to " << out;
      if (s.resumed_from > 0) std::cout << ", continuing from sample " << s.resumed_from;
      std::cout << " in " << std::fixed << std::setprecision(1) << s.seconds << " s ("
                << (s.seconds > 0 ? (s.samples - s.resumed_from) / s.seconds : 0.0) << " samples/s)\n";
    }
  } else if (action == "assemble") {
    const DatasetIndex index = synth::AssembleDataset(folder);
    std::cout << "assembled " << index.shards.size() << " shards, " << index.num_samples
              << " samples into " << (fs::path(folder) / "index.json").string() << "\n";
  } else {
    throw InputError("shards: unknown action '" + action +
                     "' (expected inspect, verify, export or assemble)");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return RunTool("blurkit-synth", kUsage,
                 {{"panorama", [](int n, char** a) { return RotationMain(n, a, /*photos=*/false); }},
                  {"photos", [](int n, char** a) { return RotationMain(n, a, /*photos=*/true); }},
                  {"video", VideoMain},
                  {"import-pairs", ImportPairsMain},
                  {"shards", ShardsMain},
                  {"gyro", GyroMain}},
                 argc, argv);
}
