// The video and import-pairs commands in-process: datasets that verify, and bad input that names
// the scene and frame, leaves nothing behind when nothing was finished and keeps what was.
#include "blurkit/synth/commands.h"

#include <gtest/gtest.h>

#include <fstream>

#include "blurkit/core/error.h"
#include "blurkit/core/sha256.h"
#include "test_clips.h"

namespace blurkit::synth {
namespace {
namespace fs = std::filesystem;
using testing::TempFolder;
using testing::TranslatingClip;
using testing::WriteFrameFolder;

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = TempFolder("commands"); }
  void TearDown() override { fs::remove_all(dir_); }

  VideoCommandOptions Video(const std::vector<fs::path>& inputs, const std::string& out) {
    VideoCommandOptions o;
    o.inputs = inputs;
    o.dataset.window = 5;
    o.dataset.frames = 3;
    o.run.out = dir_ / out;
    o.run.shard_size = 4;
    o.run.progress = false;
    return o;
  }
  // RunVideo's InputError message ("" if it succeeded).
  static std::string ErrorOf(const VideoCommandOptions& o) {
    try {
      RunVideo(o);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

TEST_F(CommandsTest, VideoWritesAVerifiableDatasetAndResumes) {
  WriteFrameFolder(dir_ / "data/train/sceneA", TranslatingClip(12, 40, 32, 1, 0), 1);
  WriteFrameFolder(dir_ / "data/train/sceneB", TranslatingClip(10, 40, 32, 0, 1), 1);
  VideoCommandOptions o = Video({dir_ / "data/train"}, "out");
  o.dataset.crop_width = o.dataset.crop_height = 16;
  o.dataset.crops_per_window = 2;
  const VideoCommandSummary s = RunVideo(o);
  EXPECT_EQ(s.clips, 2u);
  EXPECT_EQ(s.windows, 4);
  EXPECT_EQ(s.run.samples_written, 8);
  EXPECT_TRUE(VerifyDataset(dir_ / "out").ok());
  DatasetReader reader(dir_ / "out");
  EXPECT_EQ(reader.spec().kind, DatasetKind::kVideo);
  EXPECT_EQ(reader.spec().blur_magnitude_unit, "pixels");
  EXPECT_EQ(reader.Read(7).source_file, "sceneB");
  EXPECT_EQ(reader.Read(7).source_frames, (std::vector<int64_t>{6, 8, 10}));
  EXPECT_NE(FormatSummary(s).find("wrote 8 samples"), std::string::npos);
  const VideoCommandSummary again = RunVideo(o);
  EXPECT_EQ(again.run.shards_kept, 2);
  EXPECT_EQ(again.run.samples_written, 0);
}

TEST_F(CommandsTest, BadVideoInputNamesSceneAndFrameAndLeavesNothingBehind) {
  // A gap in the numbering.
  WriteFrameFolder(dir_ / "gap/GOPR0001_00_00", TranslatingClip(8, 16, 16, 1, 0), 1);
  fs::remove(dir_ / "gap/GOPR0001_00_00/000004.png");
  // PNG frames of different sizes (found from the headers, before writing).
  auto sizes = TranslatingClip(8, 16, 16, 1, 0);
  sizes[5] = testing::PatternFrame(18, 16, 0, 0);
  WriteFrameFolder(dir_ / "sizes/GOPR0002_00_00", sizes, 1);
  // An unreadable video, an empty folder, a clip shorter than the window.
  std::ofstream(dir_ / "broken.mp4") << "not a video";
  fs::create_directories(dir_ / "empty/GOPR0004_00_00");
  WriteFrameFolder(dir_ / "short/GOPR0005_00_00", TranslatingClip(4, 16, 16, 1, 0), 1);

  struct Case {
    fs::path input;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {dir_ / "gap", {"GOPR0001_00_00", "frame 4 is missing", "000003.png is followed by 000005.png"}},
      {dir_ / "sizes", {"GOPR0002_00_00 frame 000006.png is 18x16", "16x16"}},
      {dir_ / "broken.mp4", {"broken.mp4", "cannot open the video"}},
      {dir_ / "empty", {"GOPR0004_00_00", "no numbered frames"}},
      {dir_ / "short", {"scene GOPR0005_00_00", "frame 000004.png", "fewer than the window of 5"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input.string());
    const std::string out = "out_" + c.input.filename().string();
    const std::string error = ErrorOf(Video({c.input}, out));
    ASSERT_FALSE(error.empty()) << "accepted";
    for (const auto& e : c.expected) EXPECT_NE(error.find(e), std::string::npos) << error;
    EXPECT_FALSE(fs::exists(dir_ / out)) << "output left behind";
  }
}

TEST_F(CommandsTest, BadInputFoundLateKeepsTheFinishedShardsAndTheSameCommandResumes) {
  // BMP frames of different sizes: found while writing, after the first shards are complete.
  auto late = TranslatingClip(30, 16, 16, 1, 0);
  const auto good = late[27];
  late[27] = testing::PatternFrame(16, 12, 0, 0);
  WriteFrameFolder(dir_ / "late/GOPR0003_00_00", late, 1, ".bmp");
  VideoCommandOptions o = Video({dir_ / "late"}, "late_out");
  o.run.shard_size = 1;
  o.run.threads = 1;
  const std::string error = ErrorOf(o);
  ASSERT_FALSE(error.empty()) << "accepted";
  EXPECT_NE(error.find("GOPR0003_00_00 frame 000028.bmp is 16x12"), std::string::npos) << error;
  EXPECT_NE(error.find("shards are complete"), std::string::npos) << error;
  const DatasetIndex partial = DatasetIndex::Load(dir_ / "late_out" / "index.json");
  ASSERT_GE(partial.shards.size(), 1u) << "the finished shards were deleted";
  for (const auto& entry : partial.shards) {
    EXPECT_EQ(Sha256OfFile(dir_ / "late_out" / entry.file), entry.sha256) << entry.file;
  }
  // The frame repaired: the same command keeps what was finished and completes the dataset.
  WriteFrameFolder(dir_ / "late/GOPR0003_00_00", {good}, 28, ".bmp");
  const VideoCommandSummary resumed = RunVideo(o);
  EXPECT_EQ(resumed.run.shards_kept, static_cast<int64_t>(partial.shards.size()));
  EXPECT_GT(resumed.run.shards_written, 0);
  const VerifyReport report = VerifyDataset(dir_ / "late_out");
  EXPECT_TRUE(report.ok()) << report.problems.front();
  EXPECT_EQ(report.samples_checked, DatasetReader(dir_ / "late_out").size());
}

TEST_F(CommandsTest, ImportPairsCopiesGoProPairsAsSingleFrameSamples) {
  const auto blurred = TranslatingClip(3, 24, 16, 3, 0), sharp = TranslatingClip(3, 24, 16, 1, 0);
  for (const char* scene : {"GOPR0384_11_00", "GOPR0385_11_01"}) {
    WriteFrameFolder(dir_ / "GOPRO_Large/test" / scene / "blur_gamma", blurred, 1);
    WriteFrameFolder(dir_ / "GOPRO_Large/test" / scene / "sharp", sharp, 1);
  }
  PairsCommandOptions o;
  o.inputs = {dir_ / "GOPRO_Large/test"};
  o.dataset.blur_folder = "blur_gamma";
  o.run.out = dir_ / "pairs";
  o.run.progress = false;
  const PairsCommandSummary s = RunImportPairs(o);
  EXPECT_EQ(s.pairs, 6u);
  EXPECT_TRUE(VerifyDataset(dir_ / "pairs").ok());
  DatasetReader reader(dir_ / "pairs");
  EXPECT_EQ(reader.spec().kind, DatasetKind::kPairs);
  EXPECT_EQ(reader.spec().frames, 1);
  const Sample sample = reader.Read(4);
  EXPECT_EQ(sample.source_file, "GOPR0385_11_01/000002.png");
  EXPECT_EQ(sample.blurred[0], blurred[1].at<cv::Vec3b>(0, 0)[2]);
  EXPECT_EQ(sample.sharp[5 * 3 + 1], sharp[1].at<cv::Vec3b>(0, 5)[1]);

  // A blurred image without its sharp frame is named.
  fs::remove(dir_ / "GOPRO_Large/test/GOPR0385_11_01/sharp/000003.png");
  o.run.out = dir_ / "pairs2";
  try {
    RunImportPairs(o);
    ADD_FAILURE() << "a missing sharp frame was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("GOPR0385_11_01 frame 000003.png has no sharp"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ / "pairs2"));
}

TEST_F(CommandsTest, ImportPairsReadsRealBlurListsAndCropsMixedSizes) {
  const auto big = TranslatingClip(2, 40, 30, 2, 0), small = TranslatingClip(2, 32, 28, 2, 0);
  WriteFrameFolder(dir_ / "RealBlur-J/scene001/gt", {big[0]}, 1);
  WriteFrameFolder(dir_ / "RealBlur-J/scene001/blur", {big[1]}, 1);
  WriteFrameFolder(dir_ / "RealBlur-J/scene002/gt", {small[0]}, 1);
  WriteFrameFolder(dir_ / "RealBlur-J/scene002/blur", {small[1]}, 1);
  std::ofstream(dir_ / "list.txt") << "RealBlur-J/scene001/gt/000001.png RealBlur-J/scene001/blur/000001.png\n"
                                      "RealBlur-J/scene002/gt/000001.png RealBlur-J/scene002/blur/000001.png\n";
  PairsCommandOptions o;
  o.realblur_list = dir_ / "list.txt";
  o.run.out = dir_ / "rb";
  o.run.progress = false;
  try {
    RunImportPairs(o);
    ADD_FAILURE() << "pairs of different sizes accepted without a crop";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--crop"), std::string::npos) << e.what();
  }
  o.dataset.crop_width = 24;
  o.dataset.crop_height = 20;
  EXPECT_EQ(RunImportPairs(o).pairs, 2u);
  DatasetReader reader(dir_ / "rb");
  const Sample s = reader.Read(1);
  EXPECT_EQ(s.source_file, "scene002/000001.png");
  // Centred crop: the crop's pixel (0, 0) is the image's ((32 - 24) / 2, (28 - 20) / 2).
  EXPECT_EQ(s.sharp[0], small[0].at<cv::Vec3b>(4, 4)[2]);
}

}  // namespace
}  // namespace blurkit::synth
