// The gyroscope log readers (GPMF, MP4, Gyroflow .gcsv, CSV) under a seeded mutation fuzz, built with
// AddressSanitizer and UndefinedBehaviorSanitizer (any out-of-bounds read, overflowing conversion or
// other undefined behaviour aborts the test). Every mutated input is either refused with an
// InputError that names it, or read into what the readers promise: at least two samples, times
// that increase, finite rates, and never more samples than the input can hold (one per 3 bytes of
// GPMF, one per line of text). Bounded: a fixed number of inputs per reader, the same every run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "blurkit/core/error.h"
#include "blurkit/synth/gyro_formats.h"
#include "gpmf_fixtures.h"

namespace blurkit::synth {
namespace {
namespace fs = std::filesystem;
using namespace blurkit::synth::testing;

const char* const kSamples[] = {"hero5.raw", "hero6.raw", "hero7.raw", "hero11.raw", "fusion.raw", "karma.raw"};

// Checks one read; returns true where it was refused.
bool ReadAndCheck(const std::function<GyroRecording()>& read, const std::string& name, size_t max_samples,
                  const std::string& trace) {
  try {
    const GyroRecording r = read();
    EXPECT_EQ(r.t.size(), r.w.size()) << trace;
    EXPECT_GE(r.t.size(), 2u) << trace;
    EXPECT_LE(r.t.size(), max_samples) << trace;
    for (size_t i = 1; i < r.t.size(); ++i) {
      if (!(r.t[i] > r.t[i - 1])) {
        ADD_FAILURE() << trace << ": sample " << i;
        break;
      }
    }
    for (size_t i = 0; i < r.w.size(); ++i) {
      if (!std::isfinite(r.t[i]) || !r.w[i].allFinite()) {
        ADD_FAILURE() << trace << ": sample " << i << " not finite";
        break;
      }
    }
    return false;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << trace << ": " << e.what();
    return true;
  }
}

// A mutation of GPMF bytes: a cut, bit flips, a byte set to a boundary value, or a KLV header's
// type, size or repeat changed (the header fields decide every length the walker trusts).
std::string MutateGpmf(const std::string& raw, std::mt19937_64& rng) {
  std::string b = raw;
  auto pick = [&](size_t n) { return size_t(rng() % std::max<size_t>(n, 1)); };
  switch (rng() % 5) {
    case 0:
      b.resize(pick(b.size()));
      break;
    case 1:
      for (int f = 1 + int(rng() % 8); f > 0; --f) b[pick(b.size())] ^= char(1 << (rng() % 8));
      break;
    case 2: {
      const char values[] = {0, 1, 0x7f, char(0x80), char(0xff)};
      for (int f = 1 + int(rng() % 4); f > 0; --f) b[pick(b.size())] = values[rng() % 5];
      break;
    }
    default: {
      // A header: keys start on 4-byte boundaries; change the type, size or repeat of one.
      const size_t at = pick(b.size() / 4) * 4;
      if (at + 8 > b.size()) break;
      const char types[] = {'b', 'B', 's', 'S', 'l', 'L', 'f', 'd', 'j', 'J', 'q', 'Q', 'F', 'c', '?', 0};
      switch (rng() % 3) {
        case 0: b[at + 4] = types[rng() % sizeof types]; break;
        case 1: b[at + 5] = char(rng() % 256); break;
        default: b[at + 6] = char(rng() % 256); b[at + 7] = char(rng() % 256); break;
      }
    }
  }
  return b;
}

TEST(GyroReadersFuzz, GpmfStreamsAreRefusedOrGiveAtMostOneSamplePerThreeBytes) {
  std::mt19937_64 rng(2026);
  int runs = 0, refused = 0;
  for (const char* file : kSamples) {
    const std::string raw = ReadBytes(GoproSamples() / file);
    ASSERT_FALSE(raw.empty()) << file << ": sample data missing: run scripts/fetch_samples.sh";
    for (int k = 0; k < 400; ++k, ++runs) {
      const std::string bytes = MutateGpmf(raw, rng);
      GyroFileOptions o;
      o.rate = (k % 3 == 0) ? 0 : 200;
      refused += ReadAndCheck([&] { return ReadGyroBytes(bytes, file, o); }, file, bytes.size() / 3,
                              std::string(file) + " run " + std::to_string(k));
    }
  }
  EXPECT_EQ(runs, 2400);
  EXPECT_GT(refused, runs / 4);  // most cuts and header changes are refused
  EXPECT_LT(refused, runs);      // and some mutations still read
}

TEST(GyroReadersFuzz, DeviceIdsOfAnyTypeAndValueAreComparedNeverConverted) {
  // DVID as NaN, infinite, negative or huge floats and doubles: the same device either way.
  const std::string stream = Nest("STRM", Klv("SCAL", 's', 2, 1, Be16(1)) + Text("ORIN", "ZXY") +
                                              Klv("STMP", 'J', 8, 1, Be64(0)) + Gyro({1, 2, 3, 4, 5, 6}));
  const std::string last = Nest("STRM", Klv("SCAL", 's', 2, 1, Be16(1)) + Text("ORIN", "ZXY") +
                                            Klv("STMP", 'J', 8, 1, Be64(10000)) + Gyro({1, 2, 3, 4, 5, 6}) +
                                            Klv("TICK", 'L', 4, 1, Be32(10)) + Klv("TOCK", 'L', 4, 1, Be32(30)));
  for (const std::string& id : {Klv("DVID", 'f', 4, 1, Float(NAN)), Klv("DVID", 'f', 4, 1, Float(INFINITY)),
                                Klv("DVID", 'f', 4, 1, Float(-1e30f)), Klv("DVID", 'd', 8, 1, Be64(~0ull)),
                                Klv("DVID", 'F', 4, 1, "HLMT"), Klv("DVID", 'L', 4, 1, Be32(~0u))}) {
    const std::string bytes = Nest("DEVC", id + Text("DVNM", "HERO11 Black") + stream) +
                              Nest("DEVC", id + Text("DVNM", "HERO11 Black") + last);
    const GyroRecording r = ReadGyroBytes(bytes, "dvid.raw");
    EXPECT_EQ(r.t.size(), 4u);  // both payloads belong to the one device
  }
}

TEST(GyroReadersFuzz, Mp4GpmdTracksAreRefusedOrGiveAtMostOneSamplePerThreeBytes) {
  const fs::path dir = fs::temp_directory_path() / ("blurkit_gyro_fuzz_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path clean = dir / "hero11.mp4";
  ASSERT_TRUE(WriteGpmdMp4(clean, SplitPayloads(ReadBytes(GoproSamples() / "hero11.raw"))));
  const std::string mp4 = ReadBytes(clean);
  std::mt19937_64 rng(7);
  int refused = 0;
  for (int k = 0; k < 150; ++k) {
    std::string b = mp4;
    if (k % 3 == 0) {
      b.resize(rng() % b.size());
    } else {
      for (int f = 1 + int(rng() % 16); f > 0; --f) b[rng() % b.size()] ^= char(1 << (rng() % 8));
    }
    const fs::path file = dir / "mutated.mp4";
    std::ofstream(file, std::ios::binary) << b;
    refused += ReadAndCheck([&] { return ReadGyroRecording(file); }, "mutated.mp4", b.size() / 3,
                            "mp4 run " + std::to_string(k));
  }
  EXPECT_GT(refused, 0);
  fs::remove_all(dir);
}

// Text: rows of a valid log with cells replaced by what breaks parsers (huge or tiny numbers, NaN,
// signs, quotes, decimal commas, other delimiters, empty cells), under every kind of options.
std::string MutateText(const std::string& text, std::mt19937_64& rng) {
  const char* const junk[] = {"1e400", "-1e400", "nan", "inf", "1e10", "-1", "\"", "\"\"", ",", ";", "\t", " ",
                              "0,5", "4294967296", "-0", "0x10", "", "#", "\r", "\n", "9999999999999999999999"};
  std::string b = text;
  for (int f = 1 + int(rng() % 6); f > 0; --f) {
    const size_t at = rng() % (b.size() + 1);
    const std::string j = junk[rng() % (sizeof junk / sizeof *junk)];
    if (rng() % 2) b.insert(at, j);
    else b.replace(at, std::min<size_t>(1 + rng() % 6, b.size() - at), j);
  }
  if (rng() % 8 == 0) b.resize(rng() % (b.size() + 1));
  return b;
}

TEST(GyroReadersFuzz, TextLogsAreRefusedOrGiveAtMostOneSamplePerLine) {
  std::string csv = "t,wx,wy,wz\n", semicolon = "\"Time (s)\";\"Gyroscope x (rad/s)\";\"Gyroscope y (rad/s)\";"
                                                "\"Gyroscope z (rad/s)\"\n";
  std::string gcsv = "GYROFLOW IMU LOG\nversion,1.3\nid,fuzz\norientation,YxZ\ntscale,0.001\ngscale,0.01\nascale,1\n"
                     "t,gx,gy,gz,ax,ay,az\n";
  std::string logger = "time,seconds_elapsed,z,y,x\n";
  for (int i = 0; i < 40; ++i) {
    csv += std::to_string(i * 0.005) + "," + std::to_string(0.1 * i) + ",0.2,-0.3\n";
    semicolon += std::to_string(i) + ",5E-3;1,5;-2,25E-1;0\n";
    gcsv += std::to_string(i * 5) + ",10,-20,30,0,1,0\n";
    logger += std::to_string(1000000000LL + i * 5000000LL) + "," + std::to_string(i * 0.005) + ",0.1,0.2,0.3\n";
  }
  const std::string bases[] = {csv, semicolon, gcsv, logger};
  GyroFileOptions options[6];
  options[1].columns = "t,wx,wy,wz";
  options[2].columns = "1e10,1,2,3";
  options[3].columns = "-1,1,2,3";
  options[4].columns = "3,2,1,0";
  options[4].time_unit = "ns";
  options[4].axes = "zYx";
  options[5].preset = "phyphox";
  std::mt19937_64 rng(11);
  int runs = 0, refused = 0;
  for (int k = 0; k < 3000; ++k, ++runs) {
    const std::string text = MutateText(bases[k % 4], rng);
    const GyroFileOptions& o = options[(k / 4) % 6];
    const size_t lines = size_t(std::count(text.begin(), text.end(), '\n')) + 1;
    refused += ReadAndCheck([&] { return ReadGyroBytes(text, "fuzz.csv", o); }, "fuzz.csv", lines,
                            "text run " + std::to_string(k));
  }
  EXPECT_GT(refused, runs / 4);
  EXPECT_LT(refused, runs);
}

}  // namespace
}  // namespace blurkit::synth
