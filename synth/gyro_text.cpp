// Text gyroscope logs, read line by line (a log is never held whole in memory):
//
//   Gyroflow .gcsv  "GYROFLOW IMU LOG" or "CAMERA IMU LOG", header lines (orientation, tscale, gscale,
//                   ascale) and rows t,gx,gy,gz[,ax,ay,az], comma-separated (the format as Gyroflow's
//                   docs describe it: gyroflow/gyroflow-docs, docs/logging/gcsv.md). Its axes are
//                   Gyroflow's camera frame: the lens level and forward, x up, y left, z back
//                   (docs/logging/orientation.md), reached through the file's `orientation` string.
//   CSV             one reader for every CSV: a logger app's layout (Sensor Logger, phyphox, found
//                   from the header), columns named by the user, or blurkit's own rows t,wx,wy,wz.
//                   One delimiter per file, taken from its first line: a tab, else a semicolon,
//                   else a comma, else runs of spaces. Where the delimiter is a tab or a semicolon
//                   a number may use a decimal comma (phyphox's "semicolon, decimal comma" export).
#include <Eigen/Core>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>

#include "blurkit/core/error.h"
#include "gyro_readers.h"

namespace blurkit::synth::gyro {
namespace {

constexpr double kStandardGravity = 9.80665;  // .gcsv accelerometers are in g

// Gyroflow's camera frame (x up, y left, z back, the lens level and forward) into blurkit's.
Eigen::Vector3d GyroflowToCamera(const Eigen::Vector3d& g) { return {-g.y(), -g.x(), -g.z()}; }

// Lines of a stream, each at most kMaxLineBytes, without their '\r\n'; numbered from 1.
class LineReader {
 public:
  LineReader(std::istream& in, const std::string& where) : in_(in), where_(where), buffer_(kMaxLineBytes + 2) {}
  bool Next(std::string* line) {
    if (!in_.good()) return false;
    in_.getline(buffer_.data(), std::streamsize(buffer_.size()));
    const std::streamsize got = in_.gcount();
    if (got == 0 && in_.eof()) return false;
    ++number_;
    if (in_.fail() && !in_.eof()) {
      throw InputError(Msg() << where_ << ":" << number_ << ": a line of more than " << kMaxLineBytes
                             << " bytes (not a gyroscope log blurkit reads)");
    }
    const size_t length = size_t(got) - (in_.eof() ? 0 : 1);  // the newline is counted, not stored
    line->assign(buffer_.data(), length);
    if (!line->empty() && line->back() == '\r') line->pop_back();
    return true;
  }
  int number() const { return number_; }

 private:
  std::istream& in_;
  const std::string& where_;
  std::vector<char> buffer_;
  int number_ = 0;
};

bool Blank(const std::string& line) { return line.find_first_not_of(" \t") == std::string::npos; }
bool Comment(const std::string& line) {
  const auto first = line.find_first_not_of(" \t");
  return first == std::string::npos || line[first] == '#';
}

// ' ' stands for runs of spaces and tabs.
char DetectDelimiter(const std::string& line) {
  int tabs = 0, semicolons = 0, commas = 0;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    tabs += c == '\t';
    semicolons += c == ';';
    commas += c == ',';
  }
  return tabs ? '\t' : semicolons ? ';' : commas ? ',' : ' ';
}

std::vector<std::string> SplitCells(const std::string& line, char delimiter) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false;
  bool in_cell = false;  // whitespace mode: inside a run of non-blank characters
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
      in_cell = true;
    } else if (!quoted && delimiter == ' ' && (c == ' ' || c == '\t')) {
      if (in_cell) cells.push_back(cell);
      cell.clear();
      in_cell = false;
    } else if (!quoted && c == delimiter) {
      cells.push_back(cell);
      cell.clear();
    } else {
      cell += c;
      in_cell = true;
    }
  }
  if (delimiter != ' ' || in_cell) cells.push_back(cell);
  for (auto& c : cells) {
    const auto a = c.find_first_not_of(' '), b = c.find_last_not_of(' ');
    c = a == std::string::npos ? "" : c.substr(a, b - a + 1);
  }
  return cells;
}

// A finite number, the whole cell; with a decimal comma where the file's delimiter allows one.
bool Number(const std::string& s, double* v, bool decimal_comma = false) {
  if (s.empty()) return false;
  std::string text = s;
  if (decimal_comma && std::count(text.begin(), text.end(), ',') == 1 && text.find('.') == std::string::npos) {
    text[text.find(',')] = '.';
  }
  char* end = nullptr;
  *v = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(*v);
}

// Whether one of the four cells reads as a number that is NaN or infinite.
bool NotFinite(const std::vector<std::string>& cells, const int* index) {
  for (int k = 0; k < 4; ++k) {
    const std::string& s = cells[index[k]];
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size() && !std::isfinite(v)) return true;
  }
  return false;
}

// A 0-based column index: digits only, below kMaxColumns (no exponent, sign or fraction).
constexpr int kMaxColumns = 10000;
bool ColumnIndex(const std::string& s, int* index) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  if (v >= kMaxColumns) return false;
  *index = v;
  return true;
}

