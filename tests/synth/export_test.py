#!/usr/bin/python3
"""`blurkit-synth shards export` read back by independent readers: python3-lmdb as BasicSR uses it
(its meta_info.txt parsed as BasicSR's paired_paths_from_lmdb does), Python's tarfile grouped as
the webdataset library groups, and plain PNG reads; every image equal to the shard's pixels and
every metadata field to python/blurkit's reading of the shards.

Usage: export_test.py BLURKIT_SYNTH"""
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest

import cv2
import lmdb
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'python'))
import blurkit  # noqa: E402

SYNTH = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(ROOT, 'build', 'synth', 'blurkit-synth')


def run(*args, check=True):
    r = subprocess.run([SYNTH, *map(str, args)], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f'{args}: exit {r.returncode}: {r.stderr}')
    return r


def png(data):
    """PNG bytes -> RGB array (the files hold OpenCV's BGR order)."""
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert img is not None and img.ndim == 3 and img.shape[2] == 3
    return img[:, :, ::-1]


def samples(dataset):
    n = blurkit.read_index(dataset)['num_samples']
    return [blurkit.open_sample(dataset, i) for i in range(n)]


def key(sample_id):
    return ''.join(c if c.isalnum() or c in '_-' else '_' for c in sample_id)


def tree_digest(folder):
    out = {}
    for dirpath, _, files in os.walk(folder):
        for name in files:
            p = os.path.join(dirpath, name)
            out[os.path.relpath(p, folder)] = hashlib.sha256(open(p, 'rb').read()).hexdigest()
    return out


