#include "blurkit/synth/sharded_run.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <new>
#include <opencv2/core.hpp>
#include <set>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/error.h"
#include "blurkit/core/random.h"
#include "blurkit/core/sha256.h"

namespace blurkit::synth {
namespace {
namespace fs = std::filesystem;

DatasetSpec Spec() {
  DatasetSpec spec;
  spec.kind = DatasetKind::kPairs;
  spec.frames = 1;
  spec.height = 4;
  spec.width = 5;
  spec.generator = "test";
  spec.params = Json{{"p", 1}};
  return spec;
}

// A cheap factory: pixels from the sample's own random stream.
Sample Make(int64_t i) {
  Sample s;
  s.index = i;
  s.id = "x" + std::to_string(i);
  RandomStream rng(11, RandomPurpose::kSampleGeometry, i);
  s.blurred.resize(60);
  s.sharp.resize(60);
  for (auto& v : s.blurred) v = uint8_t(rng.UniformInt(256));
  for (auto& v : s.sharp) v = uint8_t(rng.UniformInt(256));
  return s;
}

class ShardedRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("blurkit_run_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  ShardedRunOptions Options(const std::string& name) {
    ShardedRunOptions o;
    o.out = root_ / name;
    o.num_samples = 23;
    o.shard_size = 5;
    o.progress = false;
    return o;
  }
  // name -> sha256 of every file in a folder.
  std::map<std::string, std::string> Digests(const fs::path& folder) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::directory_iterator(folder))
      out[e.path().filename().string()] = Sha256OfFile(e.path());
    return out;
  }
  fs::path root_;
};

TEST_F(ShardedRunTest, WritesAllShardsAndAReadableIndex) {
  const auto summary = WriteShardedDataset(Options("a"), Spec(), Make);
  EXPECT_EQ(summary.samples_written, 23);
  EXPECT_EQ(summary.shards_written, 5);
  EXPECT_TRUE(summary.assembled);
  DatasetReader reader(root_ / "a");
  EXPECT_EQ(reader.size(), 23);
  EXPECT_EQ(reader.Read(22).blurred, Make(22).blurred);
  EXPECT_TRUE(VerifyDataset(root_ / "a").ok());
}

TEST_F(ShardedRunTest, ThreadCountDoesNotChangeBytes) {
  ShardedRunOptions one = Options("one"), two = Options("two");
  one.threads = 1;
  two.threads = 2;
  WriteShardedDataset(one, Spec(), Make);
  WriteShardedDataset(two, Spec(), Make);
  EXPECT_EQ(Digests(root_ / "one"), Digests(root_ / "two"));
}

TEST_F(ShardedRunTest, SplitRunAssemblesToTheSameBytesAsOneRun) {
  WriteShardedDataset(Options("single"), Spec(), Make);
  for (int part : {1, 0, 2}) {
    ShardedRunOptions o = Options("split");
    o.num_shards = 3;
    o.shard_index = part;
    const auto summary = WriteShardedDataset(o, Spec(), Make);
    EXPECT_EQ(summary.assembled, part == 2);  // the last part to finish assembles
  }
  auto single = Digests(root_ / "single"), split = Digests(root_ / "split");
  for (const auto& [name, digest] : single) EXPECT_EQ(split[name], digest) << name;
  EXPECT_EQ(split.size(), single.size() + 3);  // + the three part indices
}

TEST_F(ShardedRunTest, AssembleNamesTheMissingPart) {
  ShardedRunOptions o = Options("partial");
  o.num_shards = 2;
  WriteShardedDataset(o, Spec(), Make);
  try {
    AssembleDataset(root_ / "partial");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("part 1 of 2"), std::string::npos) << e.what();
  }
}

