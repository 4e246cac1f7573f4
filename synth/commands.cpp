#include "blurkit/synth/commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <limits>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <tbb/info.h>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/error.h"
#include "blurkit/core/manifest.h"

namespace blurkit::synth {
namespace fs = std::filesystem;

PanoramaDatasetOptions ResolvePanorama(PanoramaCommandOptions options) {
  if (!options.inputs.empty() && !options.manifest.empty()) {
    throw InputError("give either --input or --manifest, not both");
  }
  if (!options.manifest.empty()) {
    const Manifest manifest = Manifest::Load(options.manifest);
    Manifest resolved = manifest;
    if (!options.data_root.empty()) resolved.data_root = options.data_root;
    for (const auto& source : manifest.Split(options.split)) {
      const fs::path path = resolved.Resolve(source);
      const std::string digest = VerifySourceFile(path, source, manifest.file);
      options.dataset.sources.push_back({path.filename().string(), path, digest, source.fov});
    }
    if (options.dataset.sources.empty()) {
      throw InputError(Msg() << options.manifest.string() << ": split '" << options.split
                             << "' names no sources");
    }
    options.dataset.manifest_sha256 = manifest.sha256;
  } else {
    if (options.inputs.empty()) {
      throw InputError(options.dataset.photos ? "no photos given: use --input or --manifest"
                                              : "no panoramas given: use --input or --manifest");
    }
    if (!options.run.out.empty()) {
      for (const auto& input : options.inputs) CheckOutputOutside(options.run.out, input);
    }
    options.dataset.sources = PanoramaSourcesFromPaths(options.inputs, options.dataset.photos);
  }
  options.dataset.Check();
  return options.dataset;
}

PanoramaCommandSummary RunPanorama(PanoramaCommandOptions options) {
  options.dataset = ResolvePanorama(options);
  options.run.num_samples = options.dataset.samples;
  options.run.Check();
  PanoramaSampleMaker maker(options.dataset);
  PanoramaCommandSummary summary;
  summary.panoramas = options.dataset.sources.size();
  summary.photos = options.dataset.photos;
  summary.run = WriteShardedDataset(options.run, options.dataset.Spec(),
                             [&](int64_t i) { return maker.Make(i); });
  summary.stats = maker.stats();
  return summary;
}

std::string FormatSummary(const PanoramaCommandSummary& s) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1);
  out << "wrote " << s.run.samples_written << " samples in " << s.run.shards_written
      << " shards from " << s.panoramas << (s.photos ? " photos" : " panoramas") << " in "
      << s.run.seconds << " s";
  if (s.run.seconds > 0 && s.run.samples_written > 0) {
    out << " (" << s.run.samples_written / s.run.seconds << " samples/s)";
  }
  out << "; " << s.run.shards_kept << " of " << s.run.shards_owned
      << " shards were already complete\n";
  if (s.stats.samples > 0) {
    out << "sub-frames per sample: mean " << double(s.stats.subframes) / s.stats.samples
        << ", min " << s.stats.min_subframes << ", max " << s.stats.max_subframes
        << "; largest path angle " << s.stats.max_magnitude << " degrees; straightness (chord / "
        << "path angle, 1 = great circle) mean " << std::setprecision(3)
        << s.stats.sum_straightness / s.stats.samples << std::setprecision(1);
    if (s.photos) {
      out << "; " << s.stats.redraws << " paths redrawn because they left the photo\n";
    } else {
      out << "; " << s.stats.direct_renders << " samples rendered without a canvas\n";
    }
    if (s.stats.event_frames > 0) {
      out << "events per sample: mean " << double(s.stats.events) / s.stats.samples
          << "; frames rendered for them: mean " << double(s.stats.event_frames) / s.stats.samples;
      if (s.stats.coarse_event_intervals > 0) {
        out << "; " << s.stats.coarse_event_intervals
            << " intervals above the half-threshold rule (raise --event-max-frames)";
      }
      out << "\n";
    }
  }
  out << "index: " << s.run.index_file.string()
      << (s.run.assembled ? "" : " (part of a split run: 'blurkit-synth shards assemble' when all "
                                 "parts are done)")
      << "\n";
  return out.str();
}

namespace {

std::string Seconds(double s) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << s << " s";
  return out.str();
}

}  // namespace

