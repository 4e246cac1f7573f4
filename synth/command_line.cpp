// The command lines of blurkit-synth's dataset commands (blurkit/synth/command_line.h).
#include "blurkit/synth/command_line.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>

#include "blurkit/core/error.h"
#include "blurkit/core/manifest.h"
#include "blurkit/core/stop_signal.h"
#include "blurkit/synth/camera_pipeline.h"
#include "event_options.h"

namespace blurkit::synth::cli {

namespace fs = std::filesystem;

// Parses "256" or "320x240" into width and height.
void ParseSize(const std::string& text, int* width, int* height) {
  const auto x = text.find('x');
  try {
    if (x == std::string::npos) {
      *width = *height = std::stoi(text);
    } else {
      *width = std::stoi(text.substr(0, x));
      *height = std::stoi(text.substr(x + 1));
    }
  } catch (const std::logic_error&) {
    throw InputError(Msg() << "--size: expected N or WxH, got '" << text << "'");
  }
}

namespace {

// Stores a manifest's parameters for `command` as if they had been given on the command line
// after the user's own flags (which therefore win).
void StoreManifestParams(const po::options_description& description, po::variables_map& vm,
                         const std::string& command) {
  if (!vm.count("manifest")) return;
  const fs::path file = vm["manifest"].as<std::string>();
  const std::string split = vm.count("split") ? vm["split"].as<std::string>() : "";
  const Manifest manifest = Manifest::Load(file);
  manifest.Split(split);  // an unknown split is named before anything else goes wrong
  std::vector<std::string> args;
  const nlohmann::json params = manifest.ParamsFor(command, split);
  for (const auto& [key, value] : params.items()) {
    if (value.is_boolean()) {
      if (value.get<bool>()) args.push_back("--" + key);
    } else {
      args.push_back("--" + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump()));
    }
  }
  try {
    po::store(po::command_line_parser(args).options(description).run(), vm);
  } catch (const po::error& e) {
    throw InputError(Msg() << file.string() << ": parameters for '" << command << "': " << e.what());
  }
}

}  // namespace

// The options every dataset-writing command shares, declared once: output, seed, threads, shard
// size, split run, compression, quiet. `seed` is null for commands without randomness.
po::options_description RunOptions(ShardedRunOptions& run, std::string& out, int& compression,
                                   uint64_t* seed) {
  po::options_description options("Output and run");
  options.add_options()("out,o", po::value(&out), "dataset folder (required)");
  if (seed) {
    options.add_options()("seed", po::value(seed)->default_value(0),
                          "random seed: same seed, same bytes, whatever the thread count");
  }
  options.add_options()
      ("threads,j", po::value(&run.threads)->default_value(0), "worker threads, 0 = all cores")
      ("shard-size", po::value(&run.shard_size)->default_value(64), "samples per shard")
      ("shard-index", po::value(&run.shard_index)->default_value(0),
       "this machine's part of a split run, in [0, --num-shards); default: from a Slurm job array "
       "(SLURM_ARRAY_TASK_ID) or RANK/WORLD_SIZE")
      ("num-shards", po::value(&run.num_shards)->default_value(1),
       "number of parts the run is split into (part K writes shards s with s % N == K)")
      ("compression", po::value(&compression)->default_value(0), "gzip level of the images, 0-9")
      ("overwrite", po::bool_switch(&run.overwrite), "replace a dataset made with other parameters")
      ("quiet,q", "no progress output")
      ("help,h", "this help");
  return options;
}

