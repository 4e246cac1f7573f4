#!/usr/bin/env python3
"""How fast LibTorch's CPU convolutions run at the shapes of a `motion` training step (width 8,
batch 8, 64x64 crops, F = 3): each 3x3 convolution timed forward and backward (input and weight
gradients), channels-last as blurkit-train runs them, with the forward's GFLOP/s. The dense
blocks' layers add 4 channels each at the two finest scales; oneDNN runs those at about half the
rate of wider ones, and the step's convolutions bound how fast the step can get
(docs/train.md, "Where a motion step's time goes").

Runs on Debian's python3-torch, the LibTorch build blurkit-train links.
Usage: /usr/bin/python3 scripts/perf/conv_shapes.py [--threads 2] [--reps 30]
"""
import argparse
import time

import torch
import torch.nn.functional as F

# (input channels, output channels, size) of convolutions of the step, width 8, 64x64 crops.
SHAPES = [
    (14, 4, 64), (30, 4, 64),     # middle frame's dense block at full size (first, last layer)
    (23, 4, 64), (39, 4, 64),     # a non-middle frame's dense block at full size
    (38, 4, 32), (54, 4, 32),     # ... at 1/2
    (70, 8, 16), (134, 16, 8), (259, 32, 4),  # ... at 1/4, 1/8, 1/16
    (23, 8, 64), (39, 8, 64),     # for comparison: the same inputs with 8 output channels
]


def timed(fn, reps):
    for _ in range(3):
        fn()
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - start) / reps * 1e3


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--reps', type=int, default=30)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    batch = 8
    print(f'3x3 convolutions, batch {batch}, channels-last, {args.threads} threads, mean of {args.reps}')
    print(f'{"in":>4} {"out":>4} {"size":>5} {"forward ms":>11} {"backward ms":>12} {"forward GFLOP/s":>16}')
    for cin, cout, size in SHAPES:
        cl = torch.channels_last
        x = torch.rand(batch, cin, size, size).contiguous(memory_format=cl).requires_grad_()
        w = torch.rand(cout, cin, 3, 3).contiguous(memory_format=cl).requires_grad_()
        b = torch.rand(cout, requires_grad=True)
        forward = timed(lambda: F.conv2d(x, w, b, padding=1), args.reps)
        y = F.conv2d(x, w, b, padding=1)
        g = torch.ones_like(y)
        both = timed(lambda: F.conv2d(x, w, b, padding=1).backward(g), args.reps)
        flops = 2 * 9 * cin * cout * size * size * batch
        print(f'{cin:4d} {cout:4d} {size:5d} {forward:11.2f} {both - forward:12.2f} {flops / forward / 1e6:16.1f}')


if __name__ == '__main__':
    main()
