#!/usr/bin/env bash
# Fetches blurkit's real sample data from Debian packages (without installing them) and checks
# every file against data_manifests/samples.json:
#   - the 8 CC0 equirectangular HDR panoramas of blender-data (HDRI Haven), 1024x512 OpenEXR
#   - the handheld clips cockatoo.mp4 and realshort.mp4 of python3-imageio
#   - four photographs of python3-skimage (astronaut, coffee, chelsea, rocket; public domain or
#     CC0), sources for `blurkit-synth photos`
# Usage: scripts/fetch_samples.sh [DATA_DIR]   (default: data/samples; git ignores data/)
# Idempotent: files already present with the right sha256 are kept.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
manifest="$root/data_manifests/samples.json"
dest="${1:-$root/data/samples}"
cache="$root/data/cache/debs"

need() { command -v "$1" >/dev/null 2>&1 || { echo "fetch_samples: '$1' is missing; run scripts/setup.sh" >&2; exit 1; }; }
need jq; need apt-get; need dpkg-deb; need sha256sum

mkdir -p "$dest" "$cache"
# One line per source: path<TAB>sha256<TAB>package<TAB>member
mapfile -t rows < <(jq -r '.sources[] | [.path, .sha256, .package, .member] | @tsv' "$manifest")

missing_packages=()
for row in "${rows[@]}"; do
  IFS=$'\t' read -r path sha package member <<<"$row"
  if [ -f "$dest/$path" ] && echo "$sha  $dest/$path" | sha256sum --quiet -c - 2>/dev/null; then
    continue
  fi
  if ! ls "$cache/${package}"_*.deb >/dev/null 2>&1; then
    missing_packages+=("$package")
  fi
done
if [ ${#missing_packages[@]} -gt 0 ]; then
  mapfile -t missing_packages < <(printf '%s\n' "${missing_packages[@]}" | sort -u)
  echo "fetch_samples: downloading ${missing_packages[*]} (not installed, only unpacked)"
  # apt-get download writes into the current folder; the _apt sandbox user may not write there.
  (cd "$cache" && apt-get download -q "${missing_packages[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  for p in "${missing_packages[@]}"; do
    ls "$cache/${p}"_*.deb >/dev/null 2>&1 || { echo "fetch_samples: could not download $p (run 'apt-get update'?)" >&2; exit 1; }
  done
fi

failed=0
for row in "${rows[@]}"; do
  IFS=$'\t' read -r path sha package member <<<"$row"
  target="$dest/$path"
  if ! { [ -f "$target" ] && echo "$sha  $target" | sha256sum --quiet -c - 2>/dev/null; }; then
    deb=$(ls "$cache/${package}"_*.deb | head -n 1)
    tmp=$(mktemp -d)
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "$member"
    mkdir -p "$(dirname "$target")"
    mv "$tmp/$member" "$target.tmp" && mv "$target.tmp" "$target"
    rm -rf "$tmp"
  fi
  if echo "$sha  $target" | sha256sum --quiet -c - 2>/dev/null; then
    echo "  ok  $path"
  else
    echo "  BAD $path: sha256 $(sha256sum "$target" | cut -d' ' -f1), manifest says $sha" >&2
    failed=1
  fi
done
[ $failed -eq 0 ] || { echo "fetch_samples: some files do not match $manifest" >&2; exit 1; }
echo "fetch_samples: ${#rows[@]} files verified in $dest"
