"""Faults lose no work: every long command is hit by faults and must keep what it finished.

Commands: blurkit-synth panorama, photos, video, import-pairs and shards export (strips);
blurkit-train train and predict; blurkit-bench score and matrix. Faults:
  disk-full-P   the output lies on a tmpfs of P% of what a run that never failed writes (two sizes
                per command, so the disk fills at different points; train: of one checkpoint, so
                that none or one fits); after the failure the tmpfs is remounted larger
  sigterm       SIGTERM a seeded random time after the command is seen at work (its first shard,
                its first log lines, its output folder)
  sigkill       SIGKILL likewise
  read-only     the output folder lies on a read-only tmpfs; afterwards it is remounted writable
  input-gone    (synth, train) the input is removed while the command reads it, then restored
After each fault the test checks:
  - the command ended with a clear error (exit 1) or a clean stop (128 + signal), or finished;
  - no completed work was lost: every shard that the output's index lists is intact (sha256), and
    a train run keeps a checkpoint once it has written one;
  - nothing looks complete that is not: a synth folder's index.json says complete only when every
    shard is there; predict leaves no index.json, bench no report.html, unless they finished;
    export leaves no strip that is not whole;
  - after a clean failure or stop, none of the command's temporary files (*.tmp) is left;
  - the same command, rerun once the fault is gone (train with --resume), ends with the bytes of a
    run that never failed (train: the predictions of its final checkpoint).
It prints the table: command x fault, runs, resumed to identical results, complete work lost,
partial outputs left.

The faults come in two groups, run as two CTest tests: `process` (signals, an input removed; CTest
core/faults) and `filesystem` (a full disk, a read-only folder; CTest core/faults_filesystem).
Those need a tmpfs, and mounting one needs root: where it cannot mount, the filesystem group exits
with 77, which CTest reports as skipped (SKIP_RETURN_CODE), never as passed.

Usage: fault_test.py BLURKIT_SYNTH BLURKIT_BENCH BLURKIT_TRAIN [process|filesystem|all]
"""
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

SYNTH, BENCH, TRAIN = sys.argv[1:4]
GROUP = sys.argv[4] if len(sys.argv) > 4 else 'all'
SKIPPED = 77  # CTest's SKIP_RETURN_CODE for this test
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = os.path.join(ROOT, 'data', 'samples')
TIMEOUT = 300
rng = random.Random(20261201)
work = tempfile.mkdtemp(prefix='blurkit-faults-')
problems = []
table = {}  # (command, fault) -> [runs, hit, identical, lost, partial]
mounts = []  # every tmpfs mounted, unmounted at the end whatever happens


def sha(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def digests(folder, pattern=('index.json', 'shard-')):
    return {n: sha(os.path.join(folder, n)) for n in sorted(os.listdir(folder))
            if n == 'index.json' or n.startswith('shard-')} if os.path.isdir(folder) else {}


def can_mount():
    probe = os.path.join(work, 'probe')
    os.makedirs(probe)
    ok = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe],
                        capture_output=True).returncode == 0
    if ok:
        subprocess.run(['umount', probe], check=True)
    return ok


def mount(folder, kib, read_only=False):
    os.makedirs(folder, exist_ok=True)
    opts = f'size={kib}k' + (',ro' if read_only else '')
    subprocess.run(['mount', '-t', 'tmpfs', '-o', opts, 'tmpfs', folder], check=True)
    mounts.append(folder)


def remount(folder, kib):
    subprocess.run(['mount', '-o', f'remount,rw,size={kib}k', folder], check=True)


def umount(folder):
    subprocess.run(['umount', '-l', folder], capture_output=True)


def prepare(mnt, fault, kib):
    """The folder a case writes into: a tmpfs of `fault`'s percentage of `kib` (disk-full-P), a
    read-only tmpfs, or a plain folder. Returns whether a tmpfs was mounted."""
    if fault.startswith('disk-full'):
        mount(mnt, max(64, int(kib * int(fault.split('-')[-1]) / 100)))
    elif fault == 'read-only':
        mount(mnt, 4096, read_only=True)
    else:
        os.makedirs(mnt)
        return False
    return True


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, **kw)


def timed(args):
    """Runs a command that must succeed; returns its wall time in seconds."""
    start = time.monotonic()
    r = run(args)
    if r.returncode != 0:
        sys.exit(f'FAIL reference run: {" ".join(args)}\n{r.stderr}')
    return time.monotonic() - start


