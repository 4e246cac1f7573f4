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
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
ctest --output-on-failure -j "$(nproc)" "$@" 2>&1 | tee "$log" || status=$?
# One closing line that counts the skipped tests too (a test that cannot run on this machine exits
# with its SKIP_RETURN_CODE and is listed by CTest as "(Skipped)", never counted as passed).
read -r failed total < <(sed -n 's/.*tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*/\1 \2/p' "$log" | tail -n 1) || true
skipped=$(grep -c '(Skipped)' "$log" || true)
if [ -n "${total:-}" ]; then
  grep '(Skipped)' "$log" | sed 's/^/skipped: /' || true
  echo "tests: $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
fi
exit "$status"
