#include "blurkit/core/shard.h"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <tuple>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/error.h"
#include "blurkit/core/random.h"
#include "blurkit/core/sha256.h"

namespace blurkit {
namespace {
namespace fs = std::filesystem;

DatasetSpec SmallSpec(DatasetKind kind = DatasetKind::kRotation, int frames = 3) {
  DatasetSpec spec;
  spec.kind = kind;
  spec.frames = frames;
  spec.height = 6;
  spec.width = 8;
  spec.generator = "blurkit-test";
  spec.params = Json{{"answer", 42}};
  spec.seed = 7;
  return spec;
}

Sample MakeSample(const DatasetSpec& spec, int64_t index) {
  Sample s;
  s.index = index;
  s.id = "s" + std::to_string(index);
  s.source_file = "src.png";
  s.source_sha256 = std::string(64, 'a');
  s.blur_magnitude = 1.5f * index;
  RandomStream rng(1, RandomPurpose::kSampleGeometry, index);
  const size_t image = size_t(spec.height) * spec.width * 3;
  s.blurred.resize(image);
  s.sharp.resize(image * spec.frames);
  for (auto& v : s.blurred) v = static_cast<uint8_t>(rng.UniformInt(256));
  for (auto& v : s.sharp) v = static_cast<uint8_t>(rng.UniformInt(256));
  if (spec.kind == DatasetKind::kRotation) {
    for (int j = 0; j < spec.frames; ++j) {
      s.orientation.insert(s.orientation.end(), {1.0, 0.0, 0.0, 0.01 * j});
      s.homography.insert(s.homography.end(), {1, 0, double(j), 0, 1, 0, 0, 0, 1});
    }
  }
  if (spec.kind == DatasetKind::kVideo) {
    for (int j = 0; j < spec.frames; ++j) s.source_frames.push_back(index * 10 + j);
  }
  return s;
}

// A filter for tests (id 305, in HDF5's range for testing) that inverts every byte: stored chunks
// keep the size of the pixels, so only the filter list tells them from plain ones.
size_t InvertBytes(unsigned, size_t, const unsigned[], size_t bytes, size_t*, void** buffer) {
  auto* p = static_cast<uint8_t*>(*buffer);
  for (size_t k = 0; k < bytes; ++k) p[k] = static_cast<uint8_t>(~p[k]);
  return bytes;
}
const H5Z_class2_t kInvertBytes = {H5Z_CLASS_T_VERS, 305, 1, 1, "blurkit test: invert bytes",
                                   nullptr, nullptr, InvertBytes};

// Stores a shard's pixel dataset `name` again, the same pixels and chunks, with `add_filters`
// applied before Fletcher-32 and as `file_type`; the shard's attributes still say uncompressed
// schema 2.
void StorePixelsWithFilters(const fs::path& file, const char* name,
                            const std::function<void(hid_t dcpl)>& add_filters,
                            hid_t file_type = H5T_STD_U8LE) {
  const hid_t h5 = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(h5, 0);
  hid_t dataset = H5Dopen2(h5, name, H5P_DEFAULT);
  const hid_t space = H5Dget_space(dataset);
  std::vector<uint8_t> pixels(H5Sget_simple_extent_npoints(space));
  ASSERT_GE(H5Dread(dataset, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, pixels.data()), 0);
  const hid_t old_dcpl = H5Dget_create_plist(dataset);
  std::vector<hsize_t> chunk(H5Sget_simple_extent_ndims(space));
  H5Pget_chunk(old_dcpl, static_cast<int>(chunk.size()), chunk.data());
  H5Pclose(old_dcpl);
  H5Dclose(dataset);
  ASSERT_GE(H5Ldelete(h5, name, H5P_DEFAULT), 0);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
  add_filters(dcpl);
  ASSERT_GE(H5Pset_fletcher32(dcpl), 0);
  dataset = H5Dcreate2(h5, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  ASSERT_GE(dataset, 0);
  ASSERT_GE(H5Dwrite(dataset, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, pixels.data()), 0);
  H5Dclose(dataset);
  H5Pclose(dcpl);
  H5Sclose(space);
  ASSERT_GE(H5Fclose(h5), 0);
}

class ShardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("blurkit_shard_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes samples [first, first + n) into `name`.
  void WriteShard(const fs::path& path, const DatasetSpec& spec, int64_t first, int64_t n,
                  ShardWriter::Format format = ShardWriter::Format::kChecked) {
    ShardWriter writer(path, spec, first, n, format);
    for (int64_t i = first; i < first + n; ++i) writer.Append(MakeSample(spec, i));
    writer.Commit();
  }
  // A complete dataset of `n` samples in shards of `shard_size`.
  DatasetIndex WriteDataset(const DatasetSpec& spec, int64_t n, int64_t shard_size) {
    DatasetIndex index;
    index.spec = spec;
    index.num_samples = n;
    index.shard_size = shard_size;
    for (int64_t s = 0; s < index.TotalShards(); ++s) {
      const int64_t first = s * shard_size, count = std::min(shard_size, n - first);
      const std::string name = ShardFileName(s, index.TotalShards());
      WriteShard(dir_ / name, spec, first, count);
      index.shards.push_back(DescribeShard(dir_ / name, s, first, count));
    }
    index.complete = true;
    index.Save(dir_ / "index.json");
    return index;
  }
  fs::path dir_;
};

TEST_F(ShardTest, RoundTripKeepsEveryFieldForEachKind) {
  for (DatasetKind kind : {DatasetKind::kRotation, DatasetKind::kVideo, DatasetKind::kPairs}) {
    const DatasetSpec spec = SmallSpec(kind, kind == DatasetKind::kPairs ? 1 : 5);
    const fs::path path = dir_ / ("round_trip_" + ToString(kind) + ".h5");
    WriteShard(path, spec, 10, 3);
    ShardReader reader(path);
    EXPECT_EQ(reader.spec().ToJson(), spec.ToJson());
    EXPECT_EQ(reader.first_sample(), 10);
    ASSERT_EQ(reader.num_samples(), 3);
    for (int i = 0; i < 3; ++i) {
      const Sample expected = MakeSample(spec, 10 + i);
      const Sample got = reader.Read(i);
      EXPECT_EQ(got.index, expected.index);
      EXPECT_EQ(got.id, expected.id);
      EXPECT_EQ(got.source_file, expected.source_file);
      EXPECT_EQ(got.source_sha256, expected.source_sha256);
      EXPECT_EQ(got.blur_magnitude, expected.blur_magnitude);
      EXPECT_EQ(got.blurred, expected.blurred);
      EXPECT_EQ(got.sharp, expected.sharp);
      EXPECT_EQ(got.orientation, expected.orientation);
      EXPECT_EQ(got.homography, expected.homography);
      EXPECT_EQ(got.source_frames, expected.source_frames);
    }
  }
}

TEST_F(ShardTest, SameSamplesGiveByteIdenticalFiles) {
  for (int compression : {0, 4}) {
    DatasetSpec spec = SmallSpec();
    spec.compression = compression;
    WriteShard(dir_ / "a.h5", spec, 0, 4);
    sleep(1);  // HDF5 would store a different modification time if timestamps were on.
    WriteShard(dir_ / "b.h5", spec, 0, 4);
    EXPECT_EQ(Sha256OfFile(dir_ / "a.h5"), Sha256OfFile(dir_ / "b.h5")) << compression;
  }
}

TEST_F(ShardTest, UncommittedWriterLeavesNoFile) {
  const DatasetSpec spec = SmallSpec();
  {
    ShardWriter writer(dir_ / "partial.h5", spec, 0, 4);
    writer.Append(MakeSample(spec, 0));
  }
  EXPECT_TRUE(fs::is_empty(dir_)) << "a half-written shard or its temporary file was left";
}

TEST_F(ShardTest, AFullDiskAtAnyPointLeavesNoShardInPlace) {
  // The file-size limit (RLIMIT_FSIZE, no root needed) fails the writes past it as a full disk
  // does, at 10% to 99.9% of the finished shard: in the pixels, in the metadata, and in the last
  // bytes that only the flush and the file's close write. Each case runs in a child process.
  DatasetSpec spec = SmallSpec();
  spec.height = 64;
  spec.width = 64;
  WriteShard(dir_ / "whole.h5", spec, 0, 6);
  const auto size = fs::file_size(dir_ / "whole.h5");
  for (double fraction : {0.1, 0.5, 0.9, 0.99, 0.999}) {
    SCOPED_TRACE(fraction);
    const fs::path target = dir_ / "limited.h5";
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      signal(SIGXFSZ, SIG_IGN);  // the write fails with EFBIG instead of killing the process
      rlimit limit{static_cast<rlim_t>(size * fraction), static_cast<rlim_t>(size * fraction)};
      setrlimit(RLIMIT_FSIZE, &limit);
      int code = 3;
      try {
        WriteShard(target, spec, 0, 6);
        code = 1;  // committed past the limit
      } catch (const IoError&) {
        code = 0;
      } catch (...) {
        code = 2;
      }
      _exit(code);
    }
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status)) << "the writer died of signal " << WTERMSIG(status);
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: a shard was committed past the limit; 2: not an IoError";
    EXPECT_FALSE(fs::exists(target)) << "a shard was renamed into place";
    for (const auto& e : fs::directory_iterator(dir_)) {
      EXPECT_FALSE(IsTemporaryPath(e.path())) << "left behind: " << e.path();
    }
  }
}

