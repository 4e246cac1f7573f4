#!/usr/bin/python3
"""The conversions that turn packaged media into sample sources (python/blurkit/sources.py) and
the fetcher's checks (scripts/fetch_samples.py), on inputs whose right answer is known."""
import base64
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'python'))
sys.path.insert(0, os.path.join(ROOT, 'scripts'))
os.environ.setdefault('OPENCV_IO_ENABLE_OPENEXR', '1')

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from blurkit import sources  # noqa: E402
import fetch_samples  # noqa: E402


def field(x, y, z):
    """A smooth, asymmetric function of the view direction (no symmetry hides a flipped face)."""
    return 0.5 + 0.25 * x + 0.15 * y * y - 0.2 * z + 0.1 * x * y + 0.05 * np.sin(3 * z + x)


def render_face(name, size):
    """The face as a cube-map author makes it: pixel (row, col) of face `name` looks along the
    direction given by the OpenGL specification's figure of the faces, written out per face."""
    s = (np.arange(size) + 0.5) / size * 2 - 1          # -1 .. 1 left to right
    t = (np.arange(size) + 0.5) / size * 2 - 1          # -1 .. 1 top to bottom
    sc, tc = np.meshgrid(s, t)
    one = np.ones_like(sc)
    # (x, y, z) of the direction through (sc, tc), y up; e.g. on +z the image's right is +x and
    # its top is +y; on +x the right is -z.
    dirs = {
        'posx': (one, -tc, -sc), 'negx': (-one, -tc, sc),
        'posy': (sc, one, tc), 'negy': (sc, -one, -tc),
        'posz': (sc, -tc, one), 'negz': (-sc, -tc, -one),
    }[name]
    x, y, z = dirs
    n = np.sqrt(x * x + y * y + z * z)
    return field(x / n, y / n, z / n)


class DataUri(unittest.TestCase):
    def test_round_trip(self):
        payload = bytes(range(256)) * 3
        text = "export default 'data:application/exr;base64," + base64.b64encode(payload).decode() + "'\n"
        self.assertEqual(sources.decode_data_uri_module(text), payload)

    def test_no_uri_is_an_error(self):
        with self.assertRaisesRegex(ValueError, 'no base64 data URI'):
            sources.decode_data_uri_module("export default 'hello'")


class Cubemap(unittest.TestCase):
    def test_faces_land_where_blurkit_looks(self):
        # Constant faces: blurkit's panorama convention puts +z at the centre, +x at longitude
        # +90 degrees (three quarters across), -x at a quarter, -z at the seam, +y on the top row.
        colours = {f: np.full((8, 8, 3), 10 + 40 * i, np.uint8) for i, f in enumerate(sources.FACES)}
        pano = sources.cubemap_to_equirect(colours, 64)
        self.assertEqual(pano.shape, (32, 64, 3))
        self.assertEqual(pano.dtype, np.uint8)
        at = lambda row, col: int(pano[row, col, 0])  # noqa: E731
        self.assertEqual(at(16, 32), colours['posz'][0, 0, 0])
        self.assertEqual(at(16, 48), colours['posx'][0, 0, 0])
        self.assertEqual(at(16, 16), colours['negx'][0, 0, 0])
        self.assertEqual(at(16, 0), colours['negz'][0, 0, 0])
        self.assertEqual(at(0, 10), colours['posy'][0, 0, 0])
        self.assertEqual(at(31, 10), colours['negy'][0, 0, 0])

    def test_round_trip_of_a_smooth_field(self):
        size = 128
        faces = {f: render_face(f, size)[..., None].astype(np.float64) for f in sources.FACES}
        pano = sources.cubemap_to_equirect(faces, 512)[..., 0]
        x, y, z = sources.equirect_directions(512, 256)
        err = np.abs(pano - field(x, y, z))
        # Bilinear sampling of a field whose second derivatives are below 1 on faces of 128 px:
        # the error is below (1/64)^2 / 8 * 2 ~ 5e-5 inside a face; at the edges, where sampling
        # clamps to the face's outer pixel centres, half a pixel's slope (~2e-3).
        self.assertLess(float(np.median(err)), 1e-4)
        self.assertLess(float(err.max()), 5e-3)
        # The same faces mirrored would put the wrong half of the field everywhere.
        mirrored = {f: v[:, ::-1] for f, v in faces.items()}
        bad = np.abs(sources.cubemap_to_equirect(mirrored, 512)[..., 0] - field(x, y, z))
        self.assertGreater(float(bad.mean()), 20 * float(err.mean()))

    def test_bad_faces(self):
        faces = {f: np.zeros((8, 8, 3), np.uint8) for f in sources.FACES}
        with self.assertRaisesRegex(ValueError, 'missing faces'):
            sources.cubemap_to_equirect({k: v for k, v in faces.items() if k != 'negy'}, 64)
        faces['posx'] = np.zeros((8, 6, 3), np.uint8)
        with self.assertRaisesRegex(ValueError, 'differ in shape'):
            sources.cubemap_to_equirect(faces, 64)