TEST_F(ShardedRunTest, FailedRunLeavesNoCompleteLookingShardAndResumesToSameBytes) {
  WriteShardedDataset(Options("reference"), Spec(), Make);
  // Fail at sample 12: shards 0 and 1 (samples 0-9) complete, shard 2 in progress.
  std::atomic<int> made{0};
  auto failing = [&](int64_t i) {
    if (i == 12) throw IoError("simulated failure");
    ++made;
    return Make(i);
  };
  ShardedRunOptions o = Options("resumed");
  o.threads = 1;
  EXPECT_THROW(WriteShardedDataset(o, Spec(), failing), IoError);
  const DatasetIndex partial = DatasetIndex::Load(root_ / "resumed" / "index.json");
  EXPECT_FALSE(partial.complete);
  EXPECT_EQ(partial.shards.size(), 2u);
  EXPECT_THROW(DatasetReader reader(root_ / "resumed"), InputError);
  for (const auto& e : fs::directory_iterator(root_ / "resumed")) {
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(name == "index.json" || name.find("shard-00000") == 0 ||
                name.find("shard-00001") == 0)
        << "left behind: " << name;
  }
  // The same command again: two shards kept, three written, identical bytes.
  const auto summary = WriteShardedDataset(o, Spec(), Make);
  EXPECT_EQ(summary.shards_kept, 2);
  EXPECT_EQ(summary.shards_written, 3);
  EXPECT_EQ(Digests(root_ / "resumed"), Digests(root_ / "reference"));
}

TEST_F(ShardedRunTest, DamagedShardIsRewrittenOnResume) {
  WriteShardedDataset(Options("d"), Spec(), Make);
  const auto before = Digests(root_ / "d");
  fs::resize_file(root_ / "d" / ShardFileName(3, 5), 10);
  const auto summary = WriteShardedDataset(Options("d"), Spec(), Make);
  EXPECT_EQ(summary.shards_kept, 4);
  EXPECT_EQ(summary.shards_written, 1);
  EXPECT_EQ(Digests(root_ / "d"), before);
}

TEST_F(ShardedRunTest, OtherParametersNeedOverwrite) {
  WriteShardedDataset(Options("p"), Spec(), Make);
  DatasetSpec other = Spec();
  other.params = Json{{"p", 2}};
  EXPECT_THROW(WriteShardedDataset(Options("p"), other, Make), InputError);
  ShardedRunOptions o = Options("p");
  o.overwrite = true;
  EXPECT_EQ(WriteShardedDataset(o, other, Make).shards_written, 5);
  EXPECT_EQ(DatasetReader(root_ / "p").spec().params, other.params);
}

TEST_F(ShardedRunTest, BadInputFoundLateKeepsFinishedShardsAndResumes) {
  WriteShardedDataset(Options("reference"), Spec(), Make);
  // A source that turns out bad at sample 17: shards 0-2 (samples 0-14) are complete by then.
  auto failing = [&](int64_t i) {
    if (i == 17) throw InputError("pano.jpg: cannot decode (simulated)");
    return Make(i);
  };
  ShardedRunOptions o = Options("late");
  o.threads = 1;
  try {
    WriteShardedDataset(o, Spec(), failing);
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("pano.jpg"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("3 of 5 shards are complete"), std::string::npos) << e.what();
  }
  const DatasetIndex partial = DatasetIndex::Load(root_ / "late" / "index.json");
  EXPECT_FALSE(partial.complete);
  ASSERT_EQ(partial.shards.size(), 3u);
  for (const auto& entry : partial.shards) {
    EXPECT_EQ(Sha256OfFile(root_ / "late" / entry.file), entry.sha256) << entry.file;
  }
  // Once the input is repaired the same command keeps them and writes the rest, to the same bytes.
  const auto summary = WriteShardedDataset(o, Spec(), Make);
  EXPECT_EQ(summary.shards_kept, 3);
  EXPECT_EQ(summary.shards_written, 2);
  EXPECT_EQ(Digests(root_ / "late"), Digests(root_ / "reference"));
}

