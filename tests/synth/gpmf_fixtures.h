// GPMF test material shared by the gyro reader tests: the sample streams, GPMF built entry by entry
// (big-endian KLV: key, type, structure size, repeat, data padded to 4 bytes) and MP4 files with a
// gpmd track written with FFmpeg's mov muxer.
#pragma once

extern "C" {
#include <libavformat/avformat.h>
}

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace blurkit::synth::testing {

inline std::filesystem::path GoproSamples() {
  const char* root = std::getenv("BLURKIT_SOURCE_DIR");
  return std::filesystem::path(root ? root : ".") / "data" / "samples" / "gyro" / "gopro";
}

inline std::string ReadBytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// One KLV entry: `data` holds repeat samples of `size` bytes each.
inline std::string Klv(const char* key, char type, int size, int repeat, const std::string& data) {
  std::string e(key, 4);
  e += type;
  e += char(size);
  e += char((repeat >> 8) & 0xff);
  e += char(repeat & 0xff);
  e += data;
  e.append((4 - data.size() % 4) % 4, '\0');
  return e;
}
inline std::string Nest(const char* key, const std::string& entries) { return Klv(key, 0, 1, int(entries.size()), entries); }
inline std::string Be16(int v) { return std::string{char((v >> 8) & 0xff), char(v & 0xff)}; }
inline std::string Be32(uint32_t v) {
  return std::string{char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)};
}
inline std::string Be64(uint64_t v) { return Be32(uint32_t(v >> 32)) + Be32(uint32_t(v)); }
inline std::string Float(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return Be32(bits);
}
inline std::string Text(const char* key, const std::string& s) { return Klv(key, 'c', 1, int(s.size()), s); }
// A GYRO entry of int16 samples (x, y, z channels, before SCAL).
inline std::string Gyro(const std::vector<int>& xyz) {
  std::string d;
  for (int v : xyz) d += Be16(v);
  return Klv("GYRO", 's', 6, int(xyz.size() / 3), d);
}

// Writes GPMF payloads as the packets of a gpmd data track, `step_ms` apart; where `filler_bytes` is
// positive, a second data track with that many bytes in 1 MiB packets is interleaved (a stand-in
// for the video a real recording carries). Returns false where this FFmpeg cannot write such a file.
inline bool WriteGpmdMp4(const std::filesystem::path& file, const std::vector<std::string>& payloads,
                         int64_t step_ms = 1001, size_t filler_bytes = 0) {
  AVFormatContext* out = nullptr;
  if (avformat_alloc_output_context2(&out, nullptr, "mov", file.c_str()) < 0 || !out) return false;
  AVStream* st = avformat_new_stream(out, nullptr);
  st->codecpar->codec_type = AVMEDIA_TYPE_DATA;
  st->codecpar->codec_id = AV_CODEC_ID_BIN_DATA;
  st->codecpar->codec_tag = MKTAG('g', 'p', 'm', 'd');
  st->time_base = AVRational{1, 1000};
  AVStream* filler = nullptr;
  if (filler_bytes > 0) {
    filler = avformat_new_stream(out, nullptr);  // a video track (its bytes are never decoded)
    filler->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    filler->codecpar->codec_id = AV_CODEC_ID_MJPEG;
    filler->codecpar->width = 64;
    filler->codecpar->height = 64;
    filler->time_base = AVRational{1, 1000};
  }
  bool ok = avio_open(&out->pb, file.c_str(), AVIO_FLAG_WRITE) >= 0 && avformat_write_header(out, nullptr) >= 0;
  const size_t chunk = size_t(1) << 20;
  const size_t filler_packets = filler ? (filler_bytes + chunk - 1) / chunk : 0;
  for (size_t k = 0; ok && k < std::max(payloads.size(), filler_packets); ++k) {
    if (k < payloads.size()) {
      AVPacket* pkt = av_packet_alloc();
      av_new_packet(pkt, int(payloads[k].size()));
      std::memcpy(pkt->data, payloads[k].data(), payloads[k].size());
      pkt->stream_index = st->index;
      pkt->pts = pkt->dts = av_rescale_q(int64_t(k) * step_ms, AVRational{1, 1000}, st->time_base);
      pkt->duration = av_rescale_q(step_ms, AVRational{1, 1000}, st->time_base);
      ok = av_interleaved_write_frame(out, pkt) >= 0;
      av_packet_free(&pkt);
    }
    if (ok && k < filler_packets) {
      AVPacket* pkt = av_packet_alloc();
      av_new_packet(pkt, int(std::min(chunk, filler_bytes - k * chunk)));
      std::memset(pkt->data, int(k & 0xff), size_t(pkt->size));
      pkt->stream_index = filler->index;
      pkt->pts = pkt->dts = av_rescale_q(int64_t(k) * step_ms, AVRational{1, 1000}, filler->time_base);
      pkt->duration = av_rescale_q(step_ms, AVRational{1, 1000}, filler->time_base);
      ok = av_interleaved_write_frame(out, pkt) >= 0;
      av_packet_free(&pkt);
    }
  }
  ok = ok && av_write_trailer(out) >= 0;
  avio_closep(&out->pb);
  avformat_free_context(out);
  return ok;
}

// A raw GPMF stream cut into its top-level DEVC entries (one per payload in a recording).
inline std::vector<std::string> SplitPayloads(const std::string& raw) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at + 8 <= raw.size()) {
    const auto* p = reinterpret_cast<const uint8_t*>(raw.data() + at);
    const size_t bytes = size_t(p[5]) * ((p[6] << 8) | p[7]);
    const size_t next = std::min(raw.size(), at + 8 + ((bytes + 3) & ~size_t(3)));
    out.push_back(raw.substr(at, next - at));
    at = next;
  }
  return out;
}

}  // namespace blurkit::synth::testing
