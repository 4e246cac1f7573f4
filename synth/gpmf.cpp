// GoPro's GPMF telemetry (gpmf-parser's README and GPMF_common.h): big-endian KLV entries of a
// four-character key, a type character, a structure size and a 16-bit repeat count, padded to 4
// bytes; DEVC devices nest STRM streams. Within a stream, metadata (SCAL, ORIN, ORIO, MTRX, STMP,
// TICK, TOCK, STNM) may come before or after the data it describes (GPMF allows any order), so a
// stream's metadata is gathered before its data is read.
#include <Eigen/Dense>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>

#include "blurkit/core/error.h"
#include "gyro_readers.h"

namespace blurkit::synth::gyro {
namespace {

// GoPro's IMU axes (X to the camera's left, Y out of its back, Z up; right-handed) into blurkit's
// camera frame (x right, y down, z forward): (-X, -Z, -Y).
Eigen::Vector3d GoproToCamera(const Eigen::Vector3d& g) { return {-g.x(), -g.z(), -g.y()}; }

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
  int size = 0;    // bytes of one sample
  int repeat = 0;  // samples
  size_t at = 0;   // offset of the header in the stream
  size_t data = 0; // offset of the data
  size_t bytes() const { return size_t(size) * repeat; }
};

class GpmfReader {
 public:
  GpmfReader(std::string_view bytes, std::string where)
      : b_(reinterpret_cast<const uint8_t*>(bytes.data())), n_(bytes.size()), where_(std::move(where)) {}

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
      if (k.bytes() > end - k.data) {
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
  // The entry's bytes with its type: what identifies a device (DVID may be a number of any type or
  // a four-character code; it is compared, never converted).
  std::string Raw(const Klv& k) const {
    return std::string(1, k.type) + std::string(reinterpret_cast<const char*>(b_ + k.data), k.bytes());
  }
  // Every number of a numeric entry, in order.
  std::vector<double> Numbers(const Klv& k) const {
    const int ts = TypeSize(k.type);
    if (ts == 0 || k.type == 'c' || k.type == 'F') throw Error(k.at, "entry " + KeyName(k.key) + " is not numeric");
    if (k.size % ts != 0) {
      throw Error(k.at, "entry " + KeyName(k.key) + ": sample size " + std::to_string(k.size) +
                            " is not a multiple of its type's");
    }
    std::vector<double> v;
    v.reserve(k.bytes() / ts);
    for (size_t i = 0; i < k.bytes(); i += ts) v.push_back(ValueAt(k.type, b_ + k.data + i));
    return v;
  }
  // The first number of a numeric entry that must hold one, finite.
  double First(const Klv& k) const {
    const std::vector<double> v = Numbers(k);
    if (v.empty()) throw Error(k.at, "entry " + KeyName(k.key) + " holds no value");
    if (!std::isfinite(v[0])) throw Error(k.at, "entry " + KeyName(k.key) + " is not a finite number");
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

// One payload of one sensor stream, with every time it carries.
struct Payload {
  size_t at = 0;                                       // byte offset, for messages
  std::optional<double> stmp, tick, tock, container;  // seconds
  std::vector<Eigen::Vector3d> values;                 // scaled, in GoPro's IMU axes
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
  if (!mtrx.empty() && mtrx.size() != 9) {
    throw r.Error(data.at, "MTRX holds " + std::to_string(mtrx.size()) + " values, expected 9 (a 3x3 matrix)");
  }
  if (mtrx.size() == 9 && !orio.empty()) {
    letters(orio, "ORIO");
    Eigen::Matrix3d m;  // output (in ORIO's order) = MTRX * input, rows are outputs
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 3; ++x) m(y, x) = mtrx[y * 3 + x];
    if (!m.allFinite()) throw r.Error(data.at, "MTRX holds a value that is not finite");
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

// What a stream says about its data, gathered from all of its entries first.
struct StreamMeta {
  std::optional<double> stmp, tick, tock;
  std::vector<double> scal{1.0}, mtrx;
  std::string orin, orio, stnm;
};

StreamMeta GatherMeta(const GpmfReader& r, const std::vector<Klv>& entries, std::optional<double> dev_tick,
                      std::optional<double> dev_tock) {
  StreamMeta m;
  m.tick = dev_tick;
  m.tock = dev_tock;
  for (const Klv& k : entries) {
    if (k.repeat == 0) continue;
    if (k.key == Key("STMP")) m.stmp = r.First(k) / 1e6;
    else if (k.key == Key("TICK")) m.tick = r.First(k) / 1000.0;
    else if (k.key == Key("TOCK")) m.tock = r.First(k) / 1000.0;
    else if (k.key == Key("SCAL")) m.scal = r.Numbers(k);
    else if (k.key == Key("ORIN")) m.orin = r.Text(k);
    else if (k.key == Key("ORIO")) m.orio = r.Text(k);
    else if (k.key == Key("MTRX")) m.mtrx = r.Numbers(k);
    else if (k.key == Key("STNM")) m.stnm = r.Text(k);
  }
  return m;
}

// The GYRO or ACCL entry `k` of a stream, scaled and put on GoPro's IMU axes.
Payload ReadSensor(const GpmfReader& r, const Klv& k, const StreamMeta& m, Device& d,
                   std::optional<double> container) {
  const bool gyro = k.key == Key("GYRO");
  const std::string label = m.stnm.empty() ? KeyName(k.key) : m.stnm;
  if (std::find(d.streams.begin(), d.streams.end(), label) == d.streams.end()) d.streams.push_back(label);
  if (k.type == '?' || TypeSize(k.type) == 0) throw r.Error(k.at, KeyName(k.key) + " is not a plain numeric stream");
  if (k.size != 3 * TypeSize(k.type)) {
    throw r.Error(k.at, KeyName(k.key) + " samples hold " + std::to_string(k.size / TypeSize(k.type)) +
                            " values, expected 3");
  }
  if (m.scal.size() != 1 && m.scal.size() != 3) {
    throw r.Error(k.at, "SCAL of " + KeyName(k.key) + " has " + std::to_string(m.scal.size()) +
                            " values, expected 1 or 3");
  }
  for (double s : m.scal) {
    if (!(s != 0) || !std::isfinite(s)) throw r.Error(k.at, "SCAL of " + KeyName(k.key) + " is zero or not finite");
  }
  std::string how;
  const Eigen::Matrix3d to_gopro = ChannelsToGopro(r, k, m.orin, m.orio, m.mtrx, d.name, &how);
  if (gyro) d.axes = how;
  Payload pay;
  pay.at = k.at;
  pay.stmp = m.stmp;
  pay.tick = m.tick;
  pay.tock = m.tock;
  pay.container = container;
  const std::vector<double> v = r.Numbers(k);
  const double s0 = m.scal[0], s1 = m.scal[m.scal.size() > 1 ? 1 : 0], s2 = m.scal[m.scal.size() > 1 ? 2 : 0];
  pay.values.reserve(v.size() / 3);
  for (size_t i = 0; i + 2 < v.size(); i += 3) {
    const Eigen::Vector3d g = to_gopro * Eigen::Vector3d(v[i] / s0, v[i + 1] / s1, v[i + 2] / s2);
    if (!g.allFinite()) throw r.Error(k.at, KeyName(k.key) + " holds a value that is not finite");
    pay.values.push_back(g);
  }
  return pay;
}

std::vector<Device> ParseGpmf(const GpmfReader& r, const std::vector<PayloadSpan>& payloads) {
  std::map<std::string, Device> devices;  // by DVID's raw bytes
  std::vector<std::string> order;
  for (size_t p = 0; p < payloads.size(); ++p) {
    const size_t begin = payloads[p].begin;
    const size_t end = p + 1 < payloads.size() ? payloads[p + 1].begin : r.size();
    for (const Klv& devc : r.Entries(begin, end)) {
      if (devc.key != Key("DEVC")) continue;
      if (devc.type != 0) throw r.Error(devc.at, "DEVC is not a nest of entries");
      std::string id;
      std::string name;
      std::optional<double> dev_tick, dev_tock;
      const auto entries = r.Entries(devc.data, devc.data + devc.bytes());
      for (const Klv& k : entries) {
        if (k.key == Key("DVID")) id = r.Raw(k);
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
        const auto stream = r.Entries(strm.data, strm.data + strm.bytes());
        const StreamMeta meta = GatherMeta(r, stream, dev_tick, dev_tock);
        for (const Klv& k : stream) {
          if (k.repeat == 0) continue;
          if (k.key == Key("SHUT")) {
            for (double v : r.Numbers(k)) {
              if (!(std::isfinite(v) && v > 0)) {
                throw r.Error(k.at, "SHUT holds an exposure time of " + std::to_string(v) +
                                        " s, expected a positive number of seconds");
              }
              d.shutter.push_back(v);
            }
          } else if (k.key == Key("GYRO") || k.key == Key("ACCL")) {
            (k.key == Key("GYRO") ? d.gyro : d.accel).push_back(ReadSensor(r, k, meta, d, payloads[p].container_time));
          }
        }
      }
    }
  }
  std::vector<Device> out;
  for (const std::string& id : order) out.push_back(std::move(devices[id]));
  return out;
}

// Sample times of a stream's payloads, from one source for the whole stream: STMP (microseconds)
// where every payload carries it, else TICK (milliseconds), else the container's packet times; a
// stream whose payloads have none of these for all of them takes the user's rate, or is refused.
// Each payload's samples are evenly spaced up to the next payload's start (the last payload: up
// to its TOCK, or at the rate measured over the others).
std::vector<double> PayloadTimes(const GpmfReader& r, const std::vector<Payload>& pays, double rate,
                                 std::string* timing) {
  using Field = std::optional<double> Payload::*;
  struct Source {
    Field field;
    const char* name;
  };
  const Source sources[] = {{&Payload::stmp, "STMP (microseconds)"},
                            {&Payload::tick, "TICK (milliseconds)"},
                            {&Payload::container, "the MP4 track"}};
  const Source* source = nullptr;
  for (const Source& s : sources) {
    bool all = true;
    for (const auto& p : pays) all = all && (p.*s.field).has_value();
    if (all) {
      source = &s;
      break;
    }
  }
  size_t total = 0;
  for (const auto& p : pays) total += p.values.size();
  std::vector<double> t;
  t.reserve(total);
  if (!source) {
    if (!(rate > 0)) {
      size_t stmp = 0, tick = 0, track = 0;
      for (const auto& p : pays) stmp += p.stmp.has_value(), tick += p.tick.has_value(), track += p.container.has_value();
      if (stmp + tick + track == 0) {
        throw r.Error(pays.front().at, "the gyroscope stream has no times (no STMP, TICK or MP4 track): give the "
                                       "MP4 file, or its sample rate with --gyro-rate HZ");
      }
      throw r.Error(pays.front().at, "no kind of time is in all of the gyroscope stream's " +
                                         std::to_string(pays.size()) + " payloads (STMP in " + std::to_string(stmp) +
                                         ", TICK in " + std::to_string(tick) + ", the MP4 track's in " +
                                         std::to_string(track) + "), and times of different kinds are never "
                                         "mixed: give --gyro-rate HZ");
    }
    *timing = "--gyro-rate " + std::to_string(rate) + " Hz (given)";
    for (size_t i = 0; i < total; ++i) t.push_back(i / rate);
    return t;
  }
  *timing = source->name;
  auto start_of = [&](const Payload& p) { return *(p.*source->field); };
  size_t done = 0;
  for (size_t i = 0; i < pays.size(); ++i) {
    const double s = start_of(pays[i]);
    const size_t n = pays[i].values.size();
    if (i > 0 && !(s > start_of(pays[i - 1]))) {
      throw r.Error(pays[i].at, "payload time " + std::to_string(s) + " s does not follow the previous payload's " +
                                    std::to_string(start_of(pays[i - 1])) + " s (times go backwards)");
    }
    double dt;
    if (i + 1 < pays.size()) {
      dt = (start_of(pays[i + 1]) - s) / n;
    } else if (pays[i].tock && pays[i].tick && *pays[i].tock > *pays[i].tick) {
      dt = (*pays[i].tock - *pays[i].tick) / n;
    } else if (i > 0 && done > 0) {
      dt = (s - start_of(pays[0])) / done;
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
  size_t n = 0;
  for (const auto& p : pays) n += p.values.size();
  v.reserve(n);
  for (const auto& p : pays) {
    for (const auto& g : p.values) v.push_back(GoproToCamera(g));
  }
  return v;
}

}  // namespace

GyroRecording ReadGpmf(std::string_view bytes, const std::string& where, const std::vector<PayloadSpan>& payloads,
                       const GyroFileOptions& options, const std::string& format) {
  if (bytes.size() > kMaxGpmfBytes) {
    throw InputError(Msg() << where << ": " << bytes.size() << " bytes of GPMF telemetry, more than blurkit reads ("
                           << (kMaxGpmfBytes >> 20) << " MiB, hours of a GoPro's telemetry)");
  }
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
  rec.w = Flatten(camera->gyro);
  rec.axes = "GoPro IMU axes from " + camera->axes + "; blurkit (x, y, z) = (-X, -Z, -Y)";
  if (!camera->accel.empty()) {
    rec.accel = Flatten(camera->accel);
    std::string accel_timing;
    try {
      rec.accel_t = PayloadTimes(r, camera->accel, 0, &accel_timing);
    } catch (const InputError&) {
      rec.accel_t.clear();  // no times of its own: its values still show where gravity points
    }
  }
  rec.exposure = std::move(camera->shutter);
  return rec;
}

}  // namespace blurkit::synth::gyro
