#include "blurkit/bench/scoring.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "blurkit/bench/report.h"
#include "blurkit/bench/table.h"
#include "blurkit/core/error.h"
#include "test_datasets.h"

namespace blurkit::bench {
namespace {
namespace fs = std::filesystem;

class ScoringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("blurkit_scoring_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    // Ground truth: the sharp frames are a noisy copy of one base image shifted per frame, so
    // that frame order matters and the frames resemble each other.
    testing::WriteDataset(root_ / "gt", DatasetKind::kRotation, 3, 6, 24, 32, 1, [](Sample& s) {
      const size_t image = s.blurred.size();
      for (int j = 0; j < 3; ++j)
        for (size_t k = 0; k < image; ++k)
          s.sharp[j * image + k] = uint8_t((k * 7 + j * 60 + s.index * 3) % 256);
    });
    options_.progress = false;
    options_.threads = 2;
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
  ScoreOptions options_;
};

TEST_F(ScoringTest, PerfectPredictionsScoreInfiniteAndCapAtOneHundred) {
  testing::WritePredictions(root_ / "gt", root_ / "perfect", 3, [](const Sample& s) { return s.sharp; });
  auto source = OpenPredictions((root_ / "perfect").string());
  const ScoreRun run = ScoreMethod(root_ / "gt", *source, options_);
  ASSERT_EQ(run.samples.size(), 6u);
  EXPECT_TRUE(std::isinf(run.samples[0].psnr[1]));
  EXPECT_NEAR(run.samples[0].ssim[0], 1.0, 1e-6);
  const MethodSummary m = Summarize(run);
  EXPECT_EQ(m.psnr_middle, kPsnrCap);
  EXPECT_EQ(m.capped, 18);
  EXPECT_EQ(m.positions[0].name, "initial");
  EXPECT_EQ(m.positions[2].name, "final");
}

TEST_F(ScoringTest, ReversedPredictionScoresLikeForwardUnderBestAndMaxButLowerUnderGroundTruth) {
  // A prediction close to the truth (one level off), and the same played backwards.
  auto near = [](const Sample& s) {
    std::vector<uint8_t> out = s.sharp;
    for (auto& v : out) v = v == 255 ? 254 : v + 1;
    return out;
  };
  testing::WritePredictions(root_ / "gt", root_ / "fwd", 3, near);
  testing::WritePredictions(root_ / "gt", root_ / "rev", 3,
                            [&](const Sample& s) {
                              Sample t = s;
                              t.sharp = near(s);
                              return testing::Reversed(t, 3);
                            });
  auto fwd = OpenPredictions((root_ / "fwd").string()), rev = OpenPredictions((root_ / "rev").string());
  for (OrderRule rule : {OrderRule::kBestMeanPsnr, OrderRule::kPerMetricMax}) {
    options_.order = rule;
    const MethodSummary a = Summarize(ScoreMethod(root_ / "gt", *fwd, options_));
    const MethodSummary b = Summarize(ScoreMethod(root_ / "gt", *rev, options_));
    EXPECT_DOUBLE_EQ(a.psnr_others, b.psnr_others) << ToString(rule);
    EXPECT_DOUBLE_EQ(a.ssim_others, b.ssim_others) << ToString(rule);
    EXPECT_EQ(b.reversed, 6);
  }
  options_.order = OrderRule::kGroundTruth;
  const MethodSummary a = Summarize(ScoreMethod(root_ / "gt", *fwd, options_));
  const MethodSummary b = Summarize(ScoreMethod(root_ / "gt", *rev, options_));
  EXPECT_LT(b.psnr_others, a.psnr_others - 5);
  EXPECT_DOUBLE_EQ(a.psnr_middle, b.psnr_middle);  // the middle frame does not move
}

TEST_F(ScoringTest, BlurredInputScoresWhatTheBlurredImageScores) {
  auto base = OpenPredictions("blurred-input");
  const ScoreRun run = ScoreMethod(root_ / "gt", *base, options_);
  DatasetReader reader(root_ / "gt");
  const Sample s = reader.Read(4);
  const ImageView blurred{s.blurred.data(), 24, 32};
  for (int j = 0; j < 3; ++j) {
    const ImageView truth{s.SharpFrame(j, reader.spec()), 24, 32};
    EXPECT_DOUBLE_EQ(run.samples[4].psnr[j], Psnr(blurred, truth, {}));
    EXPECT_DOUBLE_EQ(run.samples[4].ssim[j], Ssim(blurred, truth, {}));
  }
}

TEST_F(ScoringTest, MissingSamplesAreListedOrScoredAroundWithAllowMissing) {
  testing::WritePredictions(root_ / "gt", root_ / "partial", 3, [](const Sample& s) { return s.sharp; },
                            /*skip_every=*/3);  // s0 and s3 missing
  auto source = OpenPredictions((root_ / "partial").string());
  try {
    ScoreMethod(root_ / "gt", *source, options_);
    FAIL();
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("missing s0, s3"), std::string::npos) << what;
    EXPECT_NE(what.find("--allow-missing"), std::string::npos);
  }
  options_.allow_missing = true;
  const ScoreRun run = ScoreMethod(root_ / "gt", *source, options_);
  EXPECT_EQ(run.samples.size(), 4u);
  EXPECT_EQ(run.missing, (std::vector<std::string>{"s0", "s3"}));
  EXPECT_EQ(Summarize(run).missing, 2);
}

TEST_F(ScoringTest, WrongFrameCountAndSizeAreClearErrors) {
  testing::WritePredictions(root_ / "gt", root_ / "five", 5, [](const Sample& s) {
    std::vector<uint8_t> out = s.sharp;
    out.insert(out.end(), s.sharp.begin(), s.sharp.begin() + 2 * s.blurred.size());
    return out;
  });
  auto five = OpenPredictions((root_ / "five").string());
  try {
    ScoreMethod(root_ / "gt", *five, options_);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("5 frames, the ground truth has 3"), std::string::npos)
        << e.what();
  }
  // PNG predictions of the wrong size name the file and the sample.
  fs::create_directories(root_ / "png");
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 3; ++j)
      cv::imwrite((root_ / "png" / PredictionPngName("s" + std::to_string(i), j)).string(),
                  cv::Mat(24, i == 2 ? 30 : 32, CV_8UC3, cv::Scalar::all(9)));
  auto png = OpenPredictions((root_ / "png").string());
  try {
    ScoreMethod(root_ / "gt", *png, options_);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("s2_"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("30x24"), std::string::npos) << e.what();
  }
  EXPECT_THROW(OpenPredictions((root_ / "nowhere").string()), InputError);
}

