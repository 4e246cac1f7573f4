#!/usr/bin/python3
"""The demo's picture: one test sample, its ground truth and the frames a model recovered.

The sample is picked by a rule, not by hand: of the test samples where the model gains most over
the blurred input (the top quarter by mean PSNR gain over all frames, each sample in the frame order
that fits it better, as blurkit-bench scores), the one with the largest blur magnitude.

The picture has two rows of five 128x128 (or the dataset's size) tiles, shown at --scale:
  ground truth:  blurred input | initial | middle | final | motion
  model:         (the sample)  | initial | middle | final | motion
The last column is the motion from the initial to the final frame, as blurkit-bench's EPE (DIS)
measures it (OpenCV's DIS optical flow, preset MEDIUM, on grey frames), in the usual colour-wheel
coding: hue is the direction, brightness the length, on one scale for both rows (the true
motion's 99th percentile is full brightness); the model's tile gives its EPE. A model that only
sharpened the blurred image would show no motion (a black tile).

Usage: example_image.py --gt TEST_DATASET --pred PREDICTION_DATASET --out example.png [--scale 2]
Needs Debian's python3-h5py, python3-numpy and python3-opencv (scripts/setup.sh installs them).
"""
import argparse
import glob
import json
import os
import sys

import cv2
import h5py
import numpy as np


def load(folder):
    index_path = os.path.join(folder, "index.json")
    if not os.path.exists(index_path):
        sys.exit(f"example_image: {index_path} does not exist")
    with open(index_path) as f:
        index = json.load(f)
    blurred, sharp, ids, magnitude = [], [], [], []
    for shard in index["shards"]:
        with h5py.File(os.path.join(folder, shard["file"] if "file" in shard else shard["name"]), "r") as h:
            blurred.append(h["blurred"][:])
            sharp.append(h["sharp"][:])
            ids += [s.decode() if isinstance(s, bytes) else s for s in h["sample_id"][:]]
            magnitude.append(h["blur_magnitude"][:])
    return np.concatenate(blurred), np.concatenate(sharp), ids, np.concatenate(magnitude)


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 100.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gt", required=True)
    ap.add_argument("--pred", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--scale", type=int, default=2)
    a = ap.parse_args()
    blurred, gt, ids, magnitude = load(a.gt)
    _, pred, pred_ids, _ = load(a.pred)
    if ids != pred_ids:
        sys.exit(f"example_image: {a.pred} does not hold the samples of {a.gt} in the same order")
    n, frames = gt.shape[0], gt.shape[1]
    if pred.shape != gt.shape:
        sys.exit(f"example_image: predictions {pred.shape} and ground truth {gt.shape} differ in shape")
    gains, orders = np.zeros(n), []
    for i in range(n):
        base = np.mean([psnr(blurred[i], gt[i, j]) for j in range(frames)])
        fwd = np.mean([psnr(pred[i, j], gt[i, j]) for j in range(frames)])
        bwd = np.mean([psnr(pred[i, frames - 1 - j], gt[i, j]) for j in range(frames)])
        orders.append(1 if bwd > fwd else 0)
        gains[i] = max(fwd, bwd) - base
    # The rule: the top quarter by gain, then the largest blur among them.
    top = np.argsort(-gains)[: max(1, n // 4)]
    pick = int(top[np.argmax(magnitude[top])])
    p = pred[pick] if orders[pick] == 0 else pred[pick][::-1]
    g = gt[pick]
    m = frames // 2

    def tile(img, label):
        big = cv2.resize(img, None, fx=a.scale, fy=a.scale, interpolation=cv2.INTER_NEAREST)
        bgr = cv2.cvtColor(big, cv2.COLOR_RGB2BGR)
        bar = np.full((22, bgr.shape[1], 3), 255, np.uint8)
        cv2.putText(bar, label, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        return np.vstack([bar, bgr])

    def flow(x, y):
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        return dis.calc(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), cv2.cvtColor(y, cv2.COLOR_RGB2GRAY), None)

    def wheel(f, longest):
        length, angle = cv2.cartToPolar(f[..., 0], f[..., 1])
        hsv = np.stack([angle * 90 / np.pi, np.full_like(length, 255),
                        np.clip(length / longest, 0, 1) * 255], axis=-1).astype(np.uint8)
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)

    f_true, f_model = flow(g[0], g[-1]), flow(p[0], p[-1])
    longest = max(np.percentile(np.hypot(f_true[..., 0], f_true[..., 1]), 99), 0.5)
    epe = np.mean(np.hypot(*(f_model - f_true).transpose(2, 0, 1)))
    row1 = [tile(blurred[pick], "blurred input"), tile(g[0], "true initial"), tile(g[m], "true middle"),
            tile(g[-1], "true final"), tile(wheel(f_true, longest), f"true motion, to {longest:.1f} px")]
    pb = [psnr(p[j], g[j]) for j in (0, m, frames - 1)]
    row2 = [tile(np.full_like(blurred[pick], 255), ""), tile(p[0], f"model initial {pb[0]:.1f} dB"),
            tile(p[m], f"model middle {pb[1]:.1f} dB"), tile(p[-1], f"model final {pb[2]:.1f} dB"),
            tile(wheel(f_model, longest), f"model motion, EPE {epe:.2f} px")]
    # The blank tile of the second row names the sample.
    info = row2[0]
    lines = [f"sample {ids[pick]}", f"blur {magnitude[pick]:.1f}", f"gain {gains[pick]:+.2f} dB",
             f"blurred: {psnr(blurred[pick], g[0]):.1f} / {psnr(blurred[pick], g[m]):.1f} /",
             f"  {psnr(blurred[pick], g[-1]):.1f} dB"]
    for k, line in enumerate(lines):
        cv2.putText(info, line, (6, 50 + 20 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
    gap = lambda h: np.full((h, 4, 3), 255, np.uint8)
    rows = []
    for r in (row1, row2):
        parts = []
        for t in r:
            parts += [t, gap(t.shape[0])]
        rows.append(np.hstack(parts[:-1]))
    image = np.vstack([rows[0], np.full((6, rows[0].shape[1], 3), 255, np.uint8), rows[1]])
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    tmp = a.out + ".tmp.png"
    cv2.imwrite(tmp, image, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    os.replace(tmp, a.out)
    print(f"example_image: {a.out}: sample {ids[pick]} (blur {magnitude[pick]:.2f}, gain "
          f"{gains[pick]:+.2f} dB; rule: largest blur among the {len(top)} samples of largest gain)")


if __name__ == "__main__":
    main()
