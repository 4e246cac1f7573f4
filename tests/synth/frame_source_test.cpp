#include "blurkit/synth/frame_source.h"

#include <gtest/gtest.h>

#include <fstream>

#include "blurkit/core/error.h"
#include "test_clips.h"

namespace blurkit::synth {
namespace {
namespace fs = std::filesystem;
using testing::TempFolder;
using testing::TranslatingClip;
using testing::WriteFrameFolder;

class FrameSourceTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = TempFolder("frame_source"); }
  void TearDown() override { fs::remove_all(dir_); }
  // The message of the InputError that `f` throws ("" if none).
  template <typename F>
  static std::string ErrorOf(F f) {
    try {
      f();
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

TEST(FrameNumber, IsTheLastRunOfDigitsInTheStem) {
  EXPECT_EQ(FrameNumberOf("000012.png"), 12);
  EXPECT_EQ(FrameNumberOf("/a/b7/frame_0042.jpg"), 42);
  EXPECT_EQ(FrameNumberOf("clip3_frame9x.png"), 9);
  EXPECT_EQ(FrameNumberOf("sharp.png"), -1);
}

TEST_F(FrameSourceTest, FindsTheGoProLayoutsAndNamesClipsByScene) {
  const auto frames = TranslatingClip(9, 24, 16, 1, 0);
  WriteFrameFolder(dir_ / "GOPRO_Large_all/train/GOPR0372_07_00", frames, 1);
  WriteFrameFolder(dir_ / "GOPRO_Large_all/test/GOPR0384_11_00", frames, 47);
  WriteFrameFolder(dir_ / "GOPRO_Large/train/GOPR0374_11_00/sharp", frames, 1);
  WriteFrameFolder(dir_ / "GOPRO_Large/train/GOPR0374_11_00/blur", frames, 1);

  const auto all = ClipsFromPaths({dir_ / "GOPRO_Large_all"});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "GOPR0384_11_00");  // test/ sorts before train/
  EXPECT_EQ(all[0].first_number, 47);
  EXPECT_EQ(all[1].name, "GOPR0372_07_00");
  EXPECT_EQ(all[1].num_frames, 9);
  EXPECT_EQ(all[1].width, 24);
  EXPECT_EQ(all[1].height, 16);

  const auto sharp = ClipsFromPaths({dir_ / "GOPRO_Large/train"});
  ASSERT_EQ(sharp.size(), 1u);
  EXPECT_EQ(sharp[0].name, "GOPR0374_11_00");
  EXPECT_EQ(sharp[0].path, dir_ / "GOPRO_Large/train/GOPR0374_11_00/sharp");

  const auto one = ClipsFromPaths({dir_ / "GOPRO_Large_all/train/GOPR0372_07_00"});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].name, "GOPR0372_07_00");
}

TEST_F(FrameSourceTest, GapInNumberingNamesTheSceneAndTheMissingFrame) {
  auto frames = TranslatingClip(5, 16, 16, 1, 0);
  WriteFrameFolder(dir_ / "sceneA", frames, 1);
  fs::remove(dir_ / "sceneA/000003.png");
  const std::string error = ErrorOf([&] { ClipsFromPaths({dir_ / "sceneA"}); });
  EXPECT_NE(error.find("sceneA"), std::string::npos) << error;
  EXPECT_NE(error.find("frame 3 is missing"), std::string::npos) << error;
  EXPECT_NE(error.find("000002.png is followed by 000004.png"), std::string::npos) << error;
}

TEST_F(FrameSourceTest, FramesOfDifferentSizesAreRefusedNamingTheFrame) {
  auto frames = TranslatingClip(5, 16, 16, 1, 0);
  frames[3] = testing::PatternFrame(20, 16, 0, 0);
  WriteFrameFolder(dir_ / "sceneB", frames, 0);
  const std::string error = ErrorOf([&] { ClipsFromPaths({dir_ / "sceneB"}); });
  EXPECT_NE(error.find("sceneB frame 000003.png is 20x16"), std::string::npos) << error;
  EXPECT_NE(error.find("16x16"), std::string::npos) << error;
}

TEST_F(FrameSourceTest, NonPngFrameOfAnotherSizeIsRefusedWhenRead) {
  auto frames = TranslatingClip(4, 16, 16, 1, 0);
  frames[2] = testing::PatternFrame(16, 12, 0, 0);
  WriteFrameFolder(dir_ / "sceneC", frames, 0, ".bmp");
  const auto clips = ClipsFromPaths({dir_ / "sceneC"});
  ClipReader reader(clips.at(0));
  EXPECT_EQ(reader.Read(0, 2).size(), 2u);
  const std::string error = ErrorOf([&] { reader.Read(1, 3); });
  EXPECT_NE(error.find("sceneC frame 000002.bmp is 16x12"), std::string::npos) << error;
}

TEST_F(FrameSourceTest, EmptyFolderAndMissingInputAreRefused) {
  fs::create_directories(dir_ / "empty");
  std::string error = ErrorOf([&] { ClipsFromPaths({dir_ / "empty"}); });
  EXPECT_NE(error.find("empty"), std::string::npos) << error;
  EXPECT_NE(error.find("no numbered frames"), std::string::npos) << error;
  error = ErrorOf([&] { ClipsFromPaths({dir_ / "nothing_here.mp4"}); });
  EXPECT_NE(error.find("nothing_here.mp4: input does not exist"), std::string::npos) << error;
}

TEST_F(FrameSourceTest, UnreadableVideoIsRefusedNamingTheFile) {
  std::ofstream(dir_ / "broken.mp4") << "this is not a video";
  const std::string error = ErrorOf([&] { ClipsFromPaths({dir_ / "broken.mp4"}); });
  EXPECT_NE(error.find("broken.mp4"), std::string::npos) << error;
  EXPECT_NE(error.find("cannot open the video"), std::string::npos) << error;
}

TEST_F(FrameSourceTest, VideoAndFrameFolderGiveTheSameFramesInAnyReadOrder) {
  const auto frames = TranslatingClip(12, 48, 32, 1.5, 0.5);
  WriteFrameFolder(dir_ / "clip", frames, 0);
  ASSERT_TRUE(testing::WriteLosslessVideo(dir_ / "clip.avi", frames)) << "FFV1 writer missing";
  const auto clips = ClipsFromPaths({dir_ / "clip", dir_ / "clip.avi"});
  ASSERT_EQ(clips.size(), 2u);
  EXPECT_EQ(clips[1].kind, ClipKind::kVideoFile);
  EXPECT_EQ(clips[1].num_frames, 12);
  EXPECT_EQ(clips[1].sha256.size(), 64u);
  ClipReader folder(clips[0]), video(clips[1]);
  // Forward, overlapping, backwards (reopens the video), and a skip forward.
  for (auto [offset, count] : {std::pair{0, 7}, {5, 7}, {1, 3}, {9, 3}}) {
    const auto a = folder.Read(offset, count), b = video.Read(offset, count);
    for (int j = 0; j < count; ++j) {
      EXPECT_EQ(cv::norm(a[j], frames[offset + j], cv::NORM_INF), 0) << offset + j;
      EXPECT_EQ(cv::norm(b[j], frames[offset + j], cv::NORM_INF), 0) << "video frame " << offset + j;
    }
  }
}

}  // namespace
}  // namespace blurkit::synth
