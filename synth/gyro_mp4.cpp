// The GPMF telemetry of a GoPro MP4/MOV: the packets of its `gpmd` data track, read with
// libavformat. Every other track is discarded before the first packet is read, so the demuxer
// skips their samples instead of reading them (a 4 GB recording costs its telemetry's few MB of
// reads), and the gathered telemetry is bounded by kMaxGpmfBytes.
extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/log.h>
}

#include "blurkit/core/error.h"
#include "gyro_readers.h"

namespace blurkit::synth::gyro {
namespace {

struct AvInput {
  AVFormatContext* context = nullptr;
  AVPacket* packet = nullptr;
  ~AvInput() {
    if (packet) av_packet_free(&packet);
    if (context) avformat_close_input(&context);
  }
};

}  // namespace

GyroRecording ReadMp4(const std::filesystem::path& file, const GyroFileOptions& options) {
  const std::string where = file.string();
  av_log_set_level(AV_LOG_FATAL);
  AvInput in;
  if (avformat_open_input(&in.context, where.c_str(), nullptr, nullptr) < 0) {
    throw InputError(Msg() << where << ": cannot open it as an MP4/MOV file (damaged?)");
  }
  // The MOV demuxer knows each track's sample description from the header: no probing of the
  // video (avformat_find_stream_info would decode frames of it).
  int gpmd = -1;
  Msg found;
  for (unsigned i = 0; i < in.context->nb_streams; ++i) {
    const AVCodecParameters* p = in.context->streams[i]->codecpar;
    const uint32_t tag = p->codec_tag;
    const char tag_text[5] = {char(tag & 0xff), char((tag >> 8) & 0xff), char((tag >> 16) & 0xff), char(tag >> 24), 0};
    const char* type = av_get_media_type_string(p->codec_type);
    found << (i ? ", " : "") << "#" << i << " " << (type ? type : "unknown") << " '"
          << (tag ? std::string(tag_text) : std::string(avcodec_get_name(p->codec_id))) << "'";
    if (gpmd < 0 && tag == MKTAG('g', 'p', 'm', 'd')) gpmd = int(i);
  }
  if (gpmd < 0) {
    throw InputError(Msg() << where << ": no GPMF telemetry track ('gpmd'); its streams: " << std::string(found));
  }
  for (unsigned i = 0; i < in.context->nb_streams; ++i) {
    if (int(i) != gpmd) in.context->streams[i]->discard = AVDISCARD_ALL;
  }
  const AVRational base = in.context->streams[gpmd]->time_base;
  std::string bytes;
  std::vector<PayloadSpan> payloads;
  in.packet = av_packet_alloc();
  if (!in.packet) throw std::bad_alloc();
  while (av_read_frame(in.context, in.packet) >= 0) {
    if (in.packet->stream_index == gpmd && in.packet->size > 0) {
      if (bytes.size() + size_t(in.packet->size) > kMaxGpmfBytes) {
        av_packet_unref(in.packet);
        throw InputError(Msg() << where << ": its gpmd track holds more than " << (kMaxGpmfBytes >> 20)
                               << " MiB of telemetry, more than blurkit reads (hours of a GoPro's telemetry)");
      }
      PayloadSpan span;
      span.begin = bytes.size();
      if (in.packet->pts != AV_NOPTS_VALUE && base.den != 0) span.container_time = in.packet->pts * av_q2d(base);
      payloads.push_back(span);
      bytes.append(reinterpret_cast<const char*>(in.packet->data), size_t(in.packet->size));
    }
    av_packet_unref(in.packet);
  }
  if (payloads.empty()) throw InputError(Msg() << where << ": its gpmd track holds no data");
  return ReadGpmf(bytes, where + " (gpmd track)", payloads, options, "gpmf-mp4");
}

}  // namespace blurkit::synth::gyro
