#!/usr/bin/env bash
# The Debian package (cmake/install.cmake's CPack settings).
#   package: cpack -G DEB builds blurkit_VERSION_ARCH.deb into BUILD_DIR/install_test/, its
#            contents are listed and checked (tools, headers, CMake package, Python modules, man
#            pages), its Depends (dpkg-shlibdeps) printed, and lintian must report no error
#            (warnings are printed).
#   root:    `apt-get install ./blurkit_*.deb` into a scratch root (an overlay of / in a private
#            mount namespace, so the machine itself is untouched), the installed tools run there
#            on PATH, `import blurkit, blurkit.synth` under /usr/bin/python3, then `apt-get remove`.
#            Needs root and overlay mounts: exits 77 (skipped) where it cannot.
#
# usage: deb_test.sh package|root BUILD_DIR VERSION TOOL...
set -uo pipefail
mode=${1:?usage: deb_test.sh package|root BUILD_DIR VERSION TOOL...}
build=$(cd "${2:?build dir}" && pwd)
version=${3:?version}
shift 3
tools=("$@")
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/harness.sh"
out="$build/install_test"
deb="$out/blurkit_${version}_$(dpkg --print-architecture).deb"

skip() { echo "skipped: $1"; exit 77; }

if [ "$mode" = package ]; then
  for tool in cpack dpkg-deb dpkg-shlibdeps lintian; do
    command -v "$tool" >/dev/null || { fail "$tool missing: run scripts/setup.sh"; finish "install/deb"; exit 1; }
  done
  rm -rf "$out" && mkdir -p "$out"
  start=$SECONDS
  if (cd "$out" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out") >"$work/cpack.txt" 2>&1 \
     && [ -f "$deb" ]; then
    pass "cpack -G DEB: $(basename "$deb"), $(du -k "$deb" | cut -f1) KiB, in $((SECONDS - start)) s"
  else fail "cpack -G DEB"; cat "$work/cpack.txt"; finish "install/deb"; exit 1; fi
  rm -rf "$out/_CPack_Packages"
  dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/contents.txt"
  expected=(/usr/include/blurkit/core/shard.h /usr/include/blurkit/core/version.h
            /usr/lib/cmake/blurkit/blurkitConfig.cmake /usr/lib/cmake/blurkit/blurkitConfigVersion.cmake
            /usr/lib/cmake/blurkit/blurkitTargets.cmake /usr/lib/libblurkit_core.a
            /usr/lib/python3/dist-packages/blurkit/__init__.py /usr/lib/python3/dist-packages/blurkit/synth.py
            /usr/share/blurkit/data_manifests/demo_panorama.json /usr/share/doc/blurkit/copyright)
  for tool in "${tools[@]}"; do
    expected+=("/usr/bin/$tool" "/usr/share/man/man1/$tool.1.gz")
  done
  missing=()
  for f in "${expected[@]}"; do grep -qx -- "$f" "$work/contents.txt" || missing+=("$f"); done
  grep -q '^/usr/lib/python3/dist-packages/blurkit/_synth\.cpython-.*\.so$' "$work/contents.txt" \
    || missing+=(/usr/lib/python3/dist-packages/blurkit/_synth.cpython-*.so)
  [ ${#missing[@]} -eq 0 ] && pass "contents: tools, man pages, headers, CMake package, Python modules, data" \
    || fail "the package lacks: ${missing[*]}"
  echo "contents ($(grep -vc '/$' "$work/contents.txt") files):"
  grep -v '/$' "$work/contents.txt" | grep -v '^/usr/include/' | sed 's/^/  /'
  echo "  /usr/include/blurkit/...: $(grep -c '^/usr/include/.*\.h$' "$work/contents.txt") headers"
  depends=$(dpkg-deb -f "$deb" Depends)
  echo "Depends: $depends"
  [[ "$depends" == *libc6* && "$depends" == *python3-numpy* ]] && pass "Depends from dpkg-shlibdeps and the Python package" \
    || fail "Depends lacks the shared libraries' packages: $depends"
  start=$SECONDS
  lintian --tag-display-limit 0 "$deb" >"$work/lintian.txt" 2>&1
  errors=$(grep -c '^E:' "$work/lintian.txt")
  echo "lintian ($((SECONDS - start)) s): $errors errors, $(grep -c '^W:' "$work/lintian.txt") warnings"
  grep -E '^(E|W):' "$work/lintian.txt" | sed 's/^/  /'
  [ "$errors" -eq 0 ] && pass "lintian: no errors" || fail "lintian reports $errors errors"
  finish "install/deb"
  exit
fi

# mode root: install into a scratch root.
[ -f "$deb" ] || { fail "$deb missing (install/deb makes it)"; finish "install/deb_root"; exit 1; }
[ "$(id -u)" -eq 0 ] || skip "installing the .deb needs root (this runs as uid $(id -u))"
command -v unshare >/dev/null && command -v apt-get >/dev/null || skip "unshare or apt-get missing"
mkdir -p "$work/upper" "$work/lower_work" "$work/root"
cat > "$work/inside.sh" <<'SH'
#!/bin/bash
# In a private mount namespace: the scratch root over /, the package installed, used and removed.
set -u
scratch=$1 deb=$2 version=$3 samples=$4; shift 4
mount -t overlay overlay -o "lowerdir=/,upperdir=$scratch/upper,workdir=$scratch/lower_work" "$scratch/root" \
  || { echo "skipped: no overlay mount here"; exit 77; }
for d in proc dev; do mount --bind "/$d" "$scratch/root/$d"; done
mkdir -p "$scratch/root/opt/blurkit_test" && cp "$deb" "$scratch/root/opt/blurkit_test/"
in_root() { chroot "$scratch/root" env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
status=0
check() { if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; status=1; fi; }
if in_root apt-get install -y -q --no-install-recommends "/opt/blurkit_test/$(basename "$deb")" \
     >"$scratch/apt.txt" 2>&1; then
  echo "ok   apt-get install ./$(basename "$deb") in the scratch root"
else echo "FAIL apt-get install ./$(basename "$deb")"; tail -n 20 "$scratch/apt.txt"; status=1; fi
for tool in "$@"; do
  check "$tool on PATH: /usr/bin/$tool" test "$(in_root sh -c "command -v $tool")" = "/usr/bin/$tool"
  check "$tool --version" in_root sh -c "$tool --version | grep -q '^$tool $version (git '"
  check "$tool --help" in_root sh -c "$tool --help >/dev/null"
  check "man $tool" in_root test -f "/usr/share/man/man1/$tool.1.gz"
done
check "import blurkit, blurkit.synth under /usr/bin/python3 from dist-packages" in_root /usr/bin/python3 -c "
import blurkit, blurkit.synth
assert blurkit.__file__ == '/usr/lib/python3/dist-packages/blurkit/__init__.py', blurkit.__file__
assert blurkit.synth._module().__file__.startswith('/usr/lib/python3/dist-packages/blurkit/_synth')"
mkdir -p "$scratch/root/opt/blurkit_test/samples"
mount --bind "$samples" "$scratch/root/opt/blurkit_test/samples"
check "blurkit-synth --manifest demo_panorama (/usr/share/blurkit) and blurkit-bench score" in_root sh -c "
  cd /opt/blurkit_test && blurkit-synth panorama --manifest demo_panorama --split test --data-root samples \
    --samples 2 --size 64 --frames 3 --seed 5 --quiet --out ds >/dev/null &&
  blurkit-bench score --gt ds --pred blurred-input --out score --quiet >/dev/null && test -f score/summary.json"
check "apt-get remove blurkit" in_root sh -c "apt-get remove -y -q blurkit >/dev/null 2>&1 && ! test -e /usr/bin/blurkit-synth"
exit $status
SH
unshare -m bash "$work/inside.sh" "$work" "$deb" "$version" "$root/data/samples" "${tools[@]}"
status=$?
[ $status -eq 77 ] && exit 77
[ $status -eq 0 ] && pass "the package installs, runs and removes in a scratch root" || fail "scratch-root install"
finish "install/deb_root"