TEST_F(ShardTest, FastChecksumEqualsHdf5sOnEverySizeAndCatchesEveryFlippedBit) {
  // The reader checks schema 2's pixel chunks with its own Fletcher-32; HDF5 computed the stored
  // one. Odd and even chunk sizes, short and longer than HDF5's 360-word blocks, random pixels,
  // then one flipped bit at a time in one sample's stored pixels.
  for (const auto [h, w] : {std::pair{1, 1}, {3, 5}, {6, 8}, {17, 31}, {64, 64}}) {
    SCOPED_TRACE(std::to_string(h) + "x" + std::to_string(w));
    DatasetSpec spec = SmallSpec();
    spec.height = h;
    spec.width = w;
    const fs::path file = dir_ / ("f" + std::to_string(h) + ".h5");
    WriteShard(file, spec, 0, 3);
    ShardReader reader(file);
    for (int64_t i = 0; i < 3; ++i) {
      const Sample s = reader.Read(i);
      EXPECT_EQ(s.blurred, MakeSample(spec, i).blurred);
      EXPECT_EQ(s.sharp, MakeSample(spec, i).sharp);
    }
  }
  DatasetSpec spec = SmallSpec();
  const fs::path file = dir_ / "flip.h5";
  WriteShard(file, spec, 0, 2);
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Sample 1's sharp pixels as stored: find them in the file.
  const Sample s1 = MakeSample(spec, 1);
  const auto at = bytes.find(std::string(s1.sharp.begin(), s1.sharp.end()));
  ASSERT_NE(at, std::string::npos);
  for (size_t bit = 0; bit < s1.sharp.size() * 8; bit += 37) {
    std::string damaged = bytes;
    damaged[at + bit / 8] ^= char(1 << (bit % 8));
    const fs::path bad = dir_ / "flipped.h5";
    std::ofstream(bad, std::ios::binary) << damaged;
    ShardReader reader(bad);
    EXPECT_NO_THROW(reader.Read(0));
    EXPECT_THROW(reader.Read(1), InputError) << "bit " << bit;
  }
}

