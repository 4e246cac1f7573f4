// blurkit._synth: blurkit's renderers for Python (python/blurkit/synth.py wraps it). A Renderer is
// built from the very flags of `blurkit-synth panorama|photos|video` (parsed by
// blurkit/synth/command_line.h, sources resolved as the CLI resolves them), so sample(i, seed) is
// the CLI's sample i of a dataset made with --seed seed, byte for byte.
//
// Rendering releases the GIL. Errors: option errors and bad input raise ValueError, a missing file
// FileNotFoundError, a failing system call OSError; nothing aborts the process.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <tbb/global_control.h>

#include <new>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "blurkit/core/error.h"
#include "blurkit/core/version.h"
#include "blurkit/synth/command_line.h"
#include "blurkit/synth/commands.h"

namespace py = pybind11;
using namespace blurkit;
using namespace blurkit::synth;

namespace {

// A blurkit error as the Python exception its kind calls for.
[[noreturn]] void Rethrow(const std::string& prefix) {
  try {
    throw;
  } catch (const cli::po::error& e) {
    throw py::value_error(prefix + e.what());
  } catch (const MissingInputError& e) {
    PyErr_SetString(PyExc_FileNotFoundError, (prefix + e.what()).c_str());
    throw py::error_already_set();
  } catch (const InputError& e) {
    throw py::value_error(prefix + e.what());
  } catch (const IoError& e) {
    PyErr_SetString(PyExc_OSError, (prefix + e.what()).c_str());
    throw py::error_already_set();
  } catch (const py::error_already_set&) {
    throw;
  } catch (const std::exception& e) {  // OpenCV, FFmpeg through OpenCV, allocation
    throw std::runtime_error(prefix + e.what());
  }
}

template <typename T>
py::array_t<T> Array(const std::vector<T>& values, std::vector<py::ssize_t> shape) {
  py::array_t<T> out(shape);
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

class Renderer {
 public:
  // kind: panorama, photos or video; args: that command's flags (no --out). cache: decoded sources
  // (panoramas, photos) or video windows kept, 0 = the CLI's (3 sources; 8 windows).
  Renderer(const std::string& kind, const std::vector<std::string>& args, int threads, int cache)
      : kind_(kind), threads_(threads) {
    if (threads < 0) throw py::value_error("threads must be >= 0 (0 = all cores)");
    if (cache < 0) throw py::value_error("cache must be >= 0 (0 = the CLI's)");
    const std::string prefix = "blurkit-synth " + kind + ": ";
    try {
      if (kind == "panorama" || kind == "photos") {
        PanoramaCommandOptions o;
        cli::ParsePanoramaCommand(args, kind == "photos", cli::Caller::kLibrary, &o);
        PanoramaDatasetOptions d = ResolvePanorama(o);
        if (cache > 0) d.cache_panoramas = cache;
        spec_ = d.Spec();
        size_ = d.samples;
        panorama_ = std::make_unique<PanoramaSampleMaker>(std::move(d));
      } else if (kind == "video") {
        VideoCommandOptions o;
        cli::ParseVideoCommand(args, cli::Caller::kLibrary, &o);
        VideoDatasetOptions d = ResolveVideo(o);
        if (cache > 0) d.cache_windows = cache;
        d.Check();
        spec_ = d.Spec();
        video_ = std::make_unique<VideoSampleMaker>(std::move(d));
        size_ = video_->num_samples();
      } else {
        throw InputError("kind must be panorama, photos or video, got '" + kind + "'");
      }
    } catch (...) {
      Rethrow(prefix);
    }
  }

  // For a renderer inherited through fork(): drops it without destroying it. Its video decoders'
  // threads were not copied into this process, so closing them here would wait for ever.
  void Abandon() {
    (void)panorama_.release();
    (void)video_.release();
    size_ = 0;
  }

  int64_t size() const { return size_; }
  const DatasetSpec& spec() const { return spec_; }

  // planar: the frames to return (indices into the F frames, in the order wanted) as (3, H, W) and
  // (F', 3, H, W): float32 in [0, 1] (v / 255 in float32, as blurkit.ShardDataset computes) or,
  // with as_uint8, the bytes; converted here without the GIL. None: uint8 (H, W, 3) and
  // (F, H, W, 3) as stored in shards.
  py::dict Sample(int64_t index, std::optional<uint64_t> seed,
                  std::optional<std::vector<int>> planar, bool as_uint8) {
    if (!panorama_ && !video_) throw py::value_error("this renderer was abandoned (built in another process)");
    if (index < 0 || index >= size_) {
      throw py::index_error("sample " + std::to_string(index) + " outside 0.." + std::to_string(size_ - 1));
    }
    const uint64_t s = seed ? *seed : spec_.seed;
    const py::ssize_t h = spec_.height, w = spec_.width, f = spec_.frames;
    if (planar) {
      for (int j : *planar) {
        if (j < 0 || j >= f) throw py::index_error("frame " + std::to_string(j) + " outside 0.." + std::to_string(f - 1));
      }
    }
    // The image arrays are allocated with the GIL and filled without it.
    py::array out_blurred, out_sharp;
    if (planar && !as_uint8) {
      out_blurred = py::array_t<float>({py::ssize_t(3), h, w});
      out_sharp = py::array_t<float>({py::ssize_t(planar->size()), py::ssize_t(3), h, w});
    } else if (planar) {
      out_blurred = py::array_t<uint8_t>({py::ssize_t(3), h, w});
      out_sharp = py::array_t<uint8_t>({py::ssize_t(planar->size()), py::ssize_t(3), h, w});
    } else {
      out_blurred = py::array_t<uint8_t>({h, w, py::ssize_t(3)});
      out_sharp = py::array_t<uint8_t>({f, h, w, py::ssize_t(3)});
    }
    void* blurred_data = out_blurred.mutable_data();
    void* sharp_data = out_sharp.mutable_data();
    blurkit::Sample sample;
    {
      py::gil_scoped_release release;
      try {
        std::optional<tbb::global_control> control;
        if (threads_ > 0) control.emplace(tbb::global_control::max_allowed_parallelism, threads_);
        sample = panorama_ ? panorama_->Make(index, s) : video_->Make(index, s);
        // The arrays below are sized from the spec: a sample of another size is refused here.
        CheckSampleShape(sample, spec_, "blurkit.synth sample " + std::to_string(index));
      } catch (...) {
        py::gil_scoped_acquire acquire;
        Rethrow("blurkit-synth " + kind_ + ": ");
      }
      const size_t plane = static_cast<size_t>(h) * w, image = plane * 3;
      if (planar) {
        // v / 255 in float32 for every byte value, so that each pixel is one table lookup.
        static const std::array<float, 256> kScale = [] {
          std::array<float, 256> t{};
          for (int v = 0; v < 256; ++v) t[v] = static_cast<float>(v) / 255.0f;
          return t;
        }();
        auto convert = [&](const uint8_t* in, void* out, size_t k) {
          for (int c = 0; c < 3; ++c) {
            if (as_uint8) {
              uint8_t* o = static_cast<uint8_t*>(out) + k * image + c * plane;
              for (size_t p = 0; p < plane; ++p) o[p] = in[p * 3 + c];
            } else {
              float* o = static_cast<float*>(out) + k * image + c * plane;
              for (size_t p = 0; p < plane; ++p) o[p] = kScale[in[p * 3 + c]];
            }
          }
        };
        convert(sample.blurred.data(), blurred_data, 0);
        for (size_t k = 0; k < planar->size(); ++k) {
          convert(sample.sharp.data() + (*planar)[k] * image, sharp_data, k);
        }
      } else {
        std::copy(sample.blurred.begin(), sample.blurred.end(), static_cast<uint8_t*>(blurred_data));
        std::copy(sample.sharp.begin(), sample.sharp.end(), static_cast<uint8_t*>(sharp_data));
      }
    }
    py::dict out;
    out["blurred"] = out_blurred;
    out["sharp"] = out_sharp;
    out["sample_id"] = sample.id;
    out["blur_magnitude"] = static_cast<double>(sample.blur_magnitude);
    out["index"] = index;
    out["seed"] = s;
    out["source_file"] = sample.source_file;
    out["source_sha256"] = sample.source_sha256;
    // The camera pipeline's drawn values and mosaic, where it ran (open_sample's layout).
    if (!sample.params.empty()) out["params"] = py::module_::import("json").attr("loads")(sample.params);
    if (!sample.raw.empty()) out["raw"] = Array(sample.raw, {h, w});
    if (!sample.events.thresholds.empty()) {  // --events: open_sample's layout
      const SampleEvents& ev = sample.events;
      const py::ssize_t count = static_cast<py::ssize_t>(ev.t.size());
      py::dict events;
      events["x"] = Array(ev.x, {count});
      events["y"] = Array(ev.y, {count});
      events["t"] = Array(ev.t, {count});
      events["p"] = Array(ev.p, {count});
      events["thresholds"] = Array(ev.thresholds, {2, h, w});
      events["exposure"] = Array(std::vector<int64_t>{ev.exposure_start, ev.exposure_end}, {2});
      out["events"] = events;
    }
    if (panorama_) {
      out["orientation"] = Array(sample.orientation, {f, 4});
      out["homography"] = Array(sample.homography, {f, 3, 3});
      out["trajectory"] = Array(sample.trajectory, {py::ssize_t(sample.trajectory.size() / 4), 4});
    } else {
      out["source_frames"] = Array(sample.source_frames, {f});
    }
    return out;
  }

 private:
  std::string kind_;
  int threads_ = 1;
  DatasetSpec spec_;
  int64_t size_ = 0;
  std::unique_ptr<PanoramaSampleMaker> panorama_;
  std::unique_ptr<VideoSampleMaker> video_;
};

std::string Help(const std::string& kind) {
  try {
    if (kind == "video") {
      VideoCommandOptions o;
      return cli::ParseVideoCommand({"--help"}, cli::Caller::kLibrary, &o).help_text;
    }
    PanoramaCommandOptions o;
    return cli::ParsePanoramaCommand({"--help"}, kind == "photos", cli::Caller::kLibrary, &o).help_text;
  } catch (...) {
    Rethrow("");
  }
}

// Waits for oneTBB's worker threads to end. oneTBB supports no fork() once its pool runs: a child
// inherits a scheduler whose worker threads it does not have. blurkit.synth calls this before every
// fork (os.register_at_fork), so a DataLoader worker forked after the parent rendered on several
// threads starts a pool of its own. False where another thread of the process was inside TBB at
// that moment (the pool then stays).
bool ReleaseThreads() {
  py::gil_scoped_release release;
  tbb::task_scheduler_handle handle{tbb::attach{}};
  return tbb::finalize(handle, std::nothrow);
}

}  // namespace

PYBIND11_MODULE(_synth, m) {
  m.doc() = "blurkit's renderers (blurkit-synth panorama, photos, video) for Python; use blurkit.synth";
  m.attr("version") = Version();
  m.attr("build_version") = BuildVersion();  // with the git commit, as `blurkit-synth --version`
  m.def("help", &Help, py::arg("kind"), "The options of `blurkit-synth KIND --help`.");
  m.def("release_threads", &ReleaseThreads,
        "Wait for the rendering threads (oneTBB's workers) to end; called before fork(). False where "
        "another thread was rendering at that moment.");
  py::class_<Renderer>(m, "Renderer")
      .def(py::init<const std::string&, const std::vector<std::string>&, int, int>(), py::arg("kind"),
           py::arg("args"), py::arg("threads") = 1, py::arg("cache") = 0)
      .def("__len__", &Renderer::size)
      .def("abandon", &Renderer::Abandon,
           "Drop a renderer built before fork() without closing its decoders (their threads are the parent's).")
      .def("sample", &Renderer::Sample, py::arg("index"), py::arg("seed") = py::none(),
           py::arg("planar") = py::none(), py::arg("as_uint8") = false)
      .def_property_readonly("spec_json", [](const Renderer& r) { return r.spec().ToJson().dump(); })
      .def_property_readonly("height", [](const Renderer& r) { return r.spec().height; })
      .def_property_readonly("width", [](const Renderer& r) { return r.spec().width; })
      .def_property_readonly("frames", [](const Renderer& r) { return r.spec().frames; })
      .def_property_readonly("seed", [](const Renderer& r) { return r.spec().seed; });
}