TEST_F(ShardedRunTest, FailingTaskKeepsTheShardsOfItsSiblingTask) {
  // Two tasks of one Slurm array start together into one empty folder. Task 1 is still rendering
  // when task 0 finishes; then task 1 meets bad input before it has finished anything.
  ShardedRunOptions task0 = Options("array"), task1 = Options("array");
  task0.num_shards = task1.num_shards = 2;
  task0.shard_index = 0;
  task1.shard_index = 1;
  task1.threads = 1;
  bool sibling_done = false;
  auto failing = [&](int64_t i) -> Sample {
    if (!sibling_done) {
      WriteShardedDataset(task0, Spec(), Make);
      sibling_done = true;
    }
    if (i == 5) throw InputError("pano.jpg: cannot decode (simulated)");
    return Make(i);
  };
  EXPECT_THROW(WriteShardedDataset(task1, Spec(), failing), InputError);
  ASSERT_TRUE(sibling_done);
  const fs::path part0 = root_ / "array" / IndexFileName(0, 2);
  ASSERT_TRUE(fs::exists(part0)) << "task 0's index was deleted";
  const DatasetIndex index = DatasetIndex::Load(part0);
  EXPECT_TRUE(index.complete);
  ASSERT_EQ(index.shards.size(), 3u);  // shards 0, 2, 4
  for (const auto& entry : index.shards) {
    ASSERT_TRUE(fs::exists(root_ / "array" / entry.file)) << entry.file << " was deleted";
    EXPECT_EQ(Sha256OfFile(root_ / "array" / entry.file), entry.sha256) << entry.file;
  }
  // Task 1 left nothing of its own (no index listing nothing, no temporary).
  EXPECT_FALSE(fs::exists(root_ / "array" / IndexFileName(1, 2)));
  for (const auto& e : fs::directory_iterator(root_ / "array")) {
    EXPECT_FALSE(IsTemporaryPath(e.path())) << e.path();
  }
  // Task 1 rerun with good input completes the dataset.
  const auto summary = WriteShardedDataset(task1, Spec(), Make);
  EXPECT_TRUE(summary.assembled);
  DatasetReader reader(root_ / "array");
  EXPECT_EQ(reader.size(), 23);
}

