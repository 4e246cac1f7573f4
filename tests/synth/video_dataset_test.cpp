#include "blurkit/synth/video_dataset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "blurkit/core/error.h"
#include "blurkit/core/random.h"
#include "blurkit/core/sha256.h"
#include "blurkit/synth/sharded_run.h"
#include "test_clips.h"

namespace blurkit::synth {
namespace {
namespace fs = std::filesystem;
using testing::TempFolder;
using testing::TranslatingClip;
using testing::WriteFrameFolder;

Clip FakeClip(int64_t frames, int width = 64, int height = 48) {
  Clip clip;
  clip.name = "fake";
  clip.num_frames = frames;
  clip.width = width;
  clip.height = height;
  return clip;
}

TEST(VideoWindows, CountsAtClipEnds) {
  VideoDatasetOptions o;
  o.window = 7;
  EXPECT_EQ(WindowsOf(FakeClip(20), o).windows, 2);  // frames 14..19 are left over
  EXPECT_EQ(WindowsOf(FakeClip(21), o).windows, 3);  // exactly three windows
  EXPECT_EQ(WindowsOf(FakeClip(7), o).windows, 1);
  EXPECT_EQ(WindowsOf(FakeClip(6), o).windows, 0);
  o.stride = 3;  // overlapping windows: starts 0, 3, ..., 12
  EXPECT_EQ(WindowsOf(FakeClip(20), o).windows, 5);
  EXPECT_EQ(WindowsOf(FakeClip(19), o).windows, 5);
  EXPECT_EQ(WindowsOf(FakeClip(18), o).windows, 4);
  o.stride = 0;
  o.range_end = 0.7;  // first 70%: frames [0, 14)
  ClipWindows train = WindowsOf(FakeClip(20), o);
  EXPECT_EQ(train.source_frames, 14);
  EXPECT_EQ(train.windows, 2);
  o.range_begin = 0.7;
  o.range_end = 1.0;  // the rest: frames [14, 20), shorter than the window
  ClipWindows test = WindowsOf(FakeClip(20), o);
  EXPECT_EQ(test.first_offset, 14);
  EXPECT_EQ(test.windows, 0);
  o.range_begin = 0;
  o.interpolate = 2;  // 4 frames -> 7 with the 3 interpolated ones
  EXPECT_EQ(WindowsOf(FakeClip(4), o).frames, 7);
  EXPECT_EQ(WindowsOf(FakeClip(4), o).windows, 1);
}

TEST(VideoWindows, SharpFramesAreEvenlySpacedAndIncludeTheEnds) {
  auto frames_of = [](int f, int n) {
    std::vector<int> t;
    for (int j = 0; j < f; ++j) t.push_back(SharpFrameInWindow(j, f, n));
    return t;
  };
  EXPECT_EQ(frames_of(3, 7), (std::vector<int>{0, 3, 6}));
  EXPECT_EQ(frames_of(7, 7), (std::vector<int>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(frames_of(5, 9), (std::vector<int>{0, 2, 4, 6, 8}));
  EXPECT_EQ(frames_of(3, 8), (std::vector<int>{0, 4, 7}));  // 3.5 rounds up
  EXPECT_EQ(frames_of(5, 7), (std::vector<int>{0, 2, 3, 5, 6}));  // 1.5 -> 2, 4.5 -> 5
}

class VideoDatasetTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = TempFolder("video_dataset"); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// Linear value of code v, computed directly from the response's formula.
double DecodeDirect(const std::string& mode, int v, const std::vector<double>& table) {
  const double c = v / 255.0;
  if (mode == "linear") return c;
  if (mode == "gamma") return std::pow(c, 2.2);
  if (mode == "srgb") return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
  return (table[v] - table[0]) / (table[255] - table[0]);
}

// The documented rule: the code is the number of thresholds (float32 of f^-1((k + 0.5) / 255), or
// the midpoints of a table) that x reaches, for x clamped to [0, 1].
int EncodeDirect(const std::string& mode, float x, const std::vector<double>& table) {
  int code = 0;
  for (int k = 0; k < 255; ++k) {
    double threshold;
    if (mode == "table") {
      threshold = 0.5 * (table[k] + table[k + 1] - 2 * table[0]) / (table[255] - table[0]);
    } else {
      const double c = (k + 0.5) / 255.0;
      threshold = mode == "linear"  ? c
                  : mode == "gamma" ? std::pow(c, 2.2)
                  : c <= 0.04045    ? c / 12.92
                                    : std::pow((c + 0.055) / 1.055, 2.4);
    }
    if (x >= static_cast<float>(threshold)) ++code;
  }
  return code;
}

TEST_F(VideoDatasetTest, AveragingEqualsADirectComputationInEveryResponseMode) {
  constexpr int kN = 7, kW = 24, kH = 16;
  // A camera-like table (REDS ships such a file): increasing, not a power law.
  std::vector<double> table(256);
  for (int v = 0; v < 256; ++v) table[v] = 0.02 + std::pow(v / 255.0, 2.0) + 0.3 * v / 255.0;
  {
    std::ofstream out(dir_ / "crf.txt");
    for (double t : table) out << t << "\n";
  }
  // Read back what the file holds (its decimal digits), as the tool does.
  {
    std::ifstream in(dir_ / "crf.txt");
    for (double& t : table) in >> t;
  }
  WriteFrameFolder(dir_ / "clip", TranslatingClip(kN, kW, kH, 1, 0));
  const auto clips = ClipsFromPaths({dir_ / "clip"});
  // Random bytes, with the extremes present.
  VideoWindow window;
  cv::RNG rng(7);
  for (int j = 0; j < kN; ++j) {
    cv::Mat frame(kH, kW, CV_8UC3);
    rng.fill(frame, cv::RNG::UNIFORM, 0, 256);
    frame.at<cv::Vec3b>(0, 0) = {0, 0, 0};
    frame.at<cv::Vec3b>(0, 1) = {255, 255, 255};
    window.frames.push_back(frame);
    window.numbers.push_back(j);
  }
  for (const std::string mode : {"gamma", "srgb", "linear", "table"}) {
    SCOPED_TRACE(mode);
    VideoDatasetOptions o;
    o.clips = clips;
    o.window = kN;
    o.frames = 3;
    o.response = mode == "table" ? (dir_ / "crf.txt").string() : mode;
    VideoSampleMaker maker(o);
    RandomStream geometry(0, RandomPurpose::kSampleGeometry, 0);
    const Sample s = maker.MakeFromWindow(0, 0, window, cv::Rect(0, 0, kW, kH), geometry,
                                          maker.options().seed);
    int mismatches = 0, integer_mismatches = 0;
    for (int y = 0; y < kH; ++y) {
      for (int x = 0; x < kW; ++x) {
        for (int c = 0; c < 3; ++c) {  // c: RGB channel of the sample, BGR channel 2 - c
          float sum = 0;
          int integer_sum = 0;
          for (int j = 0; j < kN; ++j) {
            const int v = window.frames[j].at<cv::Vec3b>(y, x)[2 - c];
            sum += static_cast<float>(DecodeDirect(mode, v, table));
            integer_sum += v;
          }
          const float mean = sum / static_cast<float>(kN);
          const int got = s.blurred[(y * kW + x) * 3 + c];
          mismatches += got != EncodeDirect(mode, mean, table);
          // GoPro's "blur": the plain average of the codes, rounded (no ties: N is odd).
          if (mode == "linear") integer_mismatches += got != (2 * integer_sum + kN) / (2 * kN);
          // Sharp frames keep their bytes.
          for (int j = 0; j < 3; ++j) {
            const int t = SharpFrameInWindow(j, 3, kN);
            mismatches += s.sharp[((j * kH + y) * kW + x) * 3 + c] !=
                          window.frames[t].at<cv::Vec3b>(y, x)[2 - c];
          }
        }
      }
    }
    EXPECT_EQ(mismatches, 0);
    EXPECT_EQ(integer_mismatches, 0);
    EXPECT_EQ(s.source_frames, (std::vector<int64_t>{0, 3, 6}));
  }
}

TEST_F(VideoDatasetTest, GammaAveragingIsBrighterThanPixelAveraging) {
  // Half the window black, half white: gamma 2.2 averaging gives 255 * 0.5^(1/2.2) ~ 186,
  // the plain average 128 (DATA.md: GoPro's blur_gamma versus blur).
  std::vector<cv::Mat> frames;
  for (int j = 0; j < 4; ++j) frames.push_back(cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(j < 2 ? 0 : 255)));
  WriteFrameFolder(dir_ / "bw", frames);
  VideoDatasetOptions o;
  o.clips = ClipsFromPaths({dir_ / "bw"});
  o.window = 4;
  o.frames = 3;
  o.flow_max_side = 16;
  for (auto [mode, expected] : {std::pair{"gamma", 186}, {"linear", 128}}) {
    o.response = mode;
    VideoSampleMaker maker(o);
    EXPECT_EQ(maker.Make(0).blurred[0], expected) << mode;
  }
}

TEST_F(VideoDatasetTest, CropsAreReproducibleFromTheSeed) {
  const auto frames = TranslatingClip(14, 64, 48, 1, 0.5);
  WriteFrameFolder(dir_ / "clip", frames);
  VideoDatasetOptions o;
  o.clips = ClipsFromPaths({dir_ / "clip"});
  o.crop_width = 20;
  o.crop_height = 16;
  o.crops_per_window = 3;
  o.seed = 11;
  VideoSampleMaker a(o), b(o);
  ASSERT_EQ(a.num_samples(), 6);
  for (int64_t i = 0; i < a.num_samples(); ++i) {
    const Sample sa = a.Make(i), sb = b.Make(i);
    EXPECT_EQ(sa.blurred, sb.blurred);
    EXPECT_EQ(sa.sharp, sb.sharp);
    // The crop is where the sample's own random stream puts it.
    RandomStream geometry(11, RandomPurpose::kSampleGeometry, i);
    const int x0 = static_cast<int>(geometry.UniformInt(64 - 20 + 1));
    const int y0 = static_cast<int>(geometry.UniformInt(48 - 16 + 1));
    const cv::Mat first = frames[(i / 3) * 7](cv::Rect(x0, y0, 20, 16));
    EXPECT_EQ(sa.sharp[0], first.at<cv::Vec3b>(0, 0)[2]) << i;
    EXPECT_EQ(sa.sharp[(15 * 20 + 19) * 3 + 1], first.at<cv::Vec3b>(15, 19)[1]) << i;
    EXPECT_EQ(sa.id.substr(0, 9), "0000000" + std::to_string(i) + "-");
  }
  o.seed = 12;
  VideoSampleMaker c(o);
  int differing = 0;
  for (int64_t i = 0; i < 6; ++i) differing += c.Make(i).blurred != a.Make(i).blurred;
  EXPECT_GE(differing, 5);
}

TEST_F(VideoDatasetTest, FrameFolderAndLosslessVideoOfOneClipGiveTheSameSamples) {
  const auto frames = TranslatingClip(17, 64, 48, 2, 1);
  WriteFrameFolder(dir_ / "clip", frames);  // numbered from 0, like the video's frames
  ASSERT_TRUE(testing::WriteLosslessVideo(dir_ / "clip.avi", frames));
  VideoDatasetOptions o;
  o.window = 5;
  o.stride = 3;
  o.frames = 3;
  o.crop_width = 32;
  o.crop_height = 24;
  o.crops_per_window = 2;
  o.interpolate = 2;
  o.seed = 3;
  o.clips = ClipsFromPaths({dir_ / "clip"});
  VideoSampleMaker from_folder(o);
  o.clips = ClipsFromPaths({dir_ / "clip.avi"});
  VideoSampleMaker from_video(o);
  ASSERT_EQ(from_folder.num_samples(), from_video.num_samples());
  ASSERT_EQ(from_folder.num_samples(), 2 * ((16 * 2 + 1 - 5) / 3 + 1));
  // Backwards too: the video reader reopens the file.
  for (int64_t i = from_video.num_samples() - 1; i >= 0; --i) {
    const Sample a = from_folder.Make(i), b = from_video.Make(i);
    EXPECT_EQ(a.blurred, b.blurred) << i;
    EXPECT_EQ(a.sharp, b.sharp) << i;
    EXPECT_EQ(a.source_frames, b.source_frames) << i;
    EXPECT_EQ(a.blur_magnitude, b.blur_magnitude) << i;
  }
  // Frame numbers in the twice-denser sequence: window 1 starts at interpolated frame 3.
  EXPECT_EQ(from_folder.Make(2).source_frames, (std::vector<int64_t>{3, 5, 7}));
}

TEST_F(VideoDatasetTest, BlurMagnitudeIsTheMotionBetweenTheWindowsEnds) {
  std::vector<cv::Mat> frames;
  for (int i = 0; i < 7; ++i) frames.push_back(testing::TextureFrame(96, 80, 2 * i, i));
  WriteFrameFolder(dir_ / "clip", frames);
  VideoDatasetOptions o;
  o.clips = ClipsFromPaths({dir_ / "clip"});
  o.frames = 3;
  VideoSampleMaker maker(o);
  EXPECT_NEAR(maker.Make(0).blur_magnitude, std::hypot(12.0, 6.0), 0.6);
}

TEST_F(VideoDatasetTest, ThreadCountDoesNotChangeTheBytes) {
  const auto frames = TranslatingClip(30, 64, 48, 1.5, 0.5);
  ASSERT_TRUE(testing::WriteLosslessVideo(dir_ / "clip.avi", frames));
  VideoDatasetOptions o;
  o.clips = ClipsFromPaths({dir_ / "clip.avi"});
  o.window = 5;
  o.frames = 3;
  o.crop_width = o.crop_height = 24;
  o.crops_per_window = 3;
  o.interpolate = 2;
  o.exposure.noise_gaussian = 0.01;
  std::vector<std::string> digests;
  for (int threads : {1, 2, 4}) {
    VideoSampleMaker maker(o);
    ShardedRunOptions run;
    run.out = dir_ / ("out" + std::to_string(threads));
    run.num_samples = maker.num_samples();
    run.shard_size = 7;
    run.threads = threads;
    run.progress = false;
    WriteShardedDataset(run, o.Spec(), [&](int64_t i) { return maker.Make(i); });
    std::string all;
    for (const auto& entry : fs::directory_iterator(run.out)) {
      if (entry.path().extension() == ".h5") all += Sha256OfFile(entry.path());
    }
    digests.push_back(all);
    EXPECT_TRUE(VerifyDataset(run.out).ok());
  }
  EXPECT_EQ(digests[0], digests[1]);
  EXPECT_EQ(digests[0], digests[2]);
}

TEST_F(VideoDatasetTest, CheckNamesTheSceneThatIsTooShortOrTooSmall) {
  WriteFrameFolder(dir_ / "GOPR0001_00_00", TranslatingClip(5, 32, 24, 1, 0), 1);
  VideoDatasetOptions o;
  o.clips = ClipsFromPaths({dir_ / "GOPR0001_00_00"});
  try {
    o.Check();
    ADD_FAILURE() << "a window of 7 accepted in a clip of 5 frames";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("scene GOPR0001_00_00"), std::string::npos) << m;
    EXPECT_NE(m.find("000001.png to GOPR0001_00_00 frame 000005.png"), std::string::npos) << m;
    EXPECT_NE(m.find("fewer than the window of 7"), std::string::npos) << m;
  }
  o.window = 5;
  o.frames = 3;
  o.crop_width = 40;
  o.crop_height = 16;
  EXPECT_THROW(o.Check(), InputError);
  o.crop_width = 16;
  o.frames = 4;
  EXPECT_THROW(o.Check(), InputError);
  o.frames = 3;
  EXPECT_NO_THROW(o.Check());
}

// GoPro_Large's recipe: each scene averages its own number of frames (a manifest source's
// "window"), others the run's --window; windows and strides follow each clip's own count.
TEST_F(VideoDatasetTest, AClipsOwnWindowSetsItsAveragingAndWindows) {
  WriteFrameFolder(dir_ / "a", TranslatingClip(33, 24, 16, 1, 0));
  WriteFrameFolder(dir_ / "b", TranslatingClip(33, 24, 16, 1, 0));
  auto clips = ClipsFromPaths({dir_ / "a", dir_ / "b"});
  clips[1].window = 11;
  VideoDatasetOptions o;
  o.clips = clips;
  o.window = 7;
  o.frames = 3;
  o.response = "linear";
  EXPECT_EQ(WindowsOf(clips[0], o).windows, 4);  // 33 frames, windows of 7, stride 7
  EXPECT_EQ(WindowsOf(clips[1], o).windows, 3);  // windows of 11, stride 11
  VideoSampleMaker maker(o);
  ASSERT_EQ(maker.num_samples(), 7);
  const Sample first = maker.Make(0);
  const Sample own = maker.Make(4);  // clip b, window 0: frames 0..10
  EXPECT_EQ(first.source_frames, (std::vector<int64_t>{0, 3, 6}));
  EXPECT_EQ(own.source_frames, (std::vector<int64_t>{0, 5, 10}));
  // The blurred image is the plain average of the 11 frames (GoPro's `blur`, linear response).
  const auto frames = TranslatingClip(33, 24, 16, 1, 0);
  int mismatches = 0;
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 24; ++x) {
      for (int c = 0; c < 3; ++c) {
        int sum = 0;
        for (int j = 0; j < 11; ++j) sum += frames[j].at<cv::Vec3b>(y, x)[2 - c];
        mismatches += own.blurred[(y * 24 + x) * 3 + c] != (2 * sum + 11) / 22;
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
  // A clip whose window is shorter than F is refused, naming the scene.
  o.clips[1].window = 1;
  try {
    VideoSampleMaker bad(o);
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("averages 1 frames"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace blurkit::synth
