"""blurkit-train restore: the F frames as PNG files and the animated PNG that plays them forwards
and backwards, read back here by a parser written from the APNG specification (chunk CRCs, acTL,
fcTL sequence numbers and delays, fdAT), every animation frame decoded and compared with the PNG
files; out-of-range --frame-ms is a clear error.

usage: restore_test.py BLURKIT_TRAIN BLURKIT_SYNTH
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

import cv2
import numpy as np

TRAIN, SYNTH = sys.argv[1], sys.argv[2]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = os.path.join(ROOT, 'data', 'samples')
SIGNATURE = b'\x89PNG\r\n\x1a\n'


def chunks(data):
    """(type, body) of every chunk, each CRC checked."""
    assert data[:8] == SIGNATURE, 'not a PNG'
    out, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xffffffff, f'bad CRC in {kind}'
        out.append((kind.decode(), body))
        pos += 12 + length
    return out


def chunk(kind, body):
    return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body) & 0xffffffff)


class Restore(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.path.isdir(SAMPLES), 'sample data missing: run scripts/fetch_samples.sh'
        cls.work = tempfile.mkdtemp(prefix='blurkit_restore_')
        data = os.path.join(cls.work, 'data')
        subprocess.run([SYNTH, 'panorama', '--input', os.path.join(SAMPLES, 'panoramas', 'studio.exr'),
                        '--samples', '4', '--size', '32', '--frames', '5', '--out', data, '--quiet'], check=True)
        cls.run_dir = os.path.join(cls.work, 'run')
        subprocess.run([TRAIN, 'train', '--data', data, '--width', '4', '--crop', '32', '--batch', '2',
                        '--max-steps', '2', '--threads', '1', '--workers', '1', '--out', cls.run_dir, '--quiet'],
                       check=True, capture_output=True)
        # A small photo, of a size no model layer divides evenly.
        photo = cv2.imread(os.path.join(SAMPLES, 'photos', 'chelsea.png'))
        cls.photo = os.path.join(cls.work, 'photo.png')
        cv2.imwrite(cls.photo, cv2.resize(photo, (45, 30), interpolation=cv2.INTER_AREA))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def restore(self, out, *extra):
        return subprocess.run([TRAIN, 'restore', '--model', os.path.join(self.run_dir, 'checkpoint.pt'),
                               '--input', self.photo, '--out', out, '--threads', '1', *extra],
                              capture_output=True, text=True)

    def test_animation_plays_the_frames_forwards_and_backwards(self):
        out = os.path.join(self.work, 'out')
        r = self.restore(out, '--frame-ms', '80')
        self.assertEqual(r.returncode, 0, r.stderr)
        frames = [cv2.imread(os.path.join(out, f'frame_{j:02d}.png')) for j in range(5)]
        for f in frames:
            self.assertEqual(f.shape, (30, 45, 3))
        parsed = chunks(open(os.path.join(out, 'animation.png'), 'rb').read())
        kinds = [k for k, _ in parsed]
        self.assertEqual(kinds[0], 'IHDR')
        self.assertEqual(kinds[1], 'acTL')
        self.assertEqual(kinds[-1], 'IEND')
        ihdr = parsed[0][1]
        width, height = struct.unpack('>II', ihdr[:8])
        self.assertEqual((width, height), (45, 30))
        plays = [0, 1, 2, 3, 4, 3, 2, 1]  # forwards, then backwards without repeating the ends
        num_frames, num_plays = struct.unpack('>II', parsed[1][1])
        self.assertEqual(num_frames, len(plays))
        self.assertEqual(num_plays, 0)  # loops forever
        # Each frame: an fcTL, then its data (IDAT for the first frame, fdAT after); sequence
        # numbers count fcTL and fdAT chunks together from 0 without gaps.
        sequence, decoded, current = 0, [], None
        for kind, body in parsed[2:-1]:
            if kind == 'fcTL':
                seq, w, h, x, y, num, den, dispose, blend = struct.unpack('>IIIIIHHBB', body)
                self.assertEqual(seq, sequence)
                sequence += 1
                self.assertEqual((w, h, x, y), (45, 30, 0, 0))
                self.assertEqual((num, den), (80, 1000))
                self.assertEqual((dispose, blend), (0, 0))
                current = []
                decoded.append(current)
            elif kind == 'IDAT':
                self.assertEqual(len(decoded), 1, 'IDAT belongs to the first frame only')
                current.append(body)
            elif kind == 'fdAT':
                seq, = struct.unpack('>I', body[:4])
                self.assertEqual(seq, sequence)
                sequence += 1
                current.append(body[4:])
            else:
                self.fail(f'unexpected chunk {kind}')
        self.assertEqual(len(decoded), len(plays))
        for k, (j, data) in enumerate(zip(plays, decoded)):
            png = SIGNATURE + chunk(b'IHDR', ihdr) + chunk(b'IDAT', b''.join(data)) + chunk(b'IEND', b'')
            image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
            self.assertIsNotNone(image, f'animation frame {k} does not decode')
            np.testing.assert_array_equal(image, frames[j], f'animation frame {k} is not frame_{j:02d}.png')

    def test_out_of_range_frame_ms_is_a_clear_error(self):
        for value in ('0', '-5', '65536', '100000'):
            out = os.path.join(self.work, 'bad_' + value)
            r = self.restore(out, '--frame-ms', value)
            self.assertEqual(r.returncode, 1, (value, r.stderr))
            self.assertIn('--frame-ms must be 1 to 65535 milliseconds', r.stderr)
            self.assertFalse(os.path.exists(out), 'a refused run left its folder')


if __name__ == '__main__':
    unittest.main(argv=sys.argv[:1], verbosity=2)
