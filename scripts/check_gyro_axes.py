#!/usr/bin/python3
"""Checks the axes blurkit gives a camera's gyroscope against the camera's own video.

A camera that turns makes the scene move across its frames the other way, whatever its lens: in
blurkit's camera frame (x right, y down, z forward) a turn of theta about +y (a pan to the right)
moves the image left (dx = -f theta_y), a turn about +x (a tilt up) moves it down (dy = +f theta_x),
and a turn about +z (a roll clockwise as the camera sees it) turns the image counter-clockwise by
theta_z (rotation angle -theta_z, whatever the focal length). This script reads the rates of a
recording with `blurkit-synth gyro inspect --csv`, integrates them over each interval between two
video frames, measures the image's shift and rotation between those frames (tracked corners,
a similarity fitted with RANSAC), and regresses each image motion on the three integrated angles.
The mapping is right when each image motion follows its own axis with the sign above and no other.

    /usr/bin/python3 scripts/check_gyro_axes.py GOPRO.MP4 [--frames VIDEO] [--synth build/synth/blurkit-synth]

OpenCV's reader can stop early on a GoPro file with several data tracks (it read 28 of the 362 frames
of gpmf-parser's samples/karma.mp4); then give the video track alone with --frames, remuxed without
re-encoding: `ffmpeg -i GOPRO.MP4 -map 0:v:0 -c copy frames.mp4`.

It prints each image motion's fit on the three angles (the clock offset between telemetry and video
that fits best within +-1 s is searched) and a verdict per axis; it exits 1 where an axis disagrees.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np


def gyro_rates(synth, video):
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, 'rates.csv')
        subprocess.run([synth, 'gyro', 'inspect', video, '--csv', out], check=True, capture_output=True)
        rows = np.loadtxt(out, delimiter=',', skiprows=1)
    # The first telemetry payload starts with the video; its times may be the camera's own clock
    # (STMP, TICK), so they are counted from the first sample.
    return rows[:, 0] - rows[0, 0], rows[:, 1:4]


def image_motion(video, width=320):
    """Per pair of consecutive frames: (t0, t1, dx, dy, angle) in pixels of a `width`-wide frame and
    radians (angle positive from +x towards +y, y down)."""
    capture = cv2.VideoCapture(video)
    if not capture.isOpened():
        sys.exit(f'check_gyro_axes: {video}: cannot decode its video')
    out, previous, previous_t = [], None, None
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        t = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        scale = width / frame.shape[1]
        gray = cv2.cvtColor(cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA),
                            cv2.COLOR_BGR2GRAY)
        if previous is not None:
            corners = cv2.goodFeaturesToTrack(previous, 300, 0.01, 6)
            if corners is not None and len(corners) >= 20:
                moved, status, _ = cv2.calcOpticalFlowPyrLK(previous, gray, corners, None)
                good = status.ravel() == 1
                if good.sum() >= 20:
                    h, w = gray.shape
                    centre = np.array([w / 2, h / 2], np.float32)
                    m, _ = cv2.estimateAffinePartial2D(corners[good] - centre, moved[good] - centre,
                                                       method=cv2.RANSAC, ransacReprojThreshold=1.5)
                    if m is not None:
                        out.append((previous_t, t, m[0, 2], m[1, 2], np.arctan2(m[1, 0], m[0, 0])))
        previous, previous_t = gray, t
    return np.array(out)


def integrated(t, w, t0, t1):
    """The rotation vector (rad, blurkit's frame) from t0 to t1, for small angles: the rates'
    integral (trapezoidal, at 1 ms)."""
    grid = np.arange(t0, t1, 0.001)
    if len(grid) < 2:
        grid = np.array([t0, t1])
    rates = np.stack([np.interp(grid, t, w[:, k]) for k in range(3)], axis=1)
    return np.trapz(rates, grid, axis=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('video', help='the recording: its telemetry, and its frames unless --frames is given')
    parser.add_argument('--frames', help='the same recording\'s video track alone (see above)')
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument('--synth', default=os.path.join(here, 'build', 'synth', 'blurkit-synth'))
    args = parser.parse_args()
    t, w = gyro_rates(args.synth, args.video)
    motion = image_motion(args.frames or args.video)
    if len(motion) < 30:
        sys.exit(f'check_gyro_axes: {args.video}: only {len(motion)} frame pairs could be tracked')
    names = ('dx (px)', 'dy (px)', 'rotation (rad)')
    y = motion[:, 2:5]

    def fit(theta):
        """Each image motion regressed on the three angles at once (with an intercept): the
        coefficients, and the share of its variance each angle explains alone once the others are
        in the fit (partial R^2)."""
        a = np.column_stack([theta, np.ones(len(theta))])
        coef, *_ = np.linalg.lstsq(a, y, rcond=None)
        full = ((y - a @ coef) ** 2).sum(axis=0)
        partial = np.zeros((3, 3))
        for k in range(3):
            reduced = np.delete(a, k, axis=1)
            c, *_ = np.linalg.lstsq(reduced, y, rcond=None)
            without = ((y - reduced @ c) ** 2).sum(axis=0)
            partial[:, k] = 1 - full / np.maximum(without, 1e-12)
        return coef[:3].T, partial, 1 - full / ((y - y.mean(axis=0)) ** 2).sum(axis=0)

    best = None
    for offset in np.arange(-1.0, 1.0001, 0.01):
        theta = np.array([integrated(t, w, a + offset, b + offset) for a, b in motion[:, :2]])
        coef, partial, r2 = fit(theta)
        if best is None or r2.sum() > best[0]:
            best = (r2.sum(), offset, coef, partial, r2)
    _, offset, coef, partial, r2 = best
    print(f'{args.video}: {len(motion)} frame pairs, gyroscope {len(t)} samples; clock offset {offset:+.2f} s '
          '(the best fit within +-1 s)')
    print('each image motion fitted on the three angles turned between its frames (rad, blurkit\'s frame):')
    print(f'{"image motion":15s} {"theta_x":>16s} {"theta_y":>16s} {"theta_z":>16s} {"R^2":>6s}   expected')
    expected = ('-f theta_y', '+f theta_x', '-theta_z')
    for i in range(3):
        cells = ' '.join(f'{coef[i, k]:+9.2f} ({partial[i, k]:.2f})' for k in range(3))
        print(f'{names[i]:15s} {cells} {r2[i]:6.2f}   {expected[i]}')
    print('(coefficient, and in brackets the share of the motion that angle explains beyond the other two)')
    # Per axis: its own angle must explain a tenth of its image motion beyond the other two, with the
    # sign above. Below that the recording cannot tell (the camera hardly turned that way, or its
    # video is stabilised: in-camera stabilisation and gimbals take roll and tilt out of the image).
    verdicts, ok = [], True
    for i, (k, sign, axis) in enumerate(((1, -1, 'y (pan)'), (0, +1, 'x (tilt)'), (2, -1, 'z (roll)'))):
        if partial[i, k] < 0.1:
            verdicts.append(f'{axis}: cannot tell ({partial[i, k]:.2f} explained)')
        elif np.sign(coef[i, k]) == sign:
            verdicts.append(f'{axis}: agrees')
        else:
            verdicts.append(f'{axis}: DISAGREES')
            ok = False
    print('verdict: ' + '; '.join(verdicts))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