VideoDatasetOptions ResolveVideo(VideoCommandOptions options) {
  if (!options.inputs.empty() && !options.manifest.empty()) {
    throw InputError("give either --input or --manifest, not both");
  }
  auto& clips = options.dataset.clips;
  if (!options.manifest.empty()) {
    const Manifest manifest = Manifest::Load(options.manifest);
    Manifest resolved = manifest;
    if (!options.data_root.empty()) resolved.data_root = options.data_root;
    for (const auto& source : manifest.Split(options.split)) {
      const fs::path path = resolved.Resolve(source);
      if (fs::is_directory(path)) {
        for (auto& clip : ClipsFromPaths({path}, /*hash_videos=*/true)) {
          clip.window = source.window;
          clips.push_back(std::move(clip));
        }
      } else {
        const std::string digest = VerifySourceFile(path, source, manifest.file);
        Clip clip = ClipsFromPaths({path}, /*hash_videos=*/false).at(0);
        clip.sha256 = digest;
        clip.window = source.window;
        clips.push_back(std::move(clip));
      }
    }
    if (clips.empty()) {
      throw InputError(Msg() << options.manifest.string() << ": split '" << options.split
                             << "' names no sources");
    }
    options.dataset.manifest_sha256 = manifest.sha256;
  } else {
    if (options.inputs.empty()) throw InputError("no video given: use --input or --manifest");
    if (!options.run.out.empty()) {
      for (const auto& input : options.inputs) CheckOutputOutside(options.run.out, input);
    }
    clips = ClipsFromPaths(options.inputs);
  }
  return options.dataset;
}

VideoCommandSummary RunVideo(VideoCommandOptions options) {
  VideoCommandSummary summary;
  const auto scan_start = std::chrono::steady_clock::now();
  options.dataset = ResolveVideo(options);
  const auto& clips = options.dataset.clips;
  summary.scan_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - scan_start).count();
  const int threads = options.run.threads > 0 ? options.run.threads : tbb::info::default_concurrency();
  options.dataset.cache_windows = std::max(options.dataset.cache_windows, 2 * threads + 4);
  options.dataset.Check();
  VideoSampleMaker maker(options.dataset);
  options.run.num_samples = maker.num_samples();
  options.run.Check();
  summary.clips = clips.size();
  for (const auto& clip : clips) {
    summary.source_frames += clip.num_frames;
    summary.windows += WindowsOf(clip, options.dataset).windows;
  }
  summary.run = WriteShardedDataset(options.run, options.dataset.Spec(),
                             [&](int64_t i) { return maker.Make(i); });
  summary.stats = maker.stats();
  return summary;
}

std::string FormatSummary(const VideoCommandSummary& s) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1);
  out << "wrote " << s.run.samples_written << " samples in " << s.run.shards_written
      << " shards from " << s.windows << " windows of " << s.clips << " clips (" << s.source_frames
      << " frames) in " << s.run.seconds << " s";
  if (s.run.seconds > 0 && s.run.samples_written > 0) {
    out << " (" << s.run.samples_written / s.run.seconds << " samples/s)";
  }
  out << "; " << s.run.shards_kept << " of " << s.run.shards_owned
      << " shards were already complete\n";
  out << "listing the clips took " << Seconds(s.scan_seconds) << "\n";
  if (s.stats.samples > 0) {
    out << std::setprecision(2) << "frames decoded " << s.stats.frames_decoded << ", interpolated "
        << s.stats.frames_interpolated << ", video reopened " << s.stats.video_reopens
        << " times; blur magnitude mean "
        << s.stats.sum_magnitude / s.stats.samples << " px, max " << s.stats.max_magnitude
        << " px\n";
  }
  out << "index: " << s.run.index_file.string()
      << (s.run.assembled ? "" : " (part of a split run: 'blurkit-synth shards assemble' when all "
                                 "parts are done)")
      << "\n";
  return out.str();
}

PairsCommandSummary RunImportPairs(PairsCommandOptions options) {
  if (!options.inputs.empty() && !options.realblur_list.empty()) {
    throw InputError("give either --input (GoPro_Large) or --realblur-list, not both");
  }
  if (!options.realblur_list.empty()) {
    options.dataset.source = "realblur";
    options.dataset.blur_folder = "";
    options.dataset.pairs = RealBlurPairs(options.realblur_list, options.data_root);
  } else {
    if (options.inputs.empty()) throw InputError("no pairs given: use --input or --realblur-list");
    for (const auto& input : options.inputs) CheckOutputOutside(options.run.out, input);
    options.dataset.source = "gopro";
    options.dataset.pairs = GoProPairs(options.inputs, options.dataset.blur_folder);
  }
  options.dataset.Check();
  options.run.num_samples = static_cast<int64_t>(options.dataset.pairs.size());
  options.run.Check();
  PairsCommandSummary summary;
  summary.pairs = options.dataset.pairs.size();
  summary.width = options.dataset.width;
  summary.height = options.dataset.height;
  const PairsDatasetOptions& dataset = options.dataset;
  summary.run = WriteShardedDataset(options.run, dataset.Spec(),
                             [&](int64_t i) { return MakePairSample(dataset, i); });
  return summary;
}

