"""Reproducibility pinned: the pixels of small panorama, photo, shake, gyro and video datasets made
from the sample data have fixed sha256 digests, on 1 thread and on 2, and with OpenCV's AVX and
AVX2/FMA code paths and glibc's AVX/FMA maths switched off (OPENCV_CPU_DISABLE, GLIBC_TUNABLES), so
that the baseline kernels these machines never pick are run too.

The digests are of the data (the `blurred` and `sharp` arrays, sample by sample), not of the HDF5
files, so that an HDF5 update that changes the file layout does not break them while any change
to a pixel does. Where one must change (a deliberate change to rendering), the test prints the new
digests; update them in the same commit and say why in its message. What is pinned and what is
not: docs/shards.md, "What repeats to the bit".

usage: golden_test.py BLURKIT_SYNTH
"""
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py

SYNTH = sys.argv[1]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = os.path.join(ROOT, 'data', 'samples')

# A gyroscope log (t, wx, wy, wz): a camera shaken at 3 and 7 Hz, written out exactly.
GYRO = '\n'.join(['t,wx,wy,wz'] + [
    f'{k * 0.005:.3f},{0.4 if k % 40 < 20 else -0.3:.2f},{0.2 if k % 14 < 7 else -0.25:.2f},{0.05:.2f}'
    for k in range(400)]) + '\n'

# The commands: (name, arguments after the tool, golden sha256 of the pixels).
CASES = [
    ('panorama', ['panorama', '--input', '{pano}', '--samples', '3', '--size', '40x32', '--frames', '3',
                  '--seed', '5'],
     '74041134c135e57308afb67ebc0d8f052c3985a83711dfff8730ec9758b915bd'),
    ('shake', ['panorama', '--input', '{pano}', '--samples', '3', '--size', '40x32', '--frames', '3',
               '--seed', '5', '--trajectory', 'shake'],
     '24669e9a2bda077ae9ba469d8761267ea3a0e9539c1577f433177951901a584c'),
    ('gyro', ['panorama', '--input', '{pano}', '--samples', '3', '--size', '40x32', '--frames', '3',
              '--seed', '5', '--trajectory', 'gyro', '--gyro', '{gyro}', '--exposure-time', '0.5'],
     'b9c08f9d71f1fd7dd3242e050019fb101acbe63a5459686658cafb19bf06f072'),
    ('photo', ['photos', '--input', '{photo}', '--source-fov', '60', '--samples', '3', '--size', '40x32',
               '--frames', '3', '--seed', '5'],
     '70cdb48a6f74f5c8be98c66c9e90e313bd3a30880d77f1773c1dade56cdedd02'),
    ('video', ['video', '--input', '{video}', '--window', '5', '--frames', '3', '--clip-range', '0:0.1',
               '--crop', '48x32', '--seed', '5'],
     '65fa6ac2e8e7ef3d2cb38e393b16d8436e52a0cd828da18599bcd79abd818c9a'),
]

# The environments: as the machine is, one thread, and the baseline paths forced.
BASELINE = {'OPENCV_CPU_DISABLE': 'AVX512F,AVX2,FMA3,AVX,FP16',
            'GLIBC_TUNABLES': 'glibc.cpu.hwcaps=-AVX2,-FMA,-AVX,-AVX512F'}
ENVIRONMENTS = [('2 threads', {}, ['--threads', '2']),
                ('1 thread', {}, ['--threads', '1']),
                ('baseline kernels, 2 threads', BASELINE, ['--threads', '2'])]


def pixel_digest(folder):
    h = hashlib.sha256()
    shards = sorted(glob.glob(os.path.join(folder, 'shard-*.h5')))
    assert shards, f'{folder}: no shards'
    for path in shards:
        with h5py.File(path, 'r') as f:
            for i in range(f['blurred'].shape[0]):
                h.update(f['blurred'][i].tobytes())
                h.update(f['sharp'][i].tobytes())
    return h.hexdigest()


class Golden(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.path.isdir(SAMPLES), 'sample data missing: run scripts/fetch_samples.sh'
        cls.work = tempfile.mkdtemp(prefix='blurkit_golden_')
        cls.gyro = os.path.join(cls.work, 'shake.csv')
        with open(cls.gyro, 'w') as f:
            f.write(GYRO)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_pixels_match_their_golden_digests_in_every_environment(self):
        paths = {'pano': os.path.join(SAMPLES, 'panoramas', 'studio.exr'),
                 'photo': os.path.join(SAMPLES, 'photos', 'chelsea.png'),
                 'video': os.path.join(SAMPLES, 'videos', 'cup.mp4'),
                 'gyro': self.gyro}
        found = {}
        for name, args, golden in CASES:
            for label, env, extra in ENVIRONMENTS:
                out = os.path.join(self.work, f'{name}_{len(found)}')
                command = [SYNTH] + [a.format(**paths) for a in args] + extra + ['--out', out, '--quiet']
                r = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env})
                self.assertEqual(r.returncode, 0, f'{name}, {label}: {r.stderr}')
                found[(name, label)] = pixel_digest(out)
                shutil.rmtree(out)
        for name, _, golden in CASES:
            for label, _, _ in ENVIRONMENTS:
                with self.subTest(dataset=name, environment=label):
                    self.assertEqual(found[(name, label)], golden,
                                     f'{name} ({label}): pixels changed; now {found[(name, label)]}')


if __name__ == '__main__':
    unittest.main(argv=sys.argv[:1], verbosity=2)
