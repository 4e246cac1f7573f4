#include "blurkit/synth/gyro_formats.h"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/log.h>
}

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>

#include "blurkit/core/error.h"

namespace blurkit::synth {
namespace fs = std::filesystem;

namespace {

constexpr double kStandardGravity = 9.80665;  // .gcsv accelerometers are in g

// ---- axes ---------------------------------------------------------------------------------

// GoPro's IMU axes (X to the camera's left, Y out of its back, Z up; right-handed) into blurkit's
// camera frame (x right, y down, z forward): (-X, -Z, -Y).
Eigen::Vector3d GoproToCamera(const Eigen::Vector3d& g) { return {-g.x(), -g.z(), -g.y()}; }
// Gyroflow's camera frame (x up, y left, z back, the lens level and forward) into blurkit's.
Eigen::Vector3d GyroflowToCamera(const Eigen::Vector3d& g) { return {-g.y(), -g.x(), -g.z()}; }

int AxisOf(char c) { return c == 'X' || c == 'x' ? 0 : c == 'Y' || c == 'y' ? 1 : c == 'Z' || c == 'z' ? 2 : -1; }

// ---- GPMF ---------------------------------------------------------------------------------

uint32_t Key(const char* k) {
  return (uint32_t(uint8_t(k[0])) << 24) | (uint32_t(uint8_t(k[1])) << 16) | (uint32_t(uint8_t(k[2])) << 8) |
         uint8_t(k[3]);
}
std::string KeyName(uint32_t k) {
  std::string s(4, ' ');
  for (int i = 0; i < 4; ++i) {
    const char c = char((k >> (24 - 8 * i)) & 0xff);
    s[i] = (c >= 32 && c < 127) ? c : '?';
  }
  return s;
}

uint32_t Be32(const uint8_t* p) { return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]; }
uint64_t Be64(const uint8_t* p) { return (uint64_t(Be32(p)) << 32) | Be32(p + 4); }

// Bytes of one value of a GPMF type; 0 for types that are not numbers.
int TypeSize(char t) {
  switch (t) {
    case 'b': case 'B': case 'c': return 1;
    case 's': case 'S': return 2;
    case 'f': case 'l': case 'L': case 'q': case 'F': return 4;
    case 'd': case 'j': case 'J': case 'Q': return 8;
    default: return 0;
  }
}

double ValueAt(char t, const uint8_t* p) {
  switch (t) {
    case 'b': return int8_t(p[0]);
    case 'B': return p[0];
    case 's': return int16_t(uint16_t((p[0] << 8) | p[1]));
    case 'S': return uint16_t((p[0] << 8) | p[1]);
    case 'l': return int32_t(Be32(p));
    case 'L': return Be32(p);
    case 'q': return int32_t(Be32(p)) / 65536.0;
    case 'j': return double(int64_t(Be64(p)));
    case 'J': return double(Be64(p));
    case 'Q': return double(int64_t(Be64(p))) / 4294967296.0;
    case 'f': {
      const uint32_t bits = Be32(p);
      float f;
      std::memcpy(&f, &bits, 4);
      return f;
    }
    case 'd': {
      const uint64_t bits = Be64(p);
      double d;
      std::memcpy(&d, &bits, 8);
      return d;
    }
    default: return NAN;
  }
}

struct Klv {
  uint32_t key = 0;
  char type = 0;
  int size = 0;        // bytes of one sample
  int repeat = 0;      // samples
  size_t at = 0;       // offset of the header in the stream
  size_t data = 0;     // offset of the data
  size_t bytes() const { return size_t(size) * repeat; }
};

class GpmfReader {
 public:
  GpmfReader(const std::string& bytes, std::string where) : b_(reinterpret_cast<const uint8_t*>(bytes.data())), n_(bytes.size()), where_(std::move(where)) {}

