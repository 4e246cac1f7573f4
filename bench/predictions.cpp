#include "blurkit/bench/predictions.h"

#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

#include "blurkit/core/error.h"

namespace blurkit::bench {
namespace fs = std::filesystem;

std::string PredictionPngName(const std::string& sample_id, int j) {
  return sample_id + "_" + std::to_string(j) + ".png";
}

namespace {

class BlurredInput : public PredictionSource {
 public:
  std::string Name() const override { return "blurred-input"; }
  std::optional<PredictedFrames> Frames(const Sample& gt, const DatasetSpec& spec) const override {
    PredictedFrames out;
    out.frames = spec.frames;
    out.rgb.reserve(gt.blurred.size() * spec.frames);
    for (int j = 0; j < spec.frames; ++j) out.rgb.insert(out.rgb.end(), gt.blurred.begin(), gt.blurred.end());
    return out;
  }
  std::optional<std::vector<std::string>> Ids() const override { return std::nullopt; }
};

class PredictionDataset : public PredictionSource {
 public:
  explicit PredictionDataset(const fs::path& folder) : reader_(folder) {
    const auto ids = reader_.SampleIds();
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!by_id_.emplace(ids[i], static_cast<int64_t>(i)).second) {
        throw InputError(Msg() << folder.string() << ": sample id '" << ids[i] << "' appears twice");
      }
    }
    ids_ = ids;
    name_ = reader_.spec().params.value("method", folder.filename().string());
  }
  std::string Name() const override { return name_; }
  std::optional<PredictedFrames> Frames(const Sample& gt, const DatasetSpec& spec) const override {
    auto it = by_id_.find(gt.id);
    if (it == by_id_.end()) return std::nullopt;
    const DatasetSpec& mine = reader_.spec();
    if (mine.height != spec.height || mine.width != spec.width) {
      throw InputError(Msg() << reader_.folder().string() << ": sample '" << gt.id << "' is "
                             << mine.width << "x" << mine.height << ", the ground truth is "
                             << spec.width << "x" << spec.height);
    }
    Sample s = reader_.Read(it->second);
    return PredictedFrames{mine.frames, std::move(s.sharp)};
  }
  std::optional<std::vector<std::string>> Ids() const override { return ids_; }
  Json ModelInfo() const override { return reader_.spec().params.value("model", Json::object()); }

 private:
  DatasetReader reader_;
  std::map<std::string, int64_t> by_id_;
  std::vector<std::string> ids_;
  std::string name_;
};

class PngFolder : public PredictionSource {
 public:
  explicit PngFolder(const fs::path& folder) : folder_(folder) {
    std::set<std::string> ids;
    for (const auto& entry : fs::directory_iterator(folder)) {
      const std::string name = entry.path().filename().string();
      if (entry.path().extension() != ".png") continue;
      const auto underscore = name.rfind('_');
      if (underscore == std::string::npos) continue;
      ids.insert(name.substr(0, underscore));
    }
    if (ids.empty()) {
      throw InputError(Msg() << folder.string()
                             << ": no predictions (expected <sample_id>_<j>.png files, or a "
                                "prediction dataset with index.json)");
    }
    ids_.assign(ids.begin(), ids.end());
  }
  std::string Name() const override { return folder_.filename().string(); }
  std::optional<PredictedFrames> Frames(const Sample& gt, const DatasetSpec& spec) const override {
    PredictedFrames out;
    for (int j = 0;; ++j) {
      const fs::path file = folder_ / PredictionPngName(gt.id, j);
      if (!fs::exists(file)) break;
      cv::Mat bgr = cv::imread(file.string(), cv::IMREAD_COLOR);
      if (bgr.empty()) throw InputError(Msg() << file.string() << ": cannot decode the PNG");
      if (bgr.rows != spec.height || bgr.cols != spec.width) {
        throw InputError(Msg() << file.string() << ": sample '" << gt.id << "' frame " << j
                               << " is " << bgr.cols << "x" << bgr.rows << ", expected "
                               << spec.width << "x" << spec.height);
      }
      cv::Mat rgb;
      cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
      out.rgb.insert(out.rgb.end(), rgb.data, rgb.data + rgb.total() * 3);
      ++out.frames;
    }
    if (out.frames == 0) return std::nullopt;
    return out;
  }
  std::optional<std::vector<std::string>> Ids() const override { return ids_; }

 private:
  fs::path folder_;
  std::vector<std::string> ids_;
};

}  // namespace

std::unique_ptr<PredictionSource> OpenPredictions(const std::string& where) {
  if (where == "blurred-input") return std::make_unique<BlurredInput>();
  const fs::path folder(where);
  if (!fs::is_directory(folder)) {
    throw InputError(Msg() << where
                           << ": predictions must be 'blurred-input', a prediction dataset or a "
                              "folder of PNGs");
  }
  if (fs::exists(folder / "index.json")) return std::make_unique<PredictionDataset>(folder);
  return std::make_unique<PngFolder>(folder);
}

}  // namespace blurkit::bench