namespace {

// --manifest, --split and --data-root: sources from a data manifest.
void AddManifestOptions(po::options_description& input, std::string& manifest, std::string& split,
                        const char* what) {
  input.add_options()
      ("manifest", po::value(&manifest), what)
      ("split", po::value(&split), "the manifest split to use (e.g. train, test)")
      ("data-root", po::value<std::string>(), "folder the manifest's paths are relative to "
       "(default: the manifest's data_root)");
}

// Exposure jitter and sensor noise, shared by the panorama and video commands.
void AddNoiseOptions(po::options_description& group, ExposureOptions& e) {
  group.add_options()
      ("ev-jitter", po::value(&e.ev_jitter)->default_value(0.0),
       "random exposure offset per sample, uniform in [-j, j] stops")
      ("noise-poisson", po::value(&e.noise_poisson)->default_value(0.0),
       "Poisson noise scale a (variance a*x, x linear in [0, 1]) on the blurred image")
      ("noise-gaussian", po::value(&e.noise_gaussian)->default_value(0.0),
       "Gaussian read-noise sigma (linear units) on the blurred image");
}

// The camera pipeline (blurkit/synth/camera_pipeline.h), shared by the panorama, photos and video
// commands. Ranges are LO:HI (or one value for both); applied after parsing (FinishCameraOptions).
struct CameraFlags {
  std::string wb_red = "1.9:2.4", wb_blue = "1.5:1.9", raw_noise = "0", raw_noise_scale = "0.5:1.5",
              saturation = "0", jpeg_quality = "0";
};

void AddCameraOptions(po::options_description& group, CameraPipelineOptions& c, CameraFlags& f) {
  group.add_options()
      ("camera-pipeline", po::value(&c.preset)->default_value("none"),
       "the camera's photometry on the blurred image: none (an ideal camera, every byte as without "
       "it), rsblur (RSBlur's synthesis: saturated highlights, the a7R III's colour matrix, random "
       "white balance and Bayer pattern, Poisson-Gaussian noise on the mosaic, Malvar demosaicing) "
       "or realblur-j (the same with RealBlur's noise, and JPEG); the flags below override it")
      ("camera-isp", po::bool_switch(&c.isp),
       "the camera's processing round trip: colour matrix, inverse white balance, Bayer mosaic, "
       "(noise), white balance, demosaicing, colour matrix back")
      ("camera-matrix", po::value(&c.color_matrix)->default_value("a7r3"),
       "XYZ -> camera RGB: a7r3 (RSBlur's Sony a7R III) or a file of 9 numbers, row-major")
      ("wb-red", po::value(&f.wb_red)->default_value("1.9:2.4"), "red white-balance gain, LO:HI, drawn per sample")
      ("wb-blue", po::value(&f.wb_blue)->default_value("1.5:1.9"), "blue white-balance gain, LO:HI, drawn per sample")
      ("bayer", po::value(&c.bayer)->default_value("random"), "Bayer pattern: rggb, bggr, grbg, gbrg or random")
      ("raw-noise", po::value(&f.raw_noise)->default_value("0"),
       "Poisson-Gaussian noise on the mosaic, beta1 * Poisson(x / beta1) + N(0, beta2^2): BETA1,BETA2, "
       "or realblur (8.8915e-5,2.9430e-5: RealBlur's a7R III) or rsblur (1e-4,9.1504e-4); 0 = none")
      ("raw-noise-scale", po::value(&f.raw_noise_scale)->default_value("0.5:1.5"),
       "each beta times U[LO, HI] per sample (RSBlur's 0.5:1.5)")
      ("saturation", po::value(&f.saturation)->default_value("0"),
       "synthetic highlights of 8-bit sources: the averaged mask of saturated sub-frame pixels "
       "times a strength drawn in LO:HI (RSBlur's 0.25:1.75); 0 = none")
      ("jpeg-quality", po::value(&f.jpeg_quality)->default_value("0"),
       "JPEG-compress the blurred image at a quality drawn in LO:HI (1..100); 0 = none")
      ("store-raw", po::bool_switch(&c.store_raw), "also store the noisy raw mosaic (/raw, uint16) in the shards");
}

// "LO:HI" or "V" (both), as doubles; `flag` names it in the error.
void ParseRangeFlag(const std::string& text, const char* flag, double* lo, double* hi) {
  try {
    const auto colon = text.find(':');
    size_t used = 0;
    *lo = std::stod(text.substr(0, colon), &used);
    if (used != (colon == std::string::npos ? text.size() : colon)) throw std::invalid_argument(text);
    if (colon == std::string::npos) {
      *hi = *lo;
    } else {
      const std::string rest = text.substr(colon + 1);
      *hi = std::stod(rest, &used);
      if (used != rest.size()) throw std::invalid_argument(text);
    }
  } catch (const std::logic_error&) {
    throw InputError(Msg() << "--" << flag << ": expected LO:HI or one number, got '" << text << "'");
  }
}

void FinishCameraOptions(const po::variables_map& vm, const CameraFlags& f, CameraPipelineOptions& c) {
  std::vector<std::string> set;
  for (const char* name : {"camera-isp", "raw-noise", "saturation", "jpeg-quality"}) {
    if (vm.count(name) && !vm[name].defaulted()) set.push_back(name);
  }
  if (c.isp) set.push_back("camera-isp");
  ParseRangeFlag(f.wb_red, "wb-red", &c.red_gain_lo, &c.red_gain_hi);
  ParseRangeFlag(f.wb_blue, "wb-blue", &c.blue_gain_lo, &c.blue_gain_hi);
  ParseRangeFlag(f.raw_noise_scale, "raw-noise-scale", &c.noise_scale_lo, &c.noise_scale_hi);
  ParseRangeFlag(f.saturation, "saturation", &c.saturation_lo, &c.saturation_hi);
  double q_lo = 0, q_hi = 0;
  ParseRangeFlag(f.jpeg_quality, "jpeg-quality", &q_lo, &q_hi);
  if (q_lo != std::floor(q_lo) || q_hi != std::floor(q_hi) || !(std::abs(q_lo) <= 1000 && std::abs(q_hi) <= 1000)) {
    throw InputError(Msg() << "--jpeg-quality must be whole numbers LO:HI within 1..100, got '" << f.jpeg_quality << "'");
  }
  c.jpeg_quality_lo = static_cast<int>(q_lo);
  c.jpeg_quality_hi = static_cast<int>(q_hi);
  if (f.raw_noise == "realblur") {
    c.beta1 = 8.8915e-5, c.beta2 = 2.9430e-5;
  } else if (f.raw_noise == "rsblur") {
    c.beta1 = 1e-4, c.beta2 = 9.1504e-4;
  } else if (f.raw_noise == "0") {
    c.beta1 = c.beta2 = 0;
  } else {
    const auto comma = f.raw_noise.find(',');
    double b1 = 0, b2 = 0;
    try {
      size_t used = 0;
      if (comma == std::string::npos) throw std::invalid_argument("no comma");
      b1 = std::stod(f.raw_noise.substr(0, comma), &used);
      if (used != comma) throw std::invalid_argument("trailing");
      const std::string rest = f.raw_noise.substr(comma + 1);
      b2 = std::stod(rest, &used);
      if (used != rest.size()) throw std::invalid_argument("trailing");
    } catch (const std::logic_error&) {
      throw InputError(Msg() << "--raw-noise: expected BETA1,BETA2, realblur, rsblur or 0, got '" << f.raw_noise << "'");
    }
    c.beta1 = b1, c.beta2 = b2;
  }
  c.ApplyPreset(set);
  c.Check();
}

}  // namespace

