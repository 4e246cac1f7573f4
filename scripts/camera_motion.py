#!/usr/bin/python3
"""How far real cameras turn during an exposure, against blurkit's synthetic camera paths.

Real: the GoPro telemetry of the sample data (data/samples/gyro/gopro), read by
`blurkit-synth gyro inspect --csv` into blurkit's camera frame and integrated,
R(t + dt) = R(t) exp([w] dt) (the rate of each step the mean of its two samples, as
--trajectory gyro integrates it). For each exposure T (1/30, 1/60, 1/240 s) every window of the
log that starts at a sample gives the angle the camera turned from the window's start to its end,
and the blur extent: the farthest any of nine probe points of a --size x --size image at --fov
(the corners, the edge midpoints, the centre) moves from where it was at the start, in pixels,
through K R K^-1.

Synthetic: datasets blurkit-synth makes with the demo's settings (128 x 128, a 70 degree field of
view) and its defaults, slerp (--max-angle 8) and shake, and slerp at --max-angle 1; every sample's stored camera path (the
`trajectory` dataset) gives the same two numbers from its first to its last sub-frame.

Streams without timestamps of their own (raw GPMF of HERO5, HERO6, HERO7, Fusion, Karma: one
payload, or no STMP/TICK) are read at GoPro's documented gyroscope rates (gpmf-parser's README:
HERO5 400 Hz, HERO6 and HERO7 200 Hz, Fusion 3200 Hz); HERO11's carries STMP.

Usage: scripts/camera_motion.py [--build build] [--out runs/camera_motion] [--samples 400]
Prints a Markdown table (docs/camera_paths.md, "How real shake compares") and writes it with a
CSV of every window to --out.
"""
import argparse
import csv
import glob
import math
import os
import subprocess
import sys

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RATES = {'hero5': 400, 'hero6': 200, 'hero7': 200, 'fusion': 3200, 'karma': 400, 'hero11': 0}
EXPOSURES = [(1 / 30, '1/30 s'), (1 / 60, '1/60 s'), (1 / 240, '1/240 s')]


def rotation_from_vector(v):
    """exp([v]x) by Rodrigues."""
    theta = np.linalg.norm(v)
    if theta < 1e-15:
        return np.eye(3)
    k = v / theta
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + math.sin(theta) * kx + (1 - math.cos(theta)) * kx @ kx


def quaternion_matrix(q):
    w, x, y, z = q / np.linalg.norm(q)
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


class Probe:
    """Nine image points of a size x size view at fov degrees, and how far a rotation moves them."""

    def __init__(self, size, fov):
        f = (size / 2) / math.tan(math.radians(fov) / 2)
        self.k = np.array([[f, 0, size / 2], [0, f, size / 2], [0, 0, 1.0]])
        self.k_inv = np.linalg.inv(self.k)
        s = size
        pts = [(x, y) for x in (0, s / 2, s) for y in (0, s / 2, s)]
        self.points = np.array([[x, y, 1.0] for x, y in pts]).T

    def moved(self, r):
        """Largest displacement, in pixels, of the probe points under the rotation r."""
        p = self.k @ r.T @ self.k_inv @ self.points
        p = p[:2] / p[2]
        return float(np.max(np.hypot(*(p - self.points[:2]))))


def angle_of(r):
    return math.degrees(math.acos(max(-1.0, min(1.0, (np.trace(r) - 1) / 2))))


def real_windows(synth, probe, work):
    rows = []
    for path in sorted(glob.glob(os.path.join(ROOT, 'data', 'samples', 'gyro', 'gopro', '*.raw'))):
        name = os.path.splitext(os.path.basename(path))[0]
        out = os.path.join(work, name + '.csv')
        args = [synth, 'gyro', 'inspect', path, '--csv', out]
        if RATES.get(name):
            args += ['--gyro-rate', str(RATES[name])]
        subprocess.run(args, check=True, capture_output=True)
        data = np.loadtxt(out, delimiter=',', skiprows=1)
        t, w = data[:, 0], data[:, 1:4]
        # Orientation at every sample.
        rs = [np.eye(3)]
        for k in range(len(t) - 1):
            rs.append(rs[-1] @ rotation_from_vector(0.5 * (w[k] + w[k + 1]) * (t[k + 1] - t[k])))
        for exposure, label in EXPOSURES:
            for i in range(len(t)):
                j = int(np.searchsorted(t, t[i] + exposure - 1e-9))
                if j >= len(t):
                    break
                start_inv = rs[i].T
                extent = max(probe.moved(start_inv @ rs[k]) for k in range(i, j + 1))
                rows.append({'source': f'GoPro {name}', 'exposure': label, 'angle_deg': angle_of(start_inv @ rs[j]),
                             'extent_px': extent})
    return rows


