// The readers behind ReadGyroRecording (include/blurkit/synth/gyro_formats.h), one file per format
// family: gpmf.cpp (GoPro's KLV telemetry), gyro_mp4.cpp (the gpmd track of an MP4/MOV container),
// gyro_text.cpp (Gyroflow .gcsv and CSV logs). Each returns what the file holds; the public entry
// points check what every reader promises (at least two samples, increasing times, finite values).
//
// Bounds on what a file can make blurkit hold (hostile or merely unusual input): GPMF bytes, from a
// raw stream or gathered from an MP4's gpmd track, at most kMaxGpmfBytes (a GoPro writes a few tens
// of kB of telemetry a second: 128 MiB is over half an hour of a HERO11's complete GPMF); text logs
// at most kMaxTextBytes and kMaxLineBytes a line. Every gyroscope sample takes at least 3 bytes of
// GPMF (three values of one byte or more) and one line of text, so no reader returns more samples
// than that.
#pragma once

#include <cstddef>
#include <filesystem>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blurkit/synth/gyro_formats.h"

namespace blurkit::synth::gyro {

inline constexpr size_t kMaxGpmfBytes = size_t(128) << 20;
inline constexpr size_t kMaxTextBytes = size_t(1) << 30;
inline constexpr size_t kMaxLineBytes = size_t(1) << 16;

// One payload of a GPMF byte string: where it starts and, from a container, its time in seconds.
struct PayloadSpan {
  size_t begin = 0;
  std::optional<double> container_time;
};

// GPMF bytes cut into payloads (a raw stream is one payload without a container time).
GyroRecording ReadGpmf(std::string_view bytes, const std::string& where, const std::vector<PayloadSpan>& payloads,
                       const GyroFileOptions& options, const std::string& format);
// The gpmd track of an MP4/MOV file; only that track's packets are read.
GyroRecording ReadMp4(const std::filesystem::path& file, const GyroFileOptions& options);
// Text logs, read line by line from `in` (never whole into memory); `where` names the file.
GyroRecording ReadGcsv(std::istream& in, const std::string& where, const GyroFileOptions& options);
GyroRecording ReadCsv(std::istream& in, const std::string& where, const GyroFileOptions& options);

// 0, 1, 2 for x, y, z (either case); -1 otherwise.
int AxisOf(char c);

}  // namespace blurkit::synth::gyro