TEST_F(ShardTest, ChunksAreReadAsStoredOnlyWhenTheirFiltersAreExactlyBlurkits) {
  const DatasetSpec spec = SmallSpec();
  // Random pixels, or (smooth) a gradient that deflate shrinks to a fraction.
  auto sample_of = [](const DatasetSpec& written, int64_t i, bool smooth) {
    Sample s = MakeSample(written, i);
    if (smooth) {
      for (size_t k = 0; k < s.blurred.size(); ++k) s.blurred[k] = uint8_t(k / 97 + i);
      for (size_t k = 0; k < s.sharp.size(); ++k) s.sharp[k] = uint8_t(k / 101 + i);
    }
    return s;
  };
  auto expect_pixels = [&](const ShardReader& reader, const DatasetSpec& written, bool smooth) {
    for (int64_t i = 0; i < reader.num_samples(); ++i) {
      const Sample s = reader.Read(i), want = sample_of(written, i, smooth);
      EXPECT_TRUE(s.blurred == want.blurred) << "blurred pixels of sample " << i;
      EXPECT_TRUE(s.sharp == want.sharp) << "sharp pixels of sample " << i;
    }
  };
  // What blurkit writes: Fletcher-32 alone (the default), deflate then Fletcher-32 (--compression,
  // on random pixels and on a 64x64 gradient), no filter (schema 1). Both chunks of every sample
  // are read as stored and undone by the reader itself.
  DatasetSpec gzip = spec, big_gzip = spec;
  gzip.compression = 4;
  big_gzip.compression = 9;
  big_gzip.height = big_gzip.width = 64;
  using Format = ShardWriter::Format;
  const std::tuple<const char*, DatasetSpec, bool, Format> cases[] = {
      {"plain", spec, false, Format::kChecked},
      {"gzip", gzip, false, Format::kChecked},
      {"gzip smooth", big_gzip, true, Format::kChecked},
      {"schema 1", spec, false, Format::kUnchecked}};
  for (const auto& [label, written, smooth, format] : cases) {
    SCOPED_TRACE(label);
    const fs::path file = dir_ / (std::string(label) + ".h5");
    ShardWriter writer(file, written, 0, 3, format);
    for (int64_t i = 0; i < 3; ++i) writer.Append(sample_of(written, i, smooth));
    writer.Commit();
    if (smooth) EXPECT_LT(fs::file_size(file), 3 * 4 * 64 * 64 * 3 / 4);  // compressed well
    ShardReader reader(file);
    expect_pixels(reader, written, smooth);
    EXPECT_EQ(reader.raw_chunk_reads(), 6);
  }
  // Attributes that say uncompressed over pixels stored through other filters as well: shuffle,
  // shuffle and deflate, or one that keeps the size (inverted bytes: stored chunks as long as
  // plain ones, with a valid Fletcher-32 of the inverted bytes); or deflate over 16-bit pixels.
  // All go through HDF5's pipeline.
  ASSERT_GE(H5Zregister(&kInvertBytes), 0);
  const std::tuple<const char*, std::function<void(hid_t)>, hid_t> filters[] = {
      {"shuffle", [](hid_t dcpl) { H5Pset_shuffle(dcpl); }, H5T_STD_U8LE},
      {"shuffle+deflate", [](hid_t dcpl) { H5Pset_shuffle(dcpl), H5Pset_deflate(dcpl, 1); },
       H5T_STD_U8LE},
      {"invert", [](hid_t dcpl) { H5Pset_filter(dcpl, 305, H5Z_FLAG_MANDATORY, 0, nullptr); },
       H5T_STD_U8LE},
      {"16-bit deflate", [](hid_t dcpl) { H5Pset_deflate(dcpl, 1); }, H5T_STD_U16LE}};
  for (const auto& [label, add, file_type] : filters) {
    SCOPED_TRACE(label);
    const fs::path file = dir_ / (std::string(label) + ".h5");
    WriteShard(file, spec, 0, 3);
    StorePixelsWithFilters(file, "blurred", add, file_type);
    StorePixelsWithFilters(file, "sharp", add, file_type);
    ShardReader reader(file);
    EXPECT_EQ(reader.spec().compression, 0);
    expect_pixels(reader, spec, false);
    EXPECT_EQ(reader.raw_chunk_reads(), 0);
  }
}