std::string FormatSummary(const PairsCommandSummary& s) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1);
  out << "imported " << s.run.samples_written << " of " << s.pairs << " pairs (" << s.width << "x"
      << s.height << ", F = 1) in " << s.run.shards_written << " shards in " << s.run.seconds
      << " s; " << s.run.shards_kept << " of " << s.run.shards_owned
      << " shards were already complete\n"
      << "index: " << s.run.index_file.string() << "\n";
  return out.str();
}

std::string InspectDataset(const fs::path& folder) {
  DatasetReader reader(folder);
  const DatasetIndex& index = reader.index();
  const DatasetSpec& spec = index.spec;
  std::ostringstream out;
  out << "dataset:      " << folder.string() << "\n"
      << "kind:         " << ToString(spec.kind) << "\n"
      << "samples:      " << index.num_samples << " in " << index.shards.size() << " shards of "
      << index.shard_size << "\n"
      << "images:       " << spec.width << "x" << spec.height << " RGB uint8, " << spec.frames
      << " sharp frames (middle = " << spec.frames / 2 << ")\n"
      << "generator:    " << spec.generator << ", seed " << spec.seed << "\n"
      << "compression:  " << (spec.compression ? "gzip " + std::to_string(spec.compression) : "none")
      << "\n";
  if (!spec.manifest_sha256.empty()) out << "manifest:     sha256 " << spec.manifest_sha256 << "\n";
  uintmax_t bytes = 0;
  for (const auto& s : index.shards) bytes += fs::file_size(folder / s.file);
  out << std::fixed << std::setprecision(1) << "size on disk: " << bytes / 1048576.0 << " MiB\n";
  // Blur magnitudes and sources, from the shards' metadata (no pixels are read).
  std::vector<float> magnitudes;
  std::map<std::string, int64_t> per_source;
  int64_t unchecked = 0, with_trajectory = 0, paths = 0, subframes = 0, events = 0;
  int64_t shortest = std::numeric_limits<int64_t>::max(), longest = 0;
  for (const auto& entry : index.shards) {
    ShardReader shard(folder / entry.file);
    if (!shard.checksummed()) ++unchecked;
    if (spec.events && !shard.event_offsets().empty()) events += shard.event_offsets().back();
    if (shard.has_trajectory()) {
      ++with_trajectory;
      for (int64_t n : shard.trajectory_lengths()) {
        ++paths;
        subframes += n;
        shortest = std::min(shortest, n);
        longest = std::max(longest, n);
      }
    }
    magnitudes.insert(magnitudes.end(), shard.blur_magnitudes().begin(),
                      shard.blur_magnitudes().end());
    for (const auto& name : shard.source_files()) per_source[name]++;
  }
  if (!magnitudes.empty() && !spec.blur_magnitude_unit.empty()) {
    std::sort(magnitudes.begin(), magnitudes.end());
    double mean = 0;
    for (float m : magnitudes) mean += m;
    mean /= magnitudes.size();
    out << std::setprecision(2) << "blur:         " << spec.blur_magnitude_unit << " min "
        << magnitudes.front() << ", median " << magnitudes[magnitudes.size() / 2] << ", mean "
        << mean << ", max " << magnitudes.back() << "\n";
  }
  if (spec.kind == DatasetKind::kRotation) {
    out << "trajectory:   ";
    if (paths > 0) {
      out << std::setprecision(1) << "every sub-frame's orientation stored (" << with_trajectory
          << " of " << index.shards.size() << " shards); "
          << (spec.params.contains("rolling_shutter") ? "path samples (the whole readout)" : "sub-frames")
          << " per sample min " << shortest
          << ", mean " << double(subframes) / paths << ", max " << longest << "\n";
    } else {
      out << "not stored (written before blurkit stored the whole camera path)\n";
    }
  }
  if (spec.events && index.num_samples > 0) {
    const Json e = spec.params.value("events", Json::object());
    out << std::setprecision(1) << "events:       " << double(events) / index.num_samples
        << " per sample (ESIM model, " << e.value("mode", std::string("?")) << "; C0 "
        << std::setprecision(3) << e.value("threshold", 0.0) << ", sigma " << e.value("threshold_sigma", 0.0)
        << "; " << e.value("exposure_time", 0.0) * 1e3 << " ms exposure; t in ns)\n";
  }
  if (spec.params.contains("camera")) {
    const Json& c = spec.params["camera"];
    out << "camera:       camera pipeline: " << c.value("preset", std::string("?"))
        << (c.value("isp", false) ? "; mosaic, noise and demosaicing" : "")
        << (spec.raw_mosaic ? "; raw mosaic stored (/raw, uint16)" : "")
        << "; each sample's drawn values in /sample_params\n";
  }
  if (spec.params.contains("lens") || spec.params.contains("rolling_shutter")) {
    out << "geometry:     ";
    if (spec.params.contains("lens")) {
      const Json& l = spec.params["lens"];
      out << "fisheye lens " << l.value("name", std::string("?")) << " (" << l.value("source", std::string("?"))
          << "), " << l.value("frames", std::string("distorted")) << " frames";
    } else {
      out << "pinhole";
    }
    if (spec.params.contains("rolling_shutter")) {
      std::ostringstream ms;
      ms << spec.params["rolling_shutter"].value("readout_time", 0.0) * 1000;
      out << "; rolling shutter, readout " << ms.str() << " ms";
    }
    out << "\n";
  }
  out << "checksums:    "
      << (unchecked == 0 ? "yes (schema " + std::to_string(index.schema_version) +
                               ": Fletcher-32 per sample, metadata sha256, HDF5 1.10 format)"
                         : std::to_string(unchecked) + " of " + std::to_string(index.shards.size()) +
                               " shards carry none (schema 1, written before checksums); "
                               "'blurkit-synth shards verify' still checks their sha256")
      << "\n";
  out << "sources:      " << per_source.size() << "\n";
  for (const auto& [name, count] : per_source) out << "  " << name << ": " << count << " samples\n";
  out << "parameters:   " << spec.params.dump() << "\n";
  return out.str();
}

