#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then everything from the prefix alone: the build tree
# is on no search path (PATH, PYTHONPATH, CMAKE_PREFIX_PATH, the working directory) and no
# BLURKIT_* variable is set. Each installed tool's --help, --version and man page; a small
# panorama dataset synthesized from an installed manifest named by name, scored by the installed
# blurkit-bench, read and re-rendered by the installed Python package and its compiled module; a
# C++ program that finds the package with find_package(blurkit 0.1) and computes a PSNR from a
# shard; no installed text file naming the source or build tree.
#
# usage: install_test.sh BUILD_DIR VERSION TOOL...
set -uo pipefail
build=$(cd "${1:?usage: install_test.sh BUILD_DIR VERSION TOOL...}" && pwd)
version=${2:?version}
shift 2
tools=("$@")
root=$(cd "$(dirname "$0")/../.." && pwd)
samples="$root/data/samples"
source "$root/tests/harness.sh"

if [ ! -f "$samples/panoramas/studio.exr" ]; then
  echo "FAIL sample panoramas missing in $samples: run scripts/fetch_samples.sh (scripts/test.sh does)"
  exit 1
fi

prefix="$work/prefix"
pydir="$prefix/lib/python3/dist-packages"
start=$SECONDS
if cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1; then
  pass "cmake --install: $(grep -c 'Installing:' "$work/install.log") files in $((SECONDS - start)) s"
else fail "cmake --install"; cat "$work/install.log"; exit 1; fi

# Nothing installed names the source or the build tree (text files; binaries are checked for the
# build tree's path, which an RPATH left behind would hold).
refs=$(grep -rlI -e "$root/" -e "$build/" "$prefix"; grep -rl -e "$build/" "$prefix/bin" "$pydir")
[ -z "$refs" ] && pass "no installed file names the source or build tree" \
  || fail "installed files name the source or build tree: $refs"

# The rest runs from the prefix only: a bare environment, a working directory outside both trees.
inst() { (cd "$work" && env -i HOME="$work" LANG=C.UTF-8 PATH="$prefix/bin:/usr/bin:/bin" \
  PYTHONPATH="$pydir" PYTHONDONTWRITEBYTECODE=1 "$@"); }

for tool in "${tools[@]}"; do
  [ "$(inst sh -c "command -v $tool")" = "$prefix/bin/$tool" ] && pass "$tool on PATH from the prefix" \
    || fail "$tool not found in $prefix/bin"
  inst "$tool" --help >"$work/help.txt" 2>&1 && grep -q "$tool" "$work/help.txt" \
    && pass "$tool --help" || { fail "$tool --help"; cat "$work/help.txt"; }
  out=$(inst "$tool" --version 2>&1)
  [[ "$out" =~ ^$tool\ $version\ \(git\ [0-9a-f]{7,}(-dirty)?\)$|^$tool\ $version\ \(git\ unknown\)$ ]] \
    && pass "$tool --version: $out" || fail "$tool --version: '$out'"
  if [ -d "$build/man" ]; then
    zcat "$prefix/share/man/man1/$tool.1.gz" 2>/dev/null | grep -q "^\.TH ${tool^^} " \
      && pass "man page $tool.1" || fail "man page share/man/man1/$tool.1.gz"
  fi
done

# A 64x64 panorama dataset of 2 samples from the installed manifest, named by name.
synth_args=(panorama --manifest demo_panorama --split test --data-root "$samples" --samples 2 --size 64
            --frames 3 --seed 5 --quiet)
if inst blurkit-synth "${synth_args[@]}" --out "$work/ds" >"$work/synth.txt" 2>&1 \
   && inst blurkit-synth shards verify "$work/ds" >/dev/null 2>&1; then
  pass "installed blurkit-synth: --manifest demo_panorama (share/blurkit/data_manifests) + verify"
else fail "installed blurkit-synth panorama"; cat "$work/synth.txt"; fi
grep -q "\"generator\": \"blurkit-synth $version\"" "$work/ds/index.json" \
  && pass "the dataset records the version" || fail "generator in index.json"
expect_error "an unknown manifest name names the installed folder" "$prefix/share/blurkit/data_manifests" \
  inst blurkit-synth panorama --manifest no_such_manifest --samples 2 --out "$work/x"

if inst blurkit-bench score --gt "$work/ds" --pred blurred-input --out "$work/score" --quiet >/dev/null 2>"$work/bench.txt" \
   && grep -q "\"generator\": \"blurkit-bench $version (git " "$work/score/summary.json"; then
  pass "installed blurkit-bench score (report records the version)"
