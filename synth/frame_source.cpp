#include "blurkit/synth/frame_source.h"

#include <algorithm>
#include <cstdlib>
#include <cctype>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <set>

#include "blurkit/core/error.h"
#include "blurkit/core/sha256.h"

namespace blurkit::synth {
namespace fs = std::filesystem;

namespace {

// FFmpeg's decoder prints what it works around at its error level ("A non-intra slice in an IDR
// NAL unit", "decode_slice_header error" on box.mp4, which decodes fine), whatever -q says. Frames
// that really cannot be decoded are caught by blurkit's own checks, which name the clip and the
// frame; so OpenCV's FFmpeg back end is told to print only fatal messages, unless the user set
// OPENCV_FFMPEG_LOGLEVEL (e.g. 32 to see everything). Must run before the first video is opened.
void QuietFfmpeg() {
  static std::once_flag once;
  std::call_once(once, [] { setenv("OPENCV_FFMPEG_LOGLEVEL", "8", /*overwrite=*/0); });  // AV_LOG_FATAL
}

std::string LowerExtension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

std::vector<fs::path> SortedEntries(const fs::path& folder) {
  std::vector<fs::path> entries;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) entries.push_back(entry.path());
  if (ec) throw InputError(Msg() << folder.string() << ": cannot list the folder: " << ec.message());
  std::sort(entries.begin(), entries.end());
  return entries;
}

bool HasFrames(const fs::path& folder) {
  if (!fs::is_directory(folder)) return false;
  for (const auto& p : SortedEntries(folder)) {
    if (fs::is_regular_file(p) && IsFrameImage(p)) return true;
  }
  return false;
}

struct Found {
  fs::path path;
  std::string relative;  // below the input ("train/GOPR0372_07_00")
  bool video;
};

// Collects frame folders and videos below `folder` (see the layouts in the header).
void Collect(const fs::path& folder, const std::string& relative, int depth, std::vector<Found>* out) {
  if (HasFrames(folder)) {
    out->push_back({folder, relative, false});
    return;
  }
  if (HasFrames(folder / "sharp")) {
    out->push_back({folder / "sharp", relative, false});
    return;
  }
  const size_t before = out->size();
  for (const auto& p : SortedEntries(folder)) {
    const std::string name = p.filename().string();
    const std::string rel = relative.empty() ? name : relative + "/" + name;
    if (fs::is_regular_file(p) && IsVideoFile(p)) {
      out->push_back({p, rel, true});
    } else if (fs::is_directory(p) && depth < 3 && name != "blur" && name != "blur_gamma") {
      Collect(p, rel, depth + 1, out);
    }
  }
  if (out->size() == before) {
    throw InputError(Msg() << folder.string()
                           << ": the folder holds no numbered frames (.png .jpg .jpeg .bmp .tif), "
                              "no 'sharp' folder of them, and no video file");
  }
}

}  // namespace

// Written by hand because OpenCV cannot read an image's size without decoding it, and checking the sizes of
// a GoPro split (tens of thousands of 1280x720 frames) by decoding would take minutes.
bool ReadPngSize(const fs::path& file, int* width, int* height) {
  std::ifstream in(file, std::ios::binary);
  unsigned char header[24];
  if (!in.read(reinterpret_cast<char*>(header), sizeof(header))) return false;
  static const unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (!std::equal(kSignature, kSignature + 8, header) || std::string(header + 12, header + 16) != "IHDR") {
    return false;
  }
  auto be32 = [&](int at) {
    return (uint32_t(header[at]) << 24) | (uint32_t(header[at + 1]) << 16) |
           (uint32_t(header[at + 2]) << 8) | uint32_t(header[at + 3]);
  };
  *width = static_cast<int>(be32(16));
  *height = static_cast<int>(be32(20));
  return true;
}

std::string Clip::FrameName(int64_t offset) const {
  if (kind == ClipKind::kFrameFolder && offset >= 0 && offset < static_cast<int64_t>(files.size())) {
    return name + " frame " + files[offset].filename().string();
  }
  return name + " frame " + std::to_string(first_number + offset);
}

bool IsVideoFile(const fs::path& path) {
  static const std::set<std::string> kExtensions = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v",
                                                    ".mpg", ".mpeg", ".wmv", ".flv", ".ts", ".mts",
                                                    ".y4m", ".ogv"};
  return kExtensions.count(LowerExtension(path)) > 0;
}

bool IsFrameImage(const fs::path& path) {
  static const std::set<std::string> kExtensions = {".png", ".jpg", ".jpeg", ".bmp", ".tif",
                                                    ".tiff", ".ppm", ".webp"};
  return kExtensions.count(LowerExtension(path)) > 0;
}

int64_t FrameNumberOf(const fs::path& file) {
  const std::string stem = file.stem().string();
  size_t end = stem.size();
  while (end > 0 && !std::isdigit(static_cast<unsigned char>(stem[end - 1]))) --end;
  size_t begin = end;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(stem[begin - 1]))) --begin;
  if (begin == end || end - begin > 15) return -1;
  return std::stoll(stem.substr(begin, end - begin));
}

