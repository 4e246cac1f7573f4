#!/usr/bin/env python3
"""How often blurkit-bench's 95% percentile-bootstrap interval of a mean (2000 resamples, numpy's
percentile) holds the true mean, for n clips drawn from a normal and a log-normal distribution,
4000 trials each. docs/bench.md quotes its output for the minimum number of clips a blur-size
bin needs before it shows an interval (kMinClipsForBinInterval in include/blurkit/bench/scoring.h).

usage: /usr/bin/python3 scripts/bootstrap_coverage.py   (a few minutes on one core)
"""
import numpy as np

rng = np.random.default_rng(1)
trials, B = 4000, 2000
for dist in ('normal', 'lognormal'):
    for n in (2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30):
        hit = 0
        for t0 in range(0, trials, 200):
            x = rng.standard_normal((200, n)) if dist == 'normal' else rng.lognormal(0, 1, (200, n))
            true = 0.0 if dist == 'normal' else np.exp(0.5)
            idx = rng.integers(0, n, (200, B, n))
            means = np.take_along_axis(np.repeat(x[:, None, :], B, 1), idx, 2).mean(2)
            lo, hi = np.percentile(means, 2.5, axis=1), np.percentile(means, 97.5, axis=1)
            hit += np.sum((lo <= true) & (true <= hi))
        print(dist, n, hit / trials, flush=True)
