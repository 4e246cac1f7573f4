#!/usr/bin/python3
"""How much a rolling shutter and a fisheye lens change the blur of a real camera's motion: the GoPro
HERO7 telemetry of the sample data (the demo's panorama_gyro motion), replayed with a global shutter
and with a readout of 15 and 30 ms (GoPro readouts span about 14.5 ms, a Hero3+ at 1080p60, to 30 ms, a
GoPro 4 at 4000x3000: JzHuai0108/kalibr, doc/rolling-shutter-table.md; the HERO7's own is not
published there).

The rates come from `blurkit-synth gyro inspect hero7.raw --gyro-rate 200 --csv` (blurkit's camera
frame) and are integrated at 1 ms, R(t + dt) = R(t) exp([w] dt), as --trajectory gyro does. For every
window of 1/30 s exposure that starts on a 10 ms grid, in the demo's camera (128 x 128 px, 70 degree
field of view) and through the HERO11 Wide lens (blurkit's --lens hero11-wide preset, the Gyroflow
profile's OpenCV fisheye model, scaled to cover 128 x 128: 67 degrees across): each of 9 rows
(y = 0, 16, ..., 128) is exposed from t0 + y / 127 * readout; its blur length is the path length in
pixels of a pixel of that row (the centre column, and the left edge) through unproject - rotate -
project during its exposure, and a vertical line through the image centre shears by the horizontal
distance between where the first and last rows see it at the middle of their exposures. Prints,
over the windows, the median blur length, the median and 95th percentile of the spread of the
rows' blur lengths (longest - shortest) and of the shear.

Usage: /usr/bin/python3 scripts/rolling_shutter_replay.py [--build build]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZE, FOV, EXPOSURE = 128, 70.0, 1 / 30
# --lens hero11-wide (synth/lens.cpp): Gyroflow's GoPro_HERO11 Black_Wide_16by9 profile, 3840 x 2160.
HERO11_WIDE = dict(w=3840, h=2160, fx=1796.3208206894308, fy=1797.22277342282, cx=1919.372365976781,
                   cy=1063.171593155705, k=(0.034213889574164644, 0.06767320765357862,
                                            -0.07408969996955275, 0.029944425249175583))


class Pinhole:
    name = 'pinhole 70 deg'

    def __init__(self):
        self.f = SIZE / 2 / np.tan(np.radians(FOV / 2))
        self.c = (SIZE - 1) / 2

    def ray(self, x, y):
        return np.array([(x - self.c) / self.f, (y - self.c) / self.f, 1.0])

    def project(self, p):  # p: (N, 3) camera-frame rays -> (N, 2) pixels
        return np.stack([self.f * p[:, 0] / p[:, 2] + self.c, self.f * p[:, 1] / p[:, 2] + self.c], 1)


class Fisheye:
    """OpenCV's fisheye model scaled to cover SIZE x SIZE about the centre, as blurkit's --lens."""
    name = 'HERO11 Wide lens'

    def __init__(self, lens=HERO11_WIDE):
        s = max(SIZE / lens['w'], SIZE / lens['h'])
        self.fx, self.fy = lens['fx'] * s, lens['fy'] * s
        self.cx = (lens['cx'] + 0.5) * s - 0.5 - 0.5 * (lens['w'] * s - SIZE)
        self.cy = (lens['cy'] + 0.5) * s - 0.5 - 0.5 * (lens['h'] * s - SIZE)
        self.k = lens['k']

    def distort(self, t):
        t2 = t * t
        k = self.k
        return t * (1 + t2 * (k[0] + t2 * (k[1] + t2 * (k[2] + t2 * k[3]))))

    def ray(self, x, y):
        mx, my = (x - self.cx) / self.fx, (y - self.cy) / self.fy
        td = np.hypot(mx, my)
        if td < 1e-15:
            return np.array([0.0, 0.0, 1.0])
        t = td
        for _ in range(30):  # Newton on distort(t) = td
            h = 1e-7
            t -= (self.distort(t) - td) / ((self.distort(t + h) - self.distort(t - h)) / (2 * h))
        return np.array([mx / td * np.sin(t), my / td * np.sin(t), np.cos(t)])

    def project(self, p):
        r = np.hypot(p[:, 0], p[:, 1])
        td = self.distort(np.arctan2(r, p[:, 2])) / np.maximum(r, 1e-300)
        return np.stack([self.fx * td * p[:, 0] + self.cx, self.fy * td * p[:, 1] + self.cy], 1)


def rotation(w, dt):
    """exp([w] dt) as a 3x3 matrix (Rodrigues)."""
    angle = np.linalg.norm(w) * dt
    if angle == 0:
        return np.eye(3)
    k = w / np.linalg.norm(w)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * kx + (1 - np.cos(angle)) * kx @ kx


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--build', default=os.path.join(ROOT, 'build'))
    args = parser.parse_args()
    log = os.path.join(ROOT, 'data', 'samples', 'gyro', 'gopro', 'hero7.raw')
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, 'rates.csv')
        subprocess.run([os.path.join(args.build, 'synth', 'blurkit-synth'), 'gyro', 'inspect', log,
                        '--gyro-rate', '200', '--csv', out], check=True, capture_output=True)
        rows = np.loadtxt(out, delimiter=',', skiprows=1)
    t, w = rows[:, 0], rows[:, 1:4]
    # Orientation (world_from_cam) at 1 ms steps over the whole log.
    grid = np.arange(t[0], t[-1], 0.001)
    rates = np.stack([np.interp(grid, t, w[:, k]) for k in range(3)], axis=1)
    orientation = [np.eye(3)]
    for k in range(1, len(grid)):
        orientation.append(orientation[-1] @ rotation(0.5 * (rates[k - 1] + rates[k]), 0.001))
    orientation = np.array(orientation)
    ys = np.linspace(0, SIZE - 1, 9)
    exposure_steps = int(round(EXPOSURE / 0.001))
    print(f'HERO7 telemetry, {len(t)} samples over {t[-1] - t[0]:.1f} s; 1/30 s exposures, {SIZE} px')
    print('| camera | readout | windows | blur length, centre column, median (px) | left edge (px) | '
          'row blur spread, median (px) | 95% (px) | shear of a vertical line, median (px) | 95% (px) |')
    print('|---|---|---:|---:|---:|---:|---:|---:|---:|')
    for camera in (Pinhole(), Fisheye()):
        for readout in (0.0, 0.015, 0.030):
            readout_steps = int(round(readout / 0.001))
            spreads, shears, centre, edge = [], [], [], []
            for start in range(0, len(grid) - exposure_steps - readout_steps - 1, 10):
                lengths, edge_lengths, mid_x = [], [], []
                for y in ys:
                    s0 = start + int(round(y / (SIZE - 1) * readout_steps))
                    cam_from_world = orientation[s0:s0 + exposure_steps + 1].transpose(0, 2, 1)
                    for x, out in (((SIZE - 1) / 2, lengths), (0.0, edge_lengths)):
                        ray = orientation[s0] @ camera.ray(x, y)  # the pixel's ray, in the world
                        path = camera.project(cam_from_world @ ray)
                        out.append(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())
                    # Where this row sees the world point that the middle of the first row's
                    # exposure shows at the image centre column, at the middle of its own exposure.
                    line = orientation[start + exposure_steps // 2] @ camera.ray((SIZE - 1) / 2, y)
                    mid_x.append(camera.project((orientation[s0 + exposure_steps // 2].T @ line)[None])[0, 0])
                spreads.append(max(lengths) - min(lengths))
                shears.append(abs(mid_x[-1] - mid_x[0]))
                centre.append(np.median(lengths))
                edge.append(np.median(edge_lengths))
            print(f'| {camera.name} | {readout * 1000:.0f} ms | {len(spreads)} | {np.median(centre):.2f} | '
                  f'{np.median(edge):.2f} | {np.median(spreads):.2f} | {np.percentile(spreads, 95):.2f} | '
                  f'{np.median(shears):.2f} | {np.percentile(shears, 95):.2f} |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