TEST_F(ScoringTest, PngPredictionsEqualTheSameFramesAsADataset) {
  testing::WritePredictions(root_ / "gt", root_ / "ds", 3, [](const Sample& s) { return testing::Reversed(s, 3); });
  fs::create_directories(root_ / "png");
  DatasetReader pred(root_ / "ds");
  for (int64_t i = 0; i < pred.size(); ++i) {
    const Sample p = pred.Read(i);
    for (int j = 0; j < 3; ++j) {
      cv::Mat rgb(24, 32, CV_8UC3, const_cast<uint8_t*>(p.SharpFrame(j, pred.spec()))), bgr;
      cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
      cv::imwrite((root_ / "png" / PredictionPngName(p.id, j)).string(), bgr);
    }
  }
  auto a = OpenPredictions((root_ / "ds").string()), b = OpenPredictions((root_ / "png").string());
  const ScoreRun ra = ScoreMethod(root_ / "gt", *a, options_), rb = ScoreMethod(root_ / "gt", *b, options_);
  for (size_t i = 0; i < ra.samples.size(); ++i) EXPECT_EQ(ra.samples[i].psnr, rb.samples[i].psnr);
}

TEST_F(ScoringTest, PairsDatasetIsScoredOnThePredictedMiddleFrame) {
  testing::WriteDataset(root_ / "pairs", DatasetKind::kPairs, 1, 3, 24, 32, 5);
  // Seven predicted frames: only the middle (index 3) equals the sharp image.
  testing::WritePredictions(root_ / "pairs", root_ / "seven", 7, [](const Sample& s) {
    std::vector<uint8_t> out;
    for (int j = 0; j < 7; ++j) {
      if (j == 3) {
        out.insert(out.end(), s.sharp.begin(), s.sharp.end());
      } else {
        out.insert(out.end(), s.sharp.size(), 0);
      }
    }
    return out;
  });
  auto source = OpenPredictions((root_ / "seven").string());
  const ScoreRun run = ScoreMethod(root_ / "pairs", *source, options_);
  ASSERT_EQ(run.samples[0].psnr.size(), 1u);
  EXPECT_TRUE(std::isinf(run.samples[0].psnr[0]));
  EXPECT_TRUE(std::isnan(run.samples[0].reblur_psnr_input));
}

