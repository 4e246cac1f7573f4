"""Write a blurkit prediction dataset from Python, for methods that are not blurkit's.

blurkit-bench scores any method whose predicted frames come as a prediction dataset (the shard
format, kind "prediction"), as PNG files named <sample_id>_<j>.png, or as the blurred-input
baseline. This module writes the first with h5py and numpy (Debian: python3-h5py):

    from blurkit import write_predictions   # PYTHONPATH=python, or pip install ./python
    # ids: the ground truth's sample ids; frames: uint8 RGB, shape (N, F, H, W, 3), time order
    write_predictions('runs/pred/my_method', ids, frames, method='my-method',
                      model={'parameters': 11.2e6, 'fps': {'128': 310.0, '256': 95.0}})

The ids of a ground-truth dataset: [open_sample(path, i)['sample_id'] ...] or, faster, the
``sample_id`` column of each shard (f['sample_id'].asstr()[:] with h5py).
The layout is the one docs/shards.md documents (schema version 2: Fletcher-32 checksums on the pixel
chunks, HDF5's 1.10 file format, and a sha256 of the metadata columns; see include/blurkit/core/shard.h).
"""
import hashlib
import json
import os

import h5py
import numpy as np

from .shards import metadata_sha256

SCHEMA_VERSION = 2


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def write_predictions(out_dir, ids, frames, method, model=None, blurred=None):
    """Writes a prediction dataset that blurkit-bench scores.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The dataset folder to write (created; a shard and index.json).
    ids : sequence of str
        The ground truth's sample ids, one per predicted sample.
    frames : array_like, uint8, shape (N, F, H, W, 3)
        The predicted frames, RGB, in time order.
    method : str
        The method's name in blurkit-bench's tables.
    model : dict, optional
        {"parameters": N, "fps": {"128": ..., "256": ..., "512": ...}}, shown beside the scores.
    blurred : array_like, uint8, shape (N, H, W, 3), optional
        The inputs; defaults to the middle frames.
    """
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 5 or frames.shape[-1] != 3:
        raise ValueError(f'frames must be uint8 (N, F, H, W, 3), got {frames.dtype} {frames.shape}')
    n, f, h, w, _ = frames.shape
    if len(ids) != n:
        raise ValueError(f'{len(ids)} ids for {n} samples')
    if blurred is None:
        blurred = frames[:, f // 2]
    os.makedirs(out_dir, exist_ok=True)
    name = 'shard-00000-of-00001.h5'
    params = {'method': method}
    if model:
        params['model'] = model
    tmp = os.path.join(out_dir, name + '.tmp')
    strings = h5py.string_dtype('utf-8')
    with h5py.File(tmp, 'w', track_order=False, libver=('v110', 'v110')) as out:
        out.create_dataset('blurred', data=np.asarray(blurred, np.uint8), chunks=(1, h, w, 3),
                           fletcher32=True)
        out.create_dataset('sharp', data=frames, chunks=(1, f, h, w, 3), fletcher32=True)
        out.create_dataset('sample_id', data=np.array(ids, dtype=object), dtype=strings)
        out.create_dataset('sample_index', data=np.arange(n, dtype=np.int64))
        out.create_dataset('source_file', data=np.array([''] * n, dtype=object), dtype=strings)
        out.create_dataset('source_sha256', data=np.array([''] * n, dtype=object), dtype=strings)
        out.create_dataset('blur_magnitude', data=np.zeros(n, np.float32))
        attrs = {'kind': 'prediction', 'generator': 'blurkit.write_predictions (Python)', 'params': json.dumps(params),
                 'blur_magnitude_unit': '', 'manifest_sha256': ''}
        for key, value in attrs.items():
            out.attrs.create(key, value, dtype=strings)
        for key, value in {'schema_version': SCHEMA_VERSION, 'frames': f, 'height': h, 'width': w,
                           'first_sample': 0, 'num_samples': n, 'compression': 0}.items():
            out.attrs[key] = np.int64(value)
        out.attrs['seed'] = np.uint64(0)
        out.attrs.create('metadata_sha256', metadata_sha256(list(ids), [''] * n, [''] * n, np.arange(n),
                                                            np.zeros(n)), dtype=strings)
    os.replace(tmp, os.path.join(out_dir, name))
    index = {'schema_version': SCHEMA_VERSION, 'kind': 'prediction', 'frames': f, 'height': h, 'width': w,
             'generator': 'blurkit.write_predictions (Python)', 'blur_magnitude_unit': '', 'params': params, 'seed': 0,
             'manifest_sha256': '', 'compression': 0, 'num_samples': n, 'shard_size': n, 'total_shards': 1,
             'complete': True,
             'shards': [{'file': name, 'shard': 0, 'first_sample': 0, 'num_samples': n,
                         'sha256': _sha256(os.path.join(out_dir, name)),
                         'bytes': os.path.getsize(os.path.join(out_dir, name))}]}
    with open(os.path.join(out_dir, 'index.json.tmp'), 'w') as out:
        json.dump(index, out, indent=2)
    os.replace(os.path.join(out_dir, 'index.json.tmp'), os.path.join(out_dir, 'index.json'))