Clip ClipFromFrameFolder(const fs::path& folder, const std::string& name) {
  Clip clip;
  clip.name = name;
  clip.kind = ClipKind::kFrameFolder;
  clip.path = folder;
  std::vector<std::pair<int64_t, fs::path>> numbered;
  for (const auto& p : SortedEntries(folder)) {
    if (!fs::is_regular_file(p)) continue;
    if (!IsFrameImage(p)) {
      // Hidden files (.DS_Store) are the file manager's; anything else in a frame folder is
      // probably a frame in a format blurkit does not read, or a file put there by mistake.
      if (p.filename().string().rfind('.', 0) == 0) continue;
      throw InputError(Msg() << p.string() << ": scene " << name
                             << ": a frame folder may hold only frames (.png .jpg .jpeg .bmp .tif "
                                ".tiff .ppm .webp); move this file out of it");
    }
    const int64_t number = FrameNumberOf(p);
    if (number < 0) {
      throw InputError(Msg() << p.string() << ": scene " << name
                             << ": frame file name has no frame number");
    }
    numbered.emplace_back(number, p);
  }
  if (numbered.empty()) {
    throw InputError(Msg() << folder.string() << ": scene " << name << " holds no frames");
  }
  std::sort(numbered.begin(), numbered.end());
  for (size_t k = 1; k < numbered.size(); ++k) {
    const auto& [previous, previous_file] = numbered[k - 1];
    const auto& [number, file] = numbered[k];
    if (number == previous) {
      throw InputError(Msg() << folder.string() << ": scene " << name << ": frames "
                             << previous_file.filename().string() << " and "
                             << file.filename().string() << " have the same number " << number);
    }
    if (number != previous + 1) {
      throw InputError(Msg() << folder.string() << ": scene " << name << ": gap in the frame "
                             << "numbering: frame " << previous + 1 << " is missing ("
                             << previous_file.filename().string() << " is followed by "
                             << file.filename().string() << ")");
    }
  }
  clip.first_number = numbered.front().first;
  for (auto& entry : numbered) clip.files.push_back(std::move(entry.second));
  clip.num_frames = static_cast<int64_t>(clip.files.size());
  // The size of every PNG frame from its header; other formats: the first frame, decoded.
  if (!ReadPngSize(clip.files[0], &clip.width, &clip.height)) {
    const cv::Mat first = cv::imread(clip.files[0].string(), cv::IMREAD_COLOR);
    if (first.empty()) {
      throw InputError(Msg() << clip.files[0].string() << ": " << clip.FrameName(0)
                             << ": cannot decode the image");
    }
    clip.width = first.cols;
    clip.height = first.rows;
  } else {
    for (size_t k = 1; k < clip.files.size(); ++k) {
      int w = 0, h = 0;
      if (ReadPngSize(clip.files[k], &w, &h) && (w != clip.width || h != clip.height)) {
        throw InputError(Msg() << clip.files[k].string() << ": " << clip.FrameName(k) << " is "
                               << w << "x" << h << ", but the scene's first frame "
                               << clip.files[0].filename().string() << " is " << clip.width << "x"
                               << clip.height << " (frames of one scene must have one size)");
      }
    }
  }
  if (clip.width <= 0 || clip.height <= 0) {
    throw InputError(Msg() << clip.files[0].string() << ": " << clip.FrameName(0)
                           << ": invalid image size");
  }
  return clip;
}

Clip ClipFromVideo(const fs::path& file) {
  Clip clip;
  clip.name = file.filename().string();
  clip.kind = ClipKind::kVideoFile;
  clip.path = file;
  if (!fs::is_regular_file(file)) throw MissingInputError(Msg() << file.string() << ": input does not exist");
  QuietFfmpeg();
  cv::VideoCapture capture(file.string(), cv::CAP_FFMPEG);
  if (!capture.isOpened()) {
    throw InputError(Msg() << file.string() << ": cannot open the video (not a video, damaged, or "
                                               "a codec this FFmpeg lacks)");
  }
  cv::Mat first;
  if (!capture.read(first) || first.empty()) {
    throw InputError(Msg() << file.string() << ": " << clip.name
                           << " frame 0: the video holds no decodable frame");
  }
  clip.width = first.cols;
  clip.height = first.rows;
  int64_t count = 1;
  while (capture.grab()) ++count;
  clip.num_frames = count;
  return clip;
}

