// The command lines of blurkit-synth's dataset commands, parsed once for every caller: the tool
// (blurkit-synth) and the Python module (blurkit.synth), which passes a renderer's keyword options
// as the same flags, so that its samples are the CLI's by construction: the same defaults, the same
// manifest parameters, the same checks and the same error messages.
//
// Option errors are Boost.Program_options exceptions (po::error), which the tool reports with exit
// status 2 and the Python module as ValueError; bad values are InputError.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "blurkit/synth/commands.h"
#include "blurkit/synth/gyro_formats.h"

namespace blurkit::synth::cli {

namespace po = boost::program_options;

// Who parses: the tool needs --out and takes a split run's part from the scheduler's environment;
// a library caller (the Python module) writes no dataset, so neither applies.
enum class Caller { kTool, kLibrary };

// The result of parsing: either the command's --help text or options ready to run.
struct Parsed {
  bool help = false;
  std::string help_text;  // with --help: the options and examples, as the tool prints them
};

// `blurkit-synth panorama ARGS` (or `photos` with photos = true); args exclude the command name.
Parsed ParsePanoramaCommand(const std::vector<std::string>& args, bool photos, Caller caller,
                            PanoramaCommandOptions* options);
// `blurkit-synth video ARGS`.
Parsed ParseVideoCommand(const std::vector<std::string>& args, Caller caller,
                         VideoCommandOptions* options);

// Pieces the tool's other commands share.
// Parses "256" or "320x240" into width and height.
void ParseSize(const std::string& text, int* width, int* height);
// Output, seed, threads, shard size, split run, compression, quiet. `seed` is null for commands
// without randomness.
po::options_description RunOptions(ShardedRunOptions& run, std::string& out, int& compression,
                                   uint64_t* seed);
// After parsing, for the tool: --out is required; the part of a split run comes from the scheduler
// (a Slurm job array, or RANK/WORLD_SIZE) when --shard-index/--num-shards are not given.
void FinishRunOptions(const po::variables_map& vm, const std::string& out, ShardedRunOptions& run);
// How a gyroscope log is read (--gyro-preset, --gyro-columns, ...).
void AddGyroReadOptions(po::options_description& group, GyroFileOptions& g);

}  // namespace blurkit::synth::cli
