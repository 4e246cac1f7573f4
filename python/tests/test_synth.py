"""Tests of blurkit.synth, the renderers in Python, against blurkit-synth (run by CTest: python/synth).

Environment: BLURKIT_SYNTH, the built tool; BLURKIT_PYTHON_MODULES, the folder of the compiled module;
PYTHONPATH=python.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

import numpy as np
import torch
from torch.utils.data import DataLoader

import blurkit
import blurkit.synth as synth

SYNTH = os.environ['BLURKIT_SYNTH']
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = os.path.join(ROOT, 'data', 'samples')
PANORAMAS = [os.path.join(SAMPLES, 'panoramas', n) for n in ('studio.exr', 'sunset.exr', 'night.exr')]
PHOTO = os.path.join(SAMPLES, 'photos', 'chelsea.png')
VIDEO = os.path.join(SAMPLES, 'videos', 'cup.mp4')
GYRO = os.path.join(SAMPLES, 'gyro', 'gopro', 'hero7.raw')
HUMUS = os.path.join(SAMPLES, 'panoramas', 'humus', 'citadella.png')  # 8-bit: every camera step runs

# Each kind as keyword options and as the CLI's flags (the same, written both ways on purpose).
KINDS = {
    'slerp': ('panorama', dict(sources=PANORAMAS, samples=5, size='40x32', frames=3, seed=5),
              ['panorama', '--input'] + PANORAMAS + ['--samples', '5', '--size', '40x32', '--frames', '3', '--seed', '5']),
    'shake': ('panorama', dict(sources=PANORAMAS, samples=4, size=32, frames=5, seed=6, trajectory='shake'),
              ['panorama', '--input'] + PANORAMAS + ['--samples', '4', '--size', '32', '--frames', '5', '--seed', '6',
                                                     '--trajectory', 'shake']),
    'gyro': ('panorama', dict(sources=PANORAMAS[:1], samples=3, size=32, frames=3, seed=7, trajectory='gyro',
                              gyro=GYRO, gyro_rate=200, exposure_time=1 / 30),
             ['panorama', '--input', PANORAMAS[0], '--samples', '3', '--size', '32', '--frames', '3', '--seed', '7',
              '--trajectory', 'gyro', '--gyro', GYRO, '--gyro-rate', '200', '--exposure-time', str(1 / 30)]),
    'photos': ('photos', dict(sources=[PHOTO], photos=True, samples=3, size='40x32', frames=3, seed=8, source_fov=60,
                              noise_poisson=0.01),
               ['photos', '--input', PHOTO, '--source-fov', '60', '--samples', '3', '--size', '40x32', '--frames', '3',
                '--seed', '8', '--noise-poisson', '0.01']),
    'camera': ('panorama', dict(sources=[HUMUS], samples=3, size='40x32', frames=3, seed=12,
                                camera_pipeline='realblur-j', store_raw=True),
               ['panorama', '--input', HUMUS, '--samples', '3', '--size', '40x32', '--frames', '3', '--seed', '12',
                '--camera-pipeline', 'realblur-j', '--store-raw']),
    'lens': ('panorama', dict(sources=PANORAMAS[:1], samples=3, size='48x27', frames=3, seed=13, lens='hero11-wide',
                              lens_frames='rectified', readout_time=0.01, exposure_time=0.02),
             ['panorama', '--input', PANORAMAS[0], '--samples', '3', '--size', '48x27', '--frames', '3', '--seed', '13',
              '--lens', 'hero11-wide', '--lens-frames', 'rectified', '--readout-time', '0.01', '--exposure-time', '0.02']),
    'events': ('photos', dict(sources=[PHOTO], photos=True, samples=2, size='32x24', frames=3, seed=14, source_fov=60,
                              max_angle=2, events=True, exposure_time=0.01),
               ['photos', '--input', PHOTO, '--source-fov', '60', '--samples', '2', '--size', '32x24', '--frames', '3',
                '--seed', '14', '--max-angle', '2', '--events', '--exposure-time', '0.01']),
    'video': ('video', dict(sources=[VIDEO], window=5, frames=3, clip_range='0:0.1', crop='48x32', seed=9,
                            crops_per_window=2),
              ['video', '--input', VIDEO, '--window', '5', '--frames', '3', '--clip-range', '0:0.1', '--crop', '48x32',
               '--seed', '9', '--crops-per-window', '2']),
}


def make(kind):
    _, options, _ = KINDS[kind]
    options = dict(options)
    if kind == 'video':
        return synth.Video(**options)
    return synth.Rotation(**options)


def render_with_cli(args, out):
    subprocess.run([SYNTH] + args + ['--shard-size', '2', '--out', out, '--quiet'], check=True, capture_output=True)


def cli_error(args):
    """The message blurkit-synth prints for bad arguments."""
    r = subprocess.run([SYNTH] + args + ['--out', os.path.join(tempfile.gettempdir(), 'never-written')],
                       capture_output=True, text=True)
    assert r.returncode != 0, r
    return r.stderr.strip().splitlines()[-1]


def collect(loader):
    """{index: (blurred, sharp)} of every item a loader yields."""
    out = {}
    for batch in loader:
        for k, i in enumerate(batch['index'].tolist()):
            out[i] = (batch['blurred'][k].numpy(), batch['sharp'][k].numpy())
    return out


class SynthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for path in PANORAMAS + [PHOTO, VIDEO, GYRO]:
            if not os.path.exists(path):
                raise RuntimeError(f'sample data missing ({path}): run scripts/fetch_samples.sh')
        cls.work = tempfile.mkdtemp(prefix='blurkit-synth-python-')

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work)

    def test_every_kind_equals_the_cli_shards_byte_for_byte(self):
        for kind, (_, _, args) in KINDS.items():
            with self.subTest(kind=kind):
                out = os.path.join(self.work, 'cli-' + kind)
                render_with_cli(args, out)
                r = make(kind)
                n = blurkit.read_index(out)['num_samples']
                self.assertEqual(len(r), n)
                # Out of order, and twice: a sample depends on (seed, index) alone.
                for i in list(reversed(range(n))) + [0]:
                    mine, cli = r.sample(i), blurkit.open_sample(out, i)
                    for key in ('blurred', 'sharp', 'orientation', 'homography', 'trajectory', 'raw'):
                        if key in cli:
                            self.assertEqual(mine[key].dtype, cli[key].dtype, key)
                            np.testing.assert_array_equal(mine[key], cli[key], err_msg=f'{kind} {i} {key}')
                    for key in ('sample_id', 'blur_magnitude', 'index'):
                        self.assertEqual(mine[key], cli[key], key)
                    self.assertEqual(mine.get('params'), cli.get('params'), 'params')
                    self.assertEqual('events' in mine, kind == 'events')
                    for key, value in cli.get('events', {}).items():
                        np.testing.assert_array_equal(mine['events'][key], value, err_msg=f'{kind} {i} events {key}')
                    self.assertEqual('raw' in cli, kind == 'camera')
                    self.assertEqual('orientation' in mine, kind != 'video')
                self.assertEqual(r.params, blurkit.read_index(out)['params'])

    def test_the_manifest_gives_sources_and_defaults_as_it_does_to_the_cli(self):
        manifest = os.path.join(ROOT, 'data_manifests', 'demo_panorama.json')
        r = synth.Rotation(manifest=manifest, split='test', samples=2, size=32)
        out = os.path.join(self.work, 'cli-manifest')
        render_with_cli(['panorama', '--manifest', manifest, '--split', 'test', '--samples', '2', '--size', '32'], out)
        self.assertEqual(r.params, blurkit.read_index(out)['params'])
        self.assertEqual(r.num_frames, 3)  # the manifest's frames
        np.testing.assert_array_equal(r.sample(1)['sharp'], blurkit.open_sample(out, 1)['sharp'])

    def test_epochs_draw_new_samples_equal_to_the_cli_with_the_epoch_seed(self):
        data = synth.RotationDataset(sources=PANORAMAS, length=3, size=32, frames=3, seed=4)
        epochs = []
        for epoch in (0, 1):
            data.set_epoch(epoch)
            out = os.path.join(self.work, f'epoch-{epoch}')
            render_with_cli(['panorama', '--input'] + PANORAMAS + ['--samples', '3', '--size', '32', '--frames', '3',
                                                                  '--seed', str(synth.epoch_seed(4, epoch))], out)
            items = [data[i] for i in range(3)]
            for i, item in enumerate(items):
                cli = blurkit.open_sample(out, i)
                np.testing.assert_array_equal((item['sharp'].numpy() * 255).round().astype(np.uint8),
                                              cli['sharp'].transpose(0, 3, 1, 2))
                self.assertEqual(item['epoch'], epoch)
            epochs.append(items)
        self.assertEqual(synth.epoch_seed(4, 0), 4)
        # SplitMix64(4 ^ SplitMix64(1)) >> 1, pinned, so that a changed mix fails here. (SplitMix64(0)
        # is 0xe220a8397b1dcdaf, the generator's published first output from state 0.)
        self.assertEqual(synth.epoch_seed(4, 1), 0x6f7a1a71cc028eb1)
        self.assertEqual(synth.epoch_seed(0, 7), 0x5c5a614bbf55e722)
        self.assertFalse(torch.equal(epochs[0][0]['blurred'], epochs[1][0]['blurred']))
        same = synth.RotationDataset(sources=PANORAMAS, length=3, size=32, frames=3, seed=4, epoch_seeds=False)
        same.set_epoch(1)
        self.assertTrue(torch.equal(same[0]['blurred'], epochs[0][0]['blurred']))

    def test_dataloader_workers_fork_spawn_and_persistent_give_the_in_process_samples(self):
        data = synth.RotationDataset(sources=PANORAMAS, length=6, size=32, frames=3, seed=2, time_reversal=True)
        expected = {}
        for epoch in (0, 1):
            data.set_epoch(epoch)
            expected[epoch] = {i: (data[i]['blurred'].numpy(), data[i]['sharp'].numpy()) for i in range(6)}
        for method in ('fork', 'spawn'):
            for persistent in (False, True):
                with self.subTest(method=method, persistent=persistent):
                    loader = DataLoader(data, batch_size=2, shuffle=True, num_workers=2, persistent_workers=persistent,
                                        multiprocessing_context=method, generator=torch.Generator().manual_seed(0))
                    for epoch in (0, 1):
                        data.set_epoch(epoch)
                        got = collect(loader)
                        self.assertEqual(sorted(got), list(range(6)))
                        for i, (blurred, sharp) in got.items():
                            np.testing.assert_array_equal(blurred, expected[epoch][i][0])
                            np.testing.assert_array_equal(sharp, expected[epoch][i][1])
        data.set_epoch(0)

    def test_forked_workers_render_on_threads_after_the_parent_rendered_on_threads(self):
        # oneTBB supports no fork() once its pool runs (a child inherits a scheduler without its
        # threads); blurkit.synth ends the pool before every fork. Debian's oneTBB 2021.8 did not hang
        # here even without that, so this guards the case rather than reproducing a hang. Run in a
        # child process with a time limit, so that a hang fails this test instead of stopping the suite.
        script = (
            'import sys, numpy as np, torch\n'
            'from torch.utils.data import DataLoader\n'
            'import blurkit.synth as synth\n'
            f'data = synth.RotationDataset(sources={PANORAMAS!r}, length=4, size=48, frames=3, seed=3, threads=2)\n'
            'expected = {i: data[i]["blurred"].numpy() for i in range(4)}\n'
            'for rounds in range(2):\n'
            '    loader = DataLoader(data, batch_size=1, num_workers=2, multiprocessing_context="fork")\n'
            '    for batch in loader:\n'
            '        i = int(batch["index"][0])\n'
            '        np.testing.assert_array_equal(batch["blurred"][0].numpy(), expected[i])\n'
            'print("ok")\n')
        try:
            done = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, timeout=240,
                                  env=dict(os.environ))
        except subprocess.TimeoutExpired:
            self.fail('forked DataLoader workers hung after the parent rendered with threads=2')
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        self.assertIn('ok', done.stdout)

    def test_uint8_items_are_the_float_items_bytes_with_frames_kept_and_reversed_alike(self):
        options = dict(sources=PANORAMAS, length=4, size=32, frames=5, seed=3, keep_frames=(0, 2, 4), time_reversal=True)
        floats, bytes_ = synth.RotationDataset(**options), synth.RotationDataset(dtype='uint8', **options)
        raw = synth.Rotation(sources=PANORAMAS, samples=4, size=32, frames=5, seed=3)
        reversed_seen = set()
        for i in range(4):
            a, b = floats[i], bytes_[i]
            self.assertEqual(b['sharp'].dtype, torch.uint8)
            self.assertEqual(a['reversed'], b['reversed'])
            reversed_seen.add(a['reversed'])
            self.assertTrue(torch.equal(b['sharp'].float() / 255, a['sharp']))
            self.assertTrue(torch.equal(b['blurred'].float() / 255, a['blurred']))
            order = [4, 2, 0] if a['reversed'] else [0, 2, 4]
            np.testing.assert_array_equal(b['sharp'].numpy(), raw.sample(i)['sharp'][order].transpose(0, 3, 1, 2))
        self.assertEqual(reversed_seen, {False, True})
        with self.assertRaises(ValueError):
            synth.RotationDataset(sources=PANORAMAS, length=2, dtype='float16')

    def test_threads_and_cache_change_no_byte(self):
        plain = synth.Rotation(sources=PANORAMAS, samples=6, size=32, frames=3, seed=12)
        other = synth.Rotation(sources=PANORAMAS, samples=6, size=32, frames=3, seed=12, threads=2, cache=1)
        for i in (5, 0, 3, 1):
            np.testing.assert_array_equal(plain.sample(i)['sharp'], other.sample(i)['sharp'])
        with self.assertRaises(ValueError):
            synth.Rotation(sources=PANORAMAS, samples=2, cache=-1)

    def test_the_grouped_sampler_shuffles_each_epoch_and_keeps_a_sources_samples_together(self):
        data = synth.RotationDataset(sources=PANORAMAS, length=10, size=32)
        sampler = data.sampler(seed=1)
        orders = []
        for epoch in (0, 1):
            data.set_epoch(epoch)
            order = list(sampler)
            self.assertEqual(sorted(order), list(range(10)))
            sources = [i * 3 // 10 for i in order]  # the source of sample i: floor(i P / N)
            self.assertEqual(sum(a != b for a, b in zip(sources, sources[1:])), 2)  # 3 runs, one per source
            self.assertEqual(order, list(sampler))  # the same epoch, the same order
            orders.append(order)
        self.assertNotEqual(orders[0], orders[1])
        self.assertNotEqual(orders[0], sorted(orders[0]))

    def test_video_dataset_in_workers_equals_the_in_process_samples(self):
        data = synth.VideoDataset(sources=[VIDEO], window=5, frames=3, clip_range='0:0.1', crop=32, seed=1)
        expected = {i: data[i]['sharp'].numpy() for i in range(len(data))}
        got = collect(DataLoader(data, batch_size=3, shuffle=True, num_workers=2,
                                 generator=torch.Generator().manual_seed(1)))
        self.assertEqual(sorted(got), sorted(expected))
        for i, (_, sharp) in got.items():
            np.testing.assert_array_equal(sharp, expected[i])

    def test_rendering_releases_the_gil(self):
        # With a switch interval far longer than the test, a thread that kept the GIL while rendering
        # would let the main thread run again only after the render returned.
        r = synth.Rotation(sources=PANORAMAS[:1], samples=1, size=256, frames=7, max_angle=20)
        r.sample(0)  # load the panorama first
        started, done = threading.Event(), []
        def render():
            started.set()
            r.sample(0)
            done.append(True)
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1000)
        try:
            t = threading.Thread(target=render)
            t.start()
            started.wait()
            rendering_while_main_ran = not done
            t.join()
        finally:
            sys.setswitchinterval(interval)
        self.assertTrue(rendering_while_main_ran)

    def test_bad_input_raises_python_exceptions_with_the_cli_message(self):
        with self.assertRaises(FileNotFoundError) as e:
            synth.Rotation(sources=['/no/such/panorama.exr'], samples=2)
        self.assertIn('/no/such/panorama.exr', str(e.exception))
        # The error's type, not its wording, makes it a FileNotFoundError: a missing gyroscope log too.
        with self.assertRaises(FileNotFoundError) as e:
            synth.Rotation(sources=PANORAMAS, samples=2, trajectory='gyro', gyro='/no/such/log.csv', exposure_time=0.1)
        self.assertIn('/no/such/log.csv', str(e.exception))
        cases = [
            (dict(sources=PANORAMAS, samples=2, frames=4), ['panorama', '--input', PANORAMAS[0], '--samples', '2',
                                                            '--frames', '4']),
            (dict(sources=PANORAMAS, samples=2, fov=190), ['panorama', '--input', PANORAMAS[0], '--samples', '2',
                                                           '--fov', '190']),
            (dict(sources=PANORAMAS, samples=2, trajectory='wobble'), ['panorama', '--input', PANORAMAS[0],
                                                                      '--samples', '2', '--trajectory', 'wobble']),
        ]
        for options, args in cases:
            with self.subTest(args=args[4:]):
                with self.assertRaises(ValueError) as e:
                    synth.Rotation(**options)
                self.assertIn(cli_error(args).replace('error: ', ''), str(e.exception))
        garbage = os.path.join(self.work, 'garbage.csv')
        with open(garbage, 'w') as f:
            f.write('t,wx,wy,wz\n0,1,2\nnot,a,gyro,log\n')
        with self.assertRaises(ValueError) as e:
            synth.Rotation(sources=PANORAMAS, samples=2, trajectory='gyro', gyro=garbage, exposure_time=0.1)
        self.assertIn(garbage, str(e.exception))
        for bad in (dict(out='x'), dict(shard_size=4), dict(unknown_flag=1)):
            with self.assertRaises(ValueError):
                synth.Rotation(sources=PANORAMAS, samples=2, **bad)
        with self.assertRaises(IndexError):
            synth.Rotation(sources=PANORAMAS, samples=2).sample(2)

    def test_an_unreadable_source_fails_in_the_worker_as_a_python_exception_not_a_crash(self):
        broken = os.path.join(self.work, 'broken.exr')
        with open(broken, 'wb') as f:
            f.write(b'v/1\x01 not an OpenEXR file' * 10)
        data = synth.RotationDataset(sources=[broken], length=2, size=32)  # sources load on first use
        with self.assertRaises(ValueError) as e:
            next(iter(DataLoader(data, batch_size=2, num_workers=1)))
        self.assertIn('broken.exr', str(e.exception))

    def test_the_guides_dataloader_block_runs_as_written(self):
        with open(os.path.join(ROOT, 'docs', 'python.md'), encoding='utf-8') as f:
            guide = f.read()
        section = guide[guide.index('## Fresh blur in the DataLoader'):]
        code = section[section.index('```python\n') + 10:]
        code = code[:code.index('```')]
        for old, new in (('length=256, size=64', 'length=16, size=32'), ("'data_manifests/", repr(ROOT + '/data_manifests/')[:-1])):
            self.assertIn(old, code)
            code = code.replace(old, new)
        run = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=self.work)
        self.assertEqual(run.returncode, 0, run.stderr[-3000:])
        self.assertIn('torch.Size([8, 3, 32, 32]) torch.Size([8, 3, 3, 32, 32]) 1', run.stdout)

    def test_the_example_trains_from_fresh_blur_and_scores_with_blurkit_bench(self):
        out = os.path.join(self.work, 'example')
        r = subprocess.run([sys.executable, os.path.join(ROOT, 'python', 'examples', 'train_on_the_fly.py'),
                            '--steps', '6', '--size', '32', '--batch', '2', '--test-samples', '4', '--workers', '1',
                            '--out', out], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertIn('PSNR', r.stdout)
        self.assertTrue(os.path.exists(os.path.join(out, 'score', 'summary.json')))


if __name__ == '__main__':
    unittest.main()