else fail "installed blurkit-bench score"; cat "$work/bench.txt"; fi

# The installed Python package: its compiled module from beside it, the sample the CLI stored,
# blurkit.score through the installed blurkit-bench; and the middle frame's PSNR for the C++ check.
cat > "$work/check.py" <<'PY'
import math, os, sys
import numpy as np
import blurkit, blurkit.synth
prefix, ds, manifest, samples = sys.argv[1:5]
assert blurkit.__file__.startswith(prefix + '/'), blurkit.__file__
module = blurkit.synth._module()
assert module.__file__.startswith(prefix + '/'), module.__file__
cli = blurkit.open_sample(ds, 1)
r = blurkit.synth.Rotation(manifest=manifest, split='test', data_root=samples, samples=2, size=64, frames=3, seed=5)
mine = r.sample(1)
np.testing.assert_array_equal(mine['blurred'], cli['blurred'])
np.testing.assert_array_equal(mine['sharp'], cli['sharp'])
scores = blurkit.score(ds, 'blurred-input', os.path.join(os.path.dirname(ds), 'pyscore'))
assert 'blurred-input' in scores['methods'], scores
s = blurkit.open_sample(ds, 0)
mse = np.mean((s['blurred'].astype(np.float64) - s['sharp'][1].astype(np.float64)) ** 2)
print(f'{10 * math.log10(255.0 ** 2 / mse):.6f}')
PY
# The manifest by name: the compiled module finds its prefix's share/blurkit from its own file,
# not from the interpreter's (/usr/bin/python3).
if py_psnr=$(inst /usr/bin/python3 "$work/check.py" "$prefix" "$work/ds" demo_panorama "$samples" 2>"$work/py.txt"); then
  pass "installed Python package: blurkit.synth's compiled module renders the CLI's sample (manifest by name); blurkit.score"
else fail "installed Python package"; cat "$work/py.txt"; fi

# A C++ program built against the installed package.
mkdir -p "$work/app"
cat > "$work/app/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.18)
project(psnr_app LANGUAGES CXX)
find_package(blurkit 0.1 REQUIRED)
message(STATUS "blurkit_DIR=${blurkit_DIR}")
add_executable(psnr_app main.cpp)
target_link_libraries(psnr_app PRIVATE blurkit::core)
CM
cat > "$work/app/main.cpp" <<'CPP'
// Opens a shard and prints the PSNR of sample 0's blurred image against its middle sharp frame.
#include <blurkit/core/frame_metrics.h>
#include <blurkit/core/shard.h>
#include <blurkit/core/version.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  blurkit::ShardReader shard(argv[1]);
  const blurkit::DatasetSpec& spec = shard.spec();
  const blurkit::Sample sample = shard.Read(0);
  const blurkit::ImageView blurred{sample.blurred.data(), spec.height, spec.width};
  const blurkit::ImageView middle{sample.SharpFrame(spec.frames / 2, spec), spec.height, spec.width};
  std::printf("%.6f\n", blurkit::Psnr(blurred, middle, blurkit::MetricProfile::Parse("rgb")));
  std::fprintf(stderr, "blurkit %s\n", blurkit::BuildVersion().c_str());
  return 0;
}
CPP
start=$SECONDS
if inst cmake -S "$work/app" -B "$work/app/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
     -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$work/app.txt" 2>&1 \
   && grep -q "blurkit_DIR=$prefix/" "$work/app.txt" \
   && inst cmake --build "$work/app/build" -j 1 >>"$work/app.txt" 2>&1; then
  pass "find_package(blurkit 0.1) + blurkit::core: configured and built in $((SECONDS - start)) s"
else fail "C++ program against the installed package"; cat "$work/app.txt"; fi
shard=$(ls "$work/ds"/shard-*.h5 | head -n 1)
cpp_psnr=$(inst "$work/app/build/psnr_app" "$shard" 2>"$work/app_err.txt")
if [ -n "$cpp_psnr" ] && [ -n "${py_psnr:-}" ] \
   && /usr/bin/python3 -c "import sys; sys.exit(abs(float('$cpp_psnr') - float('$py_psnr')) > 1e-6)"; then
  pass "the C++ program's PSNR ($cpp_psnr dB) equals numpy's ($py_psnr)"
else fail "C++ PSNR '$cpp_psnr' vs numpy '${py_psnr:-}'"; cat "$work/app_err.txt"; fi

finish "install/prefix"
