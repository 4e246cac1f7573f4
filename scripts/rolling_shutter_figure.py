#!/usr/bin/python3
"""The rolling-shutter figure of docs/camera_paths.md: one camera path through one panorama, seen by
a global shutter and by a rolling shutter that reads its rows over as long as the exposure
(--readout-time 0.03 of a 0.03 s exposure): the blurred images, and the first sharp frame read
at once and read row by row (--rolling-shutter-targets), where vertical edges lean.

    /usr/bin/python3 scripts/rolling_shutter_figure.py [--out docs/rolling_shutter.png]

The sample is picked by a rule, not by hand: of samples 0..31 of courtyard.exr (blender-data) with
--seed 2 and --max-angle 6, the one whose path turns most about the vertical (its yaw), which is
what shears a rolling shutter's image. Needs the built compiled module (scripts/setup.sh) and the
sample data.
"""
import argparse
import os
import sys

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'python'))
import blurkit.synth as synth  # noqa: E402

PANORAMA = os.path.join(ROOT, 'data', 'samples', 'panoramas', 'courtyard.exr')
OPTIONS = dict(sources=[PANORAMA], samples=32, size=256, frames=3, seed=2, max_angle=6, pitch_range=10,
               exposure_time=0.03)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', default=os.path.join(ROOT, 'docs', 'rolling_shutter.png'))
    args = parser.parse_args()
    global_shutter = synth.Rotation(**OPTIONS)
    rolling = synth.Rotation(readout_time=0.03, rolling_shutter_targets=True, **OPTIONS)

    def yaw(i):
        q = global_shutter.sample(i)['orientation']  # (F, 4) w, x, y, z: the turn from first to last
        a, b = q[0], q[-1]
        # The relative rotation's component about the camera's y axis (down), in the first frame.
        w = a[0] * b[0] + a[1:] @ b[1:]
        v = a[0] * b[1:] - b[0] * a[1:] - np.cross(a[1:], b[1:])
        return abs(2 * np.arctan2(abs(v[1]), abs(w)))

    index = max(range(32), key=yaw)
    g, r = global_shutter.sample(index), rolling.sample(index)
    panels = [('global shutter: blurred', g['blurred']), ('rolling shutter: blurred', r['blurred']),
              ('global: first frame', g['sharp'][0]), ('rolling: first frame', r['sharp'][0])]
    tiles = []
    for title, image in panels:
        label = np.full((24, 256, 3), 255, np.uint8)
        cv2.putText(label, title, (6, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        tiles.append(np.vstack([label, cv2.cvtColor(image, cv2.COLOR_RGB2BGR)]))
    gap = np.full((280, 6, 3), 255, np.uint8)
    figure = np.hstack([tiles[0], gap, tiles[1], gap, tiles[2], gap, tiles[3]])
    cv2.imwrite(args.out, figure, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f'{args.out}: sample {index}, turn {np.degrees(yaw(index)):.1f} degrees about the vertical, '
          f'{figure.shape[1]}x{figure.shape[0]}, {os.path.getsize(args.out) // 1024} KB')


if __name__ == '__main__':
    main()