// After parsing: the output folder, progress, and the part of a split run, which comes from the
// scheduler (a Slurm job array, or RANK/WORLD_SIZE) when --shard-index/--num-shards are not given.
void FinishRunOptions(const po::variables_map& vm, const std::string& out, ShardedRunOptions& run) {
  if (out.empty()) throw InputError("--out is required");
  // SIGINT/SIGTERM: finish no more samples, keep the completed shards, exit 128 + signal.
  InstallStopHandlers();
  run.out = out;
  run.progress = !vm.count("quiet");
  if (!vm["shard-index"].defaulted() || !vm["num-shards"].defaulted()) return;
  std::map<std::string, std::string> env;
  for (const char* name : {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN",
                           "RANK", "WORLD_SIZE"}) {
    if (const char* value = std::getenv(name)) env[name] = value;
  }
  std::string source;
  if (PartFromScheduler(env, &run.shard_index, &run.num_shards, &source) && run.num_shards > 1) {
    std::cerr << "blurkit-synth: part " << run.shard_index << " of " << run.num_shards << " ("
              << source << ")\n";
  }
}

namespace {

// A gyroscope log and how to read it (blurkit/synth/gyro_formats.h); loaded after parsing.
struct GyroFlags {
  std::string file, exposure = "0", readout = "0";
  GyroFileOptions read;
};

}  // namespace