std::vector<fs::path> ExportStrips(const fs::path& folder, int count, const fs::path& out) {
  if (count <= 0) throw InputError(Msg() << "--count must be positive, got " << count);
  CheckOutputOutside(out, folder);
  DatasetReader reader(folder);
  const DatasetSpec& spec = reader.spec();
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw IoError(Msg() << out.string() << ": cannot create the folder: " << ec.message());
  // Strips half-written by an export that was killed (their temporary files) go.
  for (const auto& entry : fs::directory_iterator(out, ec)) {
    const std::string name = entry.path().filename().string();
    if (IsTemporaryPath(entry.path()) && name.find(".png.") != std::string::npos) {
      fs::remove(entry.path(), ec);
    }
  }
  const int n = static_cast<int>(std::min<int64_t>(count, reader.size()));
  constexpr int kGap = 4;
  std::vector<fs::path> written;
  for (int k = 0; k < n; ++k) {
    const int64_t index = n == 1 ? 0 : k * (reader.size() - 1) / (n - 1);
    const Sample sample = reader.Read(index);
    const int w = spec.width, h = spec.height;
    cv::Mat strip(h, (spec.frames + 1) * w + spec.frames * kGap, CV_8UC3, cv::Scalar(255, 255, 255));
    auto place = [&](const uint8_t* rgb, int slot) {
      cv::Mat image(h, w, CV_8UC3, const_cast<uint8_t*>(rgb));
      cv::Mat bgr;
      cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
      bgr.copyTo(strip(cv::Rect(slot * (w + kGap), 0, w, h)));
    };
    place(sample.blurred.data(), 0);
    for (int j = 0; j < spec.frames; ++j) place(sample.SharpFrame(j, spec), j + 1);
    const fs::path file = out / (sample.id + ".png");
    std::vector<uchar> png;
    if (!cv::imencode(".png", strip, png)) throw IoError(Msg() << file.string() << ": cannot encode");
    WriteFileAtomic(file, std::string(png.begin(), png.end()));  // never a half-written strip
    written.push_back(file);
  }
  return written;
}

}  // namespace blurkit::synth
