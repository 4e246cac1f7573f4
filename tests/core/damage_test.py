"""Damaged data never passes silently: a small rotational-blur dataset is damaged in seeded ways
and every command that reads it must stop with a clear error naming the damaged file.

Each case copies the sound dataset, damages the copy one way, and runs
  blurkit-synth shards verify, blurkit-bench score, blurkit-train train (2 steps), blurkit-train predict.
Each run must exit non-zero (1 or 2, not a signal), within a timeout, with an error message that
names a file of the damaged dataset (a shard or index.json), and must leave no output folder.

Kinds of damage: bit flips in the pixel chunks, bit flips in the rest of a shard (HDF5 structures,
attributes, metadata columns), truncation, zeroed blocks, a shard swapped in from another dataset,
and index.json edits (wrong counts, wrong shapes, a missing shard, invalid JSON, paths outside the
folder). The test prints the count per kind.

Usage: damage_test.py BLURKIT_SYNTH BLURKIT_BENCH BLURKIT_TRAIN   (run by CTest: core/damage)
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

import h5py

SYNTH, BENCH, TRAIN = sys.argv[1:4]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PANORAMA = os.path.join(ROOT, 'data', 'samples', 'panoramas', 'studio.exr')
TIMEOUT = 120
work = tempfile.mkdtemp(prefix='blurkit-damage-')
failures = []


def run(args, check=True):
    r = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT)
    if check and r.returncode != 0:
        sys.exit(f'FAIL setup: {" ".join(args)}\n{r.stderr}')
    return r


def make_dataset(out, seed):
    run([SYNTH, 'panorama', '--input', PANORAMA, '--samples', '8', '--size', '32', '--frames', '3',
         '--shard-size', '4', '--seed', str(seed), '--out', out, '--quiet'])


def shard_path(folder, k=0):
    return os.path.join(folder, sorted(n for n in os.listdir(folder) if n.startswith('shard-'))[k])


def pixel_ranges(path):
    """Byte ranges of the pixel chunks (/blurred, /sharp) of one shard."""
    ranges = []
    with h5py.File(path, 'r') as f:
        for name in ('blurred', 'sharp'):
            ds = f[name]
            for i in range(ds.id.get_num_chunks()):
                info = ds.id.get_chunk_info(i)
                ranges.append((info.byte_offset, info.byte_offset + info.size))
    return sorted(ranges)


def flip_bits(path, rng, positions):
    data = bytearray(open(path, 'rb').read())
    for _ in range(rng.randint(1, 20)):
        data[rng.choice(positions)] ^= 1 << rng.randrange(8)
    open(path, 'wb').write(data)


def damage_flip_data(d, rng):
    path = shard_path(d, rng.randrange(2))
    positions = [p for a, b in pixel_ranges(path) for p in range(a, b)]
    flip_bits(path, rng, positions)


def damage_flip_metadata(d, rng):
    path = shard_path(d, rng.randrange(2))
    size = os.path.getsize(path)
    pixels = pixel_ranges(path)
    inside = bytearray(size)
    for a, b in pixels:
        inside[a:b] = b'\x01' * (b - a)
    flip_bits(path, rng, [p for p in range(size) if not inside[p]])


def damage_truncate(d, rng):
    path = shard_path(d, rng.randrange(2))
    os.truncate(path, rng.randrange(os.path.getsize(path)))


def damage_zero_block(d, rng):
    path = shard_path(d, rng.randrange(2))
    data = bytearray(open(path, 'rb').read())
    while True:
        start = rng.randrange(len(data) - 512)
        if any(data[start:start + 512]):
            break
    data[start:start + 512] = bytes(512)
    open(path, 'wb').write(data)


def damage_swap(d, rng):
    k = rng.randrange(2)
    shutil.copyfile(shard_path(os.path.join(work, 'other'), k), shard_path(d, k))


def edit_index(d, edit):
    path = os.path.join(d, 'index.json')
    index = json.load(open(path))
    edit(index)
    json.dump(index, open(path, 'w'), indent=2)


def set_in(keys, value):
    def edit(index):
        target = index
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value
    return edit


INDEX_EDITS = [
    ('total sample count', set_in(['num_samples'], 12)),
    ('a shard\'s sample count', set_in(['shards', 1, 'num_samples'], 3)),
    ('a shard\'s first sample', set_in(['shards', 1, 'first_sample'], 2)),
    ('height', set_in(['height'], 64)),
    ('frames', set_in(['frames'], 5)),
    ('kind', set_in(['kind'], 'video')),
    ('a shard\'s size', set_in(['shards', 0, 'bytes'], 1000)),
    ('a shard left out', lambda index: index['shards'].pop()),
    ('path outside the folder', set_in(['shards', 0, 'file'], '../other/shard-00000-of-00002.h5')),
    ('absolute path', set_in(['shards', 1, 'file'], '/etc/passwd')),
    ('schema version', set_in(['schema_version'], 99)),
]


def damage_index_invalid_json(d, rng):
    path = os.path.join(d, 'index.json')
    text = open(path).read()
    open(path, 'w').write(text[:rng.randrange(1, len(text) - 2)])


def damage_missing_shard(d, rng):
    os.remove(shard_path(d, rng.randrange(2)))


CASES = ([('flip in pixels', damage_flip_data)] * 10 + [('flip in metadata', damage_flip_metadata)] * 10 +
         [('truncation', damage_truncate)] * 6 + [('zeroed block', damage_zero_block)] * 5 +
         [('shard from another dataset', damage_swap)] * 2 +
         [('missing shard', damage_missing_shard)] * 2 +
         [('index.json: invalid JSON', damage_index_invalid_json)] * 2 +
         [(f'index.json: {name}', (lambda e: lambda d, rng: edit_index(d, e))(edit))
          for name, edit in INDEX_EDITS])


def check_run(case, command, args, d, out):
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return f'{command}: no answer within {TIMEOUT} s (hang)'
    err = r.stderr
    if r.returncode == 0:
        return f'{command}: exit 0 (damage passed silently)'
    if r.returncode not in (1, 2):
        return f'{command}: exit {r.returncode} (crash?)\n{err}'
    if 'terminate called' in err or 'infinite loop' in err or 'HDF5-DIAG' in err:
        return f'{command}: unclean failure\n{err}'
    if d not in err:
        return f'{command}: the error does not name a file of the damaged dataset:\n{err}'
    if out and os.path.exists(out):
        return f'{command}: left its output folder {out} behind'
    return None


def main():
    if not os.path.exists(PANORAMA):
        sys.exit('FAIL sample data missing: run scripts/fetch_samples.sh')
    sound = os.path.join(work, 'sound')
    make_dataset(sound, 0)
    make_dataset(os.path.join(work, 'other'), 1)
    model = os.path.join(work, 'model')
    # One loader thread: which thread meets the damage first does not then vary from run to run.
    train = [TRAIN, 'train', '--width', '8', '--crop', '32', '--batch', '2', '--max-steps', '2',
             '--threads', '1', '--workers', '1', '--quiet']
    run(train + ['--data', sound, '--out', model])
    # The sound dataset passes every command: the failures below are the damage's.
    for args in ([SYNTH, 'shards', 'verify', sound],
                 [BENCH, 'score', '--gt', sound, '--pred', 'blurred-input', '--out', work + '/s', '--quiet'],
                 [TRAIN, 'predict', '--model', model + '/checkpoint.pt', '--data', sound,
                  '--out', work + '/p', '--threads', '1', '--quiet']):
        run(args)
    counts = {}
    for seed, (kind, damage) in enumerate(CASES):
        d = os.path.join(work, f'case{seed:02d}')
        shutil.copytree(sound, d)
        damage(d, random.Random(seed))
        outs = {'verify': None, 'score': d + '-score', 'train': d + '-train', 'predict': d + '-pred'}
        commands = {
            'verify': [SYNTH, 'shards', 'verify', d],
            'score': [BENCH, 'score', '--gt', d, '--pred', 'blurred-input', '--out', outs['score'], '--quiet'],
            'train': train + ['--data', d, '--out', outs['train']],
            'predict': [TRAIN, 'predict', '--model', model + '/checkpoint.pt', '--data', d,
                        '--out', outs['predict'], '--threads', '1', '--quiet'],
        }
        caught = 0
        for command, args in commands.items():
            problem = check_run(kind, command, args, d, outs[command])
            if problem:
                failures.append(f'case {seed} ({kind}): {problem}')
                print(f'FAIL case {seed} ({kind}): {problem}')
            else:
                caught += 1
        counts.setdefault(kind, [0, 0])
        counts[kind][0] += caught
        counts[kind][1] += len(commands)
        shutil.rmtree(d)
    print(f'{len(CASES)} damaged datasets x 4 commands; runs that stopped with a clear error:')
    for kind, (caught, total) in counts.items():
        print(f'  {kind:40s} {caught:3d} of {total}')
    shutil.rmtree(work)
    if failures:
        print(f'FAIL {len(failures)} runs did not stop cleanly')
        sys.exit(1)
    print('ok   every damaged dataset was refused by every command')


if __name__ == '__main__':
    main()