TEST_F(ShardTest, ChecksumOfADeflatedChunkCatchesEveryFlippedBit) {
  DatasetSpec spec = SmallSpec();
  spec.compression = 6;
  const fs::path file = dir_ / "gzip.h5";
  WriteShard(file, spec, 0, 2);
  // Sample 1's stored sharp chunk (zlib stream and checksum), found in the file.
  std::string chunk;
  {
    const hid_t h5 = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    const hid_t dataset = H5Dopen2(h5, "sharp", H5P_DEFAULT);
    const hsize_t offset[5] = {1, 0, 0, 0, 0};
    hsize_t stored = 0;
    uint32_t mask = 0;
    ASSERT_GE(H5Dget_chunk_storage_size(dataset, offset, &stored), 0);
    chunk.resize(stored);
    ASSERT_GE(H5Dread_chunk(dataset, H5P_DEFAULT, offset, &mask, chunk.data()), 0);
    H5Dclose(dataset);
    H5Fclose(h5);
  }
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto at = bytes.find(chunk);
  ASSERT_NE(at, std::string::npos);
  for (size_t bit = 0; bit < chunk.size() * 8; bit += 29) {
    std::string damaged = bytes;
    damaged[at + bit / 8] ^= char(1 << (bit % 8));
    const fs::path bad = dir_ / "flipped.h5";
    std::ofstream(bad, std::ios::binary) << damaged;
    ShardReader reader(bad);
    EXPECT_NO_THROW(reader.Read(0));
    EXPECT_THROW(reader.Read(1), InputError) << "bit " << bit;
  }
}