  // The entries in [begin, end), each checked to lie inside it.
  std::vector<Klv> Entries(size_t begin, size_t end) const {
    std::vector<Klv> out;
    size_t at = begin;
    while (at < end) {
      if (end - at < 8) {
        // Zero padding after the last entry is allowed; anything else is a cut header.
        bool zeros = true;
        for (size_t i = at; i < end; ++i) zeros = zeros && b_[i] == 0;
        if (zeros) break;
        throw Error(at, "a KLV header is cut off (the stream is truncated)");
      }
      Klv k;
      k.at = at;
      k.key = Be32(b_ + at);
      k.type = char(b_[at + 4]);
      k.size = b_[at + 5];
      k.repeat = (b_[at + 6] << 8) | b_[at + 7];
      k.data = at + 8;
      const size_t padded = (k.bytes() + 3) & ~size_t(3);
      if (k.key == 0) {  // padding or an empty entry
        at += 8 + padded;
        continue;
      }
      for (int i = 0; i < 4; ++i) {
        const uint8_t c = b_[at + i];
        if (c < 32 || c > 126) throw Error(at, "not a GPMF key (damaged or not GPMF data)");
      }
      if (k.data + k.bytes() > end) {
        throw Error(at, "entry " + KeyName(k.key) + " holds " + std::to_string(k.bytes()) + " bytes, " +
                            std::to_string(end - k.data) + " are left (truncated?)");
      }
      if (k.type != 0 && k.type != '?' && k.type != 'U' && k.type != 'G' && k.type != 'u' && k.type != '#' &&
          TypeSize(k.type) == 0) {
        throw Error(at, "entry " + KeyName(k.key) + " has an unknown type '" + std::string(1, k.type) + "'");
      }
      out.push_back(k);
      at = std::min(end, k.data + padded);
    }
    return out;
  }

  std::string Text(const Klv& k) const {
    std::string s(reinterpret_cast<const char*>(b_ + k.data), k.bytes());
    const auto zero = s.find('\0');
    return zero == std::string::npos ? s : s.substr(0, zero);
  }
  // Every number of a numeric entry, in order.
  std::vector<double> Numbers(const Klv& k) const {
    const int ts = TypeSize(k.type);
    if (ts == 0 || k.type == 'c' || k.type == 'F') throw Error(k.at, "entry " + KeyName(k.key) + " is not numeric");
    if (k.size % ts != 0) throw Error(k.at, "entry " + KeyName(k.key) + ": sample size " + std::to_string(k.size) + " is not a multiple of its type's");
    std::vector<double> v;
    v.reserve(k.bytes() / ts);
    for (size_t i = 0; i < k.bytes(); i += ts) v.push_back(ValueAt(k.type, b_ + k.data + i));
    return v;
  }
  // The first number of a numeric entry that must hold one.
  double First(const Klv& k) const {
    const std::vector<double> v = Numbers(k);
    if (v.empty()) throw Error(k.at, "entry " + KeyName(k.key) + " holds no value");
    return v[0];
  }
  InputError Error(size_t at, const std::string& what) const {
    return InputError(Msg() << where_ << ": byte " << at << ": " << what);
  }
  size_t size() const { return n_; }

 private:
  const uint8_t* b_;
  size_t n_;
  std::string where_;
};

// One payload of one sensor stream.
struct Payload {
  size_t at = 0;                      // byte offset, for messages
  std::optional<double> stmp, tick, tock, container;  // seconds
  std::vector<Eigen::Vector3d> values;  // scaled, in GoPro's IMU axes
};

struct Device {
  std::string name;
  std::vector<Payload> gyro, accel;
  std::vector<double> shutter;
  std::vector<std::string> streams;
  std::string axes;  // how the channels were mapped
};

// The matrix from a stream's stored channels to GoPro's IMU axes (X, Y, Z).
Eigen::Matrix3d ChannelsToGopro(const GpmfReader& r, const Klv& data, const std::string& orin,
                                const std::string& orio, const std::vector<double>& mtrx,
                                const std::string& camera, std::string* how) {
  auto letters = [&](const std::string& s, const char* what) {
    if (s.size() != 3 || AxisOf(s[0]) < 0 || AxisOf(s[1]) < 0 || AxisOf(s[2]) < 0 ||
        AxisOf(s[0]) == AxisOf(s[1]) || AxisOf(s[0]) == AxisOf(s[2]) || AxisOf(s[1]) == AxisOf(s[2])) {
      throw r.Error(data.at, std::string(what) + " '" + s + "' is not a permutation of X, Y, Z");
    }
  };
  // Channel i measures sign_i * axis(letter_i): the matrix that puts each channel on its axis.
  auto from_letters = [&](const std::string& s) {
    Eigen::Matrix3d m = Eigen::Matrix3d::Zero();
    for (int i = 0; i < 3; ++i) m(AxisOf(s[i]), i) = std::isupper(uint8_t(s[i])) ? 1 : -1;
    return m;
  };
  if (mtrx.size() == 9 && !orio.empty()) {
    letters(orio, "ORIO");
    Eigen::Matrix3d m;  // output (in ORIO's order) = MTRX * input, rows are outputs
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 3; ++x) m(y, x) = mtrx[y * 3 + x];
    *how = "MTRX with ORIO " + orio;
    return from_letters(orio) * m;
  }
  if (!orin.empty()) {
    letters(orin, "ORIN");
    *how = "ORIN " + orin;
    return from_letters(orin);
  }
  // Cameras that predate ORIN: the channel order of GoPro's gpmf-parser README.
  std::string order;
  std::string upper = camera;
  for (char& c : upper) c = char(std::toupper(uint8_t(c)));
  if (upper.find("HERO6") != std::string::npos) {
    order = "YxZ";  // "Data order Y,-X,Z"
  } else if (upper.find("FUSION") != std::string::npos) {
    order = "yXZ";  // "Data order -Y,X,Z"
  } else if (upper.find("HERO5") != std::string::npos || upper == "CAMERA") {
    order = "ZXY";  // HERO5 Black and Session (DVNM "Camera"): "Data order Z,X,Y"
  } else {
    throw r.Error(data.at, "camera '" + camera + "' gives no ORIN or MTRX and is not a model whose axis order "
                           "GoPro documents (HERO5, HERO6, Fusion): the axes are unknown");
  }
  *how = "the documented order of " + camera + " (" + order + ")";
  return from_letters(order);
}