TEST_F(ScoringTest, SummaryIntervalsHoldTheMeanAndRepeatToTheBit) {
  auto noisy = [](const Sample& s) {
    std::vector<uint8_t> out = s.sharp;
    for (size_t k = 0; k < out.size(); ++k) out[k] = uint8_t(std::min(255, out[k] + int(k % (3 + s.index))));
    return out;
  };
  testing::WritePredictions(root_ / "gt", root_ / "noisy", 3, noisy);
  auto source = OpenPredictions((root_ / "noisy").string());
  const ScoreRun run = ScoreMethod(root_ / "gt", *source, options_);
  const MethodSummary a = Summarize(run), b = Summarize(run);
  for (const char* name : {"psnr_initial", "psnr_middle", "psnr_others", "ssim_final", "pwpsnr",
                           "psnr_pooled", "reblur_psnr_gt", "reblur_psnr_input", "psnr_p"}) {
    ASSERT_TRUE(a.ci.count(name)) << name;
    EXPECT_EQ(a.ci.at(name).lo, b.ci.at(name).lo) << name;
    EXPECT_EQ(a.ci.at(name).hi, b.ci.at(name).hi) << name;
    EXPECT_LT(a.ci.at(name).lo, a.ci.at(name).hi) << name;  // six different clips
  }
  EXPECT_LE(a.ci.at("psnr_middle").lo, a.psnr_middle);
  EXPECT_GE(a.ci.at("psnr_middle").hi, a.psnr_middle);
  EXPECT_LE(a.ci.at("pwpsnr").lo, a.pwpsnr);
  EXPECT_GE(a.ci.at("pwpsnr").hi, a.pwpsnr);
  // 24 x 32 frames: no 40 x 40 tile fits, so no patch SSIM; EPE is defined from 8 x 8 up.
  EXPECT_TRUE(std::isnan(a.patch_ssim));
  EXPECT_FALSE(std::isnan(a.epe_dis));
}

TEST(Table, IntervalsShowBesideTheValueAndAsColumnsInCsvAndJson) {
  Table t;
  t.header = {"method", "PSNR"};
  t.AddRow({"a", "30.00"}, {{}, {"29.50", "30.40"}});
  t.AddRow({"b", "31.00"});
  EXPECT_NE(t.ToMarkdown().find("| 30.00 [29.50, 30.40] |"), std::string::npos) << t.ToMarkdown();
  EXPECT_NE(t.ToCsv().find("method,PSNR,PSNR lo,PSNR hi\na,30.00,29.50,30.40\nb,31.00,-,-\n"),
            std::string::npos)
      << t.ToCsv();
  const Json json = t.ToJson();
  EXPECT_EQ(json["rows"][0]["PSNR lo"].get<double>(), 29.5);
  EXPECT_TRUE(json["rows"][1]["PSNR hi"].is_null());
}

TEST_F(ScoringTest, BlurBinsCountSamplesByMagnitude) {
  auto base = OpenPredictions("blurred-input");
  const ScoreRun run = ScoreMethod(root_ / "gt", *base, options_);  // magnitudes 0..5
  const auto bins = BinByMagnitude(run, 2, 0, 6);
  EXPECT_EQ(bins[0].count, 3);  // 0, 1, 2
  EXPECT_EQ(bins[1].count, 3);  // 3, 4, 5
  EXPECT_DOUBLE_EQ(bins[0].lo, 0);
  EXPECT_DOUBLE_EQ(bins[1].hi, 6);
}