def size_kib(folder):
    return sum(os.path.getsize(os.path.join(d, n)) for d, _, names in os.walk(folder) for n in names) // 1024


def run_with_signal(args, sig, delay, ready=lambda: True):
    """Starts a command, waits until ready() says it is at work (so that machine speed and a cold
    start do not decide whether the fault lands), then `delay` seconds more, and signals it."""
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + TIMEOUT
    while p.poll() is None and not ready() and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(delay)
    if p.poll() is None:
        p.send_signal(sig)
    out, err = p.communicate(timeout=TIMEOUT)
    return p.returncode, err


def first_shard_written(folder):
    return lambda: os.path.isdir(folder) and any(n.startswith('shard-') and n.endswith('.h5')
                                                 for n in os.listdir(folder))


def log_lines(path, count):
    def ready():
        try:
            with open(path) as f:
                return sum(1 for _ in f) > count
        except OSError:
            return False
    return ready


# --- Inputs ----------------------------------------------------------------------------------

inputs = os.path.join(work, 'inputs')
os.makedirs(inputs)
shutil.copy(os.path.join(SAMPLES, 'panoramas', 'studio.exr'), os.path.join(inputs, 'studio.exr'))
shutil.copytree(os.path.join(SAMPLES, 'photos'), os.path.join(inputs, 'photos'))
shutil.copy(os.path.join(SAMPLES, 'videos', 'realshort.mp4'), os.path.join(inputs, 'realshort.mp4'))
gopro = os.path.join(inputs, 'GOPRO_Large', 'test', 'GOPR0384_11_00')
noise = np.random.default_rng(1)
for d in ('blur_gamma', 'sharp'):
    os.makedirs(os.path.join(gopro, d))
for f in range(120):
    for d in ('blur_gamma', 'sharp'):
        image = (noise.random((96, 128, 3)) * 255).astype(np.uint8)
        cv2.imwrite(os.path.join(gopro, d, f'{f:06d}.png'), image)

SYNTH_COMMANDS = {
    'synth panorama': (lambda out: [SYNTH, 'panorama', '--input', os.path.join(inputs, 'studio.exr'),
                                    '--samples', '48', '--size', '64', '--frames', '3', '--shard-size', '4',
                                    '--threads', '1', '--seed', '3', '--out', out, '--quiet'],
                       os.path.join(inputs, 'studio.exr')),
    'synth photos': (lambda out: [SYNTH, 'photos', '--input', os.path.join(inputs, 'photos'), '--source-fov', '50',
                                  '--samples', '48', '--size', '64', '--fov', '20', '--frames', '3',
                                  '--trajectory', 'shake', '--shard-size', '4', '--threads', '1', '--seed', '3',
                                  '--out', out, '--quiet'],
                     os.path.join(inputs, 'photos')),
    'synth video': (lambda out: [SYNTH, 'video', '--input', os.path.join(inputs, 'realshort.mp4'), '--window', '3',
                                 '--frames', '3', '--stride', '1', '--crop', '64', '--crops-per-window', '6',
                                 '--shard-size', '4', '--threads', '1', '--out', out, '--quiet'],
                    os.path.join(inputs, 'realshort.mp4')),
    'synth import-pairs': (lambda out: [SYNTH, 'import-pairs', '--input', os.path.join(inputs, 'GOPRO_Large', 'test'),
                                        '--blur', 'blur_gamma', '--shard-size', '4', '--threads', '1', '--out', out,
                                        '--quiet'],
                           os.path.join(inputs, 'GOPRO_Large')),
}


def record(command, fault, code, identical, lost, partial):
    """code: the faulted run's exit status; 'hit' counts runs that the fault stopped."""
    row = table.setdefault((command, fault), [0, 0, 0, 0, 0, []])
    row[5].append(code)
    row[0] += 1
    row[1] += int(code != 0)
    row[2] += int(identical)
    row[3] += lost
    row[4] += int(partial)


def check_synth_folder(name, out, clean):
    """Work lost (listed shards that are damaged or missing) and whether something looks complete
    that is not, or temporary files are left after a clean failure."""
    lost, partial = 0, False
    index_file = os.path.join(out, 'index.json')
    if os.path.exists(index_file):
        index = json.load(open(index_file))
        for entry in index['shards']:
            path = os.path.join(out, entry['file'])
            if not os.path.exists(path) or sha(path) != entry['sha256']:
                lost += 1
        if index.get('complete') and len(index['shards']) * index['shard_size'] < index['num_samples']:
            partial = True
    if clean and os.path.isdir(out) and any(n.endswith('.tmp') for n in os.listdir(out)):
        partial = True
        problems.append(f'{name}: temporary files left after a clean stop: {sorted(os.listdir(out))}')
    return lost, partial


