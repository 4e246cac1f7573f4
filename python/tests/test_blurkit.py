"""Tests of the blurkit Python package against the C++ tools (run by CTest: python/blurkit).

Environment: BLURKIT_SYNTH and BLURKIT_BENCH, the built tools; PYTHONPATH=python.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import cv2
import h5py
import numpy as np
import torch
from torch.utils.data import DataLoader

import blurkit

SYNTH = os.environ['BLURKIT_SYNTH']
BENCH = os.environ['BLURKIT_BENCH']
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PANORAMA = os.path.join(ROOT, 'data', 'samples', 'panoramas', 'studio.exr')
GAP = 4  # pixels between the images of a `shards export` strip


def make_dataset(out, samples=12, size=32, frames=3, seed=0):
    subprocess.run([SYNTH, 'panorama', '--input', PANORAMA, '--samples', str(samples), '--size', str(size),
                    '--frames', str(frames), '--shard-size', '4', '--seed', str(seed), '--out', out, '--quiet'],
                   check=True, capture_output=True)


class BlurkitPackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(PANORAMA):
            raise RuntimeError('sample data missing: run scripts/fetch_samples.sh')
        cls.work = tempfile.mkdtemp(prefix='blurkit-python-')
        cls.gt = os.path.join(cls.work, 'gt')
        make_dataset(cls.gt)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work)

    def cpp_samples(self):
        """Every sample as the C++ reader returns it, through `blurkit-synth shards export`."""
        out = os.path.join(self.work, 'strips')
        if not os.path.exists(out):
            subprocess.run([SYNTH, 'shards', 'export', self.gt, '--count', '12', '--out', out], check=True,
                           capture_output=True)
        samples = {}
        for name in os.listdir(out):
            strip = cv2.imread(os.path.join(out, name))[:, :, ::-1]
            images = [strip[:, k * (32 + GAP):k * (32 + GAP) + 32] for k in range(4)]
            samples[name[:-4]] = (images[0], np.stack(images[1:]))
        return samples

    def test_dataloader_with_workers_visits_every_sample_once_with_the_cpp_readers_bytes(self):
        data = blurkit.ShardDataset(self.gt)
        data[0]  # a shard opened in the parent before the workers fork: the classic h5py trap
        expected = self.cpp_samples()
        self.assertEqual(len(expected), 12)
        loader = DataLoader(data, batch_size=3, shuffle=True, num_workers=2)
        for epoch in range(2):
            data.set_epoch(epoch)
            seen = []
            for batch in loader:
                self.assertEqual(tuple(batch['blurred'].shape), (3, 3, 32, 32))
                self.assertEqual(tuple(batch['sharp'].shape), (3, 3, 3, 32, 32))
                self.assertEqual(batch['blurred'].dtype, torch.float32)
                for k, sid in enumerate(batch['sample_id']):
                    seen.append(int(batch['index'][k]))
                    blurred = (batch['blurred'][k].numpy().transpose(1, 2, 0) * 255).round().astype(np.uint8)
                    sharp = (batch['sharp'][k].numpy().transpose(0, 2, 3, 1) * 255).round().astype(np.uint8)
                    np.testing.assert_array_equal(blurred, expected[sid][0], err_msg=sid)
                    np.testing.assert_array_equal(sharp, expected[sid][1], err_msg=sid)
            self.assertEqual(sorted(seen), list(range(12)), f'epoch {epoch}')

    def test_crops_flips_and_reversal_apply_alike_to_the_blurred_image_and_every_frame(self):
        data = blurkit.ShardDataset(self.gt, crop=16, flips=True, time_reversal=True, seed=3)
        kinds = set()
        for epoch in range(3):
            data.set_epoch(epoch)
            for i in range(len(data)):
                got = data[i]
                raw = blurkit.open_sample(self.gt, i)
                t = got['transform']
                kinds.add((t['flip_h'], t['flip_v'], t['reversed']))

                def transform(image):
                    image = image[t['top']:t['top'] + 16, t['left']:t['left'] + 16]
                    if t['flip_v']:
                        image = image[::-1]
                    if t['flip_h']:
                        image = image[:, ::-1]
                    return image.transpose(2, 0, 1).astype(np.float32) / 255

                np.testing.assert_array_equal(got['blurred'].numpy(), transform(raw['blurred']))
                frames = raw['sharp'][::-1] if t['reversed'] else raw['sharp']
                for j in range(3):
                    np.testing.assert_array_equal(got['sharp'][j].numpy(), transform(frames[j]))
        self.assertEqual(len(kinds), 8, 'all flip and reversal combinations occur over 36 draws')
        selected = blurkit.ShardDataset(self.gt, frames=[1])[4]['sharp']
        np.testing.assert_array_equal(selected[0].numpy(), blurkit.ShardDataset(self.gt)[4]['sharp'][1].numpy())

    def test_the_same_seed_gives_the_same_batches(self):
        def batches(seed, epoch):
            data = blurkit.ShardDataset(self.gt, crop=16, flips=True, time_reversal=True, seed=seed)
            data.set_epoch(epoch)
            loader = DataLoader(data, batch_size=4, shuffle=True, num_workers=2,
                                generator=torch.Generator().manual_seed(7))
            return [(b['index'].tolist(), b['blurred'], b['sharp']) for b in loader]

        first, again, other_epoch = batches(1, 0), batches(1, 0), batches(1, 1)
        for (ia, ba, sa), (ib, bb, sb) in zip(first, again):
            self.assertEqual(ia, ib)
            self.assertTrue(torch.equal(ba, bb) and torch.equal(sa, sb))
        self.assertFalse(all(torch.equal(a[1], b[1]) for a, b in zip(first, other_epoch)))

    def test_python_predictions_are_scored_by_blurkit_bench_and_order_ambiguity_is_handled(self):
        samples = [blurkit.open_sample(self.gt, i) for i in range(12)]
        ids = [s['sample_id'] for s in samples]
        frames = np.stack([s['sharp'] for s in samples])
        exact = os.path.join(self.work, 'pred_exact')
        backwards = os.path.join(self.work, 'pred_backwards')
        blurkit.write_predictions(exact, ids, frames, method='exact')
        blurkit.write_predictions(backwards, ids, frames[:, ::-1], method='backwards')
        self.assertEqual(blurkit.read_index(exact)['schema_version'], 2)
        subprocess.run([SYNTH, 'shards', 'verify', backwards], check=True, capture_output=True)
        a = blurkit.score(self.gt, exact, os.path.join(self.work, 's_exact'), bench=BENCH)['methods']
        b = blurkit.score(self.gt, backwards, os.path.join(self.work, 's_back'), bench=BENCH)['methods']
        self.assertEqual(a['exact']['PSNR non-middle'], 100.0)
        self.assertEqual(b['backwards']['PSNR non-middle'], 100.0)  # the default rule takes the better order
        self.assertLess(a['blurred-input']['PSNR middle'], 40)
        # The field's clip metrics and every mean's bootstrap interval come through: the exact and
        # the backwards prediction are perfect on PWPSNR and EPE (DIS); the blurred input is not.
        for m in (a['exact'], b['backwards']):
            self.assertEqual(m['PWPSNR'], 100.0)
            self.assertEqual(m['EPE (DIS)'], 0.0)
        floor = a['blurred-input']
        self.assertLess(floor['PWPSNR'], 40)
        self.assertGreater(floor['EPE (DIS)'], 0.0)
        self.assertLessEqual(floor['PWPSNR lo'], floor['PWPSNR'])
        self.assertGreaterEqual(floor['PWPSNR hi'], floor['PWPSNR'])
        strict = blurkit.score(self.gt, backwards, os.path.join(self.work, 's_strict'), bench=BENCH,
                               order='ground-truth', no_baseline=True)['methods']
        self.assertLess(strict['backwards']['PSNR non-middle'], 40)
        self.assertEqual(list(strict), ['backwards'])

    def test_open_sample_returns_the_whole_camera_path(self):
        out = os.path.join(self.work, 'shake')
        subprocess.run([SYNTH, 'panorama', '--input', PANORAMA, '--samples', '4', '--size', '32', '--frames', '3',
                        '--trajectory', 'shake', '--shard-size', '2', '--out', out, '--quiet'],
                       check=True, capture_output=True)
        for i in range(4):
            s = blurkit.open_sample(out, i)  # reading checks the metadata digest, trajectory included
            path, orientation = s['trajectory'], s['orientation']
            self.assertEqual(path.shape[1], 4)
            self.assertEqual((len(path) - 1) % 2, 0)
            np.testing.assert_allclose(np.linalg.norm(path, axis=1), 1, atol=1e-12)
            for j, k in enumerate((0, (len(path) - 1) // 2, len(path) - 1)):
                np.testing.assert_array_equal(path[k], orientation[j])
            # The sub-frames sample the path, so their polyline's angle is at most the path's.
            dots = np.clip(np.abs(np.sum(path[1:] * path[:-1], axis=1)), 0, 1)
            self.assertLessEqual(np.degrees(2 * np.arccos(dots)).sum(), s['blur_magnitude'] + 1e-3)
        # A tampered trajectory is refused by the Python reader too.
        shard = os.path.join(out, 'shard-00000-of-00002.h5')
        with h5py.File(shard, 'r+') as f:
            f['trajectory'][0, 1, 0] += 1e-3
        with self.assertRaisesRegex(blurkit.DamagedDatasetError, 'checksum error in the per-sample metadata'):
            blurkit.open_sample(out, 0)

    def test_bad_input_raises_clear_exceptions_naming_the_file(self):
        missing = os.path.join(self.work, 'no_such_dataset')
        with self.assertRaisesRegex(FileNotFoundError, 'no_such_dataset'):
            blurkit.ShardDataset(missing)
        with self.assertRaisesRegex(IndexError, r'gt: sample index 12 out of range \[0, 12\)'):
            blurkit.ShardDataset(self.gt)[12]
        # One bit of one sample's pixels.
        damaged = os.path.join(self.work, 'damaged')
        shutil.copytree(self.gt, damaged)
        shard = os.path.join(damaged, 'shard-00001-of-00003.h5')
        with h5py.File(shard, 'r') as f:
            offset = f['sharp'].id.get_chunk_info(2).byte_offset + 77
            victim = f['sample_id'].asstr()[2]
        with open(shard, 'r+b') as f:
            f.seek(offset)
            byte = f.read(1)[0]
            f.seek(offset)
            f.write(bytes([byte ^ 8]))
        data = blurkit.ShardDataset(damaged)
        data[5]  # sample 1 of the same shard is sound
        with self.assertRaisesRegex(blurkit.DamagedDatasetError, f'shard-00001-of-00003.h5: sample {victim!r}'):
            data[6]
        # A truncated shard is refused when the dataset is opened.
        os.truncate(shard, 1000)
        with self.assertRaisesRegex(blurkit.DamagedDatasetError, 'shard-00001-of-00003.h5: 1000 bytes'):
            blurkit.ShardDataset(damaged)
        with open(os.path.join(damaged, 'index.json'), 'w') as f:
            f.write('{"schema_version": 2, "kind"')
        with self.assertRaisesRegex(blurkit.DamagedDatasetError, 'index.json: not valid JSON'):
            blurkit.read_index(damaged)
        with self.assertRaisesRegex(blurkit.BenchError, 'no_such_dataset'):
            blurkit.score(missing, 'blurred-input', os.path.join(self.work, 's_missing'), bench=BENCH)
        with self.assertRaisesRegex(ValueError, 'crop'):
            blurkit.ShardDataset(self.gt, crop=64)

    def test_both_readers_refuse_a_shard_of_another_dataset_and_an_index_that_miscounts(self):
        # A shard of a dataset made with other parameters (another --max-angle: same kind, shape,
        # seed and sample range, so only the parameters tell) put in place of shard 1, with
        # index.json updated to its size and digest: the C++ reader (shards verify) and this
        # package refuse it alike.
        other = os.path.join(self.work, 'other_params')
        subprocess.run([SYNTH, 'panorama', '--input', PANORAMA, '--samples', '12', '--size', '32', '--frames', '3',
                        '--shard-size', '4', '--seed', '0', '--max-angle', '3', '--out', other, '--quiet'],
                       check=True, capture_output=True)
        swapped = os.path.join(self.work, 'swapped')
        shutil.copytree(self.gt, swapped)
        name = 'shard-00001-of-00003.h5'
        shutil.copy(os.path.join(other, name), os.path.join(swapped, name))
        index = json.load(open(os.path.join(swapped, 'index.json')))
        theirs = {e['file']: e for e in json.load(open(os.path.join(other, 'index.json')))['shards']}
        index['shards'][1].update(sha256=theirs[name]['sha256'], bytes=theirs[name]['bytes'])
        json.dump(index, open(os.path.join(swapped, 'index.json'), 'w'))
        r = subprocess.run([SYNTH, 'shards', 'verify', swapped], capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(name + ': attributes differ from index.json', r.stdout + r.stderr)
        data = blurkit.ShardDataset(swapped)
        data[0]  # shard 0 is sound
        with self.assertRaisesRegex(blurkit.DamagedDatasetError, name + r': its attributes \(params\) differ'):
            data[4]
        # An index.json that lists fewer shards than its sample count and shard size make.
        short = os.path.join(self.work, 'short_index')
        shutil.copytree(self.gt, short)
        index = json.load(open(os.path.join(short, 'index.json')))
        index['shards'] = index['shards'][:2]
        index['num_samples'] = 8
        index['shard_size'] = 2
        json.dump(index, open(os.path.join(short, 'index.json'), 'w'))
        r = subprocess.run([SYNTH, 'shards', 'verify', short], capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('lists 2 shards, expected 4', r.stdout + r.stderr)
        with self.assertRaisesRegex(blurkit.DamagedDatasetError, 'index.json: lists 2 shards, expected 4'):
            blurkit.read_index(short)

    def test_the_python_guides_training_loop_runs_as_written(self):
        guide = open(os.path.join(ROOT, 'docs', 'python.md'), encoding='utf-8').read()
        section = guide[guide.index('## The package'):]
        code = section[section.index('```python\n') + 10:]
        code = code[:code.index('```')]
        out = os.path.join(self.work, 'readme_run')
        for old, new in (("'runs/demo/panorama_train'", repr(self.gt)), ("'runs/demo/panorama_test'", repr(self.gt)),
                         ("'runs/python/", repr(out + '/')[:-1]), ('crop=64', 'crop=32')):
            self.assertIn(old, code)
            code = code.replace(old, new)
        run = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                             env=dict(os.environ, BLURKIT_BENCH=BENCH))
        self.assertEqual(run.returncode, 0, run.stderr)
        model_psnr, floor = (float(v) for v in run.stdout.split())
        self.assertTrue(5 < model_psnr < 100 and 5 < floor < 100, run.stdout)
        subprocess.run([SYNTH, 'shards', 'verify', os.path.join(out, 'pred')], check=True, capture_output=True)

    def test_without_torch_the_dataset_returns_numpy_arrays(self):
        code = ("import sys; sys.modules['torch'] = None\n"
                "import blurkit, numpy\n"
                f"s = blurkit.ShardDataset({self.gt!r}, crop=16)[3]\n"
                "assert isinstance(s['blurred'], numpy.ndarray) and s['sharp'].shape == (3, 3, 16, 16)\n"
                "print('numpy')\n")
        run = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                             env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, 'python')))
        self.assertEqual(run.stdout.strip(), 'numpy', run.stderr)

    def test_pip_installs_the_package_offline(self):
        venv = os.path.join(self.work, 'venv')
        source = os.path.join(self.work, 'python')  # a copy: the build leaves files beside the sources
        shutil.copytree(os.path.join(ROOT, 'python'), source, ignore=shutil.ignore_patterns('__pycache__'))
        subprocess.run([sys.executable, '-m', 'venv', '--system-site-packages', venv], check=True)
        # Offline, with numpy, h5py and setuptools from Debian's packages. --no-deps because Debian
        # names its h5py distribution 'h5py._debian_h5py_serial', which pip does not match to 'h5py'.
        pip = subprocess.run([os.path.join(venv, 'bin', 'pip'), 'install', '--no-index', '--no-build-isolation',
                              '--no-deps', '--quiet', source], capture_output=True, text=True)
        self.assertEqual(pip.returncode, 0, pip.stderr)
        code = 'import blurkit, json; print(json.dumps([blurkit.__file__, blurkit.read_index(%r)["num_samples"]]))'
        run = subprocess.run([os.path.join(venv, 'bin', 'python'), '-c', code % self.gt], capture_output=True,
                             text=True, cwd=self.work, env={k: v for k, v in os.environ.items() if k != 'PYTHONPATH'})
        self.assertEqual(run.returncode, 0, run.stderr)
        where, count = json.loads(run.stdout)
        self.assertTrue(where.startswith(venv), where)
        self.assertEqual(count, 12)


if __name__ == '__main__':
    unittest.main()