class DwabRepair(unittest.TestCase):
    def scene(self):
        rng = np.random.default_rng(3)
        img = (0.2 + 0.1 * rng.random((64, 128, 3))).astype(np.float32)
        img[40:44, 10:20] = [0.1, 1.5, 5.0]          # an orange railing in the sun (BGR), real
        return img

    def damaged(self):
        img = self.scene()
        # What DWAB leaves of a lamp: a 6x6 block where blue carries everything, and the
        # ringing's negative and positive lobes along its rows and columns.
        img[20:26, 60:66] = [9000.0, 0.0, 0.0]
        img[19, 60:66] = -1500.0
        img[26, 60:66] = -1200.0
        img[20:26, 59] = -900.0
        img[18, 60:66] = 200.0
        img[5, 5] = -0.004                              # quantisation noise in a dark area
        return img

    def test_clean_image_is_unchanged(self):
        img = self.scene()
        fixed, mask = sources.repair_dwab(img)
        self.assertFalse(mask.any())
        np.testing.assert_array_equal(fixed, img)

    def test_lamp_is_repaired_and_keeps_its_light(self):
        img = self.damaged()
        fixed, mask = sources.repair_dwab(img)
        self.assertGreaterEqual(float(fixed.min()), 0.0)
        # The block and its lobes are replaced; nothing far from the lamp is.
        self.assertTrue(mask[20:26, 60:66].all() and mask[19, 60:66].all() and mask[26, 60:66].all())
        self.assertFalse(mask[:12].any() or mask[34:].any())
        np.testing.assert_array_equal(fixed[40:44, 10:20], img[40:44, 10:20])
        self.assertEqual(float(fixed[5, 5, 0]), float(max(img[5, 5, 0], 0)))
        # No channel alone carries the lamp any more.
        lamp = fixed[20:26, 60:66]
        self.assertLess(float((lamp.max(axis=2) / lamp.min(axis=2)).max()), 2.0)
        # Each region keeps the light it held (the lobes cancel in the sum).
        self.assertAlmostEqual(float(fixed[mask].sum()) / float(img[mask].sum()), 1.0, places=5)


class StereoAndRcc(unittest.TestCase):
    def test_stereo_top(self):
        img = np.arange(8 * 8 * 3, dtype=np.uint8).reshape(8, 8, 3)
        np.testing.assert_array_equal(sources.stereo_top(img), img[:4])
        with self.assertRaisesRegex(ValueError, 'square'):
            sources.stereo_top(img[:6])

    def test_webp_chunks_in_a_bundle(self):
        pic = np.zeros((20, 30, 3), np.uint8)
        pic[5:15, 10:20] = (0, 128, 255)
        webp = cv2.imencode('.webp', pic, [cv2.IMWRITE_WEBP_QUALITY, 101])[1].tobytes()
        bundle = (b'qres\x00\x00RIFF\x10\x00\x00\x00WAVEfmt ' + webp + b'\x00\x01names' + webp[:-5])
        chunks = list(sources.riff_webp_chunks(bundle))
        self.assertEqual(len(chunks), 1)  # the WAVE chunk and the truncated copy are not WebP files
        self.assertEqual(chunks[0][1], webp)
        np.testing.assert_array_equal(cv2.imdecode(np.frombuffer(chunks[0][1], np.uint8), cv2.IMREAD_COLOR), pic)


class Fetcher(unittest.TestCase):
    def test_manifest_entries_are_complete(self):
        with open(os.path.join(ROOT, 'data_manifests', 'samples.json')) as f:
            manifest = json.load(f)
        ids = set()
        for e in manifest['sources']:
            self.assertNotIn(e['id'], ids)
            ids.add(e['id'])
            self.assertRegex(e['sha256'], '^[0-9a-f]{64}$', e['id'])
            self.assertIn(e['tier'], ('demo', 'all'))
            self.assertTrue(e['license'], e['id'])
            self.assertTrue('deb' in e['from'] or ('npm' in e['from'] and 'tarball_sha256' in e['from']), e['id'])
            if e['license'].startswith('CC-BY'):
                self.assertIn('Humus', e['license'])  # attribution the license requires
        for split in manifest['splits'].values():
            self.assertTrue(set(split) <= ids)

    def test_wrong_file_says_why(self):
        entry = {'id': 'x', 'sha256': '0' * 64, 'from': {'deb': 'p', 'member': 'm'}}
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, 'x.png')
            self.assertEqual(fetch_samples.check_file(entry, path), 'missing')
            with open(path, 'wb') as f:
                f.write(b'not the file')
            self.assertRegex(fetch_samples.check_file(entry, path), 'sha256 [0-9a-f]{64}, manifest says 0{64}')

    def test_a_package_that_does_not_exist_is_named(self):
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, 'samples')
            manifest = os.path.join(tmp, 'm.json')
            with open(manifest, 'w') as f:
                json.dump({'sources': [{'id': 'x', 'kind': 'photo', 'path': 'x.jpg', 'sha256': '0' * 64, 'tier': 'demo',
                                        'license': '-', 'from': {'deb': 'blurkit-no-such-package',
                                                                 'member': './x.jpg'}}],
                           'splits': {}}, f)
            r = subprocess.run([sys.executable, os.path.join(ROOT, 'scripts', 'fetch_samples.py'),
                                '--manifest', manifest, '--data', data], capture_output=True, text=True)
            self.assertEqual(r.returncode, 1)
            self.assertIn('could not download Debian package blurkit-no-such-package', r.stderr)
            self.assertFalse(os.path.exists(os.path.join(data, 'x.jpg')))


if __name__ == '__main__':
    unittest.main(verbosity=2)
