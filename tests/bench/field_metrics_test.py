"""blurkit-bench's clip metrics (PWPSNR, PSNR_p, pooled PSNR, re-blur PSNR against ground truth,
EPE (DIS), patch SSIM), the blur2vid GoPro protocol, the bootstrap intervals and `compare`, each
checked against a computation written here from the definitions (blur2vid's
extra/moMets-parallel-gopro.py and extra/epe_metric.py, Animation-from-Blur's pooled PSNR) with
numpy, scikit-image and OpenCV's Python bindings, never with blurkit's code.

usage: field_metrics_test.py BLURKIT_BENCH BLURKIT_SYNTH
"""
import csv
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
from skimage.metrics import structural_similarity

BENCH, SYNTH = sys.argv[1], sys.argv[2]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STUDIO = os.path.join(ROOT, 'data', 'samples', 'panoramas', 'studio.exr')


def run(*args, check=True):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f'{args} exited {r.returncode}: {r.stderr}')
    return r


def read_gt(folder):
    """ids, sharp frames (N, F, H, W, 3) uint8 RGB, blurred (N, H, W, 3)."""
    ids, sharp, blurred = [], [], []
    for name in sorted(n for n in os.listdir(folder) if n.endswith('.h5')):
        with h5py.File(os.path.join(folder, name), 'r') as f:
            ids += list(f['sample_id'].asstr()[:])
            sharp.append(f['sharp'][:])
            blurred.append(f['blurred'][:])
    return ids, np.concatenate(sharp), np.concatenate(blurred)


def write_pngs(folder, ids, frames):
    os.makedirs(folder, exist_ok=True)
    for sid, clip in zip(ids, frames):
        for j, frame in enumerate(clip):
            cv2.imwrite(os.path.join(folder, f'{sid}_{j}.png'), np.ascontiguousarray(frame[:, :, ::-1]))


def per_sample(folder):
    with open(os.path.join(folder, 'per_sample.csv'), newline='') as f:
        rows = list(csv.DictReader(f))
    return {r['sample_id']: r for r in rows}


def value(text):
    return float('inf') if text == 'inf' else float('nan') if text == '-' else float(text)


# --- the references, from the definitions -------------------------------------------------------

def as_float(clip):
    return clip.astype(np.float64) / 255.0


def psnr_of(mse):
    return float('inf') if mse == 0 else 10 * np.log10(1.0 / mse)


def ref_pwpsnr(p, g):
    p, g = as_float(p), as_float(g)
    e_fwd = ((p - g) ** 2).mean(axis=0)
    e_rev = ((p[::-1] - g) ** 2).mean(axis=0)
    return psnr_of(np.minimum(e_fwd, e_rev).mean())


def ref_psnr_p(p, g):
    """blur2vid's PSNR: the mean per-frame PSNR of the better order (blurkit caps frames at 100 dB)."""
    p, g = as_float(p), as_float(g)
    best = -1.0
    for q in (p, p[::-1]):
        best = max(best, np.mean([min(psnr_of(((q[k] - g[k]) ** 2).mean()), 100.0) for k in range(len(g))]))
    return best


def ref_pooled(p, g):
    p, g = as_float(p), as_float(g)
    return max(psnr_of(((p - g) ** 2).mean()), psnr_of(((p[::-1] - g) ** 2).mean()))


def ref_reblur_gt(p, g):
    def blur(x):
        return (as_float(x) ** 2.2).mean(axis=0) ** (1 / 2.2)
    return psnr_of(((blur(p) - blur(g)) ** 2).mean())


