"""The event camera end to end (blurkit-synth photos/panorama --events, synth/events.h): the shards'
events checked against the shards' own frames, in ideal mode.

- the integration invariant: per pixel, L(t_end) - L(t_start) - sum p_i C_p lies within one
  threshold, using the stored thresholds and the stored first and last sharp frames in linear light;
- EDI's relation (Pan et al., CVPR 2019): the blurred image predicted from the middle sharp frame
  and the events, B = S * mean_k exp(E_k) in linear light, matches the stored blurred image within
  the per-pixel ratio exp(C+ + C-);
- a still camera gives no events; events sorted and inside the exposure;
- 1 and 2 threads give the same bytes; a shard without --events has no event datasets;
- blurkit.open_sample and voxel_grid read them; bad options are refused by name.

The stored frames are 8-bit: each code c stands for the linear values between the response's
decodes of c - 1/2 and c + 1/2 (EncodeToRgb8 rounds to the nearest code), so every comparison
below uses that interval of L for each pixel and asks the intervals to meet the model's bound.

usage: events_shard_test.py BLURKIT_SYNTH
"""
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

SYNTH = sys.argv[1]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'python'))
import blurkit  # noqa: E402

PHOTO = os.path.join(ROOT, 'data', 'samples', 'photos', 'chelsea.png')
PANO = os.path.join(ROOT, 'data', 'samples', 'panoramas', 'studio.exr')
EPS = 1e-3  # the model's log_eps (checked against params below)
# The float32 log frames and the references' float additions: 1e-4 is over 100 times their rounding.
FLOAT_SLACK = 1e-4


def srgb_decode(v):
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def log_interval(rgb):
    """The lowest and highest L = log(eps + Y) an 8-bit sRGB image's pixels can stand for."""
    c = rgb.astype(np.float64)
    lo = srgb_decode(np.clip(c - 0.5, 0, 255) / 255)
    hi = srgb_decode(np.clip(c + 0.5, 0, 255) / 255)
    weights = np.array([0.2126, 0.7152, 0.0722])  # RGB order in the shards
    return np.log(EPS + lo @ weights), np.log(EPS + hi @ weights)


def linear_interval(rgb):
    lo, hi = log_interval(rgb)
    return np.exp(lo) - EPS, np.exp(hi) - EPS


def run(*args, check=True):
    return subprocess.run([SYNTH, *args], capture_output=True, text=True, check=check)


