"""Training batches in Python: blurkit.ShardDataset against a Dataset reading the same samples from
PNG files, one image per file (as GoPro loaders do), both through DataLoader with the same batch,
crops, flips and float conversion, with 2 worker processes and in the main process (workers 0).
A third Dataset returns zero tensors of the same shapes without reading anything: the most any
Dataset can deliver through DataLoader on the machine (worker start-up, collation and the copies
between processes). Prints JSON: samples/s of each, the fastest of the epochs.

Usage: python_loader.py DATASET PNG_DIR [--epochs N] [--workers N] [--batch N] [--crop N]
(scripts/perf/python_loader.sh builds the dataset and writes the PNG files).
"""
import argparse
import json
import os
import sys
import time

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'python'))
import blurkit  # noqa: E402


class PngDataset(Dataset):
    """<dir>/<index>/blurred.png and sharp_<j>.png, with the augmentation ShardDataset applies."""

    def __init__(self, folder, frames, crop, seed=0):
        self.folder, self.frames, self.crop, self.seed = folder, frames, crop, seed
        self.count = len(os.listdir(folder))

    def __len__(self):
        return self.count

    def __getitem__(self, i):
        rng = np.random.default_rng([self.seed, 0, i])
        def load(name):
            return cv2.imread(os.path.join(self.folder, str(i), name), cv2.IMREAD_COLOR)[:, :, ::-1]
        blurred = load('blurred.png')
        h, w = blurred.shape[:2]
        top, left = int(rng.integers(0, h - self.crop + 1)), int(rng.integers(0, w - self.crop + 1))
        flip_h, flip_v = bool(rng.integers(2)), bool(rng.integers(2))
        def prepare(image):
            image = image[top:top + self.crop, left:left + self.crop]
            if flip_v:
                image = image[::-1]
            if flip_h:
                image = image[:, ::-1]
            return np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32) / 255
        sharp = np.stack([prepare(load(f'sharp_{j}.png')) for j in range(self.frames)])
        return {'blurred': torch.from_numpy(prepare(blurred)), 'sharp': torch.from_numpy(sharp)}


class ZerosDataset(Dataset):
    """Batches of the right shapes and no reading at all: DataLoader's own ceiling."""

    def __init__(self, count, frames, crop):
        self.count, self.frames, self.crop = count, frames, crop

    def __len__(self):
        return self.count

    def __getitem__(self, i):
        return {'blurred': torch.zeros(3, self.crop, self.crop),
                'sharp': torch.zeros(self.frames, 3, self.crop, self.crop)}


def rate(dataset, args, workers):
    loader = DataLoader(dataset, batch_size=args.batch, shuffle=True, num_workers=workers, drop_last=True)
    best = 0
    for _ in range(args.epochs):
        start, samples = time.perf_counter(), 0
        for batch in loader:
            samples += batch['sharp'].shape[0]
        best = max(best, samples / (time.perf_counter() - start))
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('dataset')
    parser.add_argument('png_dir')
    parser.add_argument('--epochs', type=int, default=5)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--crop', type=int, default=128)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    shards = blurkit.ShardDataset(args.dataset, crop=args.crop, flips=True)
    png = PngDataset(args.png_dir, shards.num_frames, args.crop)
    if len(png) != len(shards):
        sys.exit(f'{args.png_dir}: {len(png)} samples, {args.dataset} has {len(shards)}')
    zeros = ZerosDataset(len(shards), shards.num_frames, args.crop)
    result = {}
    for workers in (args.workers, 0):
        for name, dataset in (('png', png), ('shards', shards), ('zeros', zeros)):
            result[f'{name}_workers{workers}'] = rate(dataset, args, workers)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
