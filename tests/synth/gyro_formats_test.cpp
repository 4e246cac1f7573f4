// Recorded camera motion: GoPro GPMF (raw streams of six camera models from the sample data, and an
// MP4 with a gpmd track written here), Gyroflow .gcsv, logger-app CSVs; axes checked physically
// (a camera's accelerometer reads gravity's reaction, up: -y in blurkit's frame); bad input named
// by file and byte or line; a fuzz of truncations and bit flips finds no crash and no garbage.
#include "blurkit/synth/gyro_formats.h"

extern "C" {
#include <libavformat/avformat.h>
}

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "blurkit/core/error.h"
#include "blurkit/core/random.h"
#include "blurkit/synth/rotation_path.h"

namespace blurkit::synth {
namespace {
namespace fs = std::filesystem;

fs::path Samples() {
  const char* root = std::getenv("BLURKIT_SOURCE_DIR");
  return fs::path(root ? root : ".") / "data" / "samples" / "gyro" / "gopro";
}

std::string ReadBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class GyroFormatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("blurkit_gyro_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    ASSERT_TRUE(fs::exists(Samples() / "hero11.raw")) << "sample data missing: run scripts/fetch_samples.sh";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return dir_ / name;
  }
  static std::string ErrorOf(const fs::path& file, const GyroFileOptions& o = {}) {
    try {
      ReadGyroRecording(file, o);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
  static Eigen::Vector3d MeanAccel(const GyroRecording& r) {
    Eigen::Vector3d a = Eigen::Vector3d::Zero();
    for (const auto& v : r.accel) a += v;
    return a / double(r.accel.size());
  }
  fs::path dir_;
};

// The six camera families of the sample data. The rate is given only where the stream carries no
// end time of its own (one payload with TICK, or no STMP or TICK at all): GoPro's documented rates.
struct Family {
  const char* file;
  const char* device;
  double rate;     // --gyro-rate where needed, else 0
  size_t samples;  // gyroscope samples
  const char* axes;
  bool level;      // the recording was held about level (gravity's reaction along -y)
};
const Family kFamilies[] = {
    {"hero5.raw", "Camera", 400, 399, "documented order of Camera (ZXY)", true},
    {"hero6.raw", "Hero6 Black", 200, 204, "documented order of Hero6 Black (YxZ)", false},
    {"hero7.raw", "Hero7 Black", 200, 3369, "MTRX with ORIO ZXY", false},
    {"hero11.raw", "HERO11 Black", 0, 2192, "ORIN ZXY", true},
    {"fusion.raw", "Fusion", 3200, 3300, "documented order of Fusion (yXZ)", true},
    {"karma.raw", "Camera", 400, 392, "documented order of Camera (ZXY)", true},
};

TEST_F(GyroFormatsTest, EveryCameraFamilyReadsWithItsAxesAndTimes) {
  for (const Family& f : kFamilies) {
    SCOPED_TRACE(f.file);
    GyroFileOptions o;
    o.rate = f.rate;
    const GyroRecording r = ReadGyroRecording(Samples() / f.file, o);
    EXPECT_EQ(r.format, "gpmf");
    EXPECT_EQ(r.device, f.device);
    EXPECT_EQ(r.t.size(), f.samples);
    EXPECT_EQ(r.w.size(), f.samples);
    EXPECT_NE(r.axes.find(f.axes), std::string::npos) << r.axes;
    for (size_t i = 1; i < r.t.size(); ++i) ASSERT_GT(r.t[i], r.t[i - 1]) << i;
    for (const auto& w : r.w) ASSERT_LT(w.norm(), 35.0);  // a GoPro's gyro saturates near 2000 deg/s
    EXPECT_FALSE(r.exposure.empty());  // SHUT
    for (double e : r.exposure) EXPECT_TRUE(e > 0 && e < 0.05) << e;
    // Gravity: |mean accelerometer| about 9.8 m/s^2 (less where the camera turns during the
    // recording: hero7.raw's 17 s average 7.6) and, for the recordings held about level, along
    // -y: the physical check of the axis mapping (hero6.raw's camera points its lens down,
    // hero7.raw's is mounted upside down: their gravity lies along -z and +y, also checked).
    ASSERT_FALSE(r.accel.empty());
    const Eigen::Vector3d g = MeanAccel(r);
    EXPECT_NEAR(g.norm(), 9.8, 2.5) << g.transpose();
    if (f.level) {
      EXPECT_LT(g.y(), -0.85 * g.norm()) << g.transpose();
    }
  }
  const Eigen::Vector3d down = MeanAccel(ReadGyroRecording(Samples() / "hero6.raw", [] {
    GyroFileOptions o;
    o.rate = 200;
    return o;
  }()));
  EXPECT_LT(down.z(), -0.9 * down.norm()) << down.transpose();
  const Eigen::Vector3d flipped = MeanAccel(ReadGyroRecording(Samples() / "hero7.raw", [] {
    GyroFileOptions o;
    o.rate = 200;
    return o;
  }()));
  EXPECT_GT(flipped.y(), 0.7 * flipped.norm()) << flipped.transpose();
}

TEST_F(GyroFormatsTest, TimesComeFromTheStreamAndNeverFromAMadeUpRate) {
  // HERO11 carries STMP (microseconds): 11 payloads, ~200 Hz measured.
  const GyroRecording h11 = ReadGyroRecording(Samples() / "hero11.raw");
  EXPECT_NE(h11.timing.find("STMP"), std::string::npos);
  const double rate = (h11.t.size() - 1) / (h11.t.back() - h11.t.front());
  EXPECT_NEAR(rate, 200, 5);
  // HERO7's raw stream has neither STMP nor TICK: without its MP4 or a given rate, a clear error.
  const std::string e = ErrorOf(Samples() / "hero7.raw");
  EXPECT_NE(e.find("hero7.raw: byte "), std::string::npos) << e;
  EXPECT_NE(e.find("--gyro-rate"), std::string::npos) << e;
  // One payload with a start (TICK) and no end: the rate is unknown, likewise.
  EXPECT_NE(ErrorOf(Samples() / "hero5.raw").find("one payload and no end time"), std::string::npos);
}

TEST_F(GyroFormatsTest, GyroLogLoadsGoproLogsAndTheirShutterTimes) {
  const auto log = GyroLog::Load(Samples() / "hero11.raw");
  EXPECT_EQ(log->size(), 2192u);
  EXPECT_NEAR(log->duration(), 10.99, 0.05);
  EXPECT_EQ(log->exposures().size(), 274u);
  EXPECT_EQ(log->sha256().size(), 64u);
}

// ---- an MP4 with a gpmd track, written here with FFmpeg's mov muxer --------------------------

// Writes the payloads of a raw GPMF stream (its DEVC entries) as packets of a gpmd data track,
// one per second. Returns false where this FFmpeg cannot write such a track.
bool WriteGpmdMp4(const fs::path& file, const std::string& raw, std::vector<size_t>* payload_sizes) {
  AVFormatContext* out = nullptr;
  if (avformat_alloc_output_context2(&out, nullptr, "mov", file.c_str()) < 0 || !out) return false;
  AVStream* st = avformat_new_stream(out, nullptr);
  st->codecpar->codec_type = AVMEDIA_TYPE_DATA;
  st->codecpar->codec_id = AV_CODEC_ID_BIN_DATA;
  st->codecpar->codec_tag = MKTAG('g', 'p', 'm', 'd');
  st->time_base = AVRational{1, 1000};
  bool ok = avio_open(&out->pb, file.c_str(), AVIO_FLAG_WRITE) >= 0 && avformat_write_header(out, nullptr) >= 0;
  // Split into top-level DEVC entries.
  size_t at = 0;
  int64_t k = 0;
  while (ok && at + 8 <= raw.size()) {
    const auto* p = reinterpret_cast<const uint8_t*>(raw.data() + at);
    const size_t bytes = size_t(p[5]) * ((p[6] << 8) | p[7]);
    const size_t next = at + 8 + ((bytes + 3) & ~size_t(3));
    AVPacket* pkt = av_packet_alloc();
    av_new_packet(pkt, int(next - at));
    std::memcpy(pkt->data, raw.data() + at, next - at);
    pkt->stream_index = st->index;
    pkt->pts = pkt->dts = av_rescale_q(k * 1001, AVRational{1, 1000}, st->time_base);
    pkt->duration = av_rescale_q(1001, AVRational{1, 1000}, st->time_base);
    ok = av_interleaved_write_frame(out, pkt) >= 0;
    av_packet_free(&pkt);
    payload_sizes->push_back(next - at);
    at = next;
    ++k;
  }
  ok = ok && av_write_trailer(out) >= 0;
  avio_closep(&out->pb);
  avformat_free_context(out);
  return ok;
}

TEST_F(GyroFormatsTest, AnMp4sGpmdTrackGivesEachPayloadItsTime) {
  // HERO7's raw stream has no times of its own; in an MP4 its payloads get the track's (1.001 s
  // apart here), so no rate is needed, and the samples equal the raw stream's.
  const std::string raw = ReadBytes(Samples() / "hero7.raw");
  std::vector<size_t> sizes;
  const fs::path mp4 = dir_ / "hero7.mp4";
  ASSERT_TRUE(WriteGpmdMp4(mp4, raw, &sizes)) << "FFmpeg's mov muxer refused a gpmd track";
  ASSERT_EQ(sizes.size(), 17u);
  const GyroRecording r = ReadGyroRecording(mp4);
  EXPECT_EQ(r.format, "gpmf-mp4");
  EXPECT_EQ(r.timing, "the MP4 track");
  GyroFileOptions o;
  o.rate = 200;
  const GyroRecording plain = ReadGyroRecording(Samples() / "hero7.raw", o);
  ASSERT_EQ(r.w.size(), plain.w.size());
  for (size_t i = 0; i < r.w.size(); ++i) ASSERT_EQ(r.w[i], plain.w[i]) << i;
  EXPECT_NEAR(r.t.front(), 0.0, 1e-9);
  // The first payload's samples span its 1.001 s.
  EXPECT_NEAR(r.t[189] - r.t[0], 1.001, 1e-9);
  // An MP4 without telemetry: the error lists the streams it has.
  const fs::path plain_mp4 = dir_ / "no_gpmd.mp4";
  {
    AVFormatContext* out = nullptr;
    ASSERT_GE(avformat_alloc_output_context2(&out, nullptr, "mp4", plain_mp4.c_str()), 0);
    AVStream* st = avformat_new_stream(out, nullptr);
    st->codecpar->codec_type = AVMEDIA_TYPE_SUBTITLE;
    st->codecpar->codec_id = AV_CODEC_ID_MOV_TEXT;
    st->time_base = AVRational{1, 1000};
    ASSERT_GE(avio_open(&out->pb, plain_mp4.c_str(), AVIO_FLAG_WRITE), 0);
    ASSERT_GE(avformat_write_header(out, nullptr), 0);
    ASSERT_GE(av_write_trailer(out), 0);
    avio_closep(&out->pb);
    avformat_free_context(out);
  }
  const std::string e = ErrorOf(plain_mp4);
  EXPECT_NE(e.find("no_gpmd.mp4: no GPMF telemetry track ('gpmd'); its streams: #0 subtitle"), std::string::npos) << e;
}

// ---- text logs -----------------------------------------------------------------------------

TEST_F(GyroFormatsTest, GyroflowGcsvIsScaledAndTurnedIntoTheCameraFrame) {
  // A rate of +1 rad/s about Gyroflow's x (up) in raw units of 0.001 rad/s, with orientation
  // XYZ (raw = Gyroflow's axes): in blurkit's frame, a turn about up is about -y.
  const std::string gcsv =
      "GYROFLOW IMU LOG\nversion,1.3\nid,test\norientation,XYZ\ntscale,0.001\ngscale,0.001\nascale,1\n"
      "t,gx,gy,gz,ax,ay,az\n0,1000,0,0,1,0,0\n5,1000,0,0,1,0,0\n10,1000,0,0,1,0,0\n";
  const GyroRecording r = ReadGyroRecording(Write("a.gcsv", gcsv));
  EXPECT_EQ(r.format, "gcsv");
  ASSERT_EQ(r.t.size(), 3u);
  EXPECT_DOUBLE_EQ(r.t[1], 0.005);
  EXPECT_TRUE(r.w[0].isApprox(Eigen::Vector3d(0, -1, 0))) << r.w[0].transpose();
  // 1 g along Gyroflow's up reads -9.81 m/s^2 along blurkit's y.
  EXPECT_TRUE(r.accel[0].isApprox(Eigen::Vector3d(0, -9.80665, 0))) << r.accel[0].transpose();
  // The orientation string permutes and negates: "yXz" puts -raw y on x, raw x on y, -raw z on z.
  const GyroRecording p = ReadGyroRecording(Write(
      "b.gcsv", "GYROFLOW IMU LOG\nversion,1.3\norientation,yXz\ntscale,1\ngscale,1\nt,gx,gy,gz\n0,1,2,3\n1,1,2,3\n"));
  // Gyroflow axes (-2, 1, -3) -> blurkit (-1, 2, 3).
  EXPECT_TRUE(p.w[0].isApprox(Eigen::Vector3d(-1, 2, 3))) << p.w[0].transpose();
  const std::string e = ErrorOf(Write("c.gcsv", "GYROFLOW IMU LOG\nversion,1.3\norientation,XQZ\nt,gx,gy,gz\n0,1,2,3\n1,1,2,3\n"));
  EXPECT_NE(e.find("c.gcsv:3: orientation: 'XQZ' is not an axis mapping"), std::string::npos) << e;
}

TEST_F(GyroFormatsTest, LoggerAppCsvsAreFoundFromTheirHeaderAndMapped) {
  // Sensor Logger: time in ns, columns z,y,x, phone axes (x right, y up, z out of the screen):
  // a turn about the phone's y (up) is a turn about blurkit's -y.
  const GyroRecording s = ReadGyroRecording(Write(
      "Gyroscope.csv", "time,seconds_elapsed,z,y,x\n1000000000,0,0.3,0.5,0.1\n1010000000,0.01,0.3,0.5,0.1\n"));
  ASSERT_EQ(s.t.size(), 2u);
  EXPECT_NEAR(s.t[1] - s.t[0], 0.01, 1e-12);
  EXPECT_TRUE(s.w[0].isApprox(Eigen::Vector3d(0.1, -0.5, -0.3))) << s.w[0].transpose();
  EXPECT_NE(s.axes.find("sensor-logger"), std::string::npos);
  // phyphox.
  const GyroRecording p = ReadGyroRecording(Write(
      "phyphox.csv", "\"Time (s)\",\"Gyroscope x (rad/s)\",\"Gyroscope y (rad/s)\",\"Gyroscope z (rad/s)\"\n"
                     "0.0,1,2,3\n0.002,1,2,3\n"));
  EXPECT_TRUE(p.w[0].isApprox(Eigen::Vector3d(1, -2, -3))) << p.w[0].transpose();
  // Any CSV by its columns, time unit and axes.
  GyroFileOptions o;
  o.columns = "stamp,rx,ry,rz";
  o.time_unit = "ms";
  o.axes = "zYx";
  const GyroRecording c = ReadGyroRecording(Write("any.csv", "rz,stamp,rx,ry\n3,0,1,2\n3,4,1,2\n"), o);
  EXPECT_NEAR(c.t[1], 0.004, 1e-12);
  EXPECT_TRUE(c.w[0].isApprox(Eigen::Vector3d(-3, 2, -1))) << c.w[0].transpose();
  // Columns that are not there, and times that go backwards, are named.
  o.columns = "stamp,rx,ry,omega";
  std::string e = ErrorOf(dir_ / "any.csv", o);
  EXPECT_NE(e.find("any.csv:1: no column 'omega' in the header 'rz,stamp,rx,ry'"), std::string::npos) << e;
  o.columns = "stamp,rx,ry,rz";
  e = ErrorOf(Write("back.csv", "rz,stamp,rx,ry\n3,0,1,2\n3,4,1,2\n3,2,1,2\n"), o);
  EXPECT_NE(e.find("back.csv:4: time 0.002 s does not increase"), std::string::npos) << e;
  o.axes = "XXZ";
  e = ErrorOf(dir_ / "any.csv", o);
  EXPECT_NE(e.find("--gyro-axes: 'XXZ' is not an axis mapping"), std::string::npos) << e;
}

// ---- damaged GPMF --------------------------------------------------------------------------

TEST_F(GyroFormatsTest, DamagedGpmfIsAnErrorWithItsByteOffset) {
  const std::string raw = ReadBytes(Samples() / "hero11.raw");
  std::string e = ErrorOf(Write("cut.raw", raw.substr(0, 5000)));
  EXPECT_NE(e.find("cut.raw: byte "), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
  std::string bad = raw;
  bad[8] = '\x01';  // the first entry's key inside DEVC is no longer a key
  e = ErrorOf(Write("bad.raw", bad));
  EXPECT_NE(e.find("bad.raw: byte 8: not a GPMF key"), std::string::npos) << e;
  // A stream of another kind of device: no gyroscope, the devices named.
  e = ErrorOf(Write("none.raw", std::string("DEVC\0\x01\0\x10", 8) + std::string("DVNM" "c\x01\0\x08" "Odometer", 16)));
  EXPECT_NE(e.find("none.raw: no gyroscope (GYRO) in the GPMF data; devices: Odometer"), std::string::npos) << e;
}

TEST_F(GyroFormatsTest, FuzzedStreamsNeverCrashOrReadGarbage) {
  // Truncations and bit flips of every sample stream: each read either fails with InputError or
  // gives times that increase and finite rates, as many as the stream's samples at most.
  RandomStream rng(2026, RandomPurpose::kSampleNoise, 0);
  int runs = 0, refused = 0;
  for (const Family& f : kFamilies) {
    const std::string raw = ReadBytes(Samples() / f.file);
    GyroFileOptions o;
    o.rate = 200;
    for (int k = 0; k < 500; ++k, ++runs) {
      std::string bytes = raw;
      if (k % 2 == 0) {
        bytes.resize(rng.UniformInt(bytes.size()));
      } else {
        for (int flips = 1 + int(rng.UniformInt(8)); flips > 0; --flips) {
          bytes[rng.UniformInt(bytes.size())] ^= char(1 << rng.UniformInt(8));
        }
      }
      try {
        const GyroRecording r = ReadGyroBytes(bytes, f.file, o);
        ASSERT_EQ(r.t.size(), r.w.size());
        ASSERT_GE(r.t.size(), 2u);
        for (size_t i = 1; i < r.t.size(); ++i) ASSERT_GT(r.t[i], r.t[i - 1]) << f.file << " run " << k;
        for (const auto& w : r.w) ASSERT_TRUE(w.allFinite()) << f.file << " run " << k;
      } catch (const InputError& e) {
        ++refused;
        ASSERT_NE(std::string(e.what()).find(f.file), std::string::npos) << e.what();
      }
    }
  }
  EXPECT_EQ(runs, 3000);
  EXPECT_GT(refused, runs / 4);  // most truncations cut a header or an entry
}

}  // namespace
}  // namespace blurkit::synth
