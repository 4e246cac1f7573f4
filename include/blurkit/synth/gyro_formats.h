// Recorded camera motion: gyroscope logs of real cameras, read into blurkit's camera frame (x right,
// y down, z forward; include/blurkit/synth/camera.h) as body rates in rad/s with times in seconds.
// The format is found from the content, not the file name:
//
//   GoPro MP4/MOV   the GPMF telemetry of its `gpmd` track, read with libavformat; each payload's
//                   time comes from the track (or from STMP where the payload carries it)
//   raw GPMF        the bytes of such a track (starting with a DEVC key)
//   Gyroflow .gcsv  "GYROFLOW IMU LOG" (or "CAMERA IMU LOG"), header lines (orientation, tscale,
//                   gscale, ascale) and rows t,gx,gy,gz[,ax,ay,az]; no orientation: refused
//                   unless GyroFileOptions::axes gives it
//   CSV             a header and columns mapped by GyroFileOptions (presets for Sensor Logger and
//                   phyphox); blurkit's own t,wx,wy,wz rows without options; one delimiter a
//                   file (tab, else semicolon, else comma, else spaces)
//
// GPMF (GoPro's gpmf-parser README and GPMF_common.h): big-endian KLV entries of a four-character
// key, a type character, a structure size and a 16-bit repeat count, padded to 4 bytes; DEVC
// devices nest STRM streams, whose last data entry is scaled by SCAL (one divisor or one per
// channel); a stream's metadata applies wherever it stands in the stream. Times, one source for a
// whole stream: STMP (microseconds) where every payload has it, else TICK (milliseconds), else the
// MP4 packet times, else the rate the user gives; never a mix, never a rate made up here. Axes: MTRX with ORIO,
// else ORIN, else GoPro's documented per-model channel order, all into GoPro's IMU axes (X to the
// camera's left, Y out of its back, Z up) and from there into blurkit's frame as (-X, -Z, -Y).
// SHUT gives each video frame's exposure time.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace blurkit::synth {

struct GyroFileOptions {
  // CSV logs: the preset of a logger app ("sensor-logger", "phyphox"), or the columns that hold
  // time and the x, y, z rates ("time,gx,gy,gz": header names or 0-based indices), the time unit
  // (s, ms, us, ns) and the axes. Axes, here and for .gcsv: a signed permutation in Gyroflow's
  // notation, e.g. "yXz": letter i is the input axis that becomes output axis i (X, Y, Z = the
  // first, second, third rate column), lowercase negated. For CSV the output is blurkit's frame.
  std::string preset;
  std::string columns;
  std::string time_unit;
  std::string axes;
  // Raw GPMF without STMP, TICK or a container: samples per second, from the user.
  double rate = 0;
};

// What a log holds, as read.
struct GyroRecording {
  std::string format;                  // "gpmf-mp4", "gpmf", "gcsv", "csv"
  std::string device;                  // GPMF: the camera's name (DVNM)
  std::vector<std::string> streams;    // GPMF: the streams found (STNM or their keys)
  std::string timing;                  // where the times come from ("STMP", "TICK", "MP4 track", ...)
  std::string axes;                    // the axis mapping applied, in words
  std::vector<double> t;               // seconds, increasing
  std::vector<Eigen::Vector3d> w;      // rad/s, blurkit's camera frame
  std::vector<double> accel_t;         // the accelerometer's times, seconds (empty where unknown)
  std::vector<Eigen::Vector3d> accel;  // m/s^2 in blurkit's frame: at rest and level about (0, -9.8, 0)
  std::vector<double> exposure;        // GPMF SHUT: seconds, one per video frame
};

// Throws InputError naming the file and the byte offset (binary) or the line (text); a path that is
// not there MissingInputError; a path that is not a regular file (a FIFO, a folder) is refused
// without being opened. The readers (synth/gyro_readers.h) bound what a file can make them hold.
GyroRecording ReadGyroRecording(const std::filesystem::path& file, const GyroFileOptions& options = {});
// The same on bytes already read (the fuzz test's entry point); `name` is used in messages.
GyroRecording ReadGyroBytes(const std::string& bytes, const std::string& name,
                            const GyroFileOptions& options = {});

// "yXz" into out[i] = sign[i] * in[index[i]]; throws InputError naming `what`.
struct AxisMap {
  int index[3] = {0, 1, 2};
  double sign[3] = {1, 1, 1};
  static AxisMap Parse(const std::string& text, const std::string& what);
  Eigen::Vector3d Apply(const Eigen::Vector3d& v) const;
};

}  // namespace blurkit::synth