void AddGyroReadOptions(po::options_description& group, GyroFileOptions& g) {
  group.add_options()
      ("gyro-preset", po::value(&g.preset),
       "gyro CSV: a logger app's layout, sensor-logger (Gyroscope.csv: time,seconds_elapsed,z,y,x, "
       "ns) or phyphox; found from the header when not given")
      ("gyro-columns", po::value(&g.columns),
       "gyro CSV: the time and x, y, z rate columns, by header name or 0-based index, e.g. "
       "time,gx,gy,gz (default: blurkit's rows t,wx,wy,wz)")
      ("gyro-time-unit", po::value(&g.time_unit), "gyro CSV: s, ms, us or ns (default s)")
      ("gyro-axes", po::value(&g.axes),
       "gyro CSV and .gcsv: the axes as a signed permutation in Gyroflow's notation (letter i is the "
       "input axis that becomes output axis i, lowercase negated, e.g. yXz); CSV outputs blurkit's "
       "camera axes (x right, y down, z forward), .gcsv Gyroflow's (overrides its orientation line)")
      ("gyro-rate", po::value(&g.rate)->default_value(0.0),
       "raw GPMF without timestamps (no STMP, TICK or MP4 track): the gyroscope's samples per second");
}

namespace {

// Camera path options, shared by panorama and photos: the trajectory kind and its parameters.
// The gyro log is loaded after parsing (FinishPathOptions).
void AddPathOptions(po::options_description& group, RotationPathOptions& p, std::string& trajectory,
                    GyroFlags& gyro, bool& rolling_targets) {
  group.add_options()
      ("trajectory", po::value(&trajectory)->default_value("slerp"),
       "camera path: slerp (constant-velocity turn, the paper's), shake (Boracchi & Foi's hand-"
       "shake walk at constant angular speed) or gyro (windows of a recorded gyroscope log)")
      ("shake-gaussian", po::value(&p.shake.gaussian)->default_value(10.0),
       "shake: gaussianTerm, the random change of direction; drawn per path in [0, g]")
      ("shake-centripetal", po::value(&p.shake.centripetal)->default_value(0.7, "0.7"),
       "shake: pull back towards the start; drawn per path in [0, c]")
      ("shake-big", po::value(&p.shake.big_shakes)->default_value(0.2, "0.2"),
       "shake: freqBigShakes; a near-reversal has probability big * anxiety per step; drawn in [0, b]")
      ("shake-anxiety", po::value(&p.shake.anxiety)->default_value(0.1, "0.1"),
       "shake: scales the random and centripetal terms and the big shakes; drawn per path in [0, a]")
      ("shake-roll", po::value(&p.shake.roll)->default_value(0.2, "0.2"),
       "shake: largest roll rate as a fraction of the yaw/pitch rate (a random walk; 0 = no roll)")
      ("shake-steps", po::value(&p.shake.steps)->default_value(2000), "shake: steps of the walk")
      ("shake-fixed", po::bool_switch(&p.shake.fixed),
       "shake: use the four values above as they are instead of drawing each per path")
      ("gyro", po::value(&gyro.file),
       "gyro: a recorded gyroscope log, found by its content: a GoPro MP4/MOV (its GPMF telemetry), "
       "a raw GPMF stream, a Gyroflow .gcsv, or a CSV (blurkit's rows t,wx,wy,wz in seconds and "
       "rad/s about the camera's x right, y down, z forward axes; other layouts: --gyro-columns)")
      ("exposure-time", po::value(&gyro.exposure)->default_value("0"),
       "gyro: seconds of the log each sample integrates, from a random start; from-log: the median "
       "shutter time the camera recorded (GoPro SHUT); with --readout-time, any path's exposure")
      ("readout-time", po::value(&gyro.readout)->default_value("0"),
       "a rolling shutter: seconds from the first row's exposure start to the last row's (GoPros and "
       "phones: 0.014-0.033); each row is blurred along its own part of the path (slerp, gyro; needs "
       "--exposure-time); from-lens: the --lens profile's frame_readout_time; 0 = a global shutter")
      ("rolling-shutter-targets", po::bool_switch(&rolling_targets),
       "with --readout-time: sharp targets read row by row as well (for rolling-shutter correction); "
       "default: global-shutter targets at the middle row's instants");
  AddGyroReadOptions(group, gyro.read);
}

// A flag's value that is seconds or, handled by the caller, `keyword`.
double Seconds(const std::string& text, const char* flag, const char* keyword) {
  try {
    size_t used = 0;
    const double seconds = std::stod(text, &used);
    if (used == text.size()) return seconds;
  } catch (const std::logic_error&) {
  }
  throw InputError(Msg() << flag << " must be seconds or " << keyword << ", got '" << text << "'");
}

void FinishPathOptions(const std::string& trajectory, const GyroFlags& gyro, const FisheyeLens* lens,
                       RotationPathOptions& p) {
  p.trajectory = TrajectoryKindFromString(trajectory);
  if (gyro.readout == "from-lens") {
    if (!lens || !(lens->readout_time > 0)) {
      throw InputError(Msg() << "--readout-time from-lens needs a --lens profile that gives its "
                                "frame_readout_time" << (lens ? " (" + lens->name + " does not)" : std::string()));
    }
    // The profile's readout spans its calibrated frame's rows; the output shows a central crop of
    // height / scale of them (lens.h), read in that share of the time.
    p.readout_time = lens->readout_time * std::min(1.0, lens->height / (lens->calib_height * lens->scale));
  } else {
    p.readout_time = Seconds(gyro.readout, "--readout-time", "from-lens");
  }
  if (!gyro.file.empty()) {
    if (p.trajectory != TrajectoryKind::kGyro) {
      throw InputError("--gyro is given but --trajectory is not gyro");
    }
    p.gyro = GyroLog::Load(gyro.file, gyro.read);
  }
  if (gyro.exposure == "from-log") {
    if (!p.gyro || p.gyro->exposures().empty()) {
      throw InputError("--exposure-time from-log needs a --gyro log that records shutter times (a GoPro's SHUT)");
    }
    std::vector<double> e = p.gyro->exposures();
    std::nth_element(e.begin(), e.begin() + e.size() / 2, e.end());
    p.exposure_time = e[e.size() / 2];
  } else {
    p.exposure_time = Seconds(gyro.exposure, "--exposure-time", "from-log");
  }
}


}  // namespace