TEST_F(ScoringTest, PsnrPIsRgbWithoutCropWhateverTheProfile) {
  // blur2vid's PSNR: per order the mean of the per-frame RGB PSNRs (no crop), the better order.
  auto noisy = [](const Sample& s) {
    std::vector<uint8_t> out = s.sharp;
    for (size_t k = 0; k < out.size(); ++k)
      out[k] = uint8_t(std::min(255, out[k] + int(k % (4 + s.index))));
    Sample t = s;
    t.sharp = out;
    return testing::Reversed(t, 3);
  };
  testing::WritePredictions(root_ / "gt", root_ / "noisy", 3, noisy);
  auto source = OpenPredictions((root_ / "noisy").string());
  DatasetReader gt(root_ / "gt"), pred(root_ / "noisy");
  for (const char* profile : {"rgb", "y", "y-crop4", "rgb-crop2"}) {
    options_.profile = MetricProfile::Parse(profile);
    const ScoreRun run = ScoreMethod(root_ / "gt", *source, options_);
    for (const SampleScore& s : run.samples) {
      const Sample g = gt.Read(s.index), p = pred.Read(s.index);
      double forward = 0, reverse = 0;
      for (int j = 0; j < 3; ++j) {
        const ImageView truth{g.SharpFrame(j, gt.spec()), 24, 32};
        forward += CappedPsnr(Psnr(ImageView{p.SharpFrame(j, pred.spec()), 24, 32}, truth, {})) / 3;
        reverse +=
            CappedPsnr(Psnr(ImageView{p.SharpFrame(2 - j, pred.spec()), 24, 32}, truth, {})) / 3;
      }
      EXPECT_NEAR(s.psnr_p, std::max(forward, reverse), 1e-12) << profile << " " << s.id;
    }
  }
}

TEST(NonMiddleMean, IsTheMeanOfTheOtherPositionsWithPsnrCapped) {
  EXPECT_DOUBLE_EQ(NonMiddleMean({10, 99, 20}, true), 15);
  EXPECT_DOUBLE_EQ(NonMiddleMean({INFINITY, 5, 20}, true), (kPsnrCap + 20) / 2);
  EXPECT_DOUBLE_EQ(NonMiddleMean({0.5, 0.9, 0.7, 0.1, 0.3}, false), (0.5 + 0.9 + 0.1 + 0.3) / 4);
  EXPECT_TRUE(std::isnan(NonMiddleMean({30}, true)));
}

TEST_F(ScoringTest, NonMiddleMeansOfSummaryClipsAndBinsAreOneDefinition) {
  auto base = OpenPredictions("blurred-input");
  const ScoreRun run = ScoreMethod(root_ / "gt", *base, options_);
  const MethodSummary m = Summarize(run);
  const auto metrics = PerClipMetrics(run);
  const auto bins = BinByMagnitude(run, 1, 0, 6);  // one bin holds every clip
  for (const auto& c : metrics) {
    if (c.name != "psnr_others" && c.name != "ssim_others") continue;
    double sum = 0;
    for (size_t k = 0; k < run.samples.size(); ++k) {
      const auto& s = run.samples[k];
      const double want =
          c.name == "psnr_others" ? NonMiddleMean(s.psnr, true) : NonMiddleMean(s.ssim, false);
      EXPECT_EQ(c.values[k], want) << c.name;
      sum += want;
    }
    EXPECT_DOUBLE_EQ(c.name == "psnr_others" ? m.psnr_others : m.ssim_others,
                     sum / run.samples.size());
  }
  EXPECT_EQ(bins[0].psnr_others, m.psnr_others);
  EXPECT_EQ(bins[0].psnr_middle, m.psnr_middle);
}