void CheckIncreasing(const std::vector<double>& t, const std::string& where, int line) {
  if (t.size() >= 2 && !(t.back() > t[t.size() - 2])) {
    throw InputError(Msg() << where << ":" << line << ": time " << t.back() << " s does not increase "
                           << "(previous row: " << t[t.size() - 2] << " s)");
  }
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

}  // namespace

GyroRecording ReadGcsv(std::istream& in, const std::string& where, const GyroFileOptions& options) {
  LineReader lines(in, where);
  std::string line;
  lines.Next(&line);  // "GYROFLOW IMU LOG"
  std::map<std::string, std::string> header;
  std::map<std::string, int> header_line;
  std::vector<std::string> columns;
  while (lines.Next(&line)) {
    const auto cells = SplitCells(line, ',');
    if (!cells.empty() && cells[0] == "t") {
      columns = cells;
      break;
    }
    if (cells.size() >= 2) {
      header[cells[0]] = cells[1];
      header_line[cells[0]] = lines.number();
    }
  }
  if (columns.empty()) throw InputError(Msg() << where << ": no column line 't,gx,gy,gz' after the header");
  if (columns.size() < 4 || columns[1] != "gx" || columns[2] != "gy" || columns[3] != "gz") {
    throw InputError(Msg() << where << ":" << lines.number() << ": columns '" << line
                           << "', expected t,gx,gy,gz[,ax,ay,az...]");
  }
  const bool has_accel = columns.size() >= 7 && columns[4] == "ax" && columns[5] == "ay" && columns[6] == "az";
  auto scale = [&](const char* key) {
    if (!header.count(key)) return 1.0;
    double v;
    if (!Number(header[key], &v) || v == 0) {
      throw InputError(Msg() << where << ":" << header_line[key] << ": " << key << " '" << header[key]
                             << "' is not a non-zero number");
    }
    return v;
  };
  const double tscale = scale("tscale"), gscale = scale("gscale"), ascale = scale("ascale");
  // The orientation string maps the logger's axes into Gyroflow's camera frame; the format puts it
  // on the fourth line. A log without it gives no axes: refused unless --gyro-axes gives them.
  std::string orientation = options.axes;
  std::string what = "--gyro-axes";
  if (orientation.empty()) {
    if (!header.count("orientation")) {
      throw InputError(Msg() << where << ": no 'orientation' line (the IMU's axes; Gyroflow's .gcsv format "
                             << "puts it on the fourth line): give them with --gyro-axes, e.g. XYZ");
    }
    orientation = header["orientation"];
    what = where + ":" + std::to_string(header_line["orientation"]) + ": orientation";
  }
  const AxisMap map = AxisMap::Parse(orientation, what);
  GyroRecording rec;
  rec.format = "gcsv";
  rec.device = header.count("vendor") ? header["vendor"] : header.count("id") ? header["id"] : "";
  rec.timing = "t x tscale " + (header.count("tscale") ? header["tscale"] : std::string("1"));
  rec.axes = "orientation " + orientation + (options.axes.empty() ? " (from the file)" : " (--gyro-axes)") +
             " into Gyroflow's camera axes (x up, y left, z back); blurkit (x, y, z) = (-y, -x, -z)";
  while (lines.Next(&line)) {
    if (Blank(line)) continue;
    const auto cells = SplitCells(line, ',');
    std::vector<double> v(cells.size());
    bool ok = cells.size() == columns.size();
    for (size_t c = 0; c < cells.size() && ok; ++c) ok = Number(cells[c], &v[c]);
    if (!ok) {
      throw InputError(Msg() << where << ":" << lines.number() << ": expected " << columns.size() << " numbers, got '"
                             << line.substr(0, 200) << "'");
    }
    rec.t.push_back(v[0] * tscale);
    CheckIncreasing(rec.t, where, lines.number());
    rec.w.push_back(GyroflowToCamera(map.Apply(Eigen::Vector3d(v[1], v[2], v[3]) * gscale)));
    if (has_accel) {
      rec.accel_t.push_back(v[0] * tscale);
      rec.accel.push_back(GyroflowToCamera(map.Apply(Eigen::Vector3d(v[4], v[5], v[6]) * ascale * kStandardGravity)));
    }
  }
  return rec;
}