TEST_F(ShardTest, WrongSampleShapeIsRejectedWithItsId) {
  const DatasetSpec spec = SmallSpec();
  ShardWriter writer(dir_ / "x.h5", spec, 0, 1);
  Sample bad = MakeSample(spec, 0);
  bad.sharp.resize(bad.sharp.size() / 3);
  try {
    writer.Append(bad);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'s0'"), std::string::npos) << e.what();
  }
}

TEST_F(ShardTest, SpecCheckRefusesEvenFramesAndZeroSize) {
  DatasetSpec spec = SmallSpec();
  spec.frames = 4;
  EXPECT_THROW(spec.Check(), InputError);
  spec = SmallSpec();
  spec.width = 0;
  EXPECT_THROW(spec.Check(), InputError);
  spec = SmallSpec(DatasetKind::kPairs, 1);
  EXPECT_NO_THROW(spec.Check());
  spec = SmallSpec(DatasetKind::kRotation, 1);
  EXPECT_THROW(spec.Check(), InputError);
}

TEST_F(ShardTest, DatasetReaderReadsAcrossShardsAndShufflesByShard) {
  const DatasetSpec spec = SmallSpec();
  WriteDataset(spec, 10, 4);  // shards of 4, 4, 2
  DatasetReader reader(dir_);
  ASSERT_EQ(reader.size(), 10);
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(reader.Read(i).blurred, MakeSample(spec, i).blurred);
  EXPECT_THROW(reader.Read(10), InputError);

  const auto order = reader.ShuffledOrder(1, 0);
  ASSERT_EQ(order.size(), 10u);
  EXPECT_EQ(std::set<int64_t>(order.begin(), order.end()).size(), 10u);
  // Shard-level shuffling: consecutive samples come from one shard until it is exhausted.
  int switches = 0;
  for (size_t k = 1; k < order.size(); ++k) switches += (order[k] / 4 != order[k - 1] / 4);
  EXPECT_EQ(switches, 2);
  EXPECT_EQ(order, reader.ShuffledOrder(1, 0));
  EXPECT_NE(order, reader.ShuffledOrder(1, 1));
}

