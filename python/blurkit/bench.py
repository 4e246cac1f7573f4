"""Scoring with blurkit-bench from Python."""
import json
import os
import subprocess

from ._tools import cli_flags, find_tool


class BenchError(RuntimeError):
    """blurkit-bench refused the input or failed; the message is its own, naming the file."""


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
        ``profile='y'``, ``allow_missing=True``, ``no_baseline=True``, ``name='mine'``, ``bins=8``,
        ``protocol='blur2vid-gopro'``, ``patch=40``.

    Returns
    -------
    dict
        ``methods``: {method name: {column: value}} from summary.json (``PSNR middle``,
        ``SSIM non-middle``, ``PSNR_p``, ``PWPSNR``, ``pooled PSNR``, ``re-blur PSNR vs GT``,
        ``re-blur PSNR vs input``, ``EPE (DIS)``, ``patch SSIM``, ``samples``, ...), each mean with
        its 95% bootstrap interval as ``<column> lo`` and ``<column> hi``; ``notes``: how the
        scores were computed; ``report``: the path of report.html.

    Raises
    ------
    BenchError
        blurkit-bench exited non-zero; the message is its error.
    """
    args = [find_tool('blurkit-bench', bench), 'score', '--gt', os.fspath(gt), '--pred', os.fspath(pred), '--out',
            os.fspath(out), '--quiet']
    args += cli_flags(options)
    run = subprocess.run(args, capture_output=True, text=True)
    if run.returncode != 0:
        message = run.stderr.strip().removeprefix('error: ') or f'exit {run.returncode}'
        raise BenchError(f'blurkit-bench score: {message}')
    with open(os.path.join(out, 'summary.json'), encoding='utf-8') as f:
        summary = json.load(f)
    return {'methods': {row['method']: row for row in summary['rows']}, 'notes': summary['notes'],
            'report': os.path.join(os.fspath(out), 'report.html')}