GyroRecording ReadCsv(std::istream& in, const std::string& where, const GyroFileOptions& given) {
  GyroFileOptions options = given;
  LineReader lines(in, where);
  std::string line;
  bool any = false;
  while ((any = lines.Next(&line)) && Comment(line)) {
  }
  if (!any) throw InputError(Msg() << where << ": empty gyroscope log");
  const int first_line = lines.number();
  const char delimiter = DetectDelimiter(line);
  const bool decimal_comma = delimiter == ';' || delimiter == '\t';
  const std::vector<std::string> first = SplitCells(line, delimiter);
  bool numeric_first = true;
  for (const auto& c : first) {
    double v;
    numeric_first = numeric_first && Number(c, &v, decimal_comma);
  }
  std::string joined;
  for (size_t c = 0; c < first.size(); ++c) joined += (c ? "," : "") + first[c];
  const Preset* preset = nullptr;
  for (const auto& p : kPresets) {
    if (options.preset == p.name || (options.preset.empty() && options.columns.empty() && joined.rfind(p.header_start, 0) == 0)) {
      preset = &p;
    }
  }
  if (!options.preset.empty() && !preset) {
    throw InputError(Msg() << "--gyro-preset must be sensor-logger or phyphox, got '" << options.preset << "'");
  }
  if (preset) {
    if (options.columns.empty()) options.columns = preset->columns;
    if (options.time_unit.empty()) options.time_unit = preset->time_unit;
    if (options.axes.empty()) options.axes = preset->axes;
  }
  // blurkit's own rows: t,wx,wy,wz in seconds and rad/s about its camera axes.
  const bool own = options.columns.empty() && options.axes.empty() && options.time_unit.empty();
  double unit = 1;
  if (options.time_unit == "ns") unit = 1e-9;
  else if (options.time_unit == "us") unit = 1e-6;
  else if (options.time_unit == "ms") unit = 1e-3;
  else if (options.time_unit != "s" && !options.time_unit.empty()) {
    throw InputError(Msg() << "--gyro-time-unit must be s, ms, us or ns, got '" << options.time_unit << "'");
  }
  const AxisMap map = AxisMap::Parse(options.axes.empty() ? "XYZ" : options.axes, "--gyro-axes");
  const std::string spec = options.columns.empty() ? "0,1,2,3" : options.columns;
  // The four columns, by 0-based index or by name in the header (the columns option is always
  // comma-separated, whatever the file's delimiter).
  const auto wanted = SplitCells(spec, ',');
  if (wanted.size() != 4) {
    throw InputError(Msg() << "--gyro-columns needs 4 columns (time, x, y, z), got '" << spec << "'");
  }
  int index[4];
  for (int k = 0; k < 4; ++k) {
    if (ColumnIndex(wanted[k], &index[k])) continue;
    const auto it = std::find(first.begin(), first.end(), wanted[k]);
    if (numeric_first || it == first.end()) {
      double v;
      throw InputError(Msg() << where << ":" << first_line << ": no column '" << wanted[k] << "' in the "
                             << (numeric_first ? "first row" : "header") << " '" << line.substr(0, 200) << "'"
                             << (preset ? std::string(" (preset ") + preset->name + ")" : "")
                             << (Number(wanted[k], &v) ? " (a column index is a whole number below 10000)" : ""));
    }
    index[k] = int(it - first.begin());
  }
  const size_t cells_per_row = first.size();
  if (own && cells_per_row != 4) {
    throw InputError(Msg() << where << ":" << first_line << ": expected 4 numbers t,wx,wy,wz (seconds, rad/s; or "
                           << "give --gyro-columns), got " << cells_per_row << " cells in '" << line.substr(0, 200) << "'");
  }
  const int need = *std::max_element(index, index + 4);
  if (size_t(need) >= cells_per_row) {
    throw InputError(Msg() << where << ":" << first_line << ": --gyro-columns " << spec << " names column " << need
                           << ", the file's rows have " << cells_per_row << " cells");
  }
  GyroRecording rec;
  rec.format = "csv";
  if (own) {
    rec.timing = "column t in s";
    rec.axes = "blurkit's camera frame (rows t,wx,wy,wz)";
  } else {
    rec.timing = "column " + wanted[0] + " in " + (options.time_unit.empty() ? "s" : options.time_unit);
    rec.axes = (preset ? std::string(preset->name) + ": " : std::string()) + "blurkit (x, y, z) from " +
               (options.axes.empty() ? std::string("XYZ") : options.axes);
  }
  const char* delimiter_name = delimiter == '\t' ? "tab" : delimiter == ';' ? "semicolon" : delimiter == ',' ? "comma" : "spaces";
  bool row = numeric_first;  // the first line is a row, not a header
  do {
    if (!row) {
      row = true;
      continue;
    }
    if (Comment(line)) continue;
    const auto cells = SplitCells(line, delimiter);
    double v[4];
    bool ok = cells.size() == cells_per_row;
    for (int k = 0; k < 4 && ok; ++k) ok = Number(cells[index[k]], &v[k], decimal_comma);
    if (!ok) {
      Msg m;
      m << where << ":" << lines.number() << ": ";
      if (cells.size() == cells_per_row && NotFinite(cells, index)) {
        m << "NaN or infinite value in '" << line.substr(0, 200) << "'";
        throw InputError(m);
      }
      m << "expected ";
      if (own) m << "4 numbers t,wx,wy,wz (seconds, rad/s; or give --gyro-columns)";
      else m << cells_per_row << " cells with numbers in columns " << spec;
      m << ", " << delimiter_name << "-separated as the file's line " << first_line << ", got '" << line.substr(0, 200) << "'";
      throw InputError(m);
    }
    rec.t.push_back(v[0] * unit);
    CheckIncreasing(rec.t, where, lines.number());
    rec.w.push_back(map.Apply({v[1], v[2], v[3]}));
  } while (lines.Next(&line));
  return rec;
}

}  // namespace blurkit::synth::gyro
