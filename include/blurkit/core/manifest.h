// Data manifests (data_manifests/*.json): the sources of a dataset with their sha256, named splits,
// and the generation parameters that reproduce it.
//
//   {
//     "name": "demo-panorama",
//     "data_root": "../data/samples",         source paths resolve against this folder, itself
//                                             relative to the manifest file
//     "sources_from": "samples.json",         optional: take "sources" from another manifest
//     "sources": [{"id": "city", "kind": "panorama", "path": "panoramas/city.exr",
//                  "sha256": "..."}, ...],          photos may add "fov": horizontal degrees
//     "splits": {"train": ["city", ...], "test": [...]},
//     "params": {"panorama": {"size": 128, ...}},       per command: flag name -> value
//     "split_params": {"train": {"samples": 600, "seed": 1}, ...}   per split: flag name -> value
//   }
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace blurkit {

struct ManifestSource {
  std::string id;
  std::string kind;    // "panorama", "video", "frames", ...
  std::string path;    // relative to the data root
  std::string sha256;  // expected digest, lower-case hex ("" = not checked)
  double fov = 0;      // photos: horizontal field of view in degrees ("fov"; 0 = not given)
  int window = 0;      // video: frames averaged for this source ("window"; 0 = the run's --window),
                       // e.g. GoPro_Large's scenes, 7 to 13 by the scene name
};

struct Manifest {
  std::filesystem::path file;
  std::string sha256;  // digest of the manifest file itself (recorded in shards)
  std::string name;
  std::filesystem::path data_root;
  std::vector<ManifestSource> sources;
  std::map<std::string, std::vector<std::string>> splits;
  nlohmann::json params = nlohmann::json::object();
  nlohmann::json split_params = nlohmann::json::object();

  // `file` is a path or the name of an installed manifest (blurkit/core/install_paths.h).
  // Throws InputError naming the file and the entry that is wrong.
  static Manifest Load(const std::filesystem::path& file);

  // The sources of a split, in the split's order; an empty name means all sources.
  std::vector<ManifestSource> Split(const std::string& split) const;
  std::filesystem::path Resolve(const ManifestSource& source) const;
  // Command parameters merged with the split's (split wins), as flag name -> JSON value.
  nlohmann::json ParamsFor(const std::string& command, const std::string& split) const;
};

// Checks a source file against its manifest digest; throws InputError naming both on mismatch.
// Returns the file's sha256.
std::string VerifySourceFile(const std::filesystem::path& path, const ManifestSource& source,
                             const std::filesystem::path& manifest_file);

}  // namespace blurkit
