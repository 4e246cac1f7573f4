"""Exporting a blurkit dataset to the layouts other training frameworks read, with blurkit-synth."""
import json
import os
import subprocess

from ._tools import cli_flags, find_tool


class ExportError(RuntimeError):
    """blurkit-synth refused the input or failed; the message is its own, naming the file."""


FORMATS = ('basicsr-lmdb', 'gopro', 'webdataset')


def export(dataset, out, format, synth=None, **options):
    """Exports a dataset with ``blurkit-synth shards export DATASET --format FORMAT --out OUT``.

    Parameters
    ----------
    dataset : str or os.PathLike
        A blurkit dataset folder (shards and index.json).
    out : str or os.PathLike
        The output folder; it appears only once complete (built in ``OUT.partial``, which the same
        call continues after an interruption).
    format : str
        ``'basicsr-lmdb'`` (blur.lmdb, sharp.lmdb, frames.lmdb with BasicSR's meta_info.txt),
        ``'gopro'`` (blur/, sharp/, frames/KEY/J.png) or ``'webdataset'`` (tar shards).
    synth : str, optional
        The blurkit-synth executable; by default ``$BLURKIT_SYNTH``, then ``PATH``, then the
        checkout's ``build/synth/blurkit-synth``.
    **options
        More options, underscores for dashes: ``crop=512, crop_step=256`` (basicsr-lmdb),
        ``shard_size=1000`` (webdataset), ``overwrite=True``.

    Returns
    -------
    dict
        The export record ``OUT/export.json``: format, dataset, its fingerprint, samples, images.

    Raises
    ------
    ExportError
        blurkit-synth exited non-zero; the message is its error.
    """
    if format not in FORMATS:
        raise ValueError(f'format must be one of {FORMATS}, got {format!r}')
    args = [find_tool('blurkit-synth', synth), 'shards', 'export', os.fspath(dataset), '--format', format, '--out',
            os.fspath(out), '--quiet']
    args += cli_flags(options)
    run = subprocess.run(args, capture_output=True, text=True)
    if run.returncode != 0:
        message = run.stderr.strip().splitlines()[-1:] or [f'exit {run.returncode}']
        raise ExportError(f'blurkit-synth shards export: {message[0].removeprefix("error: ")}')
    with open(os.path.join(out, 'export.json'), encoding='utf-8') as f:
        return json.load(f)