TEST_F(ShardedRunTest, RunThatFinishesNothingRemovesTheFolderItCreatedAndSaysSo) {
  auto failing = [](int64_t i) -> Sample { throw InputError("bad " + std::to_string(i)); };
  auto message = [&](const std::string& name) {
    try {
      WriteShardedDataset(Options(name), Spec(), failing);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::string removed = message("nothing");
  EXPECT_FALSE(fs::exists(root_ / "nothing"));
  EXPECT_NE(removed.find("no shard was complete, and " + (root_ / "nothing").string() +
                         ", which this run had created, was removed"),
            std::string::npos)
      << removed;
  EXPECT_EQ(removed.find("kept"), std::string::npos) << removed;
  // A folder the user made stays (empty).
  fs::create_directories(root_ / "mine");
  const std::string left = message("mine");
  EXPECT_TRUE(fs::is_directory(root_ / "mine"));
  EXPECT_TRUE(fs::is_empty(root_ / "mine"));
  EXPECT_NE(left.find("no shard was complete, and this run left nothing in " +
                      (root_ / "mine").string()),
            std::string::npos)
      << left;
}

TEST_F(ShardedRunTest, AnyExceptionKeepsFinishedShardsCleansUpAndSaysHowFar) {
  // Not only blurkit's own errors: an OpenCV error, exhausted memory, something unknown. Each at
  // sample 12 (shards 0 and 1 complete), and at sample 0 (nothing complete, the folder removed).
  const std::pair<const char*, std::function<void()>> throwers[] = {
      {"OpenCV",
       [] { throw cv::Exception(cv::Error::StsNoMem, "simulated", "render", "x.cpp", 1); }},
      {"std::bad_alloc", [] { throw std::bad_alloc(); }},
      {"unknown", [] { throw 42; }}};
  for (const auto& [label, thrower] : throwers) {
    SCOPED_TRACE(label);
    for (const int64_t at : {12, 0}) {
      const std::string name = std::string("any_") + std::to_string(at);
      fs::remove_all(root_ / name);
      ShardedRunOptions o = Options(name);
      o.threads = 1;
      auto failing = [&, thrower = thrower](int64_t i) {
        if (i == at) thrower();
        return Make(i);
      };
      std::string message;
      try {
        WriteShardedDataset(o, Spec(), failing);
      } catch (const Error& e) {
        message = e.what();
      } catch (...) {
        message = "not a blurkit::Error";
      }
      for (const auto& e : fs::directory_iterator(root_)) {
        if (!fs::is_directory(e.path())) continue;
        for (const auto& f : fs::directory_iterator(e.path())) {
          EXPECT_FALSE(IsTemporaryPath(f.path())) << "left behind: " << f.path();
        }
      }
      if (at == 12) {
        EXPECT_NE(message.find("2 of 5 shards are complete in " + o.out.string() + " and kept"),
                  std::string::npos)
            << message;
        EXPECT_EQ(DatasetIndex::Load(o.out / "index.json").shards.size(), 2u);
        // The same command finishes the run.
        EXPECT_EQ(WriteShardedDataset(o, Spec(), Make).shards_kept, 2);
      } else {
        EXPECT_NE(message.find("was removed"), std::string::npos) << message;
        EXPECT_FALSE(fs::exists(o.out));
      }
    }
  }
}

TEST_F(ShardedRunTest, OverwritingTasksStartedTogetherKeepEachOthersNewWork) {
  // A complete dataset made with p = 1, replaced by a 2-task Slurm array with p = 2 and
  // --overwrite. Both tasks start together, so both find the old index.json before either has
  // written anything: task 0 runs first, then task 1 starts with the old index.json in view.
  WriteShardedDataset(Options("array"), Spec(), Make);
  const fs::path old_index = root_ / "old_index.json";
  fs::copy_file(root_ / "array" / "index.json", old_index);
  DatasetSpec other = Spec();
  other.params = Json{{"p", 2}};
  ShardedRunOptions task0 = Options("array"), task1 = Options("array");
  task0.num_shards = task1.num_shards = 2;
  task0.shard_index = 0;
  task1.shard_index = 1;
  task0.overwrite = task1.overwrite = true;
  EXPECT_FALSE(WriteShardedDataset(task0, other, Make).assembled);
  fs::copy_file(old_index, root_ / "array" / "index.json", fs::copy_options::overwrite_existing);
  const DatasetIndex part0 = DatasetIndex::Load(root_ / "array" / IndexFileName(0, 2));
  ASSERT_TRUE(part0.complete);
  // Task 1 checks task 0's work as it renders its first sample, after its own start-up.
  bool checked = false;
  auto checking = [&](int64_t i) -> Sample {
    if (!checked) {
      checked = true;
      EXPECT_TRUE(fs::exists(root_ / "array" / IndexFileName(0, 2)))
          << "task 0's index was deleted";
      for (const auto& entry : part0.shards) {
        const fs::path file = root_ / "array" / entry.file;
        EXPECT_TRUE(fs::exists(file) && Sha256OfFile(file) == entry.sha256)
            << entry.file << " was deleted";
      }
    }
    return Make(i);
  };
  EXPECT_TRUE(WriteShardedDataset(task1, other, checking).assembled);
  EXPECT_TRUE(checked);
  DatasetReader reader(root_ / "array");
  EXPECT_EQ(reader.spec().params, other.params);
  EXPECT_EQ(reader.size(), 23);
  EXPECT_TRUE(VerifyDataset(root_ / "array").ok());
}

TEST_F(ShardedRunTest, OverwriteRemovesOwnShardsAtTheStartAndTheRestOnceAssembled) {
  // The old dataset: p = 1 in a 3-part split, shards of 5 (5 shards). The new one: p = 2 in a
  // 2-part split, shards of 4 (6 shards, other names).
  for (int part = 0; part < 3; ++part) {
    ShardedRunOptions o = Options("replace");
    o.num_shards = 3;
    o.shard_index = part;
    WriteShardedDataset(o, Spec(), Make);
  }
  auto names = [&] {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(root_ / "replace")) {
      out.insert(e.path().filename().string());
    }
    return out;
  };
  const std::set<std::string> old_files = names();
  DatasetSpec other = Spec();
  other.params = Json{{"p", 2}};
  ShardedRunOptions task0 = Options("replace"), task1 = Options("replace");
  task0.shard_size = task1.shard_size = 4;
  task0.num_shards = task1.num_shards = 2;
  task0.shard_index = 0;
  task1.shard_index = 1;
  task0.overwrite = task1.overwrite = true;
  EXPECT_FALSE(WriteShardedDataset(task0, other, Make).assembled);
  // Task 0 removed nothing of the old dataset's (none of its files has task 0's new names) and
  // wrote shards 0, 2, 4 and its index.
  std::set<std::string> after0 = old_files;
  for (int s : {0, 2, 4}) after0.insert(ShardFileName(s, 6));
  after0.insert(IndexFileName(0, 2));
  EXPECT_EQ(names(), after0);
  // Task 1 finishes the dataset; the part that assembles it removes what the old one left.
  EXPECT_TRUE(WriteShardedDataset(task1, other, Make).assembled);
  std::set<std::string> final_files = {"index.json", IndexFileName(0, 2), IndexFileName(1, 2)};
  for (int s = 0; s < 6; ++s) final_files.insert(ShardFileName(s, 6));
  EXPECT_EQ(names(), final_files);
  EXPECT_TRUE(VerifyDataset(root_ / "replace").ok());
  EXPECT_EQ(DatasetReader(root_ / "replace").spec().params, other.params);
  // A rerun of a task with --overwrite over the complete dataset keeps everything.
  const auto digests = Digests(root_ / "replace");
  EXPECT_EQ(WriteShardedDataset(task0, other, Make).shards_kept, 3);
  EXPECT_EQ(Digests(root_ / "replace"), digests);
}

TEST_F(ShardedRunTest, OverwriteByOneTaskReplacesOnlyItsOwnShardsOfTheSameNames) {
  // Old and new datasets share shard names (same count); task 1 of 2 replaces shards 1 and 3 only,
  // and leaves shards 0, 2, 4 (task 0's, still the old dataset's) until task 0 has run.
  WriteShardedDataset(Options("same"), Spec(), Make);
  const auto before = Digests(root_ / "same");
  DatasetSpec other = Spec();
  other.params = Json{{"p", 2}};
  ShardedRunOptions task1 = Options("same");
  task1.num_shards = 2;
  task1.shard_index = 1;
  task1.overwrite = true;
  // Stops at its first sample: its own stale shards are gone, task 0's are untouched.
  auto failing = [](int64_t) -> Sample { throw IoError("simulated failure"); };
  EXPECT_THROW(WriteShardedDataset(task1, other, failing), IoError);
  const auto after = Digests(root_ / "same");
  for (int s : {0, 2, 4}) EXPECT_EQ(after.at(ShardFileName(s, 5)), before.at(ShardFileName(s, 5)));
  for (int s : {1, 3}) EXPECT_FALSE(after.count(ShardFileName(s, 5))) << s;
  EXPECT_EQ(after.at("index.json"), before.at("index.json"));  // for the part that assembles
}

TEST_F(ShardedRunTest, UnwritableOutputIsAClearError) {
  fs::create_directories(root_);
  std::ofstream(root_ / "file") << "x";
  ShardedRunOptions o = Options("file");
  o.out = root_ / "file" / "sub";
  EXPECT_THROW(WriteShardedDataset(o, Spec(), Make), IoError);
}

}  // namespace
}  // namespace blurkit::synth