std::vector<Clip> ClipsFromPaths(const std::vector<fs::path>& inputs, bool hash_videos) {
  std::vector<Found> found;
  for (const auto& input : inputs) {
    if (fs::is_directory(input)) {
      Collect(input, "", 0, &found);
      if (!found.empty() && found.back().relative.empty()) {
        found.back().relative = input.lexically_normal().filename().string();
        if (found.back().relative.empty()) {
          found.back().relative = input.lexically_normal().parent_path().filename().string();
        }
        if (found.back().relative == "sharp") {
          found.back().relative = input.lexically_normal().parent_path().filename().string();
        }
      }
    } else if (fs::is_regular_file(input)) {
      if (!IsVideoFile(input)) {
        throw InputError(Msg() << input.string()
                               << ": not a video file (.mp4 .avi .mkv .mov ...) nor a folder of "
                                  "frames");
      }
      found.push_back({input, input.filename().string(), true});
    } else {
      throw MissingInputError(Msg() << input.string() << ": input does not exist");
    }
  }
  // Clips are named by their last path component unless two would share a name.
  std::map<std::string, int> uses;
  auto last_component = [](const std::string& relative) {
    const auto slash = relative.rfind('/');
    return slash == std::string::npos ? relative : relative.substr(slash + 1);
  };
  for (const auto& f : found) uses[last_component(f.relative)]++;
  std::vector<Clip> clips;
  std::set<std::string> names;
  for (const auto& f : found) {
    const std::string short_name = last_component(f.relative);
    const std::string name = uses[short_name] > 1 ? f.relative : short_name;
    if (!names.insert(name).second) {
      throw InputError(Msg() << f.path.string() << ": two inputs give the clip name '" << name << "'");
    }
    Clip clip = f.video ? ClipFromVideo(f.path) : ClipFromFrameFolder(f.path, name);
    clip.name = name;
    if (f.video && hash_videos) clip.sha256 = Sha256OfFile(f.path);
    clips.push_back(std::move(clip));
  }
  return clips;
}

struct ClipReader::Decoder {
  cv::VideoCapture capture;
  int64_t next = 0;  // offset of the frame the next read() returns
  std::deque<std::pair<int64_t, cv::Mat>> recent;  // the last frames read, for overlapping windows
  size_t keep = 1;
  int64_t reopens = 0;
};

ClipReader::ClipReader(const Clip& clip, int64_t keep_frames) : clip_(clip), keep_frames_(keep_frames) {}

int64_t ClipReader::reopens() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return decoder_ ? decoder_->reopens : 0;
}
ClipReader::~ClipReader() = default;

std::vector<cv::Mat> ClipReader::Read(int64_t offset, int64_t count) {
  BLURKIT_CHECK(offset >= 0 && count > 0 && offset + count <= clip_.num_frames)
      << clip_.name << ": frames [" << offset << ", " << offset + count << ") of " << clip_.num_frames;
  std::vector<cv::Mat> frames;
  frames.reserve(count);
  auto check_size = [&](const cv::Mat& frame, int64_t o) {
    if (frame.cols != clip_.width || frame.rows != clip_.height) {
      throw InputError(Msg() << clip_.path.string() << ": " << clip_.FrameName(o) << " is "
                             << frame.cols << "x" << frame.rows << ", but the clip's first frame is "
                             << clip_.width << "x" << clip_.height
                             << " (frames of one scene must have one size)");
    }
  };
  if (clip_.kind == ClipKind::kFrameFolder) {
    for (int64_t o = offset; o < offset + count; ++o) {
      cv::Mat frame = cv::imread(clip_.files[o].string(), cv::IMREAD_COLOR);
      if (frame.empty()) {
        throw InputError(Msg() << clip_.files[o].string() << ": " << clip_.FrameName(o)
                               << ": cannot decode the image");
      }
      check_size(frame, o);
      frames.push_back(std::move(frame));
    }
    return frames;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (!decoder_) decoder_ = std::make_unique<Decoder>();
  QuietFfmpeg();
  Decoder& d = *decoder_;
  d.keep = static_cast<size_t>(std::max<int64_t>({int64_t(d.keep), count, keep_frames_}));
  for (int64_t o = offset; o < offset + count; ++o) {
    auto hit = std::find_if(d.recent.begin(), d.recent.end(),
                            [o](const auto& entry) { return entry.first == o; });
    if (hit != d.recent.end()) {
      frames.push_back(hit->second);
      continue;
    }
    if (!d.capture.isOpened() || o < d.next) {
      if (d.capture.isOpened()) ++d.reopens;
      d.capture.release();
      d.recent.clear();
      d.next = 0;
      if (!d.capture.open(clip_.path.string(), cv::CAP_FFMPEG)) {
        throw InputError(Msg() << clip_.path.string() << ": cannot open the video again");
      }
    }
    for (; d.next < o; ++d.next) {
      if (!d.capture.grab()) {
        throw InputError(Msg() << clip_.path.string() << ": " << clip_.FrameName(d.next)
                               << ": the video ended or failed to decode");
      }
    }
    cv::Mat frame;
    if (!d.capture.read(frame) || frame.empty()) {
      throw InputError(Msg() << clip_.path.string() << ": " << clip_.FrameName(o)
                             << ": the video ended or failed to decode");
    }
    ++d.next;
    check_size(frame, o);
    d.recent.emplace_back(o, frame);
    while (d.recent.size() > d.keep) d.recent.pop_front();
    frames.push_back(std::move(frame));
  }
  return frames;
}

}  // namespace blurkit::synth