class Export(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix='blurkit_export_')
        rng = np.random.default_rng(5)
        # A textured panorama (rotational blur, with orientations and the camera path) ...
        pano = cv2.resize(rng.integers(0, 256, (32, 64, 3), dtype=np.uint8), (512, 256), interpolation=cv2.INTER_CUBIC)
        cv2.imwrite(os.path.join(cls.work, 'pano.png'), pano)
        cls.rot = os.path.join(cls.work, 'rot')
        run('panorama', '--input', os.path.join(cls.work, 'pano.png'), '--samples', 10, '--size', 40, '--fov', 60,
            '--frames', 3, '--shard-size', 4, '--seed', 3, '--out', cls.rot, '-q')
        # ... and a clip of numbered frames (dynamic blur, with source frame numbers).
        frames = os.path.join(cls.work, 'clip')
        os.makedirs(frames)
        base = cv2.resize(rng.integers(0, 256, (16, 24, 3), dtype=np.uint8), (96, 64), interpolation=cv2.INTER_CUBIC)
        for t in range(21):
            cv2.imwrite(os.path.join(frames, f'{t:06d}.png'), np.roll(base, 2 * t, axis=1))
        cls.vid = os.path.join(cls.work, 'vid')
        run('video', '--input', frames, '--window', 7, '--frames', 5, '--crop', 48, '--seed', 1, '--out', cls.vid, '-q')
        cls.rot_samples = samples(cls.rot)
        cls.vid_samples = samples(cls.vid)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work)

    def out(self, name):
        return os.path.join(self.work, name)

    def test_basicsr_lmdb_reads_as_basicsr_reads_it(self):
        out = self.out('lmdb')
        r = run('shards', 'export', self.rot, '--format', 'basicsr-lmdb', '--out', out)
        self.assertIn('exported 10 samples (50 images)', r.stdout)
        # BasicSR's paired_paths_from_lmdb: keys from meta_info.txt, the same in both.
        metas = {}
        for db in ('blur', 'sharp', 'frames'):
            with open(os.path.join(out, f'{db}.lmdb', 'meta_info.txt')) as f:
                metas[db] = [line.rstrip('\n') for line in f]
        blur_keys = [line.split('.')[0] for line in metas['blur']]
        self.assertEqual(blur_keys, [line.split('.')[0] for line in metas['sharp']])
        self.assertEqual(blur_keys, [key(s['sample_id']) for s in self.rot_samples])
        for line in metas['blur']:
            self.assertRegex(line, r'^[A-Za-z0-9_-]+\.png \(40,40,3\) 1$')
        envs = {db: lmdb.open(os.path.join(out, f'{db}.lmdb'), readonly=True, lock=False, readahead=False,
                              meminit=False) for db in ('blur', 'sharp', 'frames')}
        try:
            txns = {db: env.begin(write=False) for db, env in envs.items()}
            for s in self.rot_samples:
                k = key(s['sample_id'])
                np.testing.assert_array_equal(png(txns['blur'].get(k.encode('ascii'))), s['blurred'])
                np.testing.assert_array_equal(png(txns['sharp'].get(k.encode('ascii'))), s['sharp'][1])
                for j in range(3):
                    self.assertIn(f'{k}_f{j}.png (40,40,3) 1', metas['frames'])
                    np.testing.assert_array_equal(png(txns['frames'].get(f'{k}_f{j}'.encode('ascii'))), s['sharp'][j])
            self.assertEqual(envs['blur'].stat()['entries'], 10)
            self.assertEqual(envs['frames'].stat()['entries'], 30)
        finally:
            for env in envs.values():
                env.close()
        record = json.load(open(os.path.join(out, 'export.json')))
        self.assertEqual((record['format'], record['samples'], record['images']), ('basicsr-lmdb', 10, 50))

    def test_sub_images_as_extract_subimages_cuts_them(self):
        out = self.out('lmdb_crop')
        run('shards', 'export', self.vid, '--format', 'basicsr-lmdb', '--crop', 20, '--crop-step', 12, '--out', out)
        # BasicSR's extract_subimages.py worker with thresh_size 0.
        h = w = 48
        h_space = list(np.arange(0, h - 20 + 1, 12))
        if h - (h_space[-1] + 20) > 0:
            h_space.append(h - 20)
        w_space = list(np.arange(0, w - 20 + 1, 12))
        if w - (w_space[-1] + 20) > 0:
            w_space.append(w - 20)
        env = lmdb.open(os.path.join(out, 'sharp.lmdb'), readonly=True, lock=False)
        frames = lmdb.open(os.path.join(out, 'frames.lmdb'), readonly=True, lock=False)
        try:
            with env.begin() as txn, frames.begin() as ftxn:
                self.assertEqual(env.stat()['entries'], len(self.vid_samples) * len(h_space) * len(w_space))
                for s in self.vid_samples:
                    index = 0
                    for x in h_space:
                        for y in w_space:
                            index += 1
                            k = f'{key(s["sample_id"])}_s{index:03d}'
                            np.testing.assert_array_equal(png(txn.get(k.encode())), s['sharp'][2][x:x + 20, y:y + 20])
                            np.testing.assert_array_equal(png(ftxn.get(f'{k}_f4'.encode())),
                                                          s['sharp'][4][x:x + 20, y:y + 20])
        finally:
            env.close()
            frames.close()

    def test_gopro_folders(self):
        out = self.out('gopro')
        run('shards', 'export', self.vid, '--format', 'gopro', '--out', out)
        self.assertEqual(sorted(os.listdir(out)), ['blur', 'export.json', 'frames', 'sharp'])
        self.assertEqual(len(os.listdir(os.path.join(out, 'blur'))), len(self.vid_samples))
        for s in self.vid_samples:
            k = key(s['sample_id'])
            read = lambda *p: png(open(os.path.join(out, *p), 'rb').read())  # noqa: E731
            np.testing.assert_array_equal(read('blur', k + '.png'), s['blurred'])
            np.testing.assert_array_equal(read('sharp', k + '.png'), s['sharp'][2])
            self.assertEqual(sorted(os.listdir(os.path.join(out, 'frames', k))), [f'{j}.png' for j in range(5)])
            for j in range(5):
                np.testing.assert_array_equal(read('frames', k, f'{j}.png'), s['sharp'][j])

    def check_webdataset(self, out, data, frames):
        groups = {}
        tars = sorted(n for n in os.listdir(out) if n.endswith('.tar'))
        for name in tars:
            with tarfile.open(os.path.join(out, name)) as tar:
                for m in tar.getmembers():
                    # webdataset's grouping: the key is the name up to its first dot.
                    k, ext = m.name.split('.', 1)
                    groups.setdefault(k, {})[ext] = tar.extractfile(m).read()
        self.assertEqual(list(groups), [key(s['sample_id']) for s in data])
        for s in data:
            g = groups[key(s['sample_id'])]
            self.assertEqual(sorted(g), sorted(['blurred.png', 'json'] + [f'sharp.{j}.png' for j in range(frames)]))
            np.testing.assert_array_equal(png(g['blurred.png']), s['blurred'])
            for j in range(frames):
                np.testing.assert_array_equal(png(g[f'sharp.{j}.png']), s['sharp'][j])
            meta = json.loads(g['json'])
            self.assertEqual(meta['id'], s['sample_id'])
            self.assertEqual(meta['index'], s['index'])
            self.assertAlmostEqual(meta['blur_magnitude'], float(s['blur_magnitude']), places=5)
            self.assertEqual(meta['middle'], frames // 2)
            if 'orientation' in s:
                np.testing.assert_allclose(meta['orientation_wxyz'], s['orientation'], rtol=0, atol=1e-12)
                np.testing.assert_allclose(meta['homography_frame_from_middle'],
                                           s['homography'].reshape(frames, 9), rtol=0, atol=1e-12)
                np.testing.assert_allclose(meta['trajectory_wxyz'], s['trajectory'], rtol=0, atol=1e-12)
        return tars

    def test_webdataset_tars(self):
        out = self.out('wds')
        run('shards', 'export', self.rot, '--format', 'webdataset', '--shard-size', 4, '--out', out)
        self.assertEqual(self.check_webdataset(out, self.rot_samples, 3),
                         ['shard-000000.tar', 'shard-000001.tar', 'shard-000002.tar'])
        # Same input, same bytes.
        again = self.out('wds_again')
        run('shards', 'export', self.rot, '--format', 'webdataset', '--shard-size', 4, '--out', again)
        a, b = tree_digest(out), tree_digest(again)
        for name in ('shard-000000.tar', 'shard-000002.tar'):
            self.assertEqual(a[name], b[name])
        # By default, at least 8 tars (one per sample when there are fewer), so that WebDataset's
        # loader can give each of up to 8 DataLoader workers a tar of its own.
        out = self.out('wds_video')
        run('shards', 'export', self.vid, '--format', 'webdataset', '--out', out)
        tars = self.check_webdataset(out, self.vid_samples, 5)
        self.assertEqual(len(tars), min(8, len(self.vid_samples)), tars)

    def test_resume_continues_an_interrupted_export(self):
        for fmt, cut in (('gopro', 4), ('webdataset', 4)):
            ref = self.out(f'resume_ref_{fmt}')
            run('shards', 'export', self.rot, '--format', fmt, '--shard-size', 4, '--out', ref) if fmt == 'webdataset' \
                else run('shards', 'export', self.rot, '--format', fmt, '--out', ref)
            # What a kill after `cut` samples leaves: OUT.partial with its progress record and
            # only the files of the first samples.
            out = self.out(f'resume_{fmt}')
            shutil.copytree(ref, out + '.partial')
            record = json.load(open(os.path.join(ref, 'export.json')))
            record.pop('images')
            keep = {key(s['sample_id']) for s in self.rot_samples[:cut]}
            for dirpath, dirs, files in os.walk(out + '.partial'):
                for name in files:
                    k = name.split('.')[0]
                    if fmt == 'gopro' and os.path.basename(dirpath) not in ('blur', 'sharp'):
                        k = os.path.basename(dirpath)
                    if fmt == 'webdataset' and name != 'shard-000000.tar' and name.endswith('.tar'):
                        os.remove(os.path.join(dirpath, name))
                    elif fmt == 'gopro' and name.endswith('.png') and k not in keep:
                        os.remove(os.path.join(dirpath, name))
            with open(os.path.join(out + '.partial', 'export.json'), 'w') as f:
                json.dump({'run': record, 'done': cut, 'images': cut * (5 if fmt == 'gopro' else 4)}, f)
            args = ['shards', 'export', self.rot, '--format', fmt, '--out', out]
            if fmt == 'webdataset':
                args += ['--shard-size', 4]
            r = run(*args)
            self.assertIn(f'continuing from sample {cut}', r.stdout)
            self.assertFalse(os.path.exists(out + '.partial'))
            got, want = tree_digest(out), tree_digest(ref)
            self.assertEqual(sorted(got), sorted(want))
            self.assertEqual({k: v for k, v in got.items() if not k.endswith('.json')},
                             {k: v for k, v in want.items() if not k.endswith('.json')})
            # Run again: complete, nothing to do.
            self.assertIn('already complete', run(*args).stdout)

    def test_trailing_slash_and_overwrite_resume(self):
        # "--out DIR/" is DIR (its .partial beside it, not inside).
        out = self.out('slash')
        run('shards', 'export', self.rot, '--format', 'gopro', '--out', out + '/')
        self.assertTrue(os.path.isfile(os.path.join(out, 'export.json')))
        self.assertFalse(os.path.exists(os.path.join(out, '.partial')))
        # Replacing an old export with --overwrite, interrupted: the same command resumes.
        ref = self.out('slash_ref')
        run('shards', 'export', self.rot, '--format', 'webdataset', '--shard-size', 4, '--out', ref)
        target = self.out('slash_replace')
        os.makedirs(target)
        open(os.path.join(target, 'old.txt'), 'w').close()
        shutil.copytree(ref, target + '.partial')
        record = json.load(open(os.path.join(ref, 'export.json')))
        images = record.pop('images')
        os.remove(os.path.join(target + '.partial', 'shard-000002.tar'))
        with open(os.path.join(target + '.partial', 'export.json'), 'w') as f:
            json.dump({'run': record, 'done': 8, 'images': 8 * 4}, f)
        r = run('shards', 'export', self.rot, '--format', 'webdataset', '--shard-size', 4, '--out', target,
                '--overwrite')
        self.assertIn('continuing from sample 8', r.stdout)
        self.assertEqual(tree_digest(target), tree_digest(ref))
        self.assertEqual(json.load(open(os.path.join(target, 'export.json')))['images'], images)
        # Killed after the last tar but before the rename: nothing is written again.
        again = self.out('slash_done')
        shutil.copytree(ref, again + '.partial')
        with open(os.path.join(again + '.partial', 'export.json'), 'w') as f:
            json.dump({'run': record, 'done': 10, 'images': images}, f)
        r = run('shards', 'export', self.rot, '--format', 'webdataset', '--shard-size', 4, '--out', again)
        self.assertIn('continuing from sample 10', r.stdout)
        self.assertEqual(tree_digest(again), tree_digest(ref))

    def test_frame_names_sort_in_time_order(self):
        frames = os.path.join(self.work, 'clip')
        long = self.out('vid11')
        run('video', '--input', frames, '--window', 11, '--frames', 11, '--crop', 32, '--seed', 1, '--out', long, '-q')
        out = self.out('gopro11')
        run('shards', 'export', long, '--format', 'gopro', '--out', out)
        first = sorted(os.listdir(os.path.join(out, 'frames')))[0]
        names = sorted(os.listdir(os.path.join(out, 'frames', first)))
        self.assertEqual(names, [f'{j:02d}.png' for j in range(11)])
        s = blurkit.open_sample(long, 0)
        for j, name in enumerate(names):
            np.testing.assert_array_equal(png(open(os.path.join(out, 'frames', first, name), 'rb').read()),
                                          s['sharp'][j])

    def test_existing_output_needs_overwrite(self):
        out = self.out('occupied')
        os.makedirs(out)
        with open(os.path.join(out, 'mine.txt'), 'w') as f:
            f.write('keep me')
        r = run('shards', 'export', self.rot, '--format', 'gopro', '--out', out, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('exists and is not empty', r.stderr)
        self.assertEqual(os.listdir(out), ['mine.txt'])
        self.assertFalse(os.path.exists(out + '.partial'))
        run('shards', 'export', self.rot, '--format', 'gopro', '--out', out, '--overwrite')
        self.assertNotIn('mine.txt', os.listdir(out))

    def test_damaged_shard_is_a_clear_error_and_keeps_only_finished_work(self):
        bad = self.out('damaged')
        shutil.copytree(self.rot, bad)
        shard = sorted(n for n in os.listdir(bad) if n.endswith('.h5'))[1]
        path = os.path.join(bad, shard)
        data = bytearray(open(path, 'rb').read())
        # Flip bytes inside the pixel data (the middle of the file), keeping its size.
        for i in range(len(data) // 2, len(data) // 2 + 64):
            data[i] ^= 0xFF
        open(path, 'wb').write(bytes(data))
        for fmt in ('basicsr-lmdb', 'gopro', 'webdataset'):
            out = self.out(f'from_damaged_{fmt}')
            r = run('shards', 'export', bad, '--format', fmt, '--out', out, check=False)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(shard, r.stderr)
            self.assertFalse(os.path.exists(out))
            if fmt == 'webdataset':
                # One sample per tar (10 samples: at least 8 tars): the tars of samples 0-3, before
                # the damaged shard 1, were finished and recorded, and they stay.
                self.assertIn('the export so far stays in', r.stderr)
                progress = json.load(open(os.path.join(out + '.partial', 'export.json')))
                self.assertEqual(progress['done'], 4)
                self.assertEqual(sorted(n for n in os.listdir(out + '.partial') if n.endswith('.tar')),
                                 [f'shard-{t:06d}.tar' for t in range(4)])
            else:
                # The first batch of 64 samples met the damage: nothing was finished, nothing stays.
                self.assertFalse(os.path.exists(out + '.partial'))
        # A resumed run that meets the damage keeps the earlier run's work and says so.
        out = self.out('from_damaged_resumed')
        ref = self.out('from_damaged_ref')
        run('shards', 'export', self.rot, '--format', 'gopro', '--out', ref)
        shutil.copytree(ref, out + '.partial')
        record = json.load(open(os.path.join(ref, 'export.json')))
        record.pop('images')
        record['dataset'] = os.path.abspath(bad)
        with open(os.path.join(out + '.partial', 'export.json'), 'w') as f:
            json.dump({'run': record, 'done': 2, 'images': 10}, f)
        r = run('shards', 'export', bad, '--format', 'gopro', '--out', out, check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn('the export so far stays in', r.stderr)
        self.assertTrue(os.path.isdir(out + '.partial'))
        self.assertFalse(os.path.exists(out))

    def test_bad_options(self):
        for args, message in ((('--format', 'tfrecord'), '--format must be'),
                              (('--format', 'gopro', '--crop', 16), '--crop and --crop-step are for'),
                              (('--format', 'basicsr-lmdb', '--crop', 400), 'larger than the dataset'),
                              (('--format', 'webdataset', '--shard-size', -1), '--shard-size must be positive'),
                              (('--format', 'gopro', '--png-compression', 10), '--png-compression must be 0 to 9')):
            out = self.out('bad_options')
            r = run('shards', 'export', self.rot, *args, '--out', out, check=False)
            self.assertEqual(r.returncode, 1, (args, r.stderr))
            self.assertIn(message, r.stderr)
            self.assertFalse(os.path.exists(out))

    def test_png_compression_level_is_the_users_and_recorded(self):
        # Level 0 stores the pixels uncompressed (larger files), level 9 compresses most; the
        # pixels are the same, and export.json records the level (a resumed export keeps it).
        sizes = {}
        for level in (0, 9):
            out = self.out(f'level{level}')
            run('shards', 'export', self.rot, '--format', 'gopro', '--png-compression', level, '--out', out)
            self.assertEqual(json.load(open(os.path.join(out, 'export.json')))['png_compression'], level)
            sizes[level] = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs
                               if f.endswith('.png'))
            first = key(self.rot_samples[0]['sample_id'])
            np.testing.assert_array_equal(png(open(os.path.join(out, 'blur', first + '.png'), 'rb').read()),
                                          self.rot_samples[0]['blurred'])
        self.assertGreater(sizes[0], sizes[9])

    def test_python_function(self):
        out = self.out('py_lmdb')
        record = blurkit.export(self.rot, out, 'basicsr-lmdb', synth=SYNTH, crop=20, crop_step=20)
        self.assertEqual((record['samples'], record['crop'], record['crop_step']), (10, 20, 20))
        self.assertEqual(record['images'], 10 * 4 * 5)
        with self.assertRaisesRegex(blurkit.ExportError, 'exists and is not empty'):
            os.makedirs(self.out('py_busy'))
            open(os.path.join(self.out('py_busy'), 'x'), 'w').close()
            blurkit.export(self.rot, self.out('py_busy'), 'gopro', synth=SYNTH)


if __name__ == '__main__':
    unittest.main(verbosity=2)
