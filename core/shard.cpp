// Dataset specs and samples: kinds, the spec's JSON form and checks, sample shapes.
#include "blurkit/core/shard.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/error.h"
#include "blurkit/core/random.h"
#include "blurkit/core/sha256.h"
#include "hdf5_io.h"
#include "shard_checksums.h"

namespace blurkit {
namespace fs = std::filesystem;
using hdf5::Handle;

std::string ToString(DatasetKind kind) {
  switch (kind) {
    case DatasetKind::kRotation: return "rotation";
    case DatasetKind::kVideo: return "video";
    case DatasetKind::kPairs: return "pairs";
    case DatasetKind::kPrediction: return "prediction";
  }
  return "unknown";
}

DatasetKind DatasetKindFromString(const std::string& name) {
  if (name == "rotation") return DatasetKind::kRotation;
  if (name == "video") return DatasetKind::kVideo;
  if (name == "pairs") return DatasetKind::kPairs;
  if (name == "prediction") return DatasetKind::kPrediction;
  throw InputError(Msg() << "unknown dataset kind '" << name
                         << "' (expected rotation, video, pairs or prediction)");
}

void DatasetSpec::Check() const {
  if (frames < 1 || frames % 2 == 0) {
    throw InputError(Msg() << "the number of sharp frames must be odd and positive (the middle frame "
                              "is F/2), got "
                           << frames);
  }
  if (kind != DatasetKind::kPairs && kind != DatasetKind::kPrediction && frames < 3) {
    throw InputError(Msg() << "a " << ToString(kind) << " dataset needs at least 3 sharp frames, got "
                           << frames);
  }
  if (height <= 0 || width <= 0) {
    throw InputError(Msg() << "image size must be positive, got " << width << "x" << height);
  }
  if (compression < 0 || compression > 9) {
    throw InputError(Msg() << "compression must be a gzip level 0..9, got " << compression);
  }
}

Json DatasetSpec::ToJson() const {
  Json json{{"kind", ToString(kind)},
            {"frames", frames},
            {"height", height},
            {"width", width},
            {"generator", generator},
            {"blur_magnitude_unit", blur_magnitude_unit},
            {"params", params},
            {"seed", seed},
            {"manifest_sha256", manifest_sha256},
            {"compression", compression}};
  if (raw_mosaic) json["raw_mosaic"] = true;  // absent otherwise: indexes as before it existed
  if (events) json["events"] = true;          // likewise
  return json;
}

DatasetSpec DatasetSpec::FromJson(const Json& json, const std::string& origin) {
  try {
    DatasetSpec spec;
    spec.kind = DatasetKindFromString(json.at("kind").get<std::string>());
    spec.frames = json.at("frames").get<int>();
    spec.height = json.at("height").get<int>();
    spec.width = json.at("width").get<int>();
    spec.generator = json.value("generator", "");
    spec.blur_magnitude_unit = json.value("blur_magnitude_unit", "");
    spec.params = json.value("params", Json::object());
    spec.seed = json.value("seed", uint64_t{0});
    spec.manifest_sha256 = json.value("manifest_sha256", "");
    spec.compression = json.value("compression", 0);
    spec.raw_mosaic = json.value("raw_mosaic", false);
    spec.events = json.value("events", false);
    spec.Check();
    return spec;
  } catch (const Json::exception& e) {
    throw InputError(Msg() << origin << ": invalid dataset description: " << e.what());
  } catch (const InputError& e) {
    throw InputError(Msg() << origin << ": " << e.what());
  }
}

void CheckSampleShape(const Sample& sample, const DatasetSpec& spec, const std::string& where) {
  const size_t image = static_cast<size_t>(spec.height) * spec.width * 3;
  auto fail = [&](const std::string& what) {
    throw InputError(Msg() << where << ": sample '" << sample.id << "' (index " << sample.index
                           << "): " << what);
  };
  if (sample.id.empty()) fail("has no sample id");
  if (sample.blurred.size() != image) {
    fail(Msg() << "blurred image has " << sample.blurred.size() << " bytes, expected " << image
               << " (" << spec.width << "x" << spec.height << "x3)");
  }
  if (sample.sharp.size() != image * spec.frames) {
    fail(Msg() << "sharp frames hold " << sample.sharp.size() << " bytes, expected "
               << image * spec.frames << " (" << spec.frames << " frames of " << spec.width << "x"
               << spec.height << "x3)");
  }
  if (spec.kind == DatasetKind::kRotation) {
    if (sample.orientation.size() != 4u * spec.frames) fail("needs one quaternion per frame");
    if (sample.homography.size() != 9u * spec.frames) fail("needs one homography per frame");
    if (sample.trajectory.size() % 4 != 0) fail("trajectory must hold whole quaternions (w, x, y, z)");
  }
  if (spec.kind == DatasetKind::kVideo && sample.source_frames.size() != size_t(spec.frames)) {
    fail("needs one source frame number per frame");
  }
  const size_t sites = static_cast<size_t>(spec.height) * spec.width;
  if (sample.raw.size() != (spec.raw_mosaic ? sites : 0)) {
    fail(Msg() << "raw mosaic has " << sample.raw.size() << " values, expected "
               << (spec.raw_mosaic ? sites : 0));
  }
  const SampleEvents& ev = sample.events;
  if (spec.events) {
    if (ev.thresholds.size() != 2 * sites) {
      fail(Msg() << "event thresholds hold " << ev.thresholds.size() << " values, expected " << 2 * sites
                 << " (C+ and C- per pixel)");
    }
    if (ev.x.size() != ev.t.size() || ev.y.size() != ev.t.size() || ev.p.size() != ev.t.size()) {
      fail("event x, y, t and p differ in length");
    }
    for (size_t k = 0; k < ev.t.size(); ++k) {
      if (ev.x[k] >= spec.width || ev.y[k] >= spec.height || (ev.p[k] != 1 && ev.p[k] != -1) ||
          ev.t[k] < ev.exposure_start || ev.t[k] > ev.exposure_end || (k > 0 && ev.t[k] < ev.t[k - 1])) {
        fail(Msg() << "event " << k << " is outside the image or the exposure, out of time order, or "
                   << "has a polarity other than +1/-1");
      }
    }
  } else if (!ev.t.empty() || !ev.thresholds.empty()) {
    fail("has events but the dataset holds none");
  }
  if (!sample.params.empty()) {
    const Json params = Json::parse(sample.params, nullptr, /*allow_exceptions=*/false);
    if (!params.is_object()) fail("its params are not a JSON object");
  }
}

}  // namespace blurkit