def ref_epe(p, g):
    def grey(frame):
        h, w = frame.shape[:2]
        out = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
        size = (w // 8 * 8, h // 8 * 8)
        return out if size == (w, h) else cv2.resize(out, size, interpolation=cv2.INTER_LINEAR)

    def flow(a, b):
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        return dis.calc(a, b, None).astype(np.float64)

    p0, pl, g0, gl = grey(p[0]), grey(p[-1]), grey(g[0]), grey(g[-1])
    f_fw, f_bw, f_gt = flow(p0, pl), flow(pl, p0), flow(g0, gl)
    e_fw = np.linalg.norm(f_fw - f_gt, axis=2)
    e_bw = np.linalg.norm(f_bw - f_gt, axis=2)
    return float(np.minimum(e_fw, e_bw).mean())


def ref_patch_ssim(p, g, patch=40):
    p, g = as_float(p), as_float(g)
    f, h, w = g.shape[:3]
    scores = []
    for r in range(0, h - patch + 1, patch):
        for c in range(0, w - patch + 1, patch):
            per_order = []
            for q in (p, p[::-1]):
                per_order.append(np.mean([structural_similarity(
                    g[k, r:r + patch, c:c + patch], q[k, r:r + patch, c:c + patch], data_range=1.0,
                    channel_axis=2) for k in range(f)]))
            scores.append(max(per_order))
    return float(np.mean(scores))


def noisy(clip, seed, amplitude=3):
    rng = np.random.default_rng(seed)
    return np.clip(clip.astype(np.int16) + rng.integers(-amplitude, amplitude + 1, clip.shape), 0, 255).astype(np.uint8)


class FieldMetrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.path.exists(STUDIO), 'sample data missing: run scripts/fetch_samples.sh'
        cls.work = tempfile.mkdtemp(prefix='blurkit_field_')
        # 100 x 76: neither side divisible by 8 (EPE resizes to 96 x 72) nor by 40 (patch SSIM
        # keeps the whole 2 x 1 tiles); a large rotation so that the motion is several pixels.
        cls.gt = os.path.join(cls.work, 'gt')
        run(SYNTH, 'panorama', '--input', STUDIO, '--samples', 6, '--size', '100x76', '--frames', 5,
            '--max-angle', 10, '--out', cls.gt, '--quiet')
        cls.ids, cls.sharp, cls.blurred = read_gt(cls.gt)
        n, f, h, w, _ = cls.sharp.shape
        assert (f, h, w) == (5, 76, 100), cls.sharp.shape
        # Predictions that separate the definitions.
        cls.cases = {
            'noisy': np.stack([noisy(c, i) for i, c in enumerate(cls.sharp)]),
            'exact': cls.sharp.copy(),
        }
        cls.cases['reversed'] = cls.cases['noisy'][:, ::-1].copy()
        halves = cls.cases['noisy'].copy()
        halves[:, :, :, w // 2:] = halves[:, ::-1, :, w // 2:]  # the right half plays backwards
        cls.cases['halves'] = halves
        cls.cases['repeated'] = np.repeat(cls.blurred[:, None], f, axis=1)  # the blurred input F times
        cls.scores = {}
        for name, frames in cls.cases.items():
            folder = os.path.join(cls.work, 'pred_' + name)
            write_pngs(folder, cls.ids, frames)
            out = os.path.join(cls.work, 'score_' + name)
            run(BENCH, 'score', '--gt', cls.gt, '--pred', folder, '--name', name, '--out', out, '--quiet',
                '--no-baseline')
            cls.scores[name] = per_sample(out)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def check(self, column, reference, places):
        for name, frames in self.cases.items():
            for i, sid in enumerate(self.ids):
                want = reference(frames[i], self.sharp[i])
                got = value(self.scores[name][sid][column])
                with self.subTest(column=column, case=name, sample=sid):
                    if np.isinf(want):
                        self.assertTrue(np.isinf(got), got)
                    else:
                        self.assertAlmostEqual(got, want, places=places)

    def test_pwpsnr(self):
        self.check('pwpsnr', ref_pwpsnr, 3)

    def test_psnr_p(self):
        self.check('psnr_p', ref_psnr_p, 3)

    def test_psnr_p_is_rgb_without_crop_whatever_the_profile(self):
        out = os.path.join(self.work, 'score_noisy_y_crop4')
        run(BENCH, 'score', '--gt', self.gt, '--pred', os.path.join(self.work, 'pred_noisy'),
            '--name', 'noisy', '--out', out, '--quiet', '--no-baseline', '--profile', 'y-crop4')
        scores = per_sample(out)
        for i, sid in enumerate(self.ids):
            with self.subTest(sample=sid):
                self.assertAlmostEqual(value(scores[sid]['psnr_p']),
                                       ref_psnr_p(self.cases['noisy'][i], self.sharp[i]), places=3)
                # the per-position PSNRs do follow the profile
                self.assertNotEqual(scores[sid]['psnr_middle'],
                                    self.scores['noisy'][sid]['psnr_middle'])
        notes = json.load(open(os.path.join(out, 'summary.json')))['notes']
        self.assertTrue(any(n.startswith('PSNR_p') and 'RGB without a crop' in n for n in notes),
                        notes)

    def test_pooled_psnr(self):
        self.check('psnr_pooled', ref_pooled, 3)

    def test_reblur_psnr_against_ground_truth(self):
        self.check('reblur_psnr_gt', ref_reblur_gt, 3)

    def test_epe_dis(self):
        self.check('epe_dis', ref_epe, 3)

    def test_patch_ssim(self):
        self.check('patch_ssim', ref_patch_ssim, 4)

    def test_cases_separate_the_definitions(self):
        s = self.scores
        for sid in self.ids:
            # Halves moving opposite ways: each pixel finds its order, no per-clip order fits both.
            self.assertGreater(value(s['halves'][sid]['pwpsnr']), value(s['halves'][sid]['psnr_p']) + 3)
            # A reversed prediction scores as the forward one on every clip metric.
            for column in ('pwpsnr', 'psnr_p', 'psnr_pooled', 'reblur_psnr_gt', 'epe_dis', 'patch_ssim'):
                self.assertEqual(s['reversed'][sid][column], s['noisy'][sid][column], (sid, column))
            # Bit-exact: infinite where the references are (no cap in per_sample.csv), EPE 0.
            for column in ('pwpsnr', 'psnr_pooled', 'reblur_psnr_gt'):
                self.assertEqual(s['exact'][sid][column], 'inf', (sid, column))
            self.assertEqual(value(s['exact'][sid]['epe_dis']), 0.0)
            self.assertAlmostEqual(value(s['exact'][sid]['patch_ssim']), 1.0, places=5)
            self.assertEqual(value(s['exact'][sid]['psnr_p']), 100.0)  # blurkit caps each frame at 100
        # The blurred input played F times explains the blur but not the motion: EPE far worse than
        # a noisy copy of the truth, on average over the clips.
        epe_repeated = np.mean([value(s['repeated'][i]['epe_dis']) for i in self.ids])
        epe_noisy = np.mean([value(s['noisy'][i]['epe_dis']) for i in self.ids])
        self.assertGreater(epe_repeated, 0.5)
        self.assertGreater(epe_repeated, 3 * epe_noisy)

    def test_summary_means_and_bootstrap_intervals(self):
        out = os.path.join(self.work, 'score_noisy')
        summary = json.load(open(os.path.join(out, 'summary.json')))
        row = summary['rows'][0]
        for column, label in (('pwpsnr', 'PWPSNR'), ('epe_dis', 'EPE (DIS)'), ('psnr_middle', 'PSNR middle'),
                              ('patch_ssim', 'patch SSIM')):
            values = np.array([value(self.scores['noisy'][i][column]) for i in self.ids])
            self.assertAlmostEqual(row[label], values.mean(), delta=0.006 if 'SSIM' not in label else 6e-5)
            lo, hi = row[label + ' lo'], row[label + ' hi']
            self.assertLessEqual(lo, row[label])
            self.assertGreaterEqual(hi, row[label])
            # numpy's percentile bootstrap of the same per-clip values with its own draws: the
            # bounds agree within a quarter of the standard error (the Monte Carlo error of a 2.5%
            # quantile of 2000 resamples is about a tenth of it).
            rng = np.random.default_rng(1)
            means = values[rng.integers(0, len(values), (40000, len(values)))].mean(axis=1)
            se = values.std(ddof=1) / np.sqrt(len(values))
            self.assertAlmostEqual(lo, np.percentile(means, 2.5), delta=0.25 * se + 0.01, msg=label)
            self.assertAlmostEqual(hi, np.percentile(means, 97.5), delta=0.25 * se + 0.01, msg=label)
        self.assertTrue(any('bootstrap' in n for n in summary['notes']))

    def test_compare_reports_paired_differences(self):
        out = os.path.join(self.work, 'compare')
        r = run(BENCH, 'compare', '--gt', self.gt, '--pred', os.path.join(self.work, 'pred_repeated'),
                '--pred', os.path.join(self.work, 'pred_noisy'), '--name', 'repeated', '--name', 'noisy',
                '--out', out, '--quiet')
        self.assertIn('B - A', r.stdout)
        n = len(self.ids)
        self.assertIn(f'clips: {n} scored by both and compared; left out: 0 scored by A only, '
                      '0 by B only', r.stdout)
        table = json.load(open(os.path.join(out, 'compare.json')))
        rows = {row['metric']: row for row in table['rows']}
        a, b = self.scores['repeated'], self.scores['noisy']
        for column, label in (('pwpsnr', 'PWPSNR'), ('epe_dis', 'EPE (DIS) (lower is better)')):
            diff = np.array([value(b[i][column]) - value(a[i][column]) for i in self.ids])
            row = rows[label]
            self.assertEqual(row['clips'], len(self.ids))
            self.assertEqual(row['left out'], 0)
            for side, scores in (('A', a), ('B', b)):
                mean = np.mean([value(scores[i][column]) for i in self.ids])
                self.assertAlmostEqual(row[side], mean, delta=0.01)
            self.assertAlmostEqual(row['B - A'], diff.mean(), delta=0.01)
            wins = np.mean(diff < 0) if 'lower' in label else np.mean(diff > 0)
            self.assertAlmostEqual(row['B wins'], wins, places=3)
            self.assertLessEqual(row['B - A lo'], row['B - A'])
            self.assertGreaterEqual(row['B - A hi'], row['B - A'])
        # The noisy truth beats the blurred input on every clip, clearly.
        self.assertEqual(rows['PWPSNR']['better'], 'B')
        self.assertEqual(rows['EPE (DIS) (lower is better)']['better'], 'B')

    def test_protocol_refuses_other_sizes(self):
        r = run(BENCH, 'score', '--gt', self.gt, '--pred', 'blurred-input', '--protocol', 'blur2vid-gopro',
                '--out', os.path.join(self.work, 'refused'), '--quiet', check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('100x76', r.stderr)
        self.assertIn('1280x720', r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.work, 'refused')))


class Blur2vidGoproProtocol(unittest.TestCase):
    def test_frames_are_halved_with_area_averaging_before_every_metric(self):
        self.assertTrue(os.path.exists(STUDIO), 'sample data missing: run scripts/fetch_samples.sh')
        work = tempfile.mkdtemp(prefix='blurkit_gopro_')
        self.addCleanup(shutil.rmtree, work, True)
        gt = os.path.join(work, 'gt')
        run(SYNTH, 'panorama', '--input', STUDIO, '--samples', 2, '--size', '1280x720', '--frames', 3,
            '--out', gt, '--quiet')
        ids, sharp, _ = read_gt(gt)
        pred = np.stack([noisy(c, 7 + i, amplitude=6) for i, c in enumerate(sharp)])
        write_pngs(os.path.join(work, 'pred'), ids, pred)
        out = os.path.join(work, 'score')
        run(BENCH, 'score', '--gt', gt, '--pred', os.path.join(work, 'pred'), '--protocol', 'blur2vid-gopro',
            '--out', out, '--quiet', '--no-baseline')
        scores = per_sample(out)

        def halve(clip):
            return np.stack([cv2.resize(f, (640, 360), interpolation=cv2.INTER_AREA) for f in clip])

        for i, sid in enumerate(ids):
            p, g = halve(pred[i]), halve(sharp[i])
            self.assertAlmostEqual(value(scores[sid]['pwpsnr']), ref_pwpsnr(p, g), places=3)
            self.assertAlmostEqual(value(scores[sid]['psnr_p']), ref_psnr_p(p, g), places=3)
            self.assertAlmostEqual(value(scores[sid]['patch_ssim']), ref_patch_ssim(p, g), places=4)
            self.assertAlmostEqual(value(scores[sid]['epe_dis']), ref_epe(p, g), places=3)
            mse = ((as_float(p[1]) - as_float(g[1])) ** 2).mean()
            self.assertAlmostEqual(value(scores[sid]['psnr_middle']), psnr_of(mse), places=3)
        notes = json.load(open(os.path.join(out, 'summary.json')))['notes']
        self.assertTrue(any('blur2vid-gopro' in n for n in notes), notes)
        self.assertTrue(any('per-metric-max' in n for n in notes), notes)


if __name__ == '__main__':
    unittest.main(argv=sys.argv[:1], verbosity=2)