std::vector<Device> ParseGpmf(const GpmfReader& r, const std::vector<std::pair<size_t, std::optional<double>>>& payloads) {
  std::map<uint32_t, Device> devices;  // by DVID
  std::vector<uint32_t> order;
  // Payload boundaries: each [begin, end) range, with its container time.
  for (size_t p = 0; p < payloads.size(); ++p) {
    const size_t begin = payloads[p].first;
    const size_t end = p + 1 < payloads.size() ? payloads[p + 1].first : r.size();
    for (const Klv& devc : r.Entries(begin, end)) {
      if (devc.key != Key("DEVC")) continue;
      if (devc.type != 0) throw r.Error(devc.at, "DEVC is not a nest of entries");
      uint32_t id = 0;
      std::string name;
      std::optional<double> dev_tick, dev_tock;
      const auto entries = r.Entries(devc.data, devc.data + devc.bytes());
      for (const Klv& k : entries) {
        if (k.key == Key("DVID") && k.repeat > 0) {
          id = k.type == 'F' || k.type == 'c' ? uint32_t(std::hash<std::string>{}(r.Text(k)))
                                              : uint32_t(r.First(k));
        }
        if (k.key == Key("DVNM")) name = r.Text(k);
        if (k.key == Key("TICK") && k.repeat > 0) dev_tick = r.First(k) / 1000.0;
        if (k.key == Key("TOCK") && k.repeat > 0) dev_tock = r.First(k) / 1000.0;
      }
      if (!devices.count(id)) order.push_back(id);
      Device& d = devices[id];
      if (!name.empty()) d.name = name;
      for (const Klv& strm : entries) {
        if (strm.key != Key("STRM")) continue;
        if (strm.type != 0) throw r.Error(strm.at, "STRM is not a nest of entries");
        std::optional<double> stmp, tick = dev_tick, tock = dev_tock;
        std::vector<double> scal{1.0}, mtrx;
        std::string orin, orio, stnm;
        for (const Klv& k : r.Entries(strm.data, strm.data + strm.bytes())) {
          if (k.repeat == 0) continue;
          if (k.key == Key("STMP")) stmp = r.First(k) / 1e6;
          else if (k.key == Key("TICK")) tick = r.First(k) / 1000.0;
          else if (k.key == Key("TOCK")) tock = r.First(k) / 1000.0;
          else if (k.key == Key("SCAL")) scal = r.Numbers(k);
          else if (k.key == Key("ORIN")) orin = r.Text(k);
          else if (k.key == Key("ORIO")) orio = r.Text(k);
          else if (k.key == Key("MTRX")) mtrx = r.Numbers(k);
          else if (k.key == Key("STNM")) stnm = r.Text(k);
          else if (k.key == Key("SHUT")) {
            for (double v : r.Numbers(k)) d.shutter.push_back(v);
          } else if (k.key == Key("GYRO") || k.key == Key("ACCL")) {
            const bool gyro = k.key == Key("GYRO");
            const std::string label = stnm.empty() ? KeyName(k.key) : stnm;
            if (std::find(d.streams.begin(), d.streams.end(), label) == d.streams.end()) d.streams.push_back(label);
            if (k.type == '?' || TypeSize(k.type) == 0) throw r.Error(k.at, KeyName(k.key) + " is not a plain numeric stream");
            if (k.size != 3 * TypeSize(k.type)) {
              throw r.Error(k.at, KeyName(k.key) + " samples hold " + std::to_string(k.size / TypeSize(k.type)) +
                                      " values, expected 3");
            }
            if (scal.size() != 1 && scal.size() != 3) {
              throw r.Error(k.at, "SCAL of " + KeyName(k.key) + " has " + std::to_string(scal.size()) +
                                      " values, expected 1 or 3");
            }
            for (double s : scal) {
              if (!(s != 0) || !std::isfinite(s)) throw r.Error(k.at, "SCAL of " + KeyName(k.key) + " is zero or not finite");
            }
            std::string how;
            const Eigen::Matrix3d to_gopro = ChannelsToGopro(r, k, orin, orio, mtrx, d.name, &how);
            if (gyro) d.axes = how;
            Payload pay;
            pay.at = k.at;
            pay.stmp = stmp;
            pay.tick = tick;
            pay.tock = tock;
            pay.container = payloads[p].second;
            const std::vector<double> v = r.Numbers(k);
            for (size_t i = 0; i + 2 < v.size(); i += 3) {
              const Eigen::Vector3d c(v[i] / scal[0], v[i + 1] / scal[scal.size() > 1 ? 1 : 0],
                                      v[i + 2] / scal[scal.size() > 1 ? 2 : 0]);
              const Eigen::Vector3d g = to_gopro * c;
              if (!g.allFinite()) throw r.Error(k.at, KeyName(k.key) + " holds a value that is not finite");
              pay.values.push_back(g);
            }
            (gyro ? d.gyro : d.accel).push_back(std::move(pay));
          }
        }
      }
    }
  }
  std::vector<Device> out;
  for (uint32_t id : order) out.push_back(std::move(devices[id]));
  return out;
}

