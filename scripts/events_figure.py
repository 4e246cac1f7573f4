#!/usr/bin/python3
"""The event-camera figure of docs/synth.md: one sample of `blurkit-synth panorama --events`, its
blurred image, its first, middle and last sharp frames, and its events over the exposure (each
pixel coloured by its net polarity: positive events red, negative blue, none black), with the
blurred image EDI's relation predicts from the middle frame and the events.

    /usr/bin/python3 scripts/events_figure.py [--out docs/events.png] [--synth build/synth/blurkit-synth]

The sample is sample 0 of citadella.png (the sample data) with --seed 5 --max-angle 6 at 192 px and a
10 ms exposure. Needs the built blurkit-synth and the sample data (scripts/fetch_samples.sh).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'python'))
import blurkit  # noqa: E402

PANORAMA = os.path.join(ROOT, 'data', 'samples', 'panoramas', 'humus', 'citadella.png')
EPS = 1e-3


def srgb_decode(v):
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def srgb_encode(v):
    v = np.clip(v, 0, 1)
    return np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1 / 2.4) - 0.055)


def edi_prediction(sample):
    """B = S_mid * mean_k exp(E_k) per channel in linear light, E_k the events from the middle
    frame's time to t_k (sub-frame times), as in EDI (Pan et al., CVPR 2019)."""
    ev = sample['events']
    h, w = sample['blurred'].shape[:2]
    n = len(sample['trajectory'])
    end = int(ev['exposure'][1])
    times = [round(k / (n - 1) * end) for k in range(n)]
    mid = times[(n - 1) // 2]
    cp, cn = ev['thresholds'][0].astype(np.float64), ev['thresholds'][1].astype(np.float64)
    signed = np.where(ev['p'] > 0, cp[ev['y'], ev['x']], -cn[ev['y'], ev['x']])
    acc = np.zeros((h, w))
    for t in times:
        e = np.zeros((h, w))
        lo, hi, sign = (mid, t, 1) if t >= mid else (t, mid, -1)
        sel = (ev['t'] > lo) & (ev['t'] <= hi)
        np.add.at(e, (ev['y'][sel], ev['x'][sel]), sign * signed[sel])
        acc += np.exp(e)
    acc /= n
    sharp = srgb_decode(sample['sharp'][len(sample['sharp']) // 2] / 255.0)
    # The luminance relation applied to each channel: (eps + Y_B) / (eps + Y_S) scales all three.
    y = sharp @ np.array([0.2126, 0.7152, 0.0722])
    ratio = ((EPS + y) * acc - EPS) / np.maximum(y, 1e-6)
    return (srgb_encode(sharp * ratio[..., None]) * 255 + 0.5).astype(np.uint8)


def event_image(sample):
    ev = sample['events']
    h, w = sample['blurred'].shape[:2]
    pos = np.zeros((h, w))
    neg = np.zeros((h, w))
    np.add.at(pos, (ev['y'][ev['p'] > 0], ev['x'][ev['p'] > 0]), 1)
    np.add.at(neg, (ev['y'][ev['p'] < 0], ev['x'][ev['p'] < 0]), 1)
    scale = max(np.percentile(pos + neg, 99), 1)
    img = np.zeros((h, w, 3))
    img[..., 0] = np.clip(pos / scale, 0, 1)  # red: positive
    img[..., 2] = np.clip(neg / scale, 0, 1)  # blue: negative
    return (img * 255 + 0.5).astype(np.uint8)


def label(img, text):
    out = img.copy()
    cv2.putText(out, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', default=os.path.join(ROOT, 'docs', 'events.png'))
    parser.add_argument('--synth', default=os.path.join(ROOT, 'build', 'synth', 'blurkit-synth'))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        data = os.path.join(work, 'events')
        subprocess.run([args.synth, 'panorama', '--input', PANORAMA, '--samples', '1', '--size', '192',
                        '--frames', '7', '--seed', '5', '--max-angle', '6', '--pitch-range', '10', '--events',
                        '--exposure-time', '0.01', '--out', data, '--quiet'], check=True)
        s = blurkit.open_sample(data, 0)
    n = len(s['events']['t'])
    f = len(s['sharp'])
    tiles = [label(s['blurred'], 'blurred'), label(s['sharp'][0], 'sharp, first'),
             label(s['sharp'][f // 2], 'sharp, middle'), label(s['sharp'][-1], 'sharp, last'),
             label(event_image(s), 'events: + red, - blue'),
             label(edi_prediction(s), 'EDI: middle x events')]
    row = np.concatenate([np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=255) for t in tiles], axis=1)
    cv2.imwrite(args.out, cv2.cvtColor(row, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f'{args.out}: {n} events, {os.path.getsize(args.out) // 1024} KB')


if __name__ == '__main__':
    main()