class Events(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.path.exists(PHOTO), 'sample data missing: run scripts/fetch_samples.sh'
        cls.work = tempfile.mkdtemp(prefix='blurkit_events_')
        cls.common = ['photos', '--input', PHOTO, '--source-fov', '60', '--samples', '3', '--size', '64x48',
                      '--frames', '5', '--seed', '3', '--max-angle', '3', '--events', '--exposure-time', '0.01']
        for threads in ('1', '2'):
            run(*cls.common, '--threads', threads, '--out', os.path.join(cls.work, 't' + threads))
        cls.data = os.path.join(cls.work, 't2')

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def samples(self, folder=None):
        folder = folder or self.data
        n = blurkit.read_index(folder)['num_samples']
        return [blurkit.open_sample(folder, i) for i in range(n)]

    def test_threads_give_the_same_bytes(self):
        def digest(folder):
            out = []
            for p in sorted(glob.glob(os.path.join(folder, 'shard-*.h5'))):
                with open(p, 'rb') as f:
                    out.append(hashlib.sha256(f.read()).hexdigest())
            return out
        self.assertEqual(digest(os.path.join(self.work, 't1')), digest(self.data))

    def test_parameters_are_recorded(self):
        index = blurkit.read_index(self.data)
        self.assertTrue(index['events'])
        params = index['params']['events']
        self.assertEqual(params['threshold'], 0.2)
        self.assertEqual(params['threshold_sigma'], 0.03)
        self.assertEqual(params['log_eps'], EPS)
        self.assertEqual(params['time_unit'], 'ns')
        self.assertEqual(params['exposure_time'], 0.01)
        total = sum(len(s['events']['t']) for s in self.samples())
        inspect = run('shards', 'inspect', self.data).stdout
        self.assertIn(f'events:       {total / 3:.1f} per sample', inspect)

    def test_integration_invariant(self):
        for s in self.samples():
            ev = s['events']
            h, w = s['blurred'].shape[:2]
            cp, cn = ev['thresholds'][0].astype(np.float64), ev['thresholds'][1].astype(np.float64)
            self.assertGreater(len(ev['t']), 100, s['sample_id'])
            total = np.zeros((h, w))
            np.add.at(total, (ev['y'], ev['x']), np.where(ev['p'] > 0, cp[ev['y'], ev['x']], -cn[ev['y'], ev['x']]))
            l0_lo, l0_hi = log_interval(s['sharp'][0])
            l1_lo, l1_hi = log_interval(s['sharp'][-1])
            # r = L1 - L0 - sum lies in (-C-, C+); with L0, L1 known to their intervals, the interval
            # of r must meet (-C-, C+).
            r_lo, r_hi = l1_lo - l0_hi - total, l1_hi - l0_lo - total
            bad = (r_hi <= -cn - FLOAT_SLACK) | (r_lo >= cp + FLOAT_SLACK)
            self.assertEqual(int(bad.sum()), 0, f"{s['sample_id']}: pixels {np.argwhere(bad)[:5].tolist()}")

    def test_events_sorted_inside_the_exposure(self):
        for s in self.samples():
            ev = s['events']
            start, end = ev['exposure']
            self.assertEqual((start, end), (0, 10_000_000))
            self.assertTrue(np.all(np.diff(ev['t']) >= 0))
            self.assertTrue(np.all((ev['t'] > start) & (ev['t'] <= end)))
            self.assertTrue(set(np.unique(ev['p']).tolist()) <= {-1, 1})

    def test_edi_relation(self):
        # EDI: e + Y(t) = (e + S) exp(E(t)), E(t) the events' sum of p C from the middle frame's time
        # to t. The reference lies within one threshold of L at both times, so the true ratio is
        # within exp(C+ + C-) per pixel; the blurred image is the mean over the sub-frame times.
        for s in self.samples():
            ev = s['events']
            h, w = s['blurred'].shape[:2]
            n = len(s['trajectory'])  # sub-frames averaged into the blurred image
            end = int(ev['exposure'][1])
            times = [round(k / (n - 1) * end) for k in range(n)]
            mid = times[(n - 1) // 2]
            cp, cn = ev['thresholds'][0].astype(np.float64), ev['thresholds'][1].astype(np.float64)
            signed = np.where(ev['p'] > 0, cp[ev['y'], ev['x']], -cn[ev['y'], ev['x']])
            acc = np.zeros((h, w))
            for t in times:
                e = np.zeros((h, w))
                if t >= mid:
                    sel = (ev['t'] > mid) & (ev['t'] <= t)
                    np.add.at(e, (ev['y'][sel], ev['x'][sel]), signed[sel])
                else:
                    sel = (ev['t'] > t) & (ev['t'] <= mid)
                    np.add.at(e, (ev['y'][sel], ev['x'][sel]), -signed[sel])
                acc += np.exp(e)
            acc /= n
            s_lo, s_hi = log_interval(s['sharp'][len(s['sharp']) // 2])
            b_lo, b_hi = log_interval(s['blurred'])
            bound = cp + cn + FLOAT_SLACK
            pred_lo = s_lo + np.log(acc) - bound
            pred_hi = s_hi + np.log(acc) + bound
            bad = (b_hi < pred_lo) | (b_lo > pred_hi)
            self.assertEqual(int(bad.sum()), 0, f"{s['sample_id']}: pixels {np.argwhere(bad)[:5].tolist()}")
            # And the relation is informative: the prediction is far closer than the middle frame alone.
            b_mid = 0.5 * (b_lo + b_hi)
            err_edi = np.abs(b_mid - 0.5 * (s_lo + s_hi) - np.log(acc)).mean()
            err_sharp = np.abs(b_mid - 0.5 * (s_lo + s_hi)).mean()
            self.assertLess(err_edi, err_sharp, s['sample_id'])

    def test_voxel_grid_keeps_each_pixels_polarity_sum(self):
        s = self.samples()[0]
        ev = s['events']
        h, w = s['blurred'].shape[:2]
        grid = blurkit.voxel_grid(ev, 5, h, w)
        self.assertEqual(grid.shape, (5, h, w))
        net = np.zeros((h, w))
        np.add.at(net, (ev['y'], ev['x']), ev['p'].astype(np.float64))
        # Bilinear weights in time sum to 1 per event: float32 sums of a few hundred +-1 terms.
        np.testing.assert_allclose(grid.sum(axis=0), net, atol=1e-3)
        self.assertGreater(np.abs(grid).sum(), 0)

    def test_export_opens_with_h5py_in_event_utils_layout(self):
        from blurkit.events import export_events
        out = os.path.join(self.work, 'export_h5')
        paths = export_events(self.data, out, 'h5')
        samples = self.samples()
        self.assertEqual(len(paths), len(samples))
        for path, s in zip(paths, samples):
            ev = s['events']
            with h5py.File(path, 'r') as f:
                np.testing.assert_array_equal(f['events/xs'][:], ev['x'])
                np.testing.assert_array_equal(f['events/ys'][:], ev['y'])
                np.testing.assert_allclose(f['events/ts'][:], ev['t'] * 1e-9)
                np.testing.assert_array_equal(f['events/ps'][:], ev['p'] > 0)
                np.testing.assert_array_equal(f['images/image000000000'][:], s['blurred'])
                frames = sorted(f['sharp_images'].keys())
                self.assertEqual(len(frames), len(s['sharp']))
                last = f['sharp_images'][frames[-1]]
                self.assertEqual(last.attrs['event_idx'], len(ev['t']))  # every event before the last frame
                self.assertEqual(f['sharp_images'][frames[0]].attrs['event_idx'], 0)
                self.assertEqual(f.attrs['num_events'], len(ev['t']))
                self.assertEqual(f.attrs['num_pos'] + f.attrs['num_neg'], len(ev['t']))
                self.assertEqual(tuple(f.attrs['sensor_resolution']), s['blurred'].shape[:2])
        out = os.path.join(self.work, 'export_npz')
        for path, s in zip(export_events(self.data, out, 'npz'), samples):
            with np.load(path) as z:
                self.assertEqual(sorted(z.files), ['polarity', 'timestamp', 'x', 'y'])
                np.testing.assert_array_equal(z['polarity'], s['events']['p'])
                np.testing.assert_array_equal(z['x'], s['events']['x'])

    def test_shard_dataset_yields_the_voxel_grid_with_the_images_transform(self):
        s = self.samples()[1]
        h, w = s['blurred'].shape[:2]
        full = blurkit.voxel_grid(s['events'], 4, h, w)
        plain = blurkit.ShardDataset(self.data, voxel_bins=4)[1]
        np.testing.assert_array_equal(np.asarray(plain['voxel']), full)
        aug = blurkit.ShardDataset(self.data, crop=(32, 40), flips=True, time_reversal=True, voxel_bins=4, seed=7)
        for i in range(len(aug)):
            item = aug[i]
            tr = item['transform']
            v = blurkit.voxel_grid(self.samples()[i]['events'], 4, h, w)
            if tr['reversed']:
                v = -v[::-1]
            v = v[:, tr['top']:tr['top'] + 32, tr['left']:tr['left'] + 40]
            if tr['flip_v']:
                v = v[:, ::-1]
            if tr['flip_h']:
                v = v[:, :, ::-1]
            np.testing.assert_array_equal(np.asarray(item['voxel']), v)
        plain = os.path.join(self.work, 'no_events')
        run('photos', '--input', PHOTO, '--source-fov', '60', '--samples', '1', '--size', '32', '--out', plain)
        with self.assertRaises(ValueError):
            blurkit.ShardDataset(plain, voxel_bins=4)

    def test_noise_is_off_by_default_and_recorded_when_on(self):
        self.assertEqual(blurkit.read_index(self.data)['params']['events']['mode'], 'ideal')
        out = os.path.join(self.work, 'noisy')
        run(*self.common, '--event-shot-noise-rate', '200', '--event-leak-rate', '20', '--out', out)
        params = blurkit.read_index(out)['params']['events']
        self.assertEqual((params['mode'], params['shot_noise_rate'], params['leak_rate']), ('noisy', 200, 20))
        for ideal, noisy in zip(self.samples(), self.samples(out)):
            # Shot noise alone adds 200 Hz x 10 ms = 2 events per pixel on average.
            h, w = ideal['blurred'].shape[:2]
            self.assertGreater(len(noisy['events']['t']), len(ideal['events']['t']) + h * w)
            self.assertTrue(np.all(np.diff(noisy['events']['t']) >= 0))
            np.testing.assert_array_equal(noisy['blurred'], ideal['blurred'])

    def test_count_grows_in_proportion_to_the_angular_speed(self):
        # A gyroscope log turning at a constant 4 or 8 rad/s about the camera's vertical axis: the
        # same starts (same seed), twice the angle in the same 10 ms. Each pixel's events double
        # when its variations and reversals do, which a twice longer turn across the same kind of
        # scene gives up to the start of each pixel's reference (2.07-2.10 per sample here); 10% is
        # the bound. (Twice the thresholds do not halve the count on such a scene: textures
        # turn pixels back and forth, and each turn costs about one event; docs/synth.md.)
        counts = []
        for rate in (4, 8):
            log = os.path.join(self.work, f'gyro_{rate}.csv')
            with open(log, 'w') as f:
                f.write('t,wx,wy,wz\n' + ''.join(f'{k * 0.005:.3f},0.0,{rate},0.0\n' for k in range(201)))
            out = os.path.join(self.work, f'turn_{rate}')
            run('panorama', '--input', os.path.join(ROOT, 'data', 'samples', 'panoramas', 'humus', 'citadella.png'),
                '--samples', '4', '--size', '96', '--frames', '3', '--seed', '2', '--trajectory', 'gyro', '--gyro', log,
                '--exposure-time', '0.01', '--events', '--out', out)
            counts.append([len(s['events']['t']) for s in self.samples(out)])
        for slow, fast in zip(*counts):
            self.assertGreater(slow, 1000)
            self.assertAlmostEqual(fast / slow, 2.0, delta=0.2)

    def test_still_camera_gives_no_events(self):
        out = os.path.join(self.work, 'still')
        run('photos', '--input', PHOTO, '--source-fov', '60', '--samples', '2', '--size', '32', '--frames', '3',
            '--max-angle', '0', '--events', '--exposure-time', '0.01', '--out', out)
        for s in self.samples(out):
            self.assertEqual(len(s['events']['t']), 0)

    def test_panorama_events_and_no_events_without_the_flag(self):
        with_events = os.path.join(self.work, 'pano_events')
        without = os.path.join(self.work, 'pano')
        args = ['panorama', '--input', PANO, '--samples', '2', '--size', '40x32', '--frames', '3', '--seed', '5']
        run(*args, '--events', '--exposure-time', '0.02', '--out', with_events)
        run(*args, '--out', without)
        self.assertGreater(sum(len(s['events']['t']) for s in self.samples(with_events)), 0)
        for path in glob.glob(os.path.join(without, 'shard-*.h5')):
            with h5py.File(path, 'r') as f:
                self.assertFalse([k for k in f.keys() if k.startswith('event')])
        self.assertNotIn('events', blurkit.read_index(without))
        # The frames do not depend on the event camera.
        a, b = self.samples(with_events), self.samples(without)
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x['blurred'], y['blurred'])
            np.testing.assert_array_equal(x['sharp'], y['sharp'])

    def test_bad_options_are_refused(self):
        base = ['photos', '--input', PHOTO, '--source-fov', '60', '--samples', '1', '--size', '32',
                '--out', os.path.join(self.work, 'bad')]
        r = run(*base, '--events', check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('--exposure-time', r.stderr)
        r = run(*base, '--events', '--exposure-time', '0.01', '--event-threshold', '-1', check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('--event-threshold', r.stderr)
        r = run(*base, '--events', '--exposure-time', '0.01', '--readout-time', '0.01', check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('--readout-time', r.stderr)
        # Events timed in nanoseconds need at least one per sub-frame; shot noise is bounded.
        r = run(*base, '--events', '--exposure-time', '1e-8', check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('shorter than a nanosecond per sub-frame', r.stderr)
        r = run(*base, '--events', '--exposure-time', '0.01', '--event-shot-noise-rate', '1e9', check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('--event-shot-noise-rate', r.stderr)

    def test_damaged_event_tables_fail_the_metadata_checksum(self):
        # event_offsets and event_exposure are stored unfiltered: the metadata digest covers them, so
        # moving one event from a sample to the next (offsets still rising) is caught by every reader.
        import h5py
        for table, change in (('event_offsets', lambda a: a.__setitem__(1, a[1] + 1)),
                              ('event_exposure', lambda a: a.__setitem__((0, 1), a[0, 1] + 1000))):
            with self.subTest(table=table):
                d = os.path.join(self.work, 'damaged_' + table)
                shutil.copytree(self.data, d)
                shard = sorted(glob.glob(os.path.join(d, 'shard-*.h5')))[0]
                with h5py.File(shard, 'r+') as f:
                    a = f[table][:]
                    change(a)
                    f[table][...] = a
                with self.assertRaises(blurkit.DamagedDatasetError) as e:
                    blurkit.open_sample(d, 0)
                self.assertIn('checksum error in the per-sample metadata', str(e.exception))
                r = run('shards', 'inspect', d, check=False)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn('checksum error in the per-sample metadata', r.stderr)


if __name__ == '__main__':
    unittest.main(argv=sys.argv[:1], verbosity=2)