// Sample times of a sequence of payloads: each payload's start from STMP, TICK or the container,
// its samples evenly spaced up to the next payload's start (the last payload: at the rate
// measured over the others, or up to its TOCK); without any of these, at the user's rate.
std::vector<double> PayloadTimes(const GpmfReader& r, const std::vector<Payload>& pays, double rate,
                                 std::string* timing) {
  auto start_of = [&](const Payload& p) -> std::optional<double> {
    if (p.stmp) return p.stmp;
    if (p.tick) return p.tick;
    return p.container;
  };
  const Payload& first = pays.front();
  *timing = first.stmp ? "STMP (microseconds)" : first.tick ? "TICK (milliseconds)" : first.container ? "the MP4 track" : "";
  size_t total = 0;
  for (const auto& p : pays) total += p.values.size();
  std::vector<double> t;
  t.reserve(total);
  bool all = true;
  for (const auto& p : pays) all = all && start_of(p).has_value();
  if (!all) {
    if (!(rate > 0)) {
      throw r.Error(first.at, "the gyroscope stream has no times (no STMP, TICK or MP4 track): give the MP4 "
                              "file, or its sample rate with --gyro-rate HZ");
    }
    *timing = "--gyro-rate " + std::to_string(rate) + " Hz (given)";
    for (size_t i = 0; i < total; ++i) t.push_back(i / rate);
    return t;
  }
  size_t done = 0;
  for (size_t i = 0; i < pays.size(); ++i) {
    const double s = *start_of(pays[i]);
    const size_t n = pays[i].values.size();
    if (i > 0 && !(s > *start_of(pays[i - 1]))) {
      throw r.Error(pays[i].at, "payload time " + std::to_string(s) + " s does not follow the previous payload's " +
                                    std::to_string(*start_of(pays[i - 1])) + " s (times go backwards)");
    }
    double dt;
    if (i + 1 < pays.size()) {
      dt = (*start_of(pays[i + 1]) - s) / n;
    } else if (pays[i].tock && pays[i].tick && *pays[i].tock > *pays[i].tick) {
      dt = (*pays[i].tock - *pays[i].tick) / n;
    } else if (i > 0) {
      dt = (s - *start_of(pays[0])) / done;
    } else if (rate > 0) {
      dt = 1 / rate;
      *timing += " and --gyro-rate for its one payload";
    } else {
      throw r.Error(pays[i].at, "one payload and no end time (TOCK): its sample rate is unknown; give the MP4 "
                                "file, or --gyro-rate HZ");
    }
    for (size_t k = 0; k < n; ++k) t.push_back(s + k * dt);
    done += n;
  }
  return t;
}

std::vector<Eigen::Vector3d> Flatten(const std::vector<Payload>& pays) {
  std::vector<Eigen::Vector3d> v;
  for (const auto& p : pays) v.insert(v.end(), p.values.begin(), p.values.end());
  return v;
}

