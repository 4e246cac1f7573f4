#include "blurkit/core/manifest.h"

#include <set>

#include "blurkit/core/atomic_file.h"
#include "blurkit/core/error.h"
#include "blurkit/core/install_paths.h"
#include "blurkit/core/sha256.h"

namespace blurkit {
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

Json ParseJsonFile(const fs::path& file) {
  const std::string text = ReadFileToString(file);
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    throw InputError(Msg() << file.string() << ": not a valid JSON object");
  }
  return json;
}

}  // namespace

Manifest Manifest::Load(const fs::path& given) {
  const fs::path file = FindManifestFile(given);  // a path, or the name of an installed manifest
  Manifest m;
  m.file = file;
  const Json json = ParseJsonFile(file);
  m.sha256 = Sha256OfFile(file);
  try {
    m.name = json.value("name", file.stem().string());
    const fs::path folder = file.parent_path();
    m.data_root = folder / json.value("data_root", "../data/samples");
    Json sources = json.value("sources", Json::array());
    if (json.contains("sources_from")) {
      const fs::path other = folder / json.at("sources_from").get<std::string>();
      const Json other_json = ParseJsonFile(other);
      sources = other_json.value("sources", Json::array());
      if (!json.contains("data_root") && other_json.contains("data_root")) {
        m.data_root = other.parent_path() / other_json.at("data_root").get<std::string>();
      }
      // A manifest built on another one also inherits its splits unless it names its own.
      if (!json.contains("splits") && other_json.contains("splits")) {
        for (const auto& [name, ids] : other_json.at("splits").items()) {
          m.splits[name] = ids.get<std::vector<std::string>>();
        }
      }
    }
    std::set<std::string> ids;
    for (const auto& s : sources) {
      ManifestSource source{s.at("id").get<std::string>(), s.value("kind", ""),
                            s.at("path").get<std::string>(), s.value("sha256", "")};
      if (s.contains("fov")) {
        if (!s.at("fov").is_number() || !(s.at("fov").get<double>() > 0 &&
                                          s.at("fov").get<double>() < 180)) {
          throw InputError(Msg() << file.string() << ": source '" << source.id
                                 << "': fov must be a number of degrees in (0, 180)");
        }
        source.fov = s.at("fov").get<double>();
      }
      if (s.contains("window")) {
        if (!s.at("window").is_number_integer() || s.at("window").get<int>() < 1) {
          throw InputError(Msg() << file.string() << ": source '" << source.id
                                 << "': window must be a positive whole number of frames");
        }
        source.window = s.at("window").get<int>();
      }
      if (!ids.insert(source.id).second) {
        throw InputError(Msg() << file.string() << ": source id '" << source.id
                               << "' appears twice");
      }
      m.sources.push_back(source);
    }
    if (json.contains("splits")) {
      for (const auto& [name, list] : json.at("splits").items()) {
        m.splits[name] = list.get<std::vector<std::string>>();
      }
    }
    for (const auto& [name, list] : m.splits) {
      for (const auto& id : list) {
        if (!ids.count(id)) {
          throw InputError(Msg() << file.string() << ": split '" << name
                                 << "' names unknown source '" << id << "'");
        }
      }
    }
    m.params = json.value("params", Json::object());
    m.split_params = json.value("split_params", Json::object());
  } catch (const Json::exception& e) {
    throw InputError(Msg() << file.string() << ": invalid manifest: " << e.what());
  }
  return m;
}

std::vector<ManifestSource> Manifest::Split(const std::string& split) const {
  if (split.empty()) return sources;
  auto it = splits.find(split);
  if (it == splits.end()) {
    Msg msg;
    msg << file.string() << ": no split named '" << split << "' (it has:";
    for (const auto& [name, list] : splits) msg << " " << name;
    msg << ")";
    throw InputError(msg);
  }
  std::vector<ManifestSource> out;
  for (const auto& id : it->second) {
    for (const auto& s : sources) {
      if (s.id == id) out.push_back(s);
    }
  }
  return out;
}

fs::path Manifest::Resolve(const ManifestSource& source) const {
  return (data_root / source.path).lexically_normal();
}

Json Manifest::ParamsFor(const std::string& command, const std::string& split) const {
  Json merged = params.value(command, Json::object());
  if (!split.empty() && split_params.contains(split)) {
    for (const auto& [key, value] : split_params.at(split).items()) merged[key] = value;
  }
  return merged;
}

std::string VerifySourceFile(const fs::path& path, const ManifestSource& source,
                             const fs::path& manifest_file) {
  if (!fs::exists(path)) {
    throw MissingInputError(Msg() << path.string() << ": source '" << source.id << "' of "
                           << manifest_file.string()
                           << " does not exist (run scripts/fetch_samples.sh, or pass --data-root)");
  }
  const std::string digest = Sha256OfFile(path);
  if (!source.sha256.empty() && digest != source.sha256) {
    throw InputError(Msg() << path.string() << ": sha256 " << digest << " differs from "
                           << source.sha256 << " in " << manifest_file.string()
                           << " (source '" << source.id << "' was changed or damaged)");
  }
  return digest;
}

}  // namespace blurkit
