#!/usr/bin/python3
"""One training step of blurkit-train's `unet` (train/model.cpp), written in Python PyTorch.

The Python side of scripts/perf/train.sh: the same layers (encoder of five blocks of two 3x3
convolutions, stride 2 then 1; a decoder of 4x4 stride-2 transposed convolutions with skip
connections and two 3x3 convolutions per block; LeakyReLU(0.2); F images as residuals of the
blurred input), the same losses (photometric L1 with the full-scale weight 1, the time-symmetric
penalty with weight 0.01; train/losses.cpp) and Adam (1e-4, 0.9, 0.999), on a random batch.
Prints one JSON line: milliseconds per step (the mean over --steps steps, in the fastest of
--rounds rounds), samples/s, parameters.

Usage: train_step.py --width 8 --batch 8 --crop 128 --frames 3 [--steps 8] [--rounds 5] [--threads N]
"""
import argparse
import json
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MULTIPLIER = [1, 2, 4, 8, 8]


def act(x):
    return F.leaky_relu(x, 0.2)


class UNet(nn.Module):
    def __init__(self, width, frames):
        super().__init__()
        self.frames = frames
        self.down = nn.ModuleList()
        self.same = nn.ModuleList()
        c = 3
        for k in range(5):
            out = width * MULTIPLIER[k]
            self.down.append(nn.Conv2d(c, out, 3, stride=2, padding=1))
            self.same.append(nn.Conv2d(out, out, 3, padding=1))
            c = out
        self.ups = nn.ModuleList()
        self.convs1 = nn.ModuleList()
        self.convs2 = nn.ModuleList()
        for b in range(5):
            skip = width * MULTIPLIER[3 - b] if b < 4 else 3
            out = width * MULTIPLIER[3 - b] if b < 4 else width
            self.ups.append(nn.ConvTranspose2d(c, out, 4, stride=2, padding=1))
            self.convs1.append(nn.Conv2d(out + skip, out, 3, padding=1))
            self.convs2.append(nn.Conv2d(out, out, 3, padding=1))
            c = out
        self.out = nn.Conv2d(width, 3 * frames, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, blurred):
        e = []
        x = blurred
        for k in range(5):
            x = act(self.same[k](act(self.down[k](x))))
            e.append(x)
        x = e[4]
        for b in range(5):
            skip = e[3 - b] if b < 4 else blurred
            x = act(self.ups[b](x))
            x = act(self.convs2[b](act(self.convs1[b](torch.cat([x, skip], 1)))))
        residual = self.out(x)
        return [blurred + residual[:, 3 * j:3 * j + 3] for j in range(self.frames)]


def loss_of(images, sharp, penalty_weight=0.01):
    frames = sharp.shape[1]
    photometric = sum((images[j] - sharp[:, j]).abs().mean(dim=(1, 2, 3)) for j in range(frames))
    photometric = (photometric / frames).mean()
    penalty = -sum((images[j] - sharp[:, frames - 1 - j]).abs().mean()
                   for j in range(frames) if j != frames // 2) / (frames - 1)
    return photometric + penalty_weight * penalty


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--width', type=int, default=8)
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--crop', type=int, default=128)
    p.add_argument('--frames', type=int, default=3)
    p.add_argument('--steps', type=int, default=8)
    p.add_argument('--rounds', type=int, default=5)
    p.add_argument('--threads', type=int, default=os.cpu_count())
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = UNet(a.width, a.frames).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999))
    blurred = torch.rand(a.batch, 3, a.crop, a.crop)
    sharp = torch.rand(a.batch, a.frames, 3, a.crop, a.crop)

    def step():
        loss = loss_of(model(blurred), sharp)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(3):  # warm-up, as Google Benchmark's first iterations
        step()
    ms = float('inf')
    for _ in range(a.rounds):
        start = time.perf_counter()
        for _ in range(a.steps):
            step()
        ms = min(ms, (time.perf_counter() - start) * 1000 / a.steps)
    print(json.dumps({'ms_per_step': ms, 'samples_per_s': a.batch * 1000 / ms,
                      'parameters': sum(t.numel() for t in model.parameters()),
                      'threads': torch.get_num_threads(), 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
