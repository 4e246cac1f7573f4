#!/usr/bin/env python3
"""Where a training step's time goes: sums a LibTorch autograd profile (Chrome trace, as written by
`build/train/train_benchmark DIR --profile TRACE.json --benchmark_filter=BM_TrainStepMotion/8/8/64/3`)
by operation, as self time (an event's duration less its nested events'), per step.

Usage: scripts/perf/profile_step.py TRACE.json [--steps 3] [--top 25]
"""
import argparse
import collections
import json


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('trace')
    p.add_argument('--steps', type=int, default=3, help='steps the trace holds (train_benchmark records 3)')
    p.add_argument('--top', type=int, default=25, help='operations to list (default 25)')
    args = p.parse_args()
    events = [e for e in json.load(open(args.trace)) if e.get('ph') == 'X']
    by_thread = collections.defaultdict(list)
    for e in events:
        by_thread[e['tid']].append(e)
    self_time, calls = collections.Counter(), collections.Counter()
    for evs in by_thread.values():
        evs.sort(key=lambda e: (e['ts'], -e['dur']))
        stack = []  # open events: [end, name, child time]
        def close_until(ts):
            while stack and stack[-1][0] <= ts:
                end, name, children, dur = stack.pop()
                self_time[name] += dur - children
                if stack:
                    stack[-1][2] += dur
        for e in evs:
            close_until(e['ts'])
            stack.append([e['ts'] + e['dur'], e['name'], 0.0, e['dur']])
            calls[e['name']] += 1
        close_until(float('inf'))
    total = sum(self_time.values())
    print(f'{total / 1000 / args.steps:.1f} ms of operations per step (self time, all threads)')
    print(f'{"operation":<48} {"ms/step":>9} {"share":>7} {"calls/step":>11}')
    for name, t in self_time.most_common(args.top):
        print(f'{name[:48]:<48} {t / 1000 / args.steps:9.2f} {t / total:7.1%} {calls[name] / args.steps:11.0f}')


if __name__ == '__main__':
    main()
