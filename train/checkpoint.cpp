// blurkit-train's checkpoint file: the model, the optimizer and a JSON record of the run.
#include "checkpoint.h"

#include <sstream>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/error.h"
#include "blurkit/core/version.h"

namespace blurkit::train {
namespace fs = std::filesystem;

std::string TrainerGenerator() { return "blurkit-train " + Version(); }

void SaveCheckpoint(const fs::path& file, FrameModelImpl& model, torch::optim::Optimizer* optimizer,
                    const CheckpointMeta& meta) {
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  if (optimizer) {
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  Json json = meta.extra;
  json["format"] = "blurkit-checkpoint";
  json["step"] = meta.step;
  json["model"] = Json::parse(meta.model.ToJson());
  json["generator"] = "blurkit-train " + BuildVersion();  // with the git commit
  archive.write("meta", c10::IValue(json.dump()));
  // Serialised in memory, then written beside the last good checkpoint and renamed over it.
  // LibTorch's own file writer cannot fail cleanly: on a full disk its destructor throws again
  // and the process aborts (std::terminate), leaving a half-written file.
  std::ostringstream bytes;
  archive.save_to(bytes);
  WriteFileAtomic(file, std::move(bytes).str());
}

Json ReadMeta(torch::serialize::InputArchive& archive, const fs::path& file) {
  c10::IValue value;
  if (!archive.try_read("meta", value) || !value.isString()) {
    throw InputError(Msg() << file.string() << ": not a blurkit checkpoint (no metadata)");
  }
  Json meta = Json::parse(value.toStringRef(), nullptr, false);
  if (meta.is_discarded() || meta.value("format", "") != "blurkit-checkpoint") {
    throw InputError(Msg() << file.string() << ": not a blurkit checkpoint");
  }
  return meta;
}

torch::serialize::InputArchive OpenArchive(const fs::path& file, torch::Device device) {
  if (!fs::exists(file)) throw InputError(Msg() << file.string() << ": checkpoint does not exist");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(file.string(), device);
  } catch (const c10::Error& e) {
    throw InputError(Msg() << file.string() << ": cannot read the checkpoint (damaged or not a "
                              "blurkit checkpoint)");
  }
  return archive;
}

LoadedModel LoadCheckpoint(const fs::path& file, torch::Device device) {
  auto archive = OpenArchive(file, device);
  const Json meta = ReadMeta(archive, file);
  LoadedModel loaded;
  loaded.options = ModelOptions::FromJson(meta.at("model").dump());
  loaded.step = meta.value("step", int64_t{0});
  loaded.model = MakeModel(loaded.options);
  try {
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    loaded.model->load(model_archive);
    loaded.model->ApplyLayout();
  } catch (const c10::Error& e) {
    throw InputError(Msg() << file.string() << ": the weights do not fit a " << loaded.options.kind
                           << " model of width " << loaded.options.width << " (damaged?)");
  }
  loaded.model->to(device);
  const fs::path info = fs::path(file.string() + ".info.json");
  if (fs::exists(info)) loaded.info = Json::parse(ReadFileToString(info), nullptr, false);
  if (loaded.info.is_discarded()) loaded.info = Json::object();
  return loaded;
}

}  // namespace blurkit::train
