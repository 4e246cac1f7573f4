#!/usr/bin/env python3
"""Trains a small U-Net on rotational blur rendered on the fly, then scores it with blurkit-bench.

Every epoch draws new camera paths from the demo's training panoramas (blurkit.synth.RotationDataset,
epoch e = blurkit-synth's --seed epoch_seed(seed, e)), so no training set sits on disk. The test set
is written once by blurkit-synth from the held-out panoramas, predictions go through
blurkit.write_predictions and the scores through blurkit.score, as in a paper's table.

    /usr/bin/python3 python/examples/train_on_the_fly.py --steps 300 --out runs/on_the_fly

Needs scripts/setup.sh (the tools and the compiled module) and scripts/fetch_samples.sh (the panoramas).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, 'python'))
import blurkit  # noqa: E402
import blurkit.synth  # noqa: E402
from blurkit._tools import find_tool  # noqa: E402


class UNet(nn.Module):
    """blurkit-train's `unet` layout: an encoder of width x {1, 2, 4, 8} channels, a decoder with skip
    connections, and all F frames predicted at once as residuals of the blurred input (the last layer
    starts at zero, so the untrained model predicts the blurred image)."""

    def __init__(self, frames, width):
        super().__init__()
        self.frames = frames
        chans = [width, 2 * width, 4 * width, 8 * width]
        act = nn.LeakyReLU(0.2)
        self.enc = nn.ModuleList()
        prev = 3
        for k, c in enumerate(chans):
            stride = 1 if k == 0 else 2
            self.enc.append(nn.Sequential(nn.Conv2d(prev, c, 3, stride, 1), act, nn.Conv2d(c, c, 3, 1, 1), act))
            prev = c
        self.dec = nn.ModuleList()
        for k in range(len(chans) - 1, 0, -1):
            self.dec.append(nn.Sequential(nn.Conv2d(chans[k] + chans[k - 1], chans[k - 1], 3, 1, 1), act,
                                          nn.Conv2d(chans[k - 1], chans[k - 1], 3, 1, 1), act))
        self.out = nn.Conv2d(width, 3 * frames, 3, 1, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, blurred):
        skips, x = [], blurred
        for block in self.enc:
            x = block(x)
            skips.append(x)
        for block, skip in zip(self.dec, reversed(skips[:-1])):
            x = F.interpolate(x, size=skip.shape[-2:], mode='bilinear', align_corners=False)
            x = block(torch.cat([x, skip], 1))
        residual = self.out(x).unflatten(1, (self.frames, 3))
        return blurred.unsqueeze(1) + residual  # (B, F, 3, H, W)


def order_free_l1(pred, sharp):
    """L1 to the frames or to the frames reversed, whichever is closer, per sample: a blurred image is
    the same played forwards or backwards, so the order cannot be learned from it."""
    forward = (pred - sharp).abs().flatten(1).mean(1)
    backward = (pred - sharp.flip(1)).abs().flatten(1).mean(1)
    return torch.minimum(forward, backward).mean()


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--manifest', default=os.path.join(ROOT, 'data_manifests', 'demo_panorama.json'),
                   help='panoramas and their train/test splits (default: the demo manifest)')
    p.add_argument('--steps', type=int, default=300, help='training steps (default 300)')
    p.add_argument('--batch', type=int, default=8, help='samples per step (default 8)')
    p.add_argument('--size', type=int, default=64, help='image size, a multiple of 8 (default 64)')
    p.add_argument('--frames', type=int, default=3, help='sharp frames per sample, odd (default 3)')
    p.add_argument('--width', type=int, default=16, help='channels of the first block (default 16)')
    p.add_argument('--lr', type=float, default=1e-3, help='Adam learning rate (default 1e-3)')
    p.add_argument('--workers', type=int, default=2, help='DataLoader worker processes rendering (default 2)')
    p.add_argument('--threads', type=int, default=0, help="PyTorch's threads, 0 = all cores (default)")
    p.add_argument('--test-samples', type=int, default=32, help='held-out test samples (default 32)')
    p.add_argument('--seed', type=int, default=0, help='seed of the rendering and of the weights')
    p.add_argument('--out', default=os.path.join(ROOT, 'runs', 'on_the_fly'), help='output folder')
    args = p.parse_args()
    torch.set_num_threads(args.threads or os.cpu_count())
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    per_epoch = max(args.batch, 256)
    data = blurkit.synth.RotationDataset(manifest=args.manifest, split='train', length=per_epoch, size=args.size,
                                         frames=args.frames, seed=args.seed)
    # Shuffled, each panorama's samples together, so that a worker decodes each panorama once per epoch.
    loader = DataLoader(data, batch_size=args.batch, sampler=data.sampler(args.seed), drop_last=True,
                        num_workers=args.workers, persistent_workers=args.workers > 0)
    model = UNet(args.frames, args.width)
    optimiser = torch.optim.Adam(model.parameters(), lr=args.lr)
    step, epoch, start = 0, 0, time.time()
    while step < args.steps:
        data.set_epoch(epoch)
        for batch in loader:
            loss = order_free_l1(model(batch['blurred']), batch['sharp'])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            step += 1
            if step % 50 == 0 or step == args.steps:
                print(f'step {step}/{args.steps} epoch {epoch} loss {loss.item():.4f} '
                      f'({step * args.batch / (time.time() - start):.1f} samples/s)', flush=True)
            if step == args.steps:
                break
        epoch += 1

    test = os.path.join(args.out, 'test')
    subprocess.run([find_tool('blurkit-synth'), 'panorama', '--manifest', args.manifest, '--split', 'test',
                    '--samples', str(args.test_samples), '--size', str(args.size), '--frames', str(args.frames),
                    '--seed', str(args.seed + 1), '--out', test, '--quiet'], check=True, stdout=subprocess.DEVNULL)
    model.eval()
    ids, frames = [], []
    with torch.no_grad():
        for item in DataLoader(blurkit.ShardDataset(test), batch_size=8):
            pred = model(item['blurred']).clamp(0, 1)
            frames.append((pred.permute(0, 1, 3, 4, 2) * 255).round().to(torch.uint8).numpy())
            ids += list(item['sample_id'])
    pred_dir = os.path.join(args.out, 'pred')
    blurkit.write_predictions(pred_dir, ids, np.concatenate(frames), method='unet on the fly',
                              model={'parameters': sum(t.numel() for t in model.parameters())})
    result = blurkit.score(test, pred_dir, os.path.join(args.out, 'score'))
    for method, row in result['methods'].items():
        print(f"{method}: PSNR middle {row['PSNR middle']:.2f} dB, PSNR non-middle {row['PSNR non-middle']:.2f} dB, "
              f"PWPSNR {row['PWPSNR']:.2f} dB")
    with open(os.path.join(args.out, 'train.json'), 'w') as f:
        json.dump({'steps': args.steps, 'batch': args.batch, 'size': args.size, 'frames': args.frames,
                   'seconds': time.time() - start, 'scores': result['methods']}, f, indent=1)
    print(f'report: {os.path.join(args.out, "score", "report.html")}')


if __name__ == '__main__':
    main()