// `panorama` and `photos`: the same options, but for the photos' field of view and start.
Parsed ParsePanoramaCommand(const std::vector<std::string>& args, bool photos, Caller caller,
                            PanoramaCommandOptions* options) {
  PanoramaCommandOptions& o = *options;
  o = PanoramaCommandOptions();
  PanoramaDatasetOptions& d = o.dataset;
  d.photos = photos;
  RotationBlurOptions& r = d.render;
  std::vector<std::string> inputs;
  std::string manifest, out, size = "256", method = "canvas", trajectory, lens, lens_frames;
  GyroFlags gyro;
  int64_t samples = 0;
  const char* command = photos ? "photos" : "panorama";

  po::options_description input("Input");
  if (photos) {
    input.add_options()
        ("input,i", po::value(&inputs)->multitoken(),
         "sharp perspective photographs: files or folders; 8-bit PNG/JPEG/WebP (decoded with "
         "--response), 16-bit PNG/TIFF or HDR OpenEXR/.hdr (linear)")
        ("source-fov", po::value(&d.source_fov),
         "the photos' horizontal field of view in degrees, in (0, 180); required unless the "
         "manifest gives each source its 'fov'");
  } else {
    input.add_options()
        ("input,i", po::value(&inputs)->multitoken(),
         "equirectangular panoramas (2:1): files or folders; 8-bit PNG/JPEG/WebP (decoded with "
         "--response) or HDR OpenEXR/.hdr (linear radiance)");
  }
  AddManifestOptions(input, manifest, o.split,
                     "a data manifest (data_manifests/*.json): its sources, checked against their "
                     "sha256, and its parameters as defaults");
  po::options_description geometry("Camera and rotation");
  geometry.add_options()
      ("samples,n", po::value(&samples), "number of samples (required)")
      ("frames,F", po::value(&r.frames)->default_value(7), "sharp frames per sample, odd, evenly "
       "spaced in time: first = start of the exposure, middle, last = its end")
      ("size", po::value(&size)->default_value("256"), "output size, N or WxH pixels")
      ("fov", po::value(&r.fov)->default_value(photos ? 30.0 : 60.0),
       "horizontal field of view of the output, degrees (a pinhole camera; --lens replaces it)")
      ("lens", po::value(&lens),
       "a fisheye lens: a Gyroflow lens profile (.json, OpenCV fisheye model) or a preset "
       "(hero11-wide, hero10-wide-4by3), scaled so its calibrated frame covers --size, cropped "
       "about the centre")
      ("lens-frames", po::value(&lens_frames)->default_value("distorted"),
       "with --lens: distorted (the fisheye's frames) or rectified (undistorted to the pinhole of "
       "the lens's focal length, after the camera's pipeline)")
      ("max-angle", po::value(&r.path.max_angle)->default_value(photos ? 4.0 : 8.0),
       "slerp, shake: each Euler angle of the rotation is uniform in [-a, a] degrees (shake turns "
       "by that rotation's angle)");
  if (photos) {
    geometry.add_options()
        ("roll-range", po::value(&r.path.roll_range)->default_value(5.0),
         "initial roll uniform in [-r, r] degrees (yaw and pitch: anywhere the view fits)");
  } else {
    geometry.add_options()
        ("pitch-range", po::value(&r.path.pitch_range)->default_value(30.0),
         "initial pitch uniform in [-p, p] degrees (yaw covers the full circle)")
        ("roll-range", po::value(&r.path.roll_range)->default_value(5.0),
         "initial roll uniform in [-r, r] degrees");
  }
  geometry.add_options()
      ("frames-per-degree", po::value(&r.path.frames_per_degree)->default_value(0.0),
       "k in n = k |theta| sub-frames (theta: the path's angle); 0 = auto: no pixel moves more "
       "than --max-step between sub-frames")
      ("max-step", po::value(&r.path.max_step_pixels)->default_value(0.5),
       "largest motion between consecutive sub-frames with auto k, pixels")
      ("max-subframes", po::value(&r.path.max_subframes)->default_value(512),
       "upper bound on sub-frames per sample");
  if (!photos) {
    geometry.add_options()
        ("method", po::value(&method)->default_value("canvas"),
         "canvas (render once, warp per sub-frame) or direct (sample the sphere per sub-frame)")
        ("canvas-oversample", po::value(&r.canvas_oversample)->default_value(1.5),
         "canvas pixels per output pixel (per axis)");
  }
  po::options_description path("Camera path");
  AddPathOptions(path, r.path, trajectory, gyro, r.rolling_targets);
  po::options_description exposure("Exposure and noise");
  exposure.add_options()
      ("response", po::value(&d.response)->default_value("srgb"),
       "camera response: srgb, gamma, gamma:<g>, linear, or a file of 256 values")
      ("exposure", po::value(&d.exposure.exposure)->default_value("auto"),
       "auto (HDR: log-average luminance -> --key) or stops (scale 2^EV)")
      ("key", po::value(&d.exposure.key)->default_value(0.18, "0.18"), "auto-exposure key value");
  AddNoiseOptions(exposure, d.exposure);
  po::options_description camera("The camera (its photometry on the blurred image; docs/synth.md)");
  CameraFlags camera_flags;
  AddCameraOptions(camera, d.camera, camera_flags);
  po::options_description events("Event camera (synth/events.h)");
  AddEventOptions(events, d.events);
  po::options_description run = RunOptions(o.run, out, d.compression, &d.seed);
  po::options_description all(photos
                                  ? "blurkit-synth photos: rotational blur from perspective photos"
                                  : "blurkit-synth panorama: rotational blur from panoramas");
  all.add(input).add(geometry).add(path).add(exposure).add(camera).add(events).add(run);

  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).run(), vm);
  Parsed parsed;
  if (vm.count("help")) {
    std::ostringstream help;
    if (photos) {
      help << all << "\nexamples:\n"
                          "  blurkit-synth photos --input /data/DIV2K_train_HR --source-fov 60 "
                          "--samples 10000 --trajectory shake --out runs/div2k_shake\n"
                          "  blurkit-synth photos --input photos/ --source-fov 65 --trajectory gyro "
                          "--gyro walk.csv --exposure-time 0.05 --samples 500 --out runs/gyro\n";
    } else {
      help << all << "\nexamples:\n"
                          "  blurkit-synth panorama --manifest data_manifests/demo_panorama.json "
                          "--split train --out runs/pano_train\n"
                          "  blurkit-synth panorama --input panoramas/ --trajectory shake "
                          "--samples 1000 --out runs/pano_shake\n";
    }
    parsed.help = true;
    parsed.help_text = help.str();
    return parsed;
  }
  StoreManifestParams(all, vm, command);
  po::notify(vm);
  if (!vm.count("samples")) throw InputError("--samples is required (or a manifest that sets it)");
  if (caller == Caller::kTool) FinishRunOptions(vm, out, o.run);
  for (const auto& i : inputs) o.inputs.emplace_back(i);
  o.manifest = manifest;
  if (vm.count("data-root")) o.data_root = vm["data-root"].as<std::string>();
  ParseSize(size, &r.width, &r.height);
  if (method == "canvas") {
    r.method = RenderMethod::kCanvas;
  } else if (method == "direct") {
    r.method = RenderMethod::kDirect;
  } else {
    throw InputError(Msg() << "--method must be canvas or direct, got '" << method << "'");
  }
  if (!lens.empty()) {
    r.lens = LensRays::Make(FisheyeLens::FromSpec(lens).ScaledTo(r.width, r.height));
  }
  if (lens_frames == "rectified") {
    d.rectify = true;
  } else if (lens_frames != "distorted") {
    throw InputError(Msg() << "--lens-frames must be distorted or rectified, got '" << lens_frames << "'");
  }
  FinishPathOptions(trajectory, gyro, r.Lens(), r.path);
  FinishCameraOptions(vm, camera_flags, d.camera);
  FinishEventOptions(r.path.exposure_time, d.events);
  d.samples = samples;
  return parsed;
}

