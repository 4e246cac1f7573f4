#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, fetches the sample data the
# integration tests use, and runs every test (ctest).
#
# Usage: scripts/test.sh [extra ctest arguments, e.g. -R synth/]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/fetch_samples.sh"
cd "$root/build"
ctest --output-on-failure -j "$(nproc)" "$@"
