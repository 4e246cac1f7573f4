#include "blurkit/synth/pairs_import.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "blurkit/core/error.h"
#include "blurkit/core/version.h"
#include "blurkit/synth/frame_source.h"

namespace blurkit::synth {
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> SortedImages(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file() && IsFrameImage(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void CollectScenes(const fs::path& folder, int depth, std::vector<fs::path>* scenes) {
  if (fs::is_directory(folder / "sharp")) {
    scenes->push_back(folder);
    return;
  }
  if (depth >= 2) return;
  std::vector<fs::path> children;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_directory()) children.push_back(entry.path());
  }
  std::sort(children.begin(), children.end());
  for (const auto& child : children) CollectScenes(child, depth + 1, scenes);
}

}  // namespace

std::vector<ImagePair> GoProPairs(const std::vector<fs::path>& inputs, const std::string& blur_folder) {
  if (blur_folder != "blur" && blur_folder != "blur_gamma") {
    throw InputError(Msg() << "--blur must be blur or blur_gamma, got '" << blur_folder << "'");
  }
  std::vector<ImagePair> pairs;
  for (const auto& input : inputs) {
    if (!fs::is_directory(input)) throw InputError(Msg() << input.string() << ": not a folder");
    std::vector<fs::path> scenes;
    CollectScenes(input, 0, &scenes);
    if (scenes.empty()) {
      throw InputError(Msg() << input.string()
                             << ": no GoPro_Large scene (a folder with sharp/ and " << blur_folder
                             << "/) below it");
    }
    for (const auto& scene : scenes) {
      const std::string name = scene.filename().string();
      const fs::path blur_dir = scene / blur_folder;
      if (!fs::is_directory(blur_dir)) {
        throw InputError(Msg() << blur_dir.string() << ": scene " << name << " has no "
                               << blur_folder << " folder");
      }
      const auto sharp = SortedImages(scene / "sharp");
      const auto blurred = SortedImages(blur_dir);
      if (blurred.empty()) {
        throw InputError(Msg() << blur_dir.string() << ": scene " << name << " holds no images");
      }
      for (const auto& b : blurred) {
        const fs::path s = scene / "sharp" / b.filename();
        if (!fs::is_regular_file(s)) {
          throw InputError(Msg() << b.string() << ": scene " << name << " frame "
                                 << b.filename().string() << " has no sharp frame " << s.string());
        }
      }
      if (sharp.size() != blurred.size()) {
        for (const auto& s : sharp) {
          if (!fs::is_regular_file(blur_dir / s.filename())) {
            throw InputError(Msg() << s.string() << ": scene " << name << " frame "
                                   << s.filename().string() << " has no blurred image in "
                                   << blur_folder << "/");
          }
        }
      }
      for (const auto& b : blurred) {
        pairs.push_back({name + "/" + b.filename().string(), b, scene / "sharp" / b.filename()});
      }
    }
  }
  return pairs;
}

std::vector<ImagePair> RealBlurPairs(const fs::path& list, const fs::path& root_in) {
  std::ifstream in(list);
  if (!in) throw InputError(Msg() << list.string() << ": cannot read the pair list");
  const fs::path root = root_in.empty() ? list.parent_path() : root_in;
  std::vector<ImagePair> pairs;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::istringstream fields(line);
    std::string sharp, blurred, extra;
    if (!(fields >> sharp)) continue;  // blank line
    if (!(fields >> blurred) || (fields >> extra)) {
      throw InputError(Msg() << list.string() << ":" << number
                             << ": expected '<sharp path> <blurred path>', got '" << line << "'");
    }
    ImagePair pair;
    pair.sharp = root / sharp;
    pair.blurred = root / blurred;
    for (const auto& p : {pair.sharp, pair.blurred}) {
      if (!fs::is_regular_file(p)) {
        throw MissingInputError(Msg() << list.string() << ":" << number << ": " << p.string()
                               << " does not exist (pass --data-root?)");
      }
    }
    // scene177/blur/blur_1.png -> "scene177/blur_1.png"
    const fs::path b(blurred);
    pair.name = b.parent_path().parent_path().filename().string() + "/" + b.filename().string();
    pairs.push_back(pair);
  }
  if (pairs.empty()) throw InputError(Msg() << list.string() << ": the pair list is empty");
  return pairs;
}