namespace {

// Parses "full" (0x0), "256" or "320x240" for --crop.
void ParseCrop(const std::string& text, int* width, int* height) {
  if (text == "full") {
    *width = *height = 0;
    return;
  }
  ParseSize(text, width, height);
  if (*width <= 0 || *height <= 0) {
    throw InputError(Msg() << "--crop: expected full, N or WxH with positive sizes, got '" << text << "'");
  }
}

// Parses "B:E" for --clip-range (fractions of each clip).
void ParseRange(const std::string& text, double* begin, double* end) {
  const auto colon = text.find(':');
  try {
    if (colon == std::string::npos) throw std::invalid_argument("no colon");
    *begin = std::stod(text.substr(0, colon));
    *end = std::stod(text.substr(colon + 1));
  } catch (const std::logic_error&) {
    throw InputError(Msg() << "--clip-range: expected B:E (fractions of each clip, e.g. 0:0.7), got '"
                           << text << "'");
  }
}

}  // namespace

Parsed ParseVideoCommand(const std::vector<std::string>& args, Caller caller,
                         VideoCommandOptions* options) {
  VideoCommandOptions& o = *options;
  o = VideoCommandOptions();
  VideoDatasetOptions& d = o.dataset;
  std::vector<std::string> inputs;
  std::string manifest, out, crop = "full", range = "0:1";

  po::options_description input("Input");
  input.add_options()
      ("input,i", po::value(&inputs)->multitoken(),
       "video files (anything FFmpeg decodes), folders of numbered frames, or folders of them: "
       "GOPRO_Large_all/{train,test}/<scene>/*.png, GOPRO_Large/{train,test}/<scene>/sharp/*.png");
  AddManifestOptions(input, manifest, o.split,
                     "a data manifest (data_manifests/*.json): its sources (video files checked "
                     "against their sha256) and its parameters as defaults");
  po::options_description windows("Windows and crops");
  windows.add_options()
      ("window,N", po::value(&d.window)->default_value(7), "N: consecutive frames averaged into "
       "one blurred image")
      ("stride", po::value(&d.stride)->default_value(0), "frames between window starts; 0 = N "
       "(windows do not overlap)")
      ("frames,F", po::value(&d.frames)->default_value(7), "F: sharp frames per sample, odd, "
       "3 <= F <= N, evenly spaced (first and last frame of the window included)")
      ("interpolate", po::value(&d.interpolate)->default_value(1), "K: insert K-1 flow-interpolated "
       "frames between neighbours first (slow sources; see docs/synth.md for what it can and cannot fix)")
      ("clip-range", po::value(&range)->default_value("0:1"), "B:E: use frames [round(B n), "
       "round(E n)) of each clip of n frames (e.g. 0:0.7 for training, 0.7:1 for testing)")
      ("crop", po::value(&crop)->default_value("full"), "full frames, or random crops of N or WxH "
       "pixels")
      ("crops-per-window", po::value(&d.crops_per_window)->default_value(1),
       "random crops per window (with --crop)")
      ("flow-size", po::value(&d.flow_max_side)->default_value(160), "blur magnitude: optical flow "
       "on the crop downscaled to this longer side (magnitudes in source pixels)");
  po::options_description exposure("Exposure and noise");
  exposure.add_options()
      ("response", po::value(&d.response)->default_value("gamma"),
       "camera response for averaging in linear light: gamma (2.2, GoPro's blur_gamma), "
       "gamma:<g>, srgb, linear (plain pixel average, GoPro's blur), or a file of 256 values "
       "(inverse response, e.g. REDS')")
      ("exposure", po::value(&d.exposure.exposure)->default_value("auto"),
       "auto (keep the video's exposure) or stops (scale 2^EV; highlights clip)");
  AddNoiseOptions(exposure, d.exposure);
  po::options_description camera("The camera (its photometry on the blurred image; docs/synth.md)");
  CameraFlags camera_flags;
  AddCameraOptions(camera, d.camera, camera_flags);
  po::options_description run = RunOptions(o.run, out, d.compression, &d.seed);
  po::options_description all("blurkit-synth video: dynamic blur from high-speed video");
  all.add(input).add(windows).add(exposure).add(camera).add(run);

  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).run(), vm);
  Parsed parsed;
  if (vm.count("help")) {
    std::ostringstream help;
    help << all << "\nexamples:\n"
                 "  blurkit-synth video --manifest data_manifests/demo_video.json --split train "
                 "--out runs/video_train\n"
                 "  blurkit-synth video --manifest data_manifests/gopro.json --split train "
                 "--data-root /data/GOPRO_Large_all --out runs/gopro_train\n"
                 "  blurkit-synth video --input clip.mp4 --window 7 --frames 7 --crop 256 "
                 "--crops-per-window 4 --out runs/clip\n";
    parsed.help = true;
    parsed.help_text = help.str();
    return parsed;
  }
  StoreManifestParams(all, vm, "video");
  po::notify(vm);
  if (caller == Caller::kTool) FinishRunOptions(vm, out, o.run);
  for (const auto& i : inputs) o.inputs.emplace_back(i);
  o.manifest = manifest;
  if (vm.count("data-root")) o.data_root = vm["data-root"].as<std::string>();
  ParseCrop(crop, &d.crop_width, &d.crop_height);
  ParseRange(range, &d.range_begin, &d.range_end);
  FinishCameraOptions(vm, camera_flags, d.camera);
  return parsed;
}


}  // namespace blurkit::synth::cli
