// Video sources: clips of consecutive frames, from folders of numbered images or video files.
//
// Layouts accepted by ClipsFromPaths (each input is a file or a folder):
//   - a video file that cv::VideoCapture (FFmpeg) opens (.mp4 .avi .mkv .mov .webm .m4v .mpg ...):
//     one clip, frames numbered 0, 1, ... in decoding order;
//   - a folder of numbered images (000001.png, frame_12.jpg: the number is the last run of digits
//     in the file name): one clip, frames numbered by their file names, which must be consecutive;
//   - a folder whose "sharp" subfolder holds numbered images (GoPro_Large: <scene>/sharp/*.png);
//   - a folder of such folders or videos, searched up to 3 levels deep in name order:
//     GOPRO_Large_all/train (scenes of all 240 fps frames), GOPRO_Large/test, or the dataset root
//     (train/ and test/ both).
// The clip's name is the scene folder's name (GOPR0372_07_00; "train/GOPR0372_07_00" when two
// clips would share a name) or the video's file name.
//
// Nothing is decoded when clips are listed, except that a video is read through once to count its
// frames exactly (container frame counts are estimates) and to prove it decodes. PNG frames have
// their size read from the file header, so frames of different sizes are refused before anything
// is written; other image formats are checked when decoded.
//
// Frames are decoded on demand (streamed): ClipReader never holds a whole clip in memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace blurkit::synth {

enum class ClipKind { kFrameFolder, kVideoFile };

struct Clip {
  std::string name;                         // recorded in the samples (no folders above the scene)
  ClipKind kind = ClipKind::kFrameFolder;
  std::filesystem::path path;               // the folder of frames, or the video file
  std::vector<std::filesystem::path> files;  // frame folders: the frames in order
  int64_t first_number = 0;                 // number of the first frame (file name, or 0)
  int64_t num_frames = 0;
  int width = 0, height = 0;                // of the first frame
  std::string sha256;                       // video files: the file's digest; folders: ""
  int window = 0;                           // frames averaged for this clip; 0 = the run's window

  // "GOPR0372_07_00 frame 000012.png" or "cockatoo.mp4 frame 12": names a frame in messages.
  std::string FrameName(int64_t offset) const;
};

// Lists the clips of the inputs (see the layouts above). Throws InputError naming the scene and
// frame for: a missing input, a folder with no frames or videos, a gap or a repeated number in a
// frame folder, PNG frames of different sizes, a video that does not open or decode.
// `hash_videos`: compute each video's sha256 (a manifest has already done it when false).
std::vector<Clip> ClipsFromPaths(const std::vector<std::filesystem::path>& inputs,
                                 bool hash_videos = true);
// One clip from one video file or frame folder (no search below it).
Clip ClipFromVideo(const std::filesystem::path& file);
Clip ClipFromFrameFolder(const std::filesystem::path& folder, const std::string& name);

// Width and height from a PNG file's header (IHDR chunk); false when the file is not a PNG.
bool ReadPngSize(const std::filesystem::path& file, int* width, int* height);

bool IsVideoFile(const std::filesystem::path& path);
bool IsFrameImage(const std::filesystem::path& path);

// The number in a frame file name (the last run of digits of its stem), or -1.
int64_t FrameNumberOf(const std::filesystem::path& file);

// Reads frames of one clip as 8-bit BGR images. Frame folders: each frame is decoded from its file,
// so any number of threads read in parallel. Video files: one decoder per clip reads forward; a
// request behind it reopens the file and skips forward (never seeks, because FFmpeg seeking is not
// frame-exact for every codec), so the frames are the same whatever the order of requests.
// Thread-safe: requests for one video are served one at a time.
class ClipReader {
 public:
  // `keep_frames`: video frames kept after decoding, so that requests arriving slightly out of
  // order (parallel workers) or overlapping windows are served without reopening the file.
  explicit ClipReader(const Clip& clip, int64_t keep_frames = 0);
  ~ClipReader();
  // Frames [offset, offset + count) of the clip (offsets from 0). Throws InputError naming the
  // clip and frame when one cannot be decoded or has another size than the clip's first frame.
  std::vector<cv::Mat> Read(int64_t offset, int64_t count);
  // How often the video was reopened to go back (0 for frame folders).
  int64_t reopens() const;

 private:
  struct Decoder;
  const Clip& clip_;
  int64_t keep_frames_;
  mutable std::mutex mutex_;
  std::unique_ptr<Decoder> decoder_;
};

}  // namespace blurkit::synth