TEST_F(ShardTest, ShuffleWindowMixesSamplesOfSeveralShards) {
  const DatasetSpec spec = SmallSpec();
  WriteDataset(spec, 40, 4);  // 10 shards of 4
  DatasetReader reader(dir_);
  // A window of 5 shards: the first 20 samples come from exactly 5 shards, mixed.
  const auto order = reader.ShuffledOrder(3, 0, 5);
  ASSERT_EQ(std::set<int64_t>(order.begin(), order.end()).size(), 40u);
  std::set<int64_t> first_shards, second_shards;
  for (size_t k = 0; k < 20; ++k) first_shards.insert(order[k] / 4);
  for (size_t k = 20; k < 40; ++k) second_shards.insert(order[k] / 4);
  EXPECT_EQ(first_shards.size(), 5u);
  EXPECT_EQ(second_shards.size(), 5u);
  int switches = 0;
  for (size_t k = 1; k < order.size(); ++k) switches += (order[k] / 4 != order[k - 1] / 4);
  EXPECT_GT(switches, 20);  // one shard at a time would switch 9 times
  // A window as large as the dataset is a full shuffle; the order is still seeded.
  EXPECT_EQ(reader.ShuffledOrder(3, 0, 10), reader.ShuffledOrder(3, 0, 10));
  EXPECT_THROW(reader.ShuffledOrder(3, 0, 0), InputError);
}

TEST_F(ShardTest, VerifyPassesOnGoodDatasetAndNamesDamagedShard) {
  const DatasetSpec spec = SmallSpec();
  const DatasetIndex index = WriteDataset(spec, 6, 3);
  VerifyReport report = VerifyDataset(dir_);
  EXPECT_TRUE(report.ok()) << report.problems.front();
  EXPECT_EQ(report.samples_checked, 6);

  // Flip one byte in the middle of the second shard.
  const fs::path victim = dir_ / index.shards[1].file;
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(victim) / 2));
    f.put('\x5a');
  }
  report = VerifyDataset(dir_);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.problems.front().find(index.shards[1].file), std::string::npos)
      << report.problems.front();

  fs::resize_file(victim, 100);  // truncated
  report = VerifyDataset(dir_);
  ASSERT_FALSE(report.ok());
  bool names_truncated = false;
  for (const auto& p : report.problems) names_truncated |= p.find(index.shards[1].file) != std::string::npos;
  EXPECT_TRUE(names_truncated);
}

// Finds `needle` in a file and flips one bit of its first byte: damage at a known place.
void FlipBitAt(const fs::path& file, const std::vector<uint8_t>& needle) {
  std::ifstream in(file, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const std::vector<char> pattern(needle.begin(), needle.end());
  auto it = std::search(bytes.begin(), bytes.end(), pattern.begin(), pattern.end());
  ASSERT_NE(it, bytes.end()) << "pattern not found in " << file;
  *it ^= 0x10;
  std::ofstream(file, std::ios::binary).write(bytes.data(), bytes.size());
}

TEST_F(ShardTest, ChecksumsNameTheDamagedSampleAndTheDamagedMetadata) {
  const DatasetSpec spec = SmallSpec();
  WriteShard(dir_ / "a.h5", spec, 0, 3);
  EXPECT_TRUE(ShardReader(dir_ / "a.h5").checksummed());
  // One bit of sample 1's sharp frames (its random pixels are unique in the file).
  const Sample sample = MakeSample(spec, 1);
  FlipBitAt(dir_ / "a.h5", std::vector<uint8_t>(sample.sharp.begin() + 40, sample.sharp.begin() + 56));
  ShardReader reader(dir_ / "a.h5");
  EXPECT_NO_THROW(reader.Read(0));
  try {
    reader.Read(1);
    FAIL() << "a damaged sample was read";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("a.h5"), std::string::npos) << what;
    EXPECT_NE(what.find("'s1'"), std::string::npos) << what;
    EXPECT_NE(what.find("checksum"), std::string::npos) << what;
  }
  // One bit of a source file name: a metadata column, which HDF5 stores without a checksum.
  WriteShard(dir_ / "b.h5", spec, 0, 3);
  const std::string name = "src.png";
  FlipBitAt(dir_ / "b.h5", std::vector<uint8_t>(name.begin(), name.end()));
  try {
    ShardReader damaged(dir_ / "b.h5");
    FAIL() << "damaged metadata was read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("metadata"), std::string::npos) << e.what();
  }
}