def synthetic_windows(synth, probe, work, samples):
    rows = []
    pano = os.path.join(ROOT, 'data', 'samples', 'panoramas', 'studio.exr')
    for label, trajectory, extra in (('slerp (defaults)', 'slerp', []), ('shake (defaults)', 'shake', []),
                                     ('slerp --max-angle 1', 'slerp', ['--max-angle', '1'])):
        out = os.path.join(work, label.split()[0] + ('_1' if extra else ''))
        subprocess.run([synth, 'panorama', '--input', pano, '--samples', str(samples), '--size', '32', '--fov', '70',
                        '--frames', '3', '--trajectory', trajectory, '--seed', '1', '--out', out, '--quiet',
                        '--overwrite'] + extra, check=True, capture_output=True)
        for shard in sorted(glob.glob(os.path.join(out, 'shard-*.h5'))):
            with h5py.File(shard, 'r') as f:
                for path in f['trajectory'][:]:
                    path = path[np.any(path != 0, axis=1)]
                    rs = [quaternion_matrix(q) for q in path]
                    start_inv = rs[0].T
                    rows.append({'source': f'blurkit {label}', 'exposure': '-',
                                 'angle_deg': angle_of(start_inv @ rs[-1]),
                                 'extent_px': max(probe.moved(start_inv @ r) for r in rs)})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'runs', 'camera_motion'))
    ap.add_argument('--samples', type=int, default=400)
    ap.add_argument('--size', type=int, default=128)
    ap.add_argument('--fov', type=float, default=70)
    a = ap.parse_args()
    synth = os.path.join(a.build, 'synth', 'blurkit-synth')
    if not os.path.exists(synth):
        sys.exit(f'camera_motion: {synth} missing; run scripts/setup.sh')
    os.makedirs(a.out, exist_ok=True)
    probe = Probe(a.size, a.fov)
    rows = real_windows(synth, probe, a.out) + synthetic_windows(synth, probe, a.out, a.samples)
    with open(os.path.join(a.out, 'windows.csv'), 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=['source', 'exposure', 'angle_deg', 'extent_px'])
        writer.writeheader()
        writer.writerows(rows)
    groups = {}
    for r in rows:
        key = ('all GoPro logs' if r['source'].startswith('GoPro') else r['source'], r['exposure'])
        groups.setdefault(key, []).append(r)
        if r['source'].startswith('GoPro'):
            groups.setdefault((r['source'], r['exposure']), []).append(r)
    lines = [f'| source | exposure | windows | angle median (deg) | angle 95% (deg) | blur extent median (px) '
             f'| blur extent 95% (px) |', '|---|---|---:|---:|---:|---:|---:|']
    order = {label: k for k, (_, label) in enumerate(EXPOSURES)}
    for (source, exposure), rs in sorted(groups.items(), key=lambda kv: (not kv[0][0].startswith('all'),
                                                                          kv[0][0], order.get(kv[0][1], 9))):
        angle = np.array([r['angle_deg'] for r in rs])
        extent = np.array([r['extent_px'] for r in rs])
        lines.append(f'| {source} | {exposure} | {len(rs)} | {np.median(angle):.3f} | {np.percentile(angle, 95):.3f} '
                     f'| {np.median(extent):.2f} | {np.percentile(extent, 95):.2f} |')
    table = '\n'.join(lines) + '\n'
    note = (f'_blur extent at {a.size} x {a.size} pixels and a {a.fov:g} degree field of view (the demo\'s); '
            f'synthetic: {a.samples} samples each from studio.exr, seed 1_\n')
    with open(os.path.join(a.out, 'table.md'), 'w') as f:
        f.write(table + '\n' + note)
    print(table + '\n' + note)


if __name__ == '__main__':
    main()