GyroRecording FromGpmf(const std::string& bytes, const std::string& where,
                       const std::vector<std::pair<size_t, std::optional<double>>>& payloads,
                       const GyroFileOptions& options, const std::string& format) {
  GpmfReader r(bytes, where);
  std::vector<Device> devices = ParseGpmf(r, payloads);
  // The camera's IMU: the first device with a gyroscope (a Karma drone's stream comes second).
  Device* camera = nullptr;
  std::vector<std::string> names;
  for (auto& d : devices) {
    names.push_back(d.name.empty() ? "(unnamed)" : d.name);
    if (!camera && !d.gyro.empty()) camera = &d;
  }
  if (!camera) {
    Msg m;
    m << where << ": no gyroscope (GYRO) in the GPMF data; devices:";
    for (const auto& n : names) m << " " << n;
    if (names.empty()) m << " none";
    throw InputError(m);
  }
  GyroRecording rec;
  rec.format = format;
  rec.device = camera->name;
  rec.streams = camera->streams;
  rec.t = PayloadTimes(r, camera->gyro, options.rate, &rec.timing);
  for (const auto& g : Flatten(camera->gyro)) rec.w.push_back(GoproToCamera(g));
  rec.axes = "GoPro IMU axes from " + camera->axes + "; blurkit (x, y, z) = (-X, -Z, -Y)";
  if (!camera->accel.empty()) {
    for (const auto& a : Flatten(camera->accel)) rec.accel.push_back(GoproToCamera(a));
    std::string accel_timing;
    try {
      rec.accel_t = PayloadTimes(r, camera->accel, 0, &accel_timing);
    } catch (const InputError&) {
      rec.accel_t.clear();  // no times of its own: its values still show where gravity points
    }
  }
  rec.exposure = camera->shutter;
  return rec;
}

// ---- MP4 ----------------------------------------------------------------------------------

struct AvInput {
  AVFormatContext* context = nullptr;
  ~AvInput() {
    if (context) avformat_close_input(&context);
  }
};

GyroRecording FromMp4(const fs::path& file, const GyroFileOptions& options) {
  const std::string where = file.string();
  av_log_set_level(AV_LOG_FATAL);
  AvInput in;
  if (avformat_open_input(&in.context, where.c_str(), nullptr, nullptr) < 0) {
    throw InputError(Msg() << where << ": cannot open it as an MP4/MOV file (damaged?)");
  }
  if (avformat_find_stream_info(in.context, nullptr) < 0) {
    throw InputError(Msg() << where << ": cannot read its streams (damaged?)");
  }
  int gpmd = -1;
  Msg found;
  for (unsigned i = 0; i < in.context->nb_streams; ++i) {
    const AVCodecParameters* p = in.context->streams[i]->codecpar;
    const uint32_t tag = p->codec_tag;
    const char tag_text[5] = {char(tag & 0xff), char((tag >> 8) & 0xff), char((tag >> 16) & 0xff), char(tag >> 24), 0};
    found << (i ? ", " : "") << "#" << i << " " << av_get_media_type_string(p->codec_type) << " '"
          << (tag ? std::string(tag_text) : std::string(avcodec_get_name(p->codec_id))) << "'";
    if (gpmd < 0 && tag == MKTAG('g', 'p', 'm', 'd')) gpmd = int(i);
  }
  if (gpmd < 0) {
    throw InputError(Msg() << where << ": no GPMF telemetry track ('gpmd'); its streams: " << std::string(found));
  }
  const AVRational base = in.context->streams[gpmd]->time_base;
  std::string bytes;
  std::vector<std::pair<size_t, std::optional<double>>> payloads;
  AVPacket* packet = av_packet_alloc();
  while (av_read_frame(in.context, packet) >= 0) {
    if (packet->stream_index == gpmd && packet->size > 0) {
      std::optional<double> time;
      if (packet->pts != AV_NOPTS_VALUE) time = packet->pts * av_q2d(base);
      payloads.emplace_back(bytes.size(), time);
      bytes.append(reinterpret_cast<const char*>(packet->data), size_t(packet->size));
    }
    av_packet_unref(packet);
  }
  av_packet_free(&packet);
  if (payloads.empty()) throw InputError(Msg() << where << ": its gpmd track holds no data");
  return FromGpmf(bytes, where + " (gpmd track)", payloads, options, "gpmf-mp4");
}

// ---- text logs ----------------------------------------------------------------------------

std::vector<std::string> SplitCells(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && (c == ',' || c == ';' || c == '\t')) {
      cells.push_back(cell);
      cell.clear();
    } else {
      cell += c;
    }
  }
  cells.push_back(cell);
  for (auto& c : cells) {
    const auto a = c.find_first_not_of(' '), b = c.find_last_not_of(' ');
    c = a == std::string::npos ? "" : c.substr(a, b - a + 1);
  }
  return cells;
}