TEST_F(ShardTest, SchemaOneShardsWrittenBeforeChecksumsStillRead) {
  const DatasetSpec spec = SmallSpec(DatasetKind::kVideo, 3);
  WriteShard(dir_ / "shard-00000-of-00001.h5", spec, 0, 2, ShardWriter::Format::kUnchecked);
  ShardReader reader(dir_ / "shard-00000-of-00001.h5");
  EXPECT_FALSE(reader.checksummed());
  EXPECT_EQ(reader.schema_version(), 1);
  EXPECT_EQ(reader.Read(1).sharp, MakeSample(spec, 1).sharp);
  // Its index.json, as schema 1 wrote it: no shard sizes.
  DatasetIndex index;
  index.schema_version = 1;
  index.spec = spec;
  index.num_samples = 2;
  index.shard_size = 2;
  index.complete = true;
  index.shards.push_back(DescribeShard(dir_ / "shard-00000-of-00001.h5", 0, 0, 2));
  index.shards.back().bytes = 0;
  index.Save(dir_ / "index.json");
  EXPECT_EQ(DatasetIndex::Load(dir_ / "index.json").ToJson().at("shards")[0].count("bytes"), 0u);
  DatasetReader dataset(dir_);
  EXPECT_EQ(dataset.Read(0).blurred, MakeSample(spec, 0).blurred);
  EXPECT_TRUE(VerifyDataset(dir_).ok());
}

TEST_F(ShardTest, ReaderRefusesATruncatedShardBeforeReadingAnySample) {
  const DatasetIndex index = WriteDataset(SmallSpec(), 4, 2);
  EXPECT_GT(index.shards[1].bytes, 0);
  fs::resize_file(dir_ / index.shards[1].file, index.shards[1].bytes - 1);
  try {
    DatasetReader reader(dir_);
    FAIL() << "a truncated shard was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(index.shards[1].file), std::string::npos) << e.what();
  }
}

TEST_F(ShardTest, IndexMayNotPointOutsideItsFolder) {
  for (const std::string bad : {"../x.h5", "/etc/passwd", "sub/x.h5", "..", ""}) {
    EXPECT_THROW(CheckShardFileName(bad, "index.json"), InputError) << bad;
  }
  EXPECT_NO_THROW(CheckShardFileName("shard-00000-of-00001.h5", "index.json"));
}

TEST_F(ShardTest, IncompleteIndexIsRefusedByReader) {
  const DatasetSpec spec = SmallSpec();
  DatasetIndex index = WriteDataset(spec, 4, 2);
  index.complete = false;
  index.Save(dir_ / "index.json");
  EXPECT_THROW(DatasetReader reader(dir_), InputError);
  EXPECT_FALSE(VerifyDataset(dir_).ok());
}

TEST_F(ShardTest, NonHdf5FileIsAClearError) {
  std::ofstream(dir_ / "junk.h5") << "this is not hdf5";
  try {
    ShardReader reader(dir_ / "junk.h5");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("junk.h5"), std::string::npos);
  }
}

