#!/usr/bin/python3
"""The camera-geometry figure of docs/camera_paths.md: one camera path through one panorama, seen by
a global-shutter pinhole, by a rolling shutter that reads its rows over as long as the exposure
(--readout-time 0.03 of a 0.03 s exposure), through a GoPro HERO11 Wide lens (--lens hero11-wide,
16:9 output), and through that lens with the rolling shutter: the blurred images, and the first
sharp frame (read row by row, --rolling-shutter-targets, where there is a readout), where vertical
edges lean and, through the lens, bend.

    /usr/bin/python3 scripts/camera_geometry_figure.py [--out docs/camera_geometry.jpg]

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
# 16:9 like the lens's calibrated frame; the pinhole's 94 degrees give it the lens's focal length
# (the same scale at the centre).
OPTIONS = dict(sources=[PANORAMA], samples=32, size='256x144', frames=3, seed=2, max_angle=6,
               pitch_range=10, exposure_time=0.03)
PINHOLE_FOV = 94


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', default=os.path.join(ROOT, 'docs', 'camera_geometry.jpg'))
    args = parser.parse_args()
    global_shutter = synth.Rotation(fov=PINHOLE_FOV, **OPTIONS)
    rolling = synth.Rotation(fov=PINHOLE_FOV, readout_time=0.03, rolling_shutter_targets=True, **OPTIONS)
    lens = synth.Rotation(lens='hero11-wide', **OPTIONS)
    lens_rolling = synth.Rotation(lens='hero11-wide', readout_time=0.03, rolling_shutter_targets=True,
                                  **OPTIONS)

    def yaw(i):
        q = global_shutter.sample(i)['orientation']  # (F, 4) w, x, y, z: the turn from first to last
        a, b = q[0], q[-1]
        # The relative rotation's component about the camera's y axis (down), in the first frame.
        w = a[0] * b[0] + a[1:] @ b[1:]
        v = a[0] * b[1:] - b[0] * a[1:] - np.cross(a[1:], b[1:])
        return abs(2 * np.arctan2(abs(v[1]), abs(w)))

    index = max(range(32), key=yaw)
    columns = [('pinhole, global shutter', global_shutter.sample(index)),
               ('pinhole, rolling shutter', rolling.sample(index)),
               ('HERO11 Wide, global', lens.sample(index)),
               ('HERO11 Wide, rolling', lens_rolling.sample(index))]
    width = 256
    gap = np.full((2 * (24 + 144), 6, 3), 255, np.uint8)
    tiles = []
    for title, sample in columns:
        cells = []
        for what, image in (('blurred', sample['blurred']), ('first frame', sample['sharp'][0])):
            label = np.full((24, width, 3), 255, np.uint8)
            cv2.putText(label, f'{title}: {what}', (4, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.37, (0, 0, 0), 1,
                        cv2.LINE_AA)
            cells += [label, cv2.cvtColor(image, cv2.COLOR_RGB2BGR)]
        if tiles:
            tiles.append(gap)
        tiles.append(np.vstack(cells))
    figure = np.hstack(tiles)
    cv2.imwrite(args.out, figure, [cv2.IMWRITE_JPEG_QUALITY, 92])
    print(f'{args.out}: sample {index}, turn {np.degrees(yaw(index)):.1f} degrees about the vertical, '
          f'{figure.shape[1]}x{figure.shape[0]}, {os.path.getsize(args.out) // 1024} KB')


if __name__ == '__main__':
    main()
