#include "blurkit/bench/commands.h"

#include <gtest/gtest.h>

#include <fstream>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/error.h"
#include "test_datasets.h"

namespace blurkit::bench {
namespace {
namespace fs = std::filesystem;

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("blurkit_bcmd_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    testing::WriteDataset(root_ / "test_a", DatasetKind::kRotation, 3, 5, 24, 32, 1);
    testing::WriteDataset(root_ / "test_b", DatasetKind::kVideo, 3, 4, 24, 32, 2);
    // Method "good" is perfect on A and reversed on B; method "noisy" adds noise everywhere.
    for (const char* test : {"test_a", "test_b"}) {
      testing::WritePredictions(root_ / test, root_ / "good" / test, 3, [&](const Sample& s) {
        return std::string(test) == "test_a" ? s.sharp : testing::Reversed(s, 3);
      });
      testing::WritePredictions(root_ / test, root_ / "noisy" / test, 3, [](const Sample& s) {
        std::vector<uint8_t> out = s.sharp;
        for (size_t k = 0; k < out.size(); ++k) out[k] = uint8_t(out[k] ^ (k % 7));
        return out;
      });
    }
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(CommandsTest, ScoreWritesEveryTableFormatAndAReport) {
  ScoreCommandOptions o;
  o.ground_truth = root_ / "test_a";
  o.predictions = (root_ / "noisy" / "test_a").string();
  o.name = "noisy";
  o.out = root_ / "score";
  o.score.progress = false;
  const ScoreCommandResult r = RunScore(o);
  ASSERT_EQ(r.summaries.size(), 2u);  // the method and the blurred-input baseline
  EXPECT_EQ(r.summaries[0].method, "noisy");
  EXPECT_EQ(r.summaries[1].method, "blurred-input");
  for (const char* f : {"summary.md", "summary.csv", "summary.json", "summary.tex", "per_sample.csv",
                        "blur_size.md", "blur_size.csv", "blur_size.json", "blur_size.tex",
                        "blur_size.svg", "report.html"}) {
    EXPECT_TRUE(fs::exists(o.out / f)) << f;
  }
  const Json summary = Json::parse(ReadFileToString(o.out / "summary.json"));
  EXPECT_DOUBLE_EQ(summary["rows"][0]["PSNR middle"].get<double>(),
                   std::stod(FormatNumber(r.summaries[0].psnr_middle, 2)));
  const std::string html = ReadFileToString(r.report);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("data:image/png;base64,"), std::string::npos);
  EXPECT_NE(html.find("metric profile: rgb"), std::string::npos);
  EXPECT_NE(ReadFileToString(o.out / "summary.tex").find("\\toprule"), std::string::npos);
}

TEST_F(CommandsTest, MatrixIsAssembledFromTheRightCells) {
  std::ofstream(root_ / "matrix.json") << R"({
    "order": "best-mean-psnr",
    "test_sets": {"A": "test_a", "B": "test_b"},
    "methods": [
      {"name": "good", "trained_on": "A", "predictions": {"A": "good/test_a", "B": "good/test_b"}},
      {"name": "noisy", "trained_on": "B", "predictions": {"A": "noisy/test_a", "B": "noisy/test_b"}},
      {"name": "blurred-input", "predictions": {"A": "blurred-input", "B": "blurred-input"}}
    ]})";
  MatrixCommandOptions o;
  o.config = root_ / "matrix.json";
  o.out = root_ / "matrix";
  o.progress = false;
  const MatrixCommandResult r = RunMatrix(o);
  const Table& m = r.matrix;
  ASSERT_EQ(m.rows.size(), 3u);
  ASSERT_EQ(m.header.size(), 14u);
  EXPECT_EQ(m.header[2], "A PSNR mid");
  EXPECT_EQ(m.header[6], "A PWPSNR");
  EXPECT_EQ(m.header[7], "A EPE (DIS)");
  EXPECT_EQ(m.header[8], "B PSNR mid");
  EXPECT_EQ(m.rows[0][1], "A");
  // Each cell equals scoring that method on that test set alone.
  ScoreOptions so;
  so.progress = false;
  const char* names[] = {"good", "noisy"};
  const char* tests[] = {"test_a", "test_b"};
  for (int k = 0; k < 2; ++k) {
    for (int t = 0; t < 2; ++t) {
      auto source = OpenPredictions((root_ / names[k] / tests[t]).string());
      const MethodSummary s = Summarize(ScoreMethod(root_ / tests[t], *source, so));
      EXPECT_EQ(m.rows[k][2 + 6 * t], FormatNumber(s.psnr_middle, 2)) << names[k] << tests[t];
      EXPECT_EQ(m.rows[k][4 + 6 * t], FormatNumber(s.psnr_others, 2)) << names[k] << tests[t];
      EXPECT_EQ(m.rows[k][6 + 6 * t], FormatNumber(s.pwpsnr, 2)) << names[k] << tests[t];
      EXPECT_EQ(m.rows[k][7 + 6 * t], FormatNumber(s.epe_dis, 3)) << names[k] << tests[t];
      // Each cell carries its interval, and the interval holds the mean.
      const auto& ci = m.intervals[k][2 + 6 * t];
      ASSERT_FALSE(ci.first.empty()) << names[k] << tests[t];
      EXPECT_LE(std::stod(ci.first), s.psnr_middle + 0.005);
      EXPECT_GE(std::stod(ci.second), s.psnr_middle - 0.005);
    }
  }
  // "good" is perfect on A, and perfect on B once its reversed order is recognised.
  EXPECT_EQ(m.rows[0][2], "100.00");
  EXPECT_EQ(m.rows[0][10], "100.00");
  for (const char* f : {"matrix.md", "matrix.csv", "matrix.json", "matrix.tex", "positions_A.md",
                        "blur_size_B.svg", "report.html"}) {
    EXPECT_TRUE(fs::exists(o.out / f)) << f;
  }
}

TEST_F(CommandsTest, MatrixConfigErrorsNameTheProblem) {
  std::ofstream(root_ / "bad.json") << R"({"test_sets": {"A": "test_a"},
    "methods": [{"name": "good", "predictions": {"B": "good/test_b"}}]})";
  MatrixCommandOptions o;
  o.config = root_ / "bad.json";
  o.out = root_ / "m";
  try {
    RunMatrix(o);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no predictions for test set 'A'"), std::string::npos)
        << e.what();
  }
}

TEST_F(CommandsTest, CompareSaysHowManyClipsWereComparedAndLeftOut) {
  // A has predictions for s1 and s3 only; B for all five clips.
  testing::WritePredictions(
      root_ / "test_a", root_ / "partial", 3, [](const Sample& s) { return s.sharp; },
      /*skip_every=*/2);
  CompareCommandOptions o;
  o.ground_truth = root_ / "test_a";
  o.predictions = {(root_ / "partial").string(), (root_ / "noisy" / "test_a").string()};
  o.score.progress = false;
  o.score.allow_missing = true;
  const CompareCommandResult r = RunCompare(o);
  EXPECT_EQ(r.comparison.shared, 2);
  const std::string md = r.table.ToMarkdown();
  EXPECT_NE(
      md.find("clips: 2 scored by both and compared; left out: 0 scored by A only, 3 by B only"),
      std::string::npos)
      << md;
  ASSERT_EQ(r.table.header[1], "clips");
  ASSERT_EQ(r.table.header[2], "left out");
  for (const auto& row : r.table.rows) EXPECT_EQ(row[1], "2") << row[0];
}

}  // namespace
}  // namespace blurkit::bench