TEST_F(ShardTest, PythonH5pyReadsAShardInThreeLines) {
  // docs/shards.md promises this; Debian's python3-h5py is installed by scripts/setup.sh.
  const DatasetSpec spec = SmallSpec();
  WriteShard(dir_ / "py.h5", spec, 0, 2);
  const Sample expected = MakeSample(spec, 1);
  const std::string script = dir_.string() + "/read.py";
  std::ofstream(script) << "import h5py\n"
                           "f = h5py.File('" << (dir_ / "py.h5").string() << "', 'r')\n"
                           "blurred, sharp = f['blurred'][1], f['sharp'][1]  # (H,W,3), (F,H,W,3)\n"
                           "assert blurred.shape == (6, 8, 3) and sharp.shape == (3, 6, 8, 3)\n"
                           "assert f.attrs['kind'] == 'rotation' and f.attrs['frames'] == 3\n"
                           "print(int(blurred.sum()), int(sharp.sum()), f['sample_id'].asstr()[1])\n";
  const std::string out = (dir_ / "out.txt").string();
  ASSERT_EQ(std::system(("/usr/bin/python3 " + script + " > " + out).c_str()), 0)
      << "python3-h5py could not read the shard";
  std::ifstream in(out);
  long long blurred_sum = 0, sharp_sum = 0;
  std::string id;
  in >> blurred_sum >> sharp_sum >> id;
  long long want_b = 0, want_s = 0;
  for (auto v : expected.blurred) want_b += v;
  for (auto v : expected.sharp) want_s += v;
  EXPECT_EQ(blurred_sum, want_b);
  EXPECT_EQ(sharp_sum, want_s);
  EXPECT_EQ(id, "s1");
}


TEST_F(ShardTest, TrajectoriesOfDifferentLengthsRoundTripZeroPadded) {
  // Every sub-frame's orientation, M = the longest path, zero rows after each sample's last.
  const DatasetSpec spec = SmallSpec();
  std::vector<Sample> written;
  ShardWriter writer(dir_ / "t.h5", spec, 0, 3);
  for (int i = 0; i < 3; ++i) {
    Sample s = MakeSample(spec, i);
    for (int k = 0; k < 3 + 4 * i; ++k) {
      const double a = 0.01 * k;
      s.trajectory.insert(s.trajectory.end(), {std::cos(a), 0.0, std::sin(a), 0.0});
    }
    written.push_back(s);
    writer.Append(s);
  }
  writer.Commit();
  ShardReader reader(dir_ / "t.h5");
  ASSERT_TRUE(reader.has_trajectory());
  EXPECT_EQ(reader.trajectory_lengths(), (std::vector<int64_t>{3, 7, 11}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(reader.Read(i).trajectory, written[i].trajectory);
  // A shard without trajectories (written before they existed) still reads, with none.
  WriteShard(dir_ / "old.h5", spec, 0, 2);
  ShardReader old(dir_ / "old.h5");
  EXPECT_FALSE(old.has_trajectory());
  EXPECT_TRUE(old.Read(1).trajectory.empty());
  EXPECT_EQ(old.Read(1).orientation, MakeSample(spec, 1).orientation);
}

TEST_F(ShardTest, TrajectoryIsCoveredByTheMetadataDigest) {
  const DatasetSpec spec = SmallSpec();
  {
    ShardWriter writer(dir_ / "t.h5", spec, 0, 1);
    Sample s = MakeSample(spec, 0);
    s.trajectory = {1.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 0.5};
    writer.Append(s);
    writer.Commit();
  }
  // 0.5 as a little-endian float64 is 00 00 00 00 00 00 E0 3F; flip a bit of the first one found.
  std::ifstream in(dir_ / "t.h5", std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const std::vector<char> half{0, 0, 0, 0, 0, 0, char(0xE0), 0x3F};
  auto it = std::search(bytes.begin(), bytes.end(), half.begin(), half.end());
  ASSERT_NE(it, bytes.end());
  it[7] ^= 0x01;
  std::ofstream(dir_ / "t.h5", std::ios::binary).write(bytes.data(), bytes.size());
  try {
    ShardReader reader(dir_ / "t.h5");
    FAIL() << "a changed trajectory was not noticed";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("checksum error in the per-sample metadata"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace blurkit
