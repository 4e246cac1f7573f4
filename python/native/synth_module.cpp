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
  } catch (const InputError& e) {
    const std::string what = e.what();
    if (what.find("does not exist") != std::string::npos) {
      PyErr_SetString(PyExc_FileNotFoundError, (prefix + what).c_str());
      throw py::error_already_set();
    }
    throw py::value_error(prefix + what);
  } catch (const IoError& e) {
    PyErr_SetString(PyExc_OSError, (prefix + e.what()).c_str());
    throw py::error_already_set();
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
  // kind: panorama, photos or video; args: that command's flags (no --out).
  Renderer(const std::string& kind, const std::vector<std::string>& args, int threads)
      : kind_(kind), threads_(threads) {
    const std::string prefix = "blurkit-synth " + kind + ": ";
    try {
      if (kind == "panorama" || kind == "photos") {
        PanoramaCommandOptions o;
        cli::ParsePanoramaCommand(args, kind == "photos", cli::Caller::kLibrary, &o);
        PanoramaDatasetOptions d = ResolvePanorama(o);
        spec_ = d.Spec();
        size_ = d.samples;
        panorama_ = std::make_unique<PanoramaSampleMaker>(std::move(d));
      } else if (kind == "video") {
        VideoCommandOptions o;
        cli::ParseVideoCommand(args, cli::Caller::kLibrary, &o);
        VideoDatasetOptions d = ResolveVideo(o);
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
    if (threads_ < 0) throw py::value_error("threads must be >= 0 (0 = all cores)");
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

  py::dict Sample(int64_t index, std::optional<uint64_t> seed) {
    if (!panorama_ && !video_) throw py::value_error("this renderer was abandoned (built in another process)");
    if (index < 0 || index >= size_) {
      throw py::index_error("sample " + std::to_string(index) + " outside 0.." + std::to_string(size_ - 1));
    }
    const uint64_t s = seed ? *seed : spec_.seed;
    blurkit::Sample sample;
    {
      py::gil_scoped_release release;
      try {
        std::optional<tbb::global_control> control;
        if (threads_ > 0) control.emplace(tbb::global_control::max_allowed_parallelism, threads_);
        sample = panorama_ ? panorama_->Make(index, s) : video_->Make(index, s);
      } catch (...) {
        py::gil_scoped_acquire acquire;
        Rethrow("blurkit-synth " + kind_ + ": ");
      }
    }
    const py::ssize_t h = spec_.height, w = spec_.width, f = spec_.frames;
    py::dict out;
    out["blurred"] = Array(sample.blurred, {h, w, 3});
    out["sharp"] = Array(sample.sharp, {f, h, w, 3});
    out["sample_id"] = sample.id;
    out["blur_magnitude"] = static_cast<double>(sample.blur_magnitude);
    out["index"] = index;
    out["seed"] = s;
    out["source_file"] = sample.source_file;
    out["source_sha256"] = sample.source_sha256;
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

}  // namespace

PYBIND11_MODULE(_synth, m) {
  m.doc() = "blurkit's renderers (blurkit-synth panorama, photos, video) for Python; use blurkit.synth";
  m.attr("version") = Version();
  m.def("help", &Help, py::arg("kind"), "The options of `blurkit-synth KIND --help`.");
  py::class_<Renderer>(m, "Renderer")
      .def(py::init<const std::string&, const std::vector<std::string>&, int>(), py::arg("kind"),
           py::arg("args"), py::arg("threads") = 1)
      .def("__len__", &Renderer::size)
      .def("abandon", &Renderer::Abandon,
           "Drop a renderer built before fork() without closing its decoders (their threads are the parent's).")
      .def("sample", &Renderer::Sample, py::arg("index"), py::arg("seed") = py::none())
      .def_property_readonly("spec_json", [](const Renderer& r) { return r.spec().ToJson().dump(); })
      .def_property_readonly("height", [](const Renderer& r) { return r.spec().height; })
      .def_property_readonly("width", [](const Renderer& r) { return r.spec().width; })
      .def_property_readonly("frames", [](const Renderer& r) { return r.spec().frames; })
      .def_property_readonly("seed", [](const Renderer& r) { return r.spec().seed; });
}
