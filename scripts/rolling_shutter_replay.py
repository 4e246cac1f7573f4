#!/usr/bin/python3
"""How much a rolling shutter changes the blur of a real camera's motion: the GoPro HERO7 telemetry
of the sample data (the demo's panorama_gyro motion), replayed with a global shutter and with a
readout of 15 and 30 ms (GoPro readouts span about 14.5 ms, a Hero3+ at 1080p60, to 30 ms, a
GoPro 4 at 4000x3000: JzHuai0108/kalibr, doc/rolling-shutter-table.md; the HERO7's own is not
published there).

The rates come from `blurkit-synth gyro inspect hero7.raw --gyro-rate 200 --csv` (blurkit's camera
frame) and are integrated at 1 ms, R(t + dt) = R(t) exp([w] dt), as --trajectory gyro does. For every
window of 1/30 s exposure that starts on a 10 ms grid, in the demo's camera (128 x 128 px, 70 degree
field of view): each of 9 rows (y = 0, 16, ..., 128) is exposed from t0 + y / 127 * readout; its
blur length is the path length in pixels of its centre pixel through K R K^-1 during its exposure,
and a vertical line through the image centre shears by the horizontal distance between where the
first and last rows see it at the middle of their exposures. Prints, over the windows, the median
and 95th percentile of the spread of the rows' blur lengths (longest - shortest) and of the shear.

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
    f = SIZE / 2 / np.tan(np.radians(FOV / 2))
    c = (SIZE - 1) / 2

    def project(r_cam_from_world, ray_world):
        p = r_cam_from_world @ ray_world
        return np.array([f * p[0] / p[2] + c, f * p[1] / p[2] + c])

    ys = np.linspace(0, SIZE - 1, 9)
    exposure_steps = int(round(EXPOSURE / 0.001))
    print(f'HERO7 telemetry, {len(t)} samples over {t[-1] - t[0]:.1f} s; 1/30 s exposures, {SIZE} px, {FOV:.0f} deg')
    print('| readout | windows | row blur spread median (px) | 95% (px) | shear of a vertical line median (px) | 95% (px) |')
    print('|---|---:|---:|---:|---:|---:|')
    for readout in (0.0, 0.015, 0.030):
        readout_steps = int(round(readout / 0.001))
        spreads, shears = [], []
        for start in range(0, len(grid) - exposure_steps - readout_steps - 1, 10):
            lengths, mid_x = [], []
            for y in ys:
                s0 = start + int(round(y / (SIZE - 1) * readout_steps))
                r0 = orientation[s0]
                ray = r0 @ np.array([(c - c) / f, (y - c) / f, 1.0])  # the row's centre pixel, in the world
                path = [project(orientation[s].T, ray) for s in range(s0, s0 + exposure_steps + 1)]
                lengths.append(sum(np.linalg.norm(b - a) for a, b in zip(path, path[1:])))
                # Where this row sees the world point that the middle of the first row's exposure
                # shows at the image centre column, at the middle of its own exposure.
                line = orientation[start + exposure_steps // 2] @ np.array([0.0, (y - c) / f, 1.0])
                mid_x.append(project(orientation[s0 + exposure_steps // 2].T, line)[0])
            spreads.append(max(lengths) - min(lengths))
            shears.append(abs(mid_x[-1] - mid_x[0]))
        print(f'| {readout * 1000:.0f} ms | {len(spreads)} | {np.median(spreads):.2f} | {np.percentile(spreads, 95):.2f} | '
              f'{np.median(shears):.2f} | {np.percentile(shears, 95):.2f} |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