bool Number(const std::string& s, double* v) {
  if (s.empty()) return false;
  char* end = nullptr;
  *v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(*v);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

void CheckIncreasing(const std::vector<double>& t, const std::string& where, int line) {
  if (t.size() >= 2 && !(t.back() > t[t.size() - 2])) {
    throw InputError(Msg() << where << ":" << line << ": time " << t.back() << " s does not increase "
                           << "(previous row: " << t[t.size() - 2] << " s)");
  }
}

GyroRecording FromGcsv(const std::string& text, const std::string& where, const GyroFileOptions& options) {
  const auto lines = Lines(text);
  std::map<std::string, std::string> header;
  std::map<std::string, int> header_line;
  size_t i = 1;
  for (; i < lines.size(); ++i) {
    const auto cells = SplitCells(lines[i]);
    if (!cells.empty() && cells[0] == "t") break;
    if (cells.size() >= 2) {
      header[cells[0]] = cells[1];
      header_line[cells[0]] = int(i + 1);
    }
  }
  if (i >= lines.size()) throw InputError(Msg() << where << ": no column line 't,gx,gy,gz' after the header");
  const auto columns = SplitCells(lines[i]);
  if (columns.size() < 4 || columns[1] != "gx" || columns[2] != "gy" || columns[3] != "gz") {
    throw InputError(Msg() << where << ":" << i + 1 << ": columns '" << lines[i] << "', expected t,gx,gy,gz[,ax,ay,az...]");
  }
  const bool has_accel = columns.size() >= 7 && columns[4] == "ax";
  auto scale = [&](const char* key, double fallback) {
    if (!header.count(key)) return fallback;
    double v;
    if (!Number(header[key], &v) || v == 0) {
      throw InputError(Msg() << where << ":" << header_line[key] << ": " << key << " '" << header[key] << "' is not a number");
    }
    return v;
  };
  const double tscale = scale("tscale", 1), gscale = scale("gscale", 1), ascale = scale("ascale", 1);
  std::string orientation = options.axes;
  if (orientation.empty()) orientation = header.count("orientation") ? header["orientation"] : "xzY";  // Gyroflow's default
  const AxisMap map = AxisMap::Parse(orientation, where + (header.count("orientation") && options.axes.empty()
                                                                ? ":" + std::to_string(header_line["orientation"]) + ": orientation"
                                                                : std::string(": orientation")));
  GyroRecording rec;
  rec.format = "gcsv";
  rec.device = header.count("vendor") ? header["vendor"] : "";
  rec.timing = "t x tscale " + header["tscale"];
  rec.axes = "orientation " + orientation + " into Gyroflow's camera axes (x up, y left, z back); blurkit (x, y, z) = (-y, -x, -z)";
  for (++i; i < lines.size(); ++i) {
    if (lines[i].find_first_not_of(" \t") == std::string::npos) continue;
    const auto cells = SplitCells(lines[i]);
    std::vector<double> v(cells.size());
    bool ok = cells.size() >= 4;
    for (size_t c = 0; c < cells.size() && ok; ++c) ok = Number(cells[c], &v[c]);
    if (!ok || cells.size() != columns.size()) {
      throw InputError(Msg() << where << ":" << i + 1 << ": expected " << columns.size() << " numbers, got '" << lines[i] << "'");
    }
    rec.t.push_back(v[0] * tscale);
    CheckIncreasing(rec.t, where, int(i + 1));
    rec.w.push_back(GyroflowToCamera(map.Apply(Eigen::Vector3d(v[1], v[2], v[3]) * gscale)));
    if (has_accel) {
      rec.accel_t.push_back(v[0] * tscale);
      rec.accel.push_back(GyroflowToCamera(map.Apply(Eigen::Vector3d(v[4], v[5], v[6]) * ascale * kStandardGravity)));
    }
  }
  return rec;
}

// blurkit's own log: rows t,wx,wy,wz (seconds; rad/s in the camera frame), comma, semicolon, tab
// or space separated; a header line and '#' comments allowed.
GyroRecording FromBlurkitCsv(const std::string& text, const std::string& where) {
  GyroRecording rec;
  rec.format = "csv";
  rec.timing = "column t in s";
  rec.axes = "blurkit's camera frame (rows t,wx,wy,wz)";
  int number = 0;
  bool seen_row = false;
  for (const std::string& line : Lines(text)) {
    ++number;
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    std::string cleaned = line;
    for (char& c : cleaned) {
      if (c == ',' || c == ';' || c == '\t') c = ' ';
    }
    std::istringstream row(cleaned);
    std::vector<double> values;
    std::string cell;
    bool numeric = true;
    while (row >> cell) {
      char* end = nullptr;
      const double v = std::strtod(cell.c_str(), &end);
      if (end == cell.c_str() || *end != '\0') {
        numeric = false;
        break;
      }
      values.push_back(v);
    }
    if (!numeric && !seen_row && rec.t.empty()) {
      seen_row = true;  // the header line
      continue;
    }
    seen_row = true;
    if (!numeric || values.size() != 4) {
      throw InputError(Msg() << where << ":" << number << ": expected 4 numbers t,wx,wy,wz (seconds, rad/s), got '"
                             << line << "'");
    }
    for (double v : values) {
      if (!std::isfinite(v)) throw InputError(Msg() << where << ":" << number << ": NaN or infinite value in '" << line << "'");
    }
    rec.t.push_back(values[0]);
    CheckIncreasing(rec.t, where, number);
    rec.w.emplace_back(values[1], values[2], values[3]);
  }
  if (rec.t.size() < 2) {
    throw InputError(Msg() << where << ": a gyroscope log needs at least two rows t,wx,wy,wz, found " << rec.t.size());
  }
  return rec;
}

struct Preset {
  const char* name;
  const char* header_start;  // recognised from the header line
  const char* columns;       // time, x, y, z
  const char* time_unit;
  const char* axes;          // phone axes (x right, y up, z out of the screen) into a rear camera's
};
// Sensor Logger (Gyroscope.csv): "time,seconds_elapsed,z,y,x", time in nanoseconds. phyphox:
// "Time (s)","Gyroscope x (rad/s)",... Both in the phone's axes (x right, y up, z out of the
// screen); the rear camera looks along -z, held upright: blurkit (x, y, z) = (x, -y, -z).
const Preset kPresets[] = {
    {"sensor-logger", "time,seconds_elapsed,z,y,x", "time,x,y,z", "ns", "Xyz"},
    {"phyphox", "Time (s),Gyroscope x (rad/s)", "Time (s),Gyroscope x (rad/s),Gyroscope y (rad/s),Gyroscope z (rad/s)", "s", "Xyz"},
};

GyroRecording FromCsv(const std::string& text, const std::string& where, GyroFileOptions options) {
  const auto lines = Lines(text);
  size_t h = 0;
  while (h < lines.size() && (lines[h].find_first_not_of(" \t") == std::string::npos || lines[h][lines[h].find_first_not_of(" \t")] == '#')) ++h;
  if (h >= lines.size()) throw InputError(Msg() << where << ": empty gyroscope log");
  const auto header_cells = SplitCells(lines[h]);
  std::string joined;
  for (size_t c = 0; c < header_cells.size(); ++c) joined += (c ? "," : "") + header_cells[c];
  const Preset* preset = nullptr;
  for (const auto& p : kPresets) {
    if (options.preset == p.name || (options.preset.empty() && options.columns.empty() && joined.rfind(p.header_start, 0) == 0)) preset = &p;
  }
  if (!options.preset.empty() && !preset) {
    throw InputError(Msg() << "--gyro-preset must be sensor-logger or phyphox, got '" << options.preset << "'");
  }
  if (preset) {
    if (options.columns.empty()) options.columns = preset->columns;
    if (options.time_unit.empty()) options.time_unit = preset->time_unit;
    if (options.axes.empty()) options.axes = preset->axes;
  }
  if (options.columns.empty() && options.axes.empty() && options.time_unit.empty()) return FromBlurkitCsv(text, where);
  GyroRecording rec;
  rec.format = "csv";
  if (options.columns.empty()) options.columns = "0,1,2,3";
  double unit = 1;
  if (options.time_unit == "ns") unit = 1e-9;
  else if (options.time_unit == "us") unit = 1e-6;
  else if (options.time_unit == "ms") unit = 1e-3;
  else if (options.time_unit != "s" && !options.time_unit.empty()) {
    throw InputError(Msg() << "--gyro-time-unit must be s, ms, us or ns, got '" << options.time_unit << "'");
  }
  const AxisMap map = AxisMap::Parse(options.axes.empty() ? "XYZ" : options.axes, "--gyro-axes");
  // The four columns, by name in the header or by 0-based index.
  const auto wanted = SplitCells(options.columns);
  if (wanted.size() != 4) {
    throw InputError(Msg() << "--gyro-columns needs 4 columns (time, x, y, z), got '" << options.columns << "'");
  }
  bool numeric_header = true;
  for (const auto& c : header_cells) {
    double v;
    numeric_header = numeric_header && Number(c, &v);
  }
  int index[4];
  for (int k = 0; k < 4; ++k) {
    double v;
    if (Number(wanted[k], &v) && v >= 0 && v == std::floor(v)) {
      index[k] = int(v);
      continue;
    }
    const auto it = std::find(header_cells.begin(), header_cells.end(), wanted[k]);
    if (numeric_header || it == header_cells.end()) {
      throw InputError(Msg() << where << ":" << h + 1 << ": no column '" << wanted[k] << "' in the header '"
                             << lines[h] << "'" << (preset ? std::string(" (preset ") + preset->name + ")" : ""));
    }
    index[k] = int(it - header_cells.begin());
  }
  rec.timing = "column " + wanted[0] + " in " + (options.time_unit.empty() ? "s" : options.time_unit);
  rec.axes = (preset ? std::string(preset->name) + ": " : std::string()) + "blurkit (x, y, z) from " +
             (options.axes.empty() ? std::string("XYZ") : options.axes);
  const int need = *std::max_element(index, index + 4);
  for (size_t i = numeric_header ? h : h + 1; i < lines.size(); ++i) {
    const auto first = lines[i].find_first_not_of(" \t");
    if (first == std::string::npos || lines[i][first] == '#') continue;
    const auto cells = SplitCells(lines[i]);
    double v[4];
    bool ok = int(cells.size()) > need;
    for (int k = 0; k < 4 && ok; ++k) ok = Number(cells[index[k]], &v[k]);
    if (!ok) {
      throw InputError(Msg() << where << ":" << i + 1 << ": expected numbers in columns " << options.columns << ", got '"
                             << lines[i] << "'");
    }
    rec.t.push_back(v[0] * unit);
    CheckIncreasing(rec.t, where, int(i + 1));
    rec.w.push_back(map.Apply({v[1], v[2], v[3]}));
  }
  return rec;
}

}  // namespace