def synth_case(command, fault, reference, seconds, kib):
    """seconds, kib: the wall time and output size of a run that never failed; signals land at a
    seeded random point of the run, disks fill at a fraction of its output."""
    make, source = SYNTH_COMMANDS[command]
    case = os.path.join(work, f'{command.replace(" ", "_")}_{fault}_{rng.randrange(10 ** 6)}')
    os.makedirs(case)
    out = os.path.join(case, 'mnt', 'out')
    mnt = os.path.join(case, 'mnt')
    moved = None
    mounted = prepare(mnt, fault, kib)
    try:
        if fault in ('sigterm', 'sigkill'):
            sig = signal.SIGTERM if fault == 'sigterm' else signal.SIGKILL
            code, err = run_with_signal(make(out), sig, rng.uniform(0.0, 0.1), first_shard_written(out))
            ok = code in (0, 128 + sig, -sig)
        elif fault == 'input-gone':
            moved = source + '.away'
            p = subprocess.Popen(make(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(rng.uniform(0.1, 0.6) * seconds)
            os.rename(source, moved)
            _, err = p.communicate(timeout=TIMEOUT)
            code = p.returncode
            ok = code in (0, 1)
        else:
            r = run(make(out))
            code, err = r.returncode, r.stderr
            ok = code in (0, 1)
        if not ok:
            problems.append(f'{command} / {fault}: exit {code}: {err[-400:]}')
        if code == 1 and 'error:' not in err:
            problems.append(f'{command} / {fault}: failed without a clear error: {err[-400:]}')
        if fault.startswith('disk-full') and code == 1 and 'the same command continues' not in err:
            problems.append(f'{command} / {fault}: the error does not say how to continue: {err[-400:]}')
        lost, partial = check_synth_folder(f'{command} / {fault}', out, clean=fault != 'sigkill')
        # The fault goes away; the same command finishes the run.
        if mounted:
            remount(mnt, 65536)
        if moved:
            os.rename(moved, source)
            moved = None
        r = run(make(out))
        if r.returncode != 0:
            problems.append(f'{command} / {fault}: the rerun failed: {r.stderr[-400:]}')
        identical = digests(out) == reference
        if not identical:
            problems.append(f'{command} / {fault}: the rerun differs from a run that never failed')
        record(command, fault, code, identical, lost, partial)
    finally:
        if moved:
            os.rename(moved, source)
        if mounted:
            umount(mnt)


# --- Train, predict, bench ---------------------------------------------------------------------

def prediction_pixels(folder):
    import h5py
    arrays = []
    for name in sorted(n for n in os.listdir(folder) if n.startswith('shard-')):
        with h5py.File(os.path.join(folder, name), 'r') as f:
            arrays.append(f['sharp'][:])
    return np.concatenate(arrays)


def train_command(out):
    return [TRAIN, 'train', '--data', train_data, '--out', out, '--model', 'unet', '--width', '4', '--batch', '4',
            '--crop', '32', '--max-steps', '300', '--checkpoint-every', '20', '--threads', '1', '--workers', '1',
            '--quiet']


def predict(model, out):
    return [TRAIN, 'predict', '--model', model, '--data', test_data, '--out', out, '--threads', '1', '--quiet']


def train_case(fault, reference, seconds, checkpoint_kib):
    case = os.path.join(work, f'train_{fault}_{rng.randrange(10 ** 6)}')
    mnt = os.path.join(case, 'mnt')
    out = os.path.join(mnt, 'run')
    moved = None
    mounted = prepare(mnt, fault, checkpoint_kib)
    try:
        if fault in ('sigterm', 'sigkill'):
            sig = signal.SIGTERM if fault == 'sigterm' else signal.SIGKILL
            code, err = run_with_signal(train_command(out), sig, rng.uniform(0.0, 0.3),
                                        log_lines(os.path.join(out, 'train_log.csv'), 2))
            ok = code in (0, 128 + sig, -sig)
            if fault == 'sigterm' and code == 128 + sig and '--resume continues' not in err:
                problems.append(f'train / sigterm: does not say how to resume: {err[-300:]}')
        elif fault == 'input-gone':
            # The training data disappears while the run reads it (shards open lazily).
            p = subprocess.Popen(train_command(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            ready = log_lines(os.path.join(out, 'train_log.csv'), 2)
            while p.poll() is None and not ready():
                time.sleep(0.005)
            moved = train_data + '.away'
            os.rename(train_data, moved)
            _, err = p.communicate(timeout=TIMEOUT)
            code = p.returncode
            ok = code in (0, 1)
            os.rename(moved, train_data)
            moved = None
        else:
            r = run(train_command(out))
            code, err = r.returncode, r.stderr
            ok = code in (0, 1)
        if not ok:
            problems.append(f'train / {fault}: exit {code}: {err[-400:]}')
        checkpoint = os.path.join(out, 'checkpoint.pt')
        lost = 0
        if code != 0 and os.path.exists(os.path.join(out, 'train_log.csv')):
            steps = sum(1 for _ in open(os.path.join(out, 'train_log.csv'))) - 1
            if steps >= 20 and not os.path.exists(checkpoint):  # --checkpoint-every 20
                lost = 1  # a run that had checkpointed lost its checkpoint
        partial = os.path.isdir(out) and any(n.endswith('.tmp') for n in os.listdir(out)) and fault != 'sigkill'
        if mounted:
            remount(mnt, 262144)
        args = train_command(out) + (['--resume'] if os.path.exists(checkpoint) else [])
        r = run(args)
        if r.returncode != 0:
            problems.append(f'train / {fault}: the rerun failed: {r.stderr[-400:]}')
            record('train', fault, code, False, lost, partial)
            return
        pred = os.path.join(case, 'pred')
        run(predict(checkpoint, pred))
        identical = np.array_equal(prediction_pixels(pred), reference)
        if not identical:
            diff = np.abs(prediction_pixels(pred).astype(int) - reference.astype(int)).max()
            problems.append(f'train / {fault}: predictions after the resumed run differ (max {diff} levels)')
        record('train', fault, code, identical, lost, partial)
    finally:
        if moved:
            os.rename(moved, train_data)
        if mounted:
            umount(mnt)


def output_case(command, fault, make, complete_marker, reference, seconds, kib):
    """predict and bench score: nothing that looks complete after a fault; the rerun finishes."""
    case = os.path.join(work, f'{command.replace(" ", "_")}_{fault}_{rng.randrange(10 ** 6)}')
    mnt = os.path.join(case, 'mnt')
    out = os.path.join(mnt, 'out')
    mounted = prepare(mnt, fault, kib)
    try:
        if fault in ('sigkill', 'sigterm'):
            sig = signal.SIGTERM if fault == 'sigterm' else signal.SIGKILL
            # As soon as it writes (predict: its first shard file; bench: its report folder),
            # and a few milliseconds more: the work left is far longer on any machine.
            at_work = ((lambda: os.path.isdir(out) and any(n.startswith('shard-') for n in os.listdir(out)))
                       if command == 'train predict' else (lambda: os.path.isdir(out)))
            code, err = run_with_signal(make(out), sig, rng.uniform(0.0, 0.05), at_work)
            if fault == 'sigterm' and code not in (0, 128 + sig):
                problems.append(f'{command} / sigterm: no clean stop (exit {code}): {err[-300:]}')
        else:
            r = run(make(out))
            code, err = r.returncode, r.stderr
            if code == 1 and 'error:' not in err:
                problems.append(f'{command} / {fault}: failed without a clear error: {err[-300:]}')
        # Looks complete but is not: the marker written last is there, the content is not the
        # reference's (a kill that lands after the marker, while the process exits, is complete).
        partial = (code != 0 and os.path.exists(os.path.join(out, complete_marker))
                   and not reference(out))
        if fault != 'sigkill' and code != 0 and os.path.exists(out):
            partial = True  # a failed command removes the folder it created
        if mounted:
            remount(mnt, 262144)
        if os.path.exists(out) and code != 0:
            shutil.rmtree(out)  # what the user does with an incomplete output: start it again
        r = run(make(out))
        identical = r.returncode == 0 and reference(out)
        if not identical:
            problems.append(f'{command} / {fault}: rerun failed or differs: {r.stderr[-300:]}')
        record(command, fault, code, identical, 0, partial)
    finally:
        if mounted:
            umount(mnt)


def export_case(fault, make, reference, seconds, kib):
    case = os.path.join(work, f'export_{fault}_{rng.randrange(10 ** 6)}')
    mnt = os.path.join(case, 'mnt')
    out = os.path.join(mnt, 'strips')
    mounted = prepare(mnt, fault, kib)
    try:
        if fault == 'sigkill':
            code, err = run_with_signal(make(out), signal.SIGKILL, rng.uniform(0.0, 0.05),
                                        lambda: os.path.isdir(out) and any(n.endswith('.png')
                                                                           for n in os.listdir(out)))
        else:
            r = run(make(out))
            code, err = r.returncode, r.stderr
            if code == 1 and 'error:' not in err:
                problems.append(f'shards export / {fault}: failed without a clear error: {err[-300:]}')
        partial = False
        for name in (os.listdir(out) if os.path.isdir(out) else []):
            if name.endswith('.png') and sha(os.path.join(out, name)) != reference.get(name):
                partial = True  # a strip that looks written but is not the whole strip
            if name.endswith('.tmp') and fault != 'sigkill':
                partial = True
        if mounted:
            remount(mnt, 262144)
        r = run(make(out))
        identical = r.returncode == 0 and {n: sha(os.path.join(out, n)) for n in os.listdir(out)} == reference
        if not identical:
            problems.append(f'shards export / {fault}: rerun failed or differs: {r.stderr[-300:]}')
        record('shards export', fault, code, identical, 0, partial)
    finally:
        if mounted:
            umount(mnt)


def main():
    global train_data, test_data
    if GROUP not in ('process', 'filesystem', 'all'):
        sys.exit(f'fault_test: the group must be process, filesystem or all, got {GROUP}')
    process = GROUP in ('process', 'all')
    mountable = GROUP in ('filesystem', 'all') and can_mount()
    if GROUP == 'filesystem' and not mountable:
        print('fault_test: SKIPPED: cannot mount a tmpfs here (not root?), so the disk-full and '
              'read-only faults cannot run')
        return SKIPPED
    if GROUP == 'all' and not mountable:
        print('fault_test: cannot mount a tmpfs here (not root?): disk-full and read-only faults are '
              'not run')
    signals = (['sigterm', 'sigkill'] * 2 + ['input-gone']) if process else []
    faults = signals + (['disk-full-30', 'disk-full-70', 'read-only'] if mountable else [])
    # Synth: a reference run per command, then each fault.
    for command, (make, _) in SYNTH_COMMANDS.items():
        reference_out = os.path.join(work, 'ref_' + command.replace(' ', '_'))
        seconds = timed(make(reference_out))
        reference = digests(reference_out)
        for fault in faults:
            synth_case(command, fault, reference, seconds, size_kib(reference_out))

    # Train: data, a reference run and its predictions.
    train_data = os.path.join(work, 'ref_synth_panorama')
    test_data = os.path.join(work, 'test_data')
    r = run([SYNTH, 'panorama', '--input', os.path.join(inputs, 'studio.exr'), '--samples', '8', '--size', '32',
             '--frames', '3', '--seed', '9', '--out', test_data, '--quiet'])
    ref_run = os.path.join(work, 'ref_train')
    train_seconds = timed(train_command(ref_run))
    checkpoint_kib = os.path.getsize(os.path.join(ref_run, 'checkpoint.pt')) // 1024
    ref_pred = os.path.join(work, 'ref_pred')
    run(predict(os.path.join(ref_run, 'checkpoint.pt'), ref_pred))
    reference_pixels = prediction_pixels(ref_pred)
    for fault in signals + (['disk-full-75', 'disk-full-150', 'read-only'] if mountable else []):
        train_case(fault, reference_pixels, train_seconds, checkpoint_kib)

    # predict and bench score on a larger test set, so that faults land while they work.
    big_test = os.path.join(work, 'big_test')
    run([SYNTH, 'panorama', '--input', os.path.join(inputs, 'studio.exr'), '--samples', '192', '--size', '96',
         '--frames', '3', '--seed', '9', '--out', big_test, '--quiet'])
    model = os.path.join(ref_run, 'checkpoint.pt')
    make_predict = lambda out: [TRAIN, 'predict', '--model', model, '--data', big_test, '--out', out,
                                '--threads', '1', '--quiet']
    ref_big = os.path.join(work, 'ref_big_pred')
    predict_seconds = timed(make_predict(ref_big))
    ref_big_digests = digests(ref_big)
    make_score = lambda out: [BENCH, 'score', '--gt', big_test, '--pred', ref_big, '--out', out]
    ref_score = os.path.join(work, 'ref_score')
    score_seconds = timed(make_score(ref_score))
    ref_table = open(os.path.join(ref_score, 'per_sample.csv')).read()
    config = os.path.join(work, 'matrix.json')
    json.dump({'test_sets': {'panorama': big_test},
               'methods': [{'name': 'unet', 'trained_on': 'panorama', 'predictions': {'panorama': ref_big}},
                           {'name': 'blurred-input', 'predictions': {'panorama': 'blurred-input'}}]},
              open(config, 'w'))
    make_matrix = lambda out: [BENCH, 'matrix', '--config', config, '--out', out, '--quiet']
    ref_matrix = os.path.join(work, 'ref_matrix')
    matrix_seconds = timed(make_matrix(ref_matrix))
    ref_matrix_json = open(os.path.join(ref_matrix, 'matrix.json')).read()
    make_export = lambda out: [SYNTH, 'shards', 'export', big_test, '--count', '192', '--out', out]
    ref_export = os.path.join(work, 'ref_export')
    export_seconds = timed(make_export(ref_export))
    ref_export_digests = {n: sha(os.path.join(ref_export, n)) for n in os.listdir(ref_export)}
    output_faults = (['sigkill'] if process else []) + (['disk-full-30', 'disk-full-70', 'read-only']
                                                        if mountable else [])
    for fault in output_faults:
        if fault == 'sigkill':  # SIGTERM too for the commands that stop cleanly on it
            for name, make, marker, ref, secs, kib in (
                    ('train predict', make_predict, 'index.json', lambda out: digests(out) == ref_big_digests,
                     predict_seconds, size_kib(ref_big)),
                    ('bench score', make_score, 'report.html',
                     lambda out: open(os.path.join(out, 'per_sample.csv')).read() == ref_table, score_seconds,
                     size_kib(ref_score))):
                output_case(name, 'sigterm', make, marker, ref, secs, kib)
        output_case('train predict', fault, make_predict, 'index.json', lambda out: digests(out) == ref_big_digests,
                    predict_seconds, size_kib(ref_big))
        output_case('bench score', fault, make_score, 'report.html',
                    lambda out: open(os.path.join(out, 'per_sample.csv')).read() == ref_table,
                    score_seconds, size_kib(ref_score))
        output_case('bench matrix', fault, make_matrix, 'report.html',
                    lambda out: open(os.path.join(out, 'matrix.json')).read() == ref_matrix_json,
                    matrix_seconds, size_kib(ref_matrix))
        # Strips: each file is written whole or not at all, so a partial set holds no broken one.
        export_case(fault, make_export, ref_export_digests, export_seconds, size_kib(ref_export))

    print(f'{"command":<20} {"fault":<15} {"runs":>4} {"hit":>4} {"resumed identical":>18} {"work lost":>10} '
          f'{"partial left":>13}  exit status')
    for (command, fault), (runs, hit, identical, lost, partial, codes) in table.items():
        print(f'{command:<20} {fault:<15} {runs:>4} {hit:>4} {identical:>18} {lost:>10} {partial:>13}  '
              f'{" ".join(map(str, codes))}')
    total = [sum(v[i] for v in table.values()) for i in range(5)]
    print(f'{"all":<20} {"":<15} {total[0]:>4} {total[1]:>4} {total[2]:>18} {total[3]:>10} {total[4]:>13}')
    # A fault that lands after the command finished tests nothing. A full disk and a read-only
    # folder always land; a signal is timed, so on a loaded machine one may come too late: those
    # are counted, and most of them must land.
    signal_runs = signal_hits = 0
    for (command, fault), (runs, hit, *_) in table.items():
        if fault.startswith('disk-full') or fault == 'read-only':
            if hit < runs:
                problems.append(f'{command} / {fault}: the fault missed {runs - hit} of {runs} runs')
        elif fault in ('sigterm', 'sigkill'):
            signal_runs += runs
            signal_hits += hit
    if signal_runs:
        print(f'fault_test: {signal_hits} of {signal_runs} signals landed while the command worked')
    if signal_hits < 0.75 * signal_runs:
        problems.append(f'only {signal_hits} of {signal_runs} signals landed while the command worked')
    for p in problems:
        print('FAIL', p)
    print(f'fault_test: {len(problems)} problem(s)')
    return 0 if not problems and total[3] == 0 and total[4] == 0 and total[2] == total[0] else 1


if __name__ == '__main__':
    try:
        code = main()
    finally:
        for folder in mounts:
            umount(folder)
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(code)
