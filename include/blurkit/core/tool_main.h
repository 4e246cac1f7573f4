// The one main() of blurkit's tools (blurkit-synth, blurkit-bench, blurkit-train): a table of
// commands, --version and --help, and the error policy of blurkit/core/error.h applied at the top:
//   no command: the usage, exit 2; --help or -h: the usage, exit 0; an unknown command: exit 2;
//   option errors (Boost.Program_options): "error: <command>: <what> (see '<tool> <command>
//   --help')", exit 2; bad input and failed I/O: "error: <message>", exit 1; a clean stop on
//   SIGINT/SIGTERM (Interrupted): "<tool>: <message>", exit 128 + signal.
// Header-only, for the tools, which link Boost.Program_options; the libraries never use it.
#pragma once

#include <boost/program_options/errors.hpp>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "blurkit/core/error.h"
#include "blurkit/core/stop_signal.h"
#include "blurkit/core/version.h"

namespace blurkit {

struct ToolCommand {
  std::string name;
  std::function<int(int argc, char** argv)> run;  // argv[0] is the command's name
};

// `describe` names exceptions of a tool's own dependencies (LibTorch's c10::Error), returning ""
// for the ones it does not know, which then get what().
inline int RunTool(const std::string& tool, const char* usage,
                   const std::vector<ToolCommand>& commands, int argc, char** argv,
                   const std::function<std::string(const std::exception&)>& describe = {}) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cout << usage;
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  try {
    if (command == "--version") {
      std::cout << tool << " " << BuildVersion() << "\n";
      return 0;
    }
    for (const auto& c : commands) {
      if (c.name == command) return c.run(argc - 1, argv + 1);
    }
    std::cerr << "error: unknown command '" << command << "'\n\n" << usage;
    return 2;
  } catch (const boost::program_options::error& e) {
    std::cerr << "error: " << command << ": " << e.what() << " (see '" << tool << " " << command
              << " --help')\n";
    return 2;
  } catch (const Interrupted& e) {
    std::cerr << tool << ": " << e.what() << "\n";
    return 128 + e.signal();
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    const std::string named = describe ? describe(e) : std::string();
    std::cerr << "error: " << (named.empty() ? std::string(e.what()) : named) << "\n";
    return 1;
  }
}

}  // namespace blurkit
