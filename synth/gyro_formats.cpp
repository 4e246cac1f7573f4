// Reading a recorded gyroscope log: the file checked (a regular file, within the size a log can
// have), its format found from its first bytes, its reader run (gpmf.cpp, gyro_mp4.cpp,
// gyro_text.cpp) and what every reader promises checked on the result.
#include "blurkit/synth/gyro_formats.h"

#include <cctype>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "blurkit/core/error.h"
#include "gyro_readers.h"

namespace blurkit::synth {
namespace fs = std::filesystem;

namespace gyro {

int AxisOf(char c) { return c == 'X' || c == 'x' ? 0 : c == 'Y' || c == 'y' ? 1 : c == 'Z' || c == 'z' ? 2 : -1; }

}  // namespace gyro

AxisMap AxisMap::Parse(const std::string& text, const std::string& what) {
  AxisMap m;
  bool ok = text.size() == 3;
  for (int i = 0; i < 3 && ok; ++i) {
    const int a = gyro::AxisOf(text[i]);
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

void CheckOptions(const GyroFileOptions& options) {
  if (!(std::isfinite(options.rate) && options.rate >= 0)) {
    throw InputError(Msg() << "--gyro-rate must be a positive number of samples per second (0: not given), got "
                           << options.rate);
  }
}

// What every reader promises: at least two samples, times that increase, finite values.
GyroRecording Checked(GyroRecording rec, const std::string& name) {
  if (rec.t.size() < 2) {
    throw InputError(Msg() << name << ": a gyroscope log needs at least two samples, found " << rec.t.size());
  }
  BLURKIT_CHECK(rec.t.size() == rec.w.size()) << name;
  for (size_t i = 0; i < rec.t.size(); ++i) {
    if (!std::isfinite(rec.t[i]) || !rec.w[i].allFinite()) {
      throw InputError(Msg() << name << ": sample " << i << " is not finite");
    }
    if (i > 0 && !(rec.t[i] > rec.t[i - 1])) {
      throw InputError(Msg() << name << ": sample " << i << " at " << rec.t[i] << " s does not follow " << rec.t[i - 1]
                             << " s (times go backwards)");
    }
  }
  return rec;
}

bool IsGcsv(std::string_view head) {
  return head.substr(0, 16) == "GYROFLOW IMU LOG" || head.substr(0, 14) == "CAMERA IMU LOG";
}

// Text that is not a log: a NUL byte among the first 4 kB.
void CheckText(std::string_view head, const std::string& name) {
  if (head.substr(0, 4096).find('\0') != std::string_view::npos) {
    throw InputError(Msg() << name << ": not a gyroscope log blurkit reads (binary, not GPMF or MP4)");
  }
}

}  // namespace

GyroRecording ReadGyroBytes(const std::string& bytes, const std::string& name, const GyroFileOptions& options) {
  CheckOptions(options);
  GyroRecording rec;
  if (bytes.size() >= 4 && bytes.compare(0, 4, "DEVC") == 0) {
    rec = gyro::ReadGpmf(bytes, name, {gyro::PayloadSpan{}}, options, "gpmf");
  } else {
    CheckText(bytes, name);
    std::istringstream in(bytes);
    rec = IsGcsv(bytes) ? gyro::ReadGcsv(in, name, options) : gyro::ReadCsv(in, name, options);
  }
  return Checked(std::move(rec), name);
}

GyroRecording ReadGyroRecording(const fs::path& file, const GyroFileOptions& options) {
  CheckOptions(options);
  const std::string where = file.string();
  // Only a regular file: a named pipe or a device would be read for ever (and opening a FIFO
  // blocks until something writes to it).
  std::error_code ec;
  const fs::file_status status = fs::status(file, ec);
  if (ec || !fs::exists(status)) throw MissingInputError(Msg() << where << ": cannot open the gyroscope log (no such file)");
  if (!fs::is_regular_file(status)) {
    throw InputError(Msg() << where << ": not a regular file (a folder, named pipe or device): give the "
                           << "gyroscope log itself");
  }
  const uintmax_t size = fs::file_size(file, ec);
  std::ifstream in(file, std::ios::binary);
  if (ec || !in) throw InputError(Msg() << where << ": cannot open the gyroscope log");
  char head_bytes[4096];
  in.read(head_bytes, sizeof head_bytes);
  const std::string_view head(head_bytes, size_t(in.gcount()));
  if (head.size() >= 8 && head.substr(4, 4) == "ftyp") {
    in.close();
    return Checked(gyro::ReadMp4(file, options), where);
  }
  if (head.substr(0, 4) == "DEVC") {
    if (size > gyro::kMaxGpmfBytes) {
      throw InputError(Msg() << where << ": " << size << " bytes of GPMF telemetry, more than blurkit reads ("
                             << (gyro::kMaxGpmfBytes >> 20) << " MiB, hours of a GoPro's telemetry)");
    }
    std::string bytes(size_t(size), '\0');
    in.clear();
    in.seekg(0);
    in.read(bytes.data(), std::streamsize(bytes.size()));
    bytes.resize(size_t(in.gcount()));
    return Checked(gyro::ReadGpmf(bytes, where, {gyro::PayloadSpan{}}, options, "gpmf"), where);
  }
  if (size > gyro::kMaxTextBytes) {
    throw InputError(Msg() << where << ": " << size << " bytes, more than a text gyroscope log blurkit reads ("
                           << (gyro::kMaxTextBytes >> 20) << " MiB)");
  }
  CheckText(head, where);
  in.clear();
  in.seekg(0);
  return Checked(IsGcsv(head) ? gyro::ReadGcsv(in, where, options) : gyro::ReadCsv(in, where, options), where);
}

}  // namespace blurkit::synth
