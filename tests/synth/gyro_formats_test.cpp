// Recorded camera motion: GoPro GPMF (raw streams of six camera models from the sample data, and an
// MP4 with a gpmd track written here), Gyroflow .gcsv, logger-app CSVs; axes checked physically
// (a camera's accelerometer reads gravity's reaction, up: -y in blurkit's frame); bad input named
// by file and byte or line; the bounds that hostile files meet (the seeded fuzz of every reader under
// the sanitizers is gyro_fuzz_test.cpp).
#include "blurkit/synth/gyro_formats.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "blurkit/core/error.h"
#include "blurkit/core/random.h"
#include "blurkit/synth/rotation_path.h"
#include "gpmf_fixtures.h"

namespace blurkit::synth {
namespace {
namespace fs = std::filesystem;
using namespace blurkit::synth::testing;

fs::path Samples() { return GoproSamples(); }

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

TEST_F(GyroFormatsTest, AnMp4sGpmdTrackGivesEachPayloadItsTime) {
  // HERO7's raw stream has no times of its own; in an MP4 its payloads get the track's (1.001 s
  // apart here), so no rate is needed, and the samples equal the raw stream's.
  const std::string raw = ReadBytes(Samples() / "hero7.raw");
  const std::vector<std::string> payloads = SplitPayloads(raw);
  const fs::path mp4 = dir_ / "hero7.mp4";
  ASSERT_TRUE(WriteGpmdMp4(mp4, payloads)) << "FFmpeg's mov muxer refused a gpmd track";
  ASSERT_EQ(payloads.size(), 17u);
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

// ---- bounds and rules that hostile or unusual files meet --------------------------------------

TEST_F(GyroFormatsTest, GyroColumnsAreWholeIndicesBelowTenThousandOrHeaderNames) {
  // `--gyro-columns 1e10,1,2,3` on a valid log once converted 1e10 to int (undefined behaviour,
  // then a read out of bounds): indices are digits only, below 10000, and inside the rows.
  const fs::path log = Write("log.csv", "t,wx,wy,wz\n0,0,0,0\n0.01,0,0,0\n0.02,0,0,0\n");
  GyroFileOptions o;
  for (const char* columns : {"1e10,1,2,3", "-1,1,2,3", "2.5,1,2,3", "4294967296,1,2,3", "10000,1,2,3"}) {
    o.columns = columns;
    const std::string e = ErrorOf(log, o);
    EXPECT_NE(e.find("log.csv:1: no column '"), std::string::npos) << columns << ": " << e;
  }
  o.columns = "1e10,1,2,3";
  EXPECT_NE(ErrorOf(log, o).find("a column index is a whole number below 10000"), std::string::npos);
  o.columns = "0,1,2,7";
  EXPECT_NE(ErrorOf(log, o).find("log.csv:1: --gyro-columns 0,1,2,7 names column 7, the file's rows have 4 cells"),
            std::string::npos)
      << ErrorOf(log, o);
  o.columns = "3,2,1,0";
  EXPECT_EQ(ReadGyroRecording(Write("rev.csv", "wz,wy,wx,t\n3,2,1,0\n3,2,1,0.5\n"), o).w[0], Eigen::Vector3d(1, 2, 3));
}

TEST_F(GyroFormatsTest, NamedPipesFoldersAndMissingFilesAreRefusedWithoutBlocking) {
  // Opening a FIFO blocks until a writer comes, and reading it never ends: refused by its type.
  const fs::path fifo = dir_ / "log.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string e = ErrorOf(fifo);
  EXPECT_NE(e.find("log.fifo: not a regular file (a folder, named pipe or device)"), std::string::npos) << e;
  e = ErrorOf(dir_);
  EXPECT_NE(e.find("not a regular file"), std::string::npos) << e;
  e = ErrorOf(dir_ / "missing.csv");
  EXPECT_NE(e.find("missing.csv: cannot open the gyroscope log (no such file)"), std::string::npos) << e;
}

TEST_F(GyroFormatsTest, LinesLongerThanSixtyFourKilobytesAreRefused) {
  const std::string e = ErrorOf(Write("long.csv", "t,wx,wy,wz\n0,0,0,0\n" + std::string(70000, '1') + ",0,0,0\n"));
  EXPECT_NE(e.find("long.csv:3: a line of more than 65536 bytes"), std::string::npos) << e;
}

// A two-payload HERO11-like stream; `before` puts SCAL and ORIN ahead of GYRO, as cameras write them.
std::string TwoPayloads(bool before, const std::string& first_time, const std::string& second_time) {
  auto payload = [&](const std::string& time) {
    const std::string meta = Klv("SCAL", 's', 2, 1, Be16(100)) + Text("ORIN", "ZXY");
    const std::string data = Gyro({100, 200, 300, 400, 500, 600});
    return Nest("DEVC", Klv("DVID", 'L', 4, 1, Be32(1)) + Text("DVNM", "HERO11 Black") +
                            Nest("STRM", time + (before ? meta + data : data + meta)));
  };
  return payload(first_time) + payload(second_time);
}

TEST_F(GyroFormatsTest, StreamMetadataAppliesWhereverItStandsInTheStream) {
  // GPMF allows SCAL, ORIN (and MTRX, STMP, ...) after the data they describe.
  const std::string stmp0 = Klv("STMP", 'J', 8, 1, Be64(0)), stmp1 = Klv("STMP", 'J', 8, 1, Be64(20000));
  GyroFileOptions o;
  o.rate = 100;
  const GyroRecording a = ReadGyroBytes(TwoPayloads(true, stmp0, stmp1), "before.raw", o);
  const GyroRecording b = ReadGyroBytes(TwoPayloads(false, stmp0, stmp1), "after.raw", o);
  ASSERT_EQ(a.w.size(), 4u);
  ASSERT_EQ(b.w.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(a.w[i], b.w[i]) << i;
  EXPECT_EQ(a.t, b.t);
  // ORIN ZXY puts channels (1, 2, 3) on GoPro's (Z, X, Y) = (1, 2, 3) -> (X, Y, Z) = (2, 3, 1):
  // blurkit (-X, -Z, -Y) = (-2, -1, -3).
  EXPECT_TRUE(a.w[0].isApprox(Eigen::Vector3d(-2, -1, -3))) << a.w[0].transpose();
  EXPECT_NE(b.axes.find("ORIN ZXY"), std::string::npos) << b.axes;
}

TEST_F(GyroFormatsTest, AStreamTakesItsTimesFromOneSourceNeverAMix) {
  // One payload with STMP (microseconds), the next with TICK (milliseconds) only: two clocks that
  // need not agree. Without a common source the stream is refused, or takes the given rate.
  const std::string mixed = TwoPayloads(true, Klv("STMP", 'J', 8, 1, Be64(5000000)), Klv("TICK", 'L', 4, 1, Be32(20)));
  std::string e;
  try {
    ReadGyroBytes(mixed, "mixed.raw");
  } catch (const InputError& x) {
    e = x.what();
  }
  EXPECT_NE(e.find("mixed.raw: byte "), std::string::npos) << e;
  EXPECT_NE(e.find("no kind of time is in all of the gyroscope stream's 2 payloads (STMP in 1, TICK in 1"),
            std::string::npos) << e;
  GyroFileOptions o;
  o.rate = 100;
  const GyroRecording r = ReadGyroBytes(mixed, "mixed.raw", o);
  EXPECT_NE(r.timing.find("--gyro-rate"), std::string::npos) << r.timing;
  EXPECT_NEAR(r.t[3] - r.t[0], 0.03, 1e-12);
  // In an MP4 every payload has the track's time: that one source is taken for all of them.
  const fs::path mp4 = dir_ / "mixed.mp4";
  ASSERT_TRUE(WriteGpmdMp4(mp4, SplitPayloads(mixed), 500));
  const GyroRecording m = ReadGyroRecording(mp4);
  EXPECT_EQ(m.timing, "the MP4 track");
  EXPECT_NEAR(m.t[2] - m.t[0], 0.5, 1e-9);
}

TEST_F(GyroFormatsTest, GyroRateAndShutterTimesArePositiveFiniteNumbers) {
  const fs::path log = Write("ok.csv", "0,0,0,0\n0.01,0,0,0\n");
  GyroFileOptions o;
  for (double rate : {-200.0, double(NAN), double(INFINITY)}) {
    o.rate = rate;
    EXPECT_NE(ErrorOf(log, o).find("--gyro-rate must be a positive number of samples per second"), std::string::npos)
        << rate;
  }
  for (float shut : {0.0f, -0.01f, float(NAN)}) {
    const std::string raw = Nest("DEVC", Klv("DVID", 'L', 4, 1, Be32(1)) + Text("DVNM", "HERO11 Black") +
                                             Nest("STRM", Klv("SHUT", 'f', 4, 1, Float(shut))) +
                                             Nest("STRM", Klv("TICK", 'L', 4, 1, Be32(0)) +
                                                              Klv("TOCK", 'L', 4, 1, Be32(10)) +
                                                              Text("ORIN", "ZXY") + Gyro({1, 2, 3, 4, 5, 6})));
    const std::string e = ErrorOf(Write("shut.raw", raw));
    EXPECT_NE(e.find("shut.raw: byte "), std::string::npos) << e;
    EXPECT_NE(e.find("SHUT holds an exposure time of"), std::string::npos) << e;
  }
}

TEST_F(GyroFormatsTest, ACsvHasOneDelimiterAndMayUseDecimalCommasWithSemicolonsOrTabs) {
  // phyphox's "semicolon, decimal comma" export.
  const GyroRecording p = ReadGyroRecording(Write(
      "phyphox.csv", "\"Time (s)\";\"Gyroscope x (rad/s)\";\"Gyroscope y (rad/s)\";\"Gyroscope z (rad/s)\"\n"
                     "0,000000000E0;1,5E-1;2,5;-3\n2,000000000E-3;1,5E-1;2,5;-3\n"));
  ASSERT_EQ(p.t.size(), 2u);
  EXPECT_DOUBLE_EQ(p.t[1], 0.002);
  EXPECT_TRUE(p.w[0].isApprox(Eigen::Vector3d(0.15, -2.5, 3))) << p.w[0].transpose();
  // Tabs with decimal commas, and blurkit's rows separated by spaces.
  EXPECT_DOUBLE_EQ(ReadGyroRecording(Write("tab.csv", "0\t1,5\t0\t0\n0,25\t1,5\t0\t0\n")).w[1].x(), 1.5);
  EXPECT_DOUBLE_EQ(ReadGyroRecording(Write("tab.csv", "0\t1,5\t0\t0\n0,25\t1,5\t0\t0\n")).t[1], 0.25);
  EXPECT_EQ(ReadGyroRecording(Write("sp.csv", "t wx wy wz\n0  1 2 3\n 0.5 1 2 3\n")).t.size(), 2u);
  // A comma file's cells are never split on semicolons: a row in another delimiter is named.
  const std::string e = ErrorOf(Write("mixed.csv", "t,wx,wy,wz\n0,0,0,0\n0.01;0;0;0\n"));
  EXPECT_NE(e.find("mixed.csv:3: expected 4 numbers t,wx,wy,wz"), std::string::npos) << e;
  EXPECT_NE(e.find("comma-separated as the file's line 1"), std::string::npos) << e;
}

TEST_F(GyroFormatsTest, AGcsvWithoutOrientationIsRefusedUnlessAxesAreGiven) {
  const fs::path log = Write("no_orientation.gcsv", "GYROFLOW IMU LOG\nversion,1.3\nid,x\ntscale,1\ngscale,1\n"
                                                    "t,gx,gy,gz\n0,1,2,3\n1,1,2,3\n");
  const std::string e = ErrorOf(log);
  EXPECT_NE(e.find("no_orientation.gcsv: no 'orientation' line"), std::string::npos) << e;
  EXPECT_NE(e.find("--gyro-axes"), std::string::npos) << e;
  GyroFileOptions o;
  o.axes = "XYZ";
  const GyroRecording r = ReadGyroRecording(log, o);
  // Gyroflow axes (1, 2, 3) -> blurkit (-2, -1, -3).
  EXPECT_TRUE(r.w[0].isApprox(Eigen::Vector3d(-2, -1, -3))) << r.w[0].transpose();
  EXPECT_NE(r.axes.find("(--gyro-axes)"), std::string::npos) << r.axes;
}

// Bytes this process has read through read() and its kin, from /proc/self/io (rchar).
long long BytesRead() {
  std::ifstream io("/proc/self/io");
  std::string key;
  long long value = -1;
  while (io >> key >> value) {
    if (key == "rchar:") return value;
  }
  return -1;
}

TEST_F(GyroFormatsTest, AnMp4IsReadForItsTelemetryTrackOnly) {
  // 64 MiB of another track (a stand-in for the video) around hero11's 17 payloads: the reader
  // discards that track before reading packets, so it reads its telemetry and the index only.
  const std::string raw = ReadBytes(Samples() / "hero11.raw");
  const fs::path mp4 = dir_ / "with_video.mp4";
  ASSERT_TRUE(WriteGpmdMp4(mp4, SplitPayloads(raw), 1001, size_t(64) << 20));
  ASSERT_GT(fs::file_size(mp4), size_t(64) << 20);
  const long long before = BytesRead();
  ASSERT_GE(before, 0) << "/proc/self/io is not readable here";
  const GyroRecording r = ReadGyroRecording(mp4);
  const long long read = BytesRead() - before;
  EXPECT_EQ(r.t.size(), 2192u);
  // The telemetry is raw.size() bytes (~80 kB); the demuxer's buffered reads add at most a few
  // 32 kB buffers per packet. 8 MiB leaves a wide margin and is an eighth of the other track.
  EXPECT_LT(read, 8LL << 20) << "read " << read << " bytes of a " << fs::file_size(mp4) << "-byte file";
}

}  // namespace
}  // namespace blurkit::synth
