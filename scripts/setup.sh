#!/usr/bin/env bash
# Installs the Debian 12 packages blurkit needs (only the missing ones; sudo only when not root)
# and configures and builds blurkit. Safe to run again: it does only what is left to do.
#
# Usage: scripts/setup.sh [--no-build] [--build-dir DIR] [--jobs N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir="$root/build"
jobs=$(nproc)
do_build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) do_build=0 ;;
    --build-dir) build_dir=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "setup: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# Build tools and libraries (core: HDF5, JSON, OpenSSL; synth and bench: OpenCV, TBB, Eigen, Boost,
# LMDB for BasicSR's dataset format; libavformat for the telemetry track of GoPro MP4 files;
# train: LibTorch 1.13, CPU, and Gloo's headers for its data-parallel c10d process group), the
# test and benchmark frameworks, jq for the scripts, and Python's h5py/OpenCV for the tests that
# check what Python users see (scikit-image: the reference the SSIM is checked against; PyTorch,
# pip, venv and setuptools: the python/blurkit package's DataLoader tests and its offline install;
# lmdb: reading exported LMDB datasets as BasicSR does; pybind11 and python3-dev: blurkit.synth's
# compiled renderer; help2man: the tools' man pages from their --help; dpkg-dev and file: CPack's
# Debian package with its dependencies computed by dpkg-shlibdeps; lintian: checks that package).
packages=(
  build-essential cmake pkg-config git ca-certificates jq
  libhdf5-dev nlohmann-json3-dev libssl-dev liblmdb-dev
  libopencv-dev libtbb-dev libeigen3-dev libboost-program-options-dev zlib1g-dev libavformat-dev
  libtorch-dev libgloo-dev
  libgtest-dev libbenchmark-dev
  python3 python3-numpy python3-h5py python3-opencv python3-skimage
  python3-torch python3-pip python3-venv python3-setuptools python3-lmdb python3-dev pybind11-dev
  help2man dpkg-dev file lintian
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#packages[@]} Debian packages present"
fi

[ $do_build -eq 1 ] || exit 0
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j "$jobs"
echo "setup: built in $build_dir"