TEST_F(ScoringTest, BinsOfFewerThanTheMinimumClipsShowNoInterval) {
  // 14 clips with magnitudes 0..13; two bins over [0, 20]: 10 clips (the minimum) and 4.
  testing::WriteDataset(root_ / "gt14", DatasetKind::kRotation, 3, 14, 24, 32, 3);
  auto base = OpenPredictions("blurred-input");
  const ScoreRun run = ScoreMethod(root_ / "gt14", *base, options_);
  ASSERT_EQ(kMinClipsForBinInterval, 10);
  const auto bins = BinByMagnitude(run, 2, 0, 20);
  ASSERT_EQ(bins[0].count, 10);
  ASSERT_EQ(bins[1].count, 4);
  EXPECT_LT(bins[0].psnr_middle_ci.lo, bins[0].psnr_middle_ci.hi);
  EXPECT_LT(bins[0].psnr_others_ci.lo, bins[0].psnr_others_ci.hi);
  EXPECT_TRUE(std::isnan(bins[1].psnr_middle_ci.lo) && std::isnan(bins[1].psnr_middle_ci.hi));
  EXPECT_TRUE(std::isnan(bins[1].psnr_others_ci.lo) && std::isnan(bins[1].psnr_others_ci.hi));
  EXPECT_FALSE(std::isnan(bins[1].psnr_middle));  // the mean is still shown
  // The table shows the mean without an interval.
  const Table t = BlurSizeTable({run}, 2, 0, 20, "blur", {});
  EXPECT_FALSE(t.intervals[0][2].first.empty());
  EXPECT_TRUE(t.intervals[1][2].first.empty());
  EXPECT_TRUE(t.intervals[1][3].first.empty());
}

// A scored clip of F = 3 made by hand: PSNRs p, p + 1, p + 2 and every clip metric from p.
SampleScore HandScored(const std::string& id, double p) {
  SampleScore s;
  s.id = id;
  s.psnr = {p, p + 1, p + 2};
  s.ssim = {0.5, 0.6, 0.7};
  s.psnr_p = p + 1;
  s.reblur_psnr_input = p + 3;
  s.clip = {p + 4, p + 5, p + 6, p / 10, 0.8};
  return s;
}

TEST(ComparePaired, MeansOfAAndBAndTheirDifferenceAreOverTheSameClips) {
  ScoreRun a, b;
  a.method = "a";
  b.method = "b";
  a.spec.frames = b.spec.frames = 3;
  for (int i = 0; i < 6; ++i) a.samples.push_back(HandScored("s" + std::to_string(i), 20 + i));
  for (int i = 1; i < 7; ++i) b.samples.push_back(HandScored("s" + std::to_string(i), 21 + 2 * i));
  b.samples[1].clip.epe_dis = NAN;  // s2: no EPE for B
  a.samples[0].clip.epe_dis = 50;   // s0: A only, must not count
  const PairedComparison c = ComparePaired(a, b);
  EXPECT_EQ(c.clips_a, 6);
  EXPECT_EQ(c.clips_b, 6);
  EXPECT_EQ(c.shared, 5);  // s1..s5
  auto find = [&](const std::string& name) {
    for (const auto& d : c.metrics)
      if (d.name == name) return d;
    ADD_FAILURE() << name;
    return PairedDifference{};
  };
  const PairedDifference epe = find("epe_dis");
  EXPECT_EQ(epe.clips, 4);  // s1, s3, s4, s5
  EXPECT_EQ(epe.left_out, 1);
  EXPECT_DOUBLE_EQ(epe.mean_a, (2.1 + 2.3 + 2.4 + 2.5) / 4);
  EXPECT_DOUBLE_EQ(epe.mean_b, (2.3 + 2.7 + 2.9 + 3.1) / 4);
  EXPECT_NEAR(epe.difference, epe.mean_b - epe.mean_a, 1e-12);
  const PairedDifference pw = find("pwpsnr");
  EXPECT_EQ(pw.clips, 5);
  EXPECT_EQ(pw.left_out, 0);
  EXPECT_DOUBLE_EQ(pw.mean_a, 24 + 3);  // 20 + i + 4 over i = 1..5
  EXPECT_NEAR(pw.difference, pw.mean_b - pw.mean_a, 1e-12);
}

}  // namespace
}  // namespace blurkit::bench