void PairsDatasetOptions::Check() {
  if (pairs.empty()) throw InputError("no image pairs given");
  if ((crop_width == 0) != (crop_height == 0) || crop_width < 0 || crop_height < 0) {
    throw InputError(Msg() << "--crop must be WxH with both positive, got " << crop_width << "x"
                           << crop_height);
  }
  int first_w = 0, first_h = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    int sizes[2][2] = {{0, 0}, {0, 0}};
    const fs::path* files[2] = {&pairs[i].blurred, &pairs[i].sharp};
    bool known = true;
    for (int k = 0; k < 2; ++k) known = ReadPngSize(*files[k], &sizes[k][0], &sizes[k][1]) && known;
    if (!known) continue;  // not PNG: checked when decoded
    if (sizes[0][0] != sizes[1][0] || sizes[0][1] != sizes[1][1]) {
      throw InputError(Msg() << pairs[i].blurred.string() << ": pair " << pairs[i].name
                             << ": blurred image is " << sizes[0][0] << "x" << sizes[0][1]
                             << " but its sharp image is " << sizes[1][0] << "x" << sizes[1][1]);
    }
    const int w = sizes[0][0], h = sizes[0][1];
    if (crop_width > 0 && (w < crop_width || h < crop_height)) {
      throw InputError(Msg() << pairs[i].blurred.string() << ": pair " << pairs[i].name << " is "
                             << w << "x" << h << ", smaller than the crop " << crop_width << "x"
                             << crop_height);
    }
    if (first_w == 0) {
      first_w = w;
      first_h = h;
    } else if (crop_width == 0 && (w != first_w || h != first_h)) {
      throw InputError(Msg() << pairs[i].blurred.string() << ": pair " << pairs[i].name << " is "
                             << w << "x" << h << " but " << pairs[0].name << " is " << first_w
                             << "x" << first_h << "; pass --crop WxH for a centred crop");
    }
  }
  if (first_w == 0 && crop_width == 0) {
    const cv::Mat first = cv::imread(pairs[0].blurred.string(), cv::IMREAD_COLOR);
    if (first.empty()) throw InputError(Msg() << pairs[0].blurred.string() << ": cannot decode");
    first_w = first.cols;
    first_h = first.rows;
  }
  width = crop_width > 0 ? crop_width : first_w;
  height = crop_height > 0 ? crop_height : first_h;
}

Json PairsDatasetOptions::ToJson() const {
  return Json{{"command", "import-pairs"},
              {"source", source},
              {"blur", blur_folder},
              {"pairs", pairs.size()},
              {"crop", crop_width > 0 ? Json{crop_width, crop_height} : Json("full")}};
}

DatasetSpec PairsDatasetOptions::Spec() const {
  DatasetSpec spec;
  spec.kind = DatasetKind::kPairs;
  spec.frames = 1;
  spec.width = width;
  spec.height = height;
  spec.generator = "blurkit-synth " + Version();
  spec.blur_magnitude_unit = "";
  spec.params = ToJson();
  spec.manifest_sha256 = manifest_sha256;
  spec.compression = compression;
  return spec;
}

Sample MakePairSample(const PairsDatasetOptions& options, int64_t index) {
  const ImagePair& pair = options.pairs.at(static_cast<size_t>(index));
  Sample sample;
  sample.index = index;
  char id[64];
  std::snprintf(id, sizeof(id), "%08lld", static_cast<long long>(index));
  std::string name = pair.name;
  std::replace(name.begin(), name.end(), '/', '-');
  sample.id = std::string(id) + "-" + fs::path(name).stem().string();
  sample.source_file = pair.name;
  const size_t image = static_cast<size_t>(options.width) * options.height * 3;
  auto load = [&](const fs::path& file, std::vector<uint8_t>* out) {
    const cv::Mat bgr = cv::imread(file.string(), cv::IMREAD_COLOR);
    if (bgr.empty()) {
      throw InputError(Msg() << file.string() << ": pair " << pair.name << ": cannot decode");
    }
    const int w = options.crop_width > 0 ? options.crop_width : options.width;
    const int h = options.crop_height > 0 ? options.crop_height : options.height;
    if ((options.crop_width == 0 && (bgr.cols != w || bgr.rows != h)) || bgr.cols < w ||
        bgr.rows < h) {
      throw InputError(Msg() << file.string() << ": pair " << pair.name << " is " << bgr.cols
                             << "x" << bgr.rows << ", expected " << w << "x" << h
                             << (options.crop_width == 0 ? " (pass --crop WxH)" : " or larger"));
    }
    const cv::Mat view = bgr(cv::Rect((bgr.cols - w) / 2, (bgr.rows - h) / 2, w, h));
    out->resize(image);
    for (int y = 0; y < h; ++y) {
      const uint8_t* in = view.ptr<uint8_t>(y);
      uint8_t* o = out->data() + static_cast<size_t>(y) * w * 3;
      for (int x = 0; x < w; ++x, in += 3, o += 3) {
        o[0] = in[2];
        o[1] = in[1];
        o[2] = in[0];
      }
    }
  };
  load(pair.blurred, &sample.blurred);
  load(pair.sharp, &sample.sharp);
  return sample;
}

}  // namespace blurkit::synth
