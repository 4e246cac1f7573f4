"""Scoring with blurkit-bench from Python."""
import json
import os
import shutil
import subprocess


class BenchError(RuntimeError):
    """blurkit-bench refused the input or failed; the message is its own, naming the file."""


def _find_bench(bench):
    if bench:
        return os.fspath(bench)
    if os.environ.get('BLURKIT_BENCH'):
        return os.environ['BLURKIT_BENCH']
    found = shutil.which('blurkit-bench')
    if found:
        return found
    # A source checkout: python/blurkit/bench.py -> build/bench/blurkit-bench
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    candidate = os.path.join(here, 'build', 'bench', 'blurkit-bench')
    if os.path.exists(candidate):
        return candidate
    raise FileNotFoundError('blurkit-bench not found: pass bench=PATH, set BLURKIT_BENCH, or put it on PATH '
                            '(scripts/setup.sh builds it in build/bench/)')


def score(gt, pred, out, bench=None, **options):
    """Scores predictions against a ground-truth dataset with ``blurkit-bench score``.

    Parameters
    ----------
    gt : str or os.PathLike
        The ground-truth dataset folder.
    pred : str or os.PathLike
        A prediction dataset, a folder of ``<sample_id>_<j>.png`` files, or ``"blurred-input"``.
    out : str or os.PathLike
        The report folder (summary.md/.csv/.json/.tex, per_sample.csv, blur_size.*, report.html).
    bench : str, optional
        The blurkit-bench executable; by default ``$BLURKIT_BENCH``, then ``PATH``, then the
        checkout's ``build/bench/blurkit-bench``.
    **options
        More ``blurkit-bench score`` options, underscores for dashes: ``order='ground-truth'``,
        ``profile='y'``, ``allow_missing=True``, ``no_baseline=True``, ``name='mine'``, ``bins=8``.

    Returns
    -------
    dict
        ``methods``: {method name: {column: value}} from summary.json (``PSNR middle``,
        ``SSIM non-middle``, ``samples``, ...); ``notes``: how the scores were computed;
        ``report``: the path of report.html.

    Raises
    ------
    BenchError
        blurkit-bench exited non-zero; the message is its error.
    """
    args = [_find_bench(bench), 'score', '--gt', os.fspath(gt), '--pred', os.fspath(pred), '--out',
            os.fspath(out), '--quiet']
    for key, value in options.items():
        flag = '--' + key.replace('_', '-')
        if value is True:
            args.append(flag)
        elif value is not False and value is not None:
            args += [flag, str(value)]
    run = subprocess.run(args, capture_output=True, text=True)
    if run.returncode != 0:
        message = run.stderr.strip().removeprefix('error: ') or f'exit {run.returncode}'
        raise BenchError(f'blurkit-bench score: {message}')
    with open(os.path.join(out, 'summary.json'), encoding='utf-8') as f:
        summary = json.load(f)
    return {'methods': {row['method']: row for row in summary['rows']}, 'notes': summary['notes'],
            'report': os.path.join(os.fspath(out), 'report.html')}
