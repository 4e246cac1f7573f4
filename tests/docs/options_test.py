"""Every option a page of the guide names exists in the --help of a command that page documents.

Each page is checked against the commands it is about (and the scripts it runs); options of other
programs that a page quotes (torchrun, srun, pip) are listed below, each with the page that uses it.
Tokens ending in '-' are families written as `--shake-*` and are skipped.

Usage: options_test.py BLURKIT_SYNTH BLURKIT_BENCH BLURKIT_TRAIN   (run by CTest: docs/options)
"""
import os
import re
import subprocess
import sys

SYNTH, BENCH, TRAIN = sys.argv[1:4]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def help_of(*args):
    r = subprocess.run(list(args) + ['--help'], capture_output=True, text=True, timeout=60, cwd=ROOT)
    return r.stdout + r.stderr


synth = ''.join(help_of(SYNTH, c) for c in ('panorama', 'photos', 'video', 'import-pairs', 'shards'))
train = ''.join(help_of(TRAIN, c) for c in ('train', 'predict', 'info', 'restore'))
bench = ''.join(help_of(BENCH, c) for c in ('score', 'matrix'))
scripts = ''.join(help_of('bash', os.path.join('scripts', s))
                  for s in ('demo.sh', 'pipeline.sh', 'learning_curves.sh', 'ablations.sh', 'fetch_samples.sh',
                            'perf/run_all.sh', 'capacity.sh'))
scripts += subprocess.run(['/usr/bin/python3', os.path.join(ROOT, 'scripts', 'learning_curves.py'), '--help'],
                          capture_output=True, text=True).stdout
example = subprocess.run(['/usr/bin/python3', os.path.join(ROOT, 'python', 'examples', 'train_on_the_fly.py'), '--help'],
                         capture_output=True, text=True).stdout
EXTERNAL = {
    'cluster.md': {'--nnodes', '--node', '--nproc', '--master', '--redirects', '--tee', '--no', '--ntasks'},
    'python.md': {'--no-build-isolation', '--no-deps', '--no-index', '--system-site-packages', '--install'},
    'shards.md': {'--copy'},  # build/core/shard_read_benchmark --copy DIR OUT unchecked
    'train.md': {'--profile'},  # build/train/train_benchmark DIR --profile TRACE.json
    'install.md': {'--install', '--prefix', '--version', '--always', '--dirty', '--display-info'},  # cmake, git, lintian
    'README.md': {'--install'},  # cmake --install
}
PAGES = {
    'README.md': synth + train + bench,
    'docs/synth.md': synth + train,
    'docs/camera_paths.md': synth,
    'docs/train.md': train + synth,
    'docs/bench.md': bench,
    'docs/cluster.md': train + synth,
    'docs/results.md': train + synth + bench + scripts,
    'docs/shards.md': train + synth + bench,
    'docs/python.md': synth + example,
    'docs/export.md': synth,
    'docs/data.md': scripts + synth,
    'docs/conventions.md': '',
    'docs/install.md': synth + train + bench,
}
option = re.compile(r'(?<![\w-])--[a-z][a-z0-9-]*')
checked, missing = 0, []
for page, helps in PAGES.items():
    known = set(option.findall(helps)) | EXTERNAL.get(os.path.basename(page), set())
    for name in sorted(set(option.findall(open(os.path.join(ROOT, page), encoding='utf-8').read()))):
        if name.endswith('-') or name == '--help':
            continue
        checked += 1
        if name not in known:
            missing.append(f'{page}: {name} is in no --help of the commands it documents')
for m in missing:
    print('FAIL', m)
print(f'options_test: {checked - len(missing)} passed, {len(missing)} failed')
sys.exit(1 if missing or checked == 0 else 0)