AxisMap AxisMap::Parse(const std::string& text, const std::string& what) {
  AxisMap m;
  bool ok = text.size() == 3;
  for (int i = 0; i < 3 && ok; ++i) {
    const int a = AxisOf(text[i]);
    ok = a >= 0;
    m.index[i] = a;
    m.sign[i] = std::isupper(uint8_t(text[i])) ? 1 : -1;
  }
  ok = ok && m.index[0] != m.index[1] && m.index[0] != m.index[2] && m.index[1] != m.index[2];
  if (!ok) {
    throw InputError(Msg() << what << ": '" << text << "' is not an axis mapping (three of X, Y, Z, each once; "
                           << "lowercase negates, e.g. yXz)");
  }
  return m;
}

Eigen::Vector3d AxisMap::Apply(const Eigen::Vector3d& v) const {
  return {sign[0] * v[index[0]], sign[1] * v[index[1]], sign[2] * v[index[2]]};
}

namespace {

// What every reader promises: at least two samples, times that increase, finite values.
GyroRecording Checked(GyroRecording rec, const std::string& name) {
  if (rec.t.size() < 2) {
    throw InputError(Msg() << name << ": a gyroscope log needs at least two samples, found " << rec.t.size());
  }
  for (size_t i = 1; i < rec.t.size(); ++i) {
    if (!(rec.t[i] > rec.t[i - 1])) {
      throw InputError(Msg() << name << ": sample " << i << " at " << rec.t[i] << " s does not follow " << rec.t[i - 1]
                             << " s (times go backwards)");
    }
  }
  for (size_t i = 0; i < rec.t.size(); ++i) {
    if (!std::isfinite(rec.t[i]) || !rec.w[i].allFinite()) {
      throw InputError(Msg() << name << ": sample " << i << " is not finite");
    }
  }
  return rec;
}

}  // namespace

