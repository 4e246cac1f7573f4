#!/usr/bin/python3
"""The figure of docs/synth.md's camera section: one blurred sample as the ideal camera makes it and as
the rsblur and realblur-j presets make it (rows), whole and with two zooms (columns): the darkest
textured patch, where the sensor noise shows, and the patch where the synthetic highlights raise
the blur most, where saturated streaks show.

    /usr/bin/python3 scripts/camera_figure.py [--out docs/camera_pipeline.png]

The source is an 8-bit panorama of a night scene, as a camera would store it: blender-data's
night.exr (the sample data) scaled so that its log-average luminance is 0.18, clipped at 1 (its
lamps saturate) and sRGB-encoded, written to a temporary folder. The sample is picked by a rule,
not by hand: of samples 0..63 with --seed 4, among those whose ideal image is at least half dark
(grey level below 80), the one with the most pixels that rsblur lifts by more than 40 levels.
Needs the built compiled module (scripts/setup.sh) and the sample data.
"""
import argparse
import os
import sys
import tempfile

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'python'))
import blurkit.synth as synth  # noqa: E402

NIGHT = os.path.join(ROOT, 'data', 'samples', 'panoramas', 'night.exr')
OPTIONS = dict(samples=64, size=256, frames=3, seed=4, max_angle=6, pitch_range=30)
PRESETS = ('none', 'rsblur', 'realblur-j')
ZOOM, PATCH = 4, 40


def window_scores(image, size):
    """Mean over every size x size window (top-left corner indexed), via a box filter."""
    box = cv2.boxFilter(image.astype(np.float32), -1, (size, size), normalize=True, borderType=cv2.BORDER_CONSTANT)
    half = size // 2
    return box[half:image.shape[0] - size + half + 1, half:image.shape[1] - size + half + 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', default=os.path.join(ROOT, 'docs', 'camera_pipeline.png'))
    args = parser.parse_args()
    os.environ['OPENCV_IO_ENABLE_OPENEXR'] = '1'
    hdr = np.maximum(cv2.imread(NIGHT, cv2.IMREAD_UNCHANGED).astype(np.float64), 0)
    linear = np.clip(hdr * 0.18 / np.exp(np.log(hdr.mean(axis=2) + 1e-4).mean()), 0, 1)
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * np.power(linear, 1 / 2.4) - 0.055)
    work = tempfile.mkdtemp()
    source = os.path.join(work, 'night_8bit.png')
    cv2.imwrite(source, np.floor(srgb * 255 + 0.5).astype(np.uint8))
    renderers = {p: synth.Rotation(sources=[source], camera_pipeline=p, **OPTIONS) for p in PRESETS}

    def lifted(i):
        ideal, camera = (renderers[p].sample(i)['blurred'].astype(int) for p in ('none', 'rsblur'))
        dark = (cv2.cvtColor(ideal.astype(np.uint8), cv2.COLOR_RGB2GRAY) < 80).mean()
        return int(((camera - ideal) > 40).any(axis=2).sum()) if dark >= 0.5 else -1

    index = max(range(len(renderers['none'])), key=lifted)
    samples = {p: r.sample(index) for p, r in renderers.items()}
    os.remove(source)
    os.rmdir(work)
    blurred = {p: s['blurred'] for p, s in samples.items()}
    params = {p: s.get('params', {}) for p, s in samples.items()}
    grey = {p: cv2.cvtColor(b, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255 for p, b in blurred.items()}
    # The noise patch: the darkest window that still has texture (mean above 0.08).
    mean = window_scores(grey['none'], PATCH)
    dark = np.where(mean > 0.08, mean, np.inf)
    dy, dx = np.unravel_index(np.argmin(dark), dark.shape)
    # The streak patch: where the highlights raise the image most (rsblur against the ideal).
    lift = window_scores(np.clip(grey['rsblur'] - grey['none'], 0, 1), PATCH)
    sy, sx = np.unravel_index(np.argmax(lift), lift.shape)
    rows = []
    for p in PRESETS:
        image = cv2.cvtColor(blurred[p], cv2.COLOR_RGB2BGR)
        marked = image.copy()
        cv2.rectangle(marked, (int(dx), int(dy)), (int(dx) + PATCH, int(dy) + PATCH), (0, 200, 255), 1)
        cv2.rectangle(marked, (int(sx), int(sy)), (int(sx) + PATCH, int(sy) + PATCH), (255, 120, 0), 1)
        zoom = lambda y, x: cv2.resize(image[y:y + PATCH, x:x + PATCH], None, fx=ZOOM * 256 / (PATCH * ZOOM),
                                       fy=ZOOM * 256 / (PATCH * ZOOM), interpolation=cv2.INTER_NEAREST)
        row = np.hstack([marked, np.full((256, 6, 3), 255, np.uint8), zoom(dy, dx),
                         np.full((256, 6, 3), 255, np.uint8), zoom(sy, sx)])
        label = np.full((28, row.shape[1], 3), 255, np.uint8)
        d = params[p]
        text = f'--camera-pipeline {p}'
        if d:
            text += (f": {d['bayer']}, gains R {d['red_gain']:.2f} B {d['blue_gain']:.2f}, beta1 {d['beta1']:.1e}, "
                     f"beta2 {d['beta2']:.1e}, highlights x{d['saturation']:.2f}"
                     + (f", JPEG {d['jpeg_quality']}" if 'jpeg_quality' in d else ''))
        cv2.putText(label, text, (6, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 0, 0), 1, cv2.LINE_AA)
        rows += [label, row]
    header = np.full((26, rows[1].shape[1], 3), 255, np.uint8)
    for x, text in ((6, f'blurred sample {index} (256x256)'), (268, f'dark patch x{256 // PATCH:.0f}: noise'),
                    (530, f'bright patch x{256 // PATCH:.0f}: saturated streak')):
        cv2.putText(header, text, (x, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    figure = np.vstack([header] + rows)
    cv2.imwrite(args.out, figure, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f'{args.out}: sample {index}, {figure.shape[1]}x{figure.shape[0]}, {os.path.getsize(args.out) // 1024} KB')


if __name__ == '__main__':
    main()
