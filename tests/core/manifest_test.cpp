#include "blurkit/core/manifest.h"

#include <gtest/gtest.h>

#include <fstream>

#include "blurkit/core/error.h"
#include "blurkit/core/install_paths.h"
#include "blurkit/core/sha256.h"

namespace blurkit {
namespace {
namespace fs = std::filesystem;

fs::path SourceDir() {
  const char* dir = std::getenv("BLURKIT_SOURCE_DIR");
  return dir ? fs::path(dir) : fs::current_path();
}

class ManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("blurkit_manifest_" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "data");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }
  fs::path dir_;
};

TEST_F(ManifestTest, RepositorySampleManifestsParseAndSplitByPanorama) {
  const Manifest samples = Manifest::Load(SourceDir() / "data_manifests/samples.json");
  const auto train = samples.Split("panorama_train");
  const auto test = samples.Split("panorama_test");
  EXPECT_EQ(train.size(), 6u);
  EXPECT_EQ(test.size(), 2u);
  for (const auto& a : train) {
    for (const auto& b : test) EXPECT_NE(a.id, b.id) << "a panorama is in both splits";
    EXPECT_EQ(a.sha256.size(), 64u);
  }
  const Manifest demo = Manifest::Load(SourceDir() / "data_manifests/demo_panorama.json");
  // The demo trains on 29 panoramas and tests on the two held out since the first demo; its two
  // extra test sets are those two along shake paths and new views of the 29.
  const auto demo_train = demo.Split("train");
  const auto demo_test = demo.Split("test");
  EXPECT_EQ(demo_train.size(), 29u);
  ASSERT_EQ(demo_test.size(), 2u);
  EXPECT_EQ(demo_test[0].id, "studio");
  EXPECT_EQ(demo_test[1].id, "sunset");
  for (const auto& a : demo_train) {
    for (const auto& b : demo_test) EXPECT_NE(a.id, b.id) << "a panorama is in both splits";
  }
  auto ids = [](const std::vector<ManifestSource>& v) {
    std::vector<std::string> out;
    for (const auto& s : v) out.push_back(s.id);
    return out;
  };
  EXPECT_EQ(ids(demo.Split("test_shake")), ids(demo_test));
  EXPECT_EQ(ids(demo.Split("seen")), ids(demo_train));
  EXPECT_EQ(ids(demo.Split("train_shake")), ids(demo_train));
  EXPECT_EQ(demo.ParamsFor("panorama", "train_shake").value("trajectory", ""), "shake");
  EXPECT_NE(demo.ParamsFor("panorama", "train_shake").value("seed", 0),
            demo.ParamsFor("panorama", "seen").value("seed", 0))
      << "the shake training views must not be the seen test views";
  EXPECT_EQ(demo.ParamsFor("panorama", "test_shake").value("trajectory", ""), "shake");
  EXPECT_EQ(demo.data_root.lexically_normal(), samples.data_root.lexically_normal());
  EXPECT_TRUE(demo.ParamsFor("panorama", "train").contains("samples"));
}

TEST_F(ManifestTest, ASourcesOwnWindowIsReadAndChecked) {
  Write(dir_ / "m.json", R"({"sources": [{"id": "a", "path": "a", "window": 11}, {"id": "b", "path": "b"}],
                             "splits": {"train": ["a", "b"]}})");
  const auto split = Manifest::Load(dir_ / "m.json").Split("train");
  EXPECT_EQ(split[0].window, 11);
  EXPECT_EQ(split[1].window, 0);
  const Manifest released = Manifest::Load(SourceDir() / "data_manifests/gopro_released.json");
  for (const auto& s : released.Split("train")) {
    EXPECT_EQ(s.window, std::stoi(s.id.substr(9, 2))) << s.id;  // GOPR0372_07_00: 7
  }
  Write(dir_ / "m.json", R"({"sources": [{"id": "a", "path": "a", "window": 0}], "splits": {"train": ["a"]}})");
  try {
    Manifest::Load(dir_ / "m.json");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("window must be a positive whole number"), std::string::npos)
        << e.what();
  }
}

TEST_F(ManifestTest, UnknownSplitAndUnknownSourceAreClearErrors) {
  Write(dir_ / "m.json", R"({"sources": [{"id": "a", "path": "a.png"}],
                             "splits": {"train": ["a", "b"]}})");
  try {
    Manifest::Load(dir_ / "m.json");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown source 'b'"), std::string::npos) << e.what();
  }
  Write(dir_ / "m.json", R"({"sources": [{"id": "a", "path": "a.png"}], "splits": {"train": ["a"]}})");
  const Manifest m = Manifest::Load(dir_ / "m.json");
  EXPECT_THROW(m.Split("test"), InputError);
}

TEST_F(ManifestTest, SourceDigestMismatchNamesFileAndSource) {
  Write(dir_ / "data/a.png", "not really a png");
  const std::string digest = Sha256OfFile(dir_ / "data/a.png");
  Write(dir_ / "m.json", R"({"data_root": "data", "sources": [{"id": "a", "path": "a.png", "sha256": ")" +
                             std::string(64, '0') + R"("}]})");
  const Manifest m = Manifest::Load(dir_ / "m.json");
  try {
    VerifySourceFile(m.Resolve(m.sources[0]), m.sources[0], m.file);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("a.png"), std::string::npos) << what;
    EXPECT_NE(what.find(digest), std::string::npos) << what;
  }
}

// A manifest named by name is found in share/blurkit/data_manifests beside the program's folder:
// for this test program (build/tests/) the build tree's copy (build/share/blurkit), as an installed
// tool (P/bin/) finds P/share/blurkit.
TEST(InstalledManifests, ABareNameIsFoundBesideTheProgramAndAPathIsKept) {
  const fs::path data = InstalledDataDir();
  ASSERT_FALSE(data.empty());
  const fs::path found = FindManifestFile("demo_panorama");
  EXPECT_EQ(found, data / "data_manifests" / "demo_panorama.json");
  EXPECT_EQ(FindManifestFile("demo_panorama.json"), found);
  EXPECT_EQ(Manifest::Load("demo_panorama").name, "demo-panorama");
  EXPECT_EQ(FindManifestFile("somewhere/demo_panorama"), fs::path("somewhere/demo_panorama"));
  try {
    FindManifestFile("no_such_manifest");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("no_such_manifest"), std::string::npos) << what;
    EXPECT_NE(what.find((data / "data_manifests").string()), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace blurkit