GyroRecording ReadGyroBytes(const std::string& bytes, const std::string& name, const GyroFileOptions& options) {
  GyroRecording rec;
  if (bytes.size() >= 4 && bytes.compare(0, 4, "DEVC") == 0) {
    rec = FromGpmf(bytes, name, {{0, std::nullopt}}, options, "gpmf");
  } else if (bytes.rfind("GYROFLOW IMU LOG", 0) == 0 || bytes.rfind("CAMERA IMU LOG", 0) == 0) {
    rec = FromGcsv(bytes, name, options);
  } else {
    for (char c : bytes.substr(0, 4096)) {
      if (c == '\0') throw InputError(Msg() << name << ": not a gyroscope log blurkit reads (binary, not GPMF or MP4)");
    }
    rec = FromCsv(bytes, name, options);
  }
  return Checked(std::move(rec), name);
}

GyroRecording ReadGyroRecording(const fs::path& file, const GyroFileOptions& options) {
  const std::string where = file.string();
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(Msg() << where << ": cannot open the gyroscope log");
  char head[12] = {};
  in.read(head, sizeof head);
  if (in.gcount() >= 8 && std::memcmp(head + 4, "ftyp", 4) == 0) {
    return Checked(FromMp4(file, options), where);
  }
  in.clear();
  in.seekg(0);
  std::ostringstream all;
  all << in.rdbuf();
  return ReadGyroBytes(all.str(), where, options);
}

}  // namespace blurkit::synth
