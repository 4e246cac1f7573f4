"""Reading blurkit's shard datasets: the index, single samples, and a PyTorch ``Dataset``.

A dataset is a folder of HDF5 shards and ``index.json``; ``include/blurkit/core/shard.h`` and the
project's docs/shards.md describe it. Every read here checks what it reads, as the C++
reader does: ``index.json`` itself (schema, completeness, shard names, counts and sample ranges)
and the shard sizes it records when a dataset is opened; each shard's attributes (the whole
dataset description: kind, shape, seed, generator, parameters, ...) against ``index.json`` and its
metadata checksum when it is first used; and each sample's Fletcher-32 checksum (HDF5 checks it)
when it is read. Neither reader hashes whole shards (``blurkit-synth shards verify`` does).
Shards of schema 1, written before checksums, still read.
"""
import bisect
import hashlib
import json
import os

import h5py
import numpy as np

try:  # torch is optional: without it, ShardDataset returns numpy arrays
    import torch
    from torch.utils.data import Dataset as _DatasetBase
except ImportError:  # pragma: no cover - exercised where torch is absent
    torch = None
    _DatasetBase = object

SCHEMA_VERSIONS = (1, 2)


class DamagedDatasetError(OSError):
    """A shard or ``index.json`` that is damaged, truncated, or inconsistent with the other."""


def metadata_sha256(ids, source_files, source_hashes, indices, magnitudes, orientation=(), homography=(),
                    source_frames=(), trajectory=(), sample_params=(), event_tables=()):
    """The digest a schema-2 shard stores in its ``metadata_sha256`` attribute.

    The bytes hashed (``MetadataDigest`` in ``core/shard_checksums.cpp``): each value of ``sample_id``, then
    of ``source_file``, then of ``source_sha256``, as UTF-8 followed by one NUL byte; then
    ``sample_index`` (int64), ``blur_magnitude`` (float32), ``orientation`` and ``homography``
    (float64), ``source_frames`` (int64) and ``trajectory`` (float64, as stored: (n, M, 4) with its
    zero rows), little-endian and row-major; the columns a shard lacks are empty; then the values of
    ``sample_params`` (where the shard has it), each as UTF-8 followed by one NUL byte; last, where it
    has events, ``event_offsets`` and then ``event_exposure`` (int64), which HDF5 stores unfiltered.

    Returns
    -------
    str
        Lower-case hexadecimal sha256.
    """
    digest = hashlib.sha256()
    for column in (ids, source_files, source_hashes):
        for value in column:
            digest.update(value.encode('utf-8') + b'\0')
    digest.update(np.asarray(indices, '<i8').tobytes())
    digest.update(np.asarray(magnitudes, '<f4').tobytes())
    digest.update(np.asarray(orientation, '<f8').tobytes())
    digest.update(np.asarray(homography, '<f8').tobytes())
    digest.update(np.asarray(source_frames, '<i8').tobytes())
    digest.update(np.asarray(trajectory, '<f8').tobytes())
    for value in sample_params:
        digest.update(value.encode('utf-8') + b'\0')
    for table in event_tables:
        digest.update(np.asarray(table, '<i8').tobytes())
    return digest.hexdigest()


def read_index(path):
    """Reads and checks a dataset's ``index.json``.

    Parameters
    ----------
    path : str or os.PathLike
        The dataset folder.

    Returns
    -------
    dict
        The index: ``kind``, ``frames``, ``height``, ``width``, ``num_samples``, ``params``,
        ``shards`` (each with ``file``, ``first_sample``, ``num_samples``, ``sha256`` and, in
        schema 2, ``bytes``), ...

    Raises
    ------
    FileNotFoundError
        The folder or its ``index.json`` does not exist.
    DamagedDatasetError
        The index is not valid JSON, is incomplete, or does not match the shards on disk (a missing
        or truncated shard, a shard path outside the folder, sample ranges with gaps).
    """
    path = os.fspath(path)
    index_file = os.path.join(path, 'index.json')
    if not os.path.isdir(path):
        raise FileNotFoundError(f'{path}: no such dataset folder')
    if not os.path.exists(index_file):
        raise FileNotFoundError(f'{path}: not a blurkit dataset (no index.json)')
    try:
        with open(index_file, encoding='utf-8') as f:
            index = json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        raise DamagedDatasetError(f'{index_file}: not valid JSON ({e})') from None
    try:
        version = index['schema_version']
        if version not in SCHEMA_VERSIONS:
            raise DamagedDatasetError(f'{index_file}: schema version {version} is not supported '
                                      f'(this package reads {SCHEMA_VERSIONS})')
        if not index.get('complete') or index.get('num_parts', 1) != 1:
            raise DamagedDatasetError(f'{index_file}: the dataset is incomplete (rerun the command that '
                                      'makes it to resume)')
        expected = 0
        if index['shard_size'] <= 0 or index['num_samples'] < 0:
            raise DamagedDatasetError(f'{index_file}: invalid sample count or shard size')
        total = -(-index['num_samples'] // index['shard_size'])
        if len(index['shards']) != total:
            raise DamagedDatasetError(f'{index_file}: lists {len(index["shards"])} shards, expected {total}')
        for entry in index['shards']:
            name = entry['file']
            if entry['num_samples'] <= 0 or entry['first_sample'] < 0 or entry.get('bytes', 0) < 0:
                raise DamagedDatasetError(f'{index_file}: shard {name} has an invalid sample range or size')
            if not name or name in ('.', '..') or '/' in name or '\\' in name:
                raise DamagedDatasetError(f'{index_file}: shard file {name!r} is not a plain file name '
                                          'inside the dataset folder')
            if entry['first_sample'] != expected:
                raise DamagedDatasetError(f'{index_file}: shard {name} starts at sample '
                                          f'{entry["first_sample"]}, expected {expected}')
            expected += entry['num_samples']
            shard = os.path.join(path, name)
            if not os.path.isfile(shard):
                raise DamagedDatasetError(f'{shard}: shard listed in index.json is missing')
            size = os.path.getsize(shard)
            if entry.get('bytes', 0) > 0 and size != entry['bytes']:
                raise DamagedDatasetError(f'{shard}: {size} bytes, index.json records {entry["bytes"]} '
                                          '(truncated or replaced shard)')
        if expected != index['num_samples']:
            raise DamagedDatasetError(f'{index_file}: shards hold {expected} samples, the index announces '
                                      f'{index["num_samples"]}')
        for key in ('kind', 'frames', 'height', 'width'):
            index[key]  # noqa: B018 - a KeyError below names the missing key
    except (KeyError, TypeError) as e:
        raise DamagedDatasetError(f'{index_file}: invalid index ({e!r} missing or malformed)') from None
    return index


def _has_fletcher32(dataset):
    plist = dataset.id.get_create_plist()
    return any(plist.get_filter(k)[0] == h5py.h5z.FILTER_FLETCHER32 for k in range(plist.get_nfilters()))


class _Shard:
    """One open shard: its file and its per-sample metadata, checked when opened."""

    def __init__(self, path, entry, index):
        self.path = path
        try:
            self.file = h5py.File(path, 'r')
        except OSError as e:
            raise DamagedDatasetError(f'{path}: cannot open the shard (damaged or truncated?): {e}') from None
        try:
            self._check(entry, index)
        except DamagedDatasetError:
            self.file.close()
            raise
        except (OSError, KeyError, ValueError, TypeError) as e:
            self.file.close()
            raise DamagedDatasetError(f'{path}: damaged shard: {e}') from None

    def _check(self, entry, index):
        f, path = self.file, self.path
        attrs = f.attrs
        self.schema_version = int(attrs['schema_version'])
        if self.schema_version != index['schema_version']:
            raise DamagedDatasetError(f'{path}: schema version {self.schema_version}, index.json says '
                                      f'{index["schema_version"]}')
        for key in ('frames', 'height', 'width', 'first_sample', 'num_samples'):
            want = index[key] if key in ('frames', 'height', 'width') else entry[key]
            if int(attrs[key]) != want:
                raise DamagedDatasetError(f'{path}: attribute {key} = {int(attrs[key])}, index.json says '
                                          f'{want}: a shard of another dataset?')
        # The whole dataset description, as the C++ reader compares it (DatasetReader::Shard): kind,
        # seed, generator, blur unit, manifest digest, compression and parameters.
        text = lambda v: v.decode() if isinstance(v, bytes) else str(v)  # noqa: E731
        differ = []
        if text(attrs['kind']) != index['kind']:
            differ.append('kind')
        if int(attrs['seed']) != index.get('seed', 0):
            differ.append('seed')
        for key in ('generator', 'blur_magnitude_unit', 'manifest_sha256'):
            if text(attrs[key]) != index.get(key, ''):
                differ.append(key)
        if int(attrs['compression']) != index.get('compression', 0):
            differ.append('compression')
        try:
            params = json.loads(text(attrs['params']))
        except ValueError:
            raise DamagedDatasetError(f"{path}: attribute 'params' is not valid JSON") from None
        if params != index.get('params', {}):
            differ.append('params')
        if differ:
            raise DamagedDatasetError(f'{path}: its attributes ({", ".join(differ)}) differ from index.json: '
                                      'a shard of another dataset?')
        n = entry['num_samples']
        self.ids = list(f['sample_id'].asstr()[:])
        self.magnitudes = f['blur_magnitude'][:]
        self.indices = f['sample_index'][:]
        if len(self.ids) != n or self.magnitudes.shape != (n,) or self.indices.shape != (n,):
            raise DamagedDatasetError(f'{path}: metadata columns do not hold {n} samples')
        if self.schema_version >= 2:
            optional = [f[name][:] if name in f else () for name in ('orientation', 'homography',
                                                                      'source_frames', 'trajectory')]
            params = list(f['sample_params'].asstr()[:]) if 'sample_params' in f else ()
            if 'event_offsets' in f and ('event_exposure' not in f or f['event_exposure'].shape != (n, 2)):
                raise DamagedDatasetError(f"{path}: dataset 'event_exposure' must have shape ({n}, 2)")
            events = (f['event_offsets'][:], f['event_exposure'][:]) if 'event_offsets' in f else ()
            digest = metadata_sha256(self.ids, list(f['source_file'].asstr()[:]),
                                     list(f['source_sha256'].asstr()[:]), self.indices, self.magnitudes,
                                     *optional, sample_params=params, event_tables=events)
            stored = attrs['metadata_sha256']
            stored = stored.decode() if isinstance(stored, bytes) else str(stored)
            if digest != stored:
                raise DamagedDatasetError(f'{path}: checksum error in the per-sample metadata (sample ids, '
                                          'sources, blur magnitudes, poses): the shard is damaged')
        shape = (index['height'], index['width'], 3)
        self.blurred, self.sharp = f['blurred'], f['sharp']
        if self.blurred.shape != (n,) + shape or self.sharp.shape != (n, index['frames']) + shape:
            raise DamagedDatasetError(f'{path}: image datasets do not have the announced shape')
        if self.schema_version >= 2 and not (_has_fletcher32(self.blurred) and _has_fletcher32(self.sharp)):
            raise DamagedDatasetError(f'{path}: image datasets lack the Fletcher-32 checksums of schema 2')
        # The raw mosaic: present exactly where index.json says the dataset stores it.
        if ('raw' in f) != bool(index.get('raw_mosaic', False)):
            raise DamagedDatasetError(f"{path}: its raw mosaic ('raw') is {'present' if 'raw' in f else 'missing'} "
                                      "where index.json says otherwise: a shard of another dataset?")
        if 'raw' in f:
            if f['raw'].shape != (n, index['height'], index['width']):
                raise DamagedDatasetError(f"{path}: dataset 'raw' does not have the announced shape")
            if self.schema_version >= 2 and not _has_fletcher32(f['raw']):
                raise DamagedDatasetError(f"{path}: dataset 'raw' lacks the Fletcher-32 checksums of schema 2")
        # The event camera's output: likewise present exactly where index.json says so.
        if ('event_offsets' in f) != bool(index.get('events', False)):
            raise DamagedDatasetError(f"{path}: its events ('event_offsets') are "
                                      f"{'present' if 'event_offsets' in f else 'missing'} where index.json "
                                      "says otherwise: a shard of another dataset?")
        if 'event_offsets' in f:
            self.event_offsets = f['event_offsets'][:]
            total = int(self.event_offsets[-1]) if self.event_offsets.shape == (n + 1,) else -1
            if total < 0 or self.event_offsets[0] != 0 or np.any(np.diff(self.event_offsets) < 0):
                raise DamagedDatasetError(f"{path}: 'event_offsets' must hold {n + 1} offsets rising from 0")
            for name in ('event_x', 'event_y', 'event_t', 'event_p'):
                if name not in f or f[name].shape != (total,):
                    raise DamagedDatasetError(f"{path}: dataset {name!r} must hold the {total} events "
                                              "'event_offsets' announces")
            if 'event_thresholds' not in f or f['event_thresholds'].shape != (n, 2, index['height'], index['width']):
                raise DamagedDatasetError(f"{path}: dataset 'event_thresholds' does not have the announced shape")
            if 'event_exposure' not in f or f['event_exposure'].shape != (n, 2):
                raise DamagedDatasetError(f"{path}: dataset 'event_exposure' must have shape ({n}, 2)")
            for name in ('event_thresholds', 'event_x', 'event_y', 'event_t', 'event_p'):
                if self.schema_version >= 2 and not _has_fletcher32(f[name]):
                    raise DamagedDatasetError(f"{path}: dataset {name!r} lacks the Fletcher-32 checksums schema 2 "
                                              'requires (damaged shard?)')
            self.size = (index['height'], index['width'])

    def poses(self, i):
        """Rotation shards: ``orientation`` (F, 4), ``homography`` (F, 3, 3) and ``trajectory``
        (n, 4), every sub-frame's (w, x, y, z) with the zero padding removed (None in shards written
        before blurkit stored it); an empty dict for other kinds."""
        f = self.blurred.file
        if 'orientation' not in f:
            return {}
        out = {'orientation': f['orientation'][i], 'homography': f['homography'][i], 'trajectory': None}
        if 'trajectory' in f:
            rows = f['trajectory'][i]
            used = np.flatnonzero(np.any(rows != 0, axis=1))
            out['trajectory'] = rows[:used[-1] + 1] if used.size else rows[:0]
        return out

    def extras(self, i):
        """``params`` (the sample's drawn values, a dict; absent where the shard has none) and
        ``raw`` (H, W) uint16, the camera pipeline's Bayer mosaic (where the dataset stores it)."""
        f = self.blurred.file
        out = {}
        if 'sample_params' in f:
            text = f['sample_params'].asstr()[i]
            if text:
                out['params'] = json.loads(text)
        if 'raw' in f:
            try:
                out['raw'] = f['raw'][i]
            except OSError as e:
                raise DamagedDatasetError(f'{self.path}: sample {self.ids[i]!r}: cannot read its raw mosaic: '
                                          f'checksum error or damaged shard ({e})') from None
        if 'event_offsets' in f:
            a, b = int(self.event_offsets[i]), int(self.event_offsets[i + 1])
            try:
                out['events'] = {'x': f['event_x'][a:b], 'y': f['event_y'][a:b], 't': f['event_t'][a:b],
                                 'p': f['event_p'][a:b], 'thresholds': f['event_thresholds'][i],
                                 'exposure': f['event_exposure'][i]}
            except OSError as e:
                raise DamagedDatasetError(f'{self.path}: sample {self.ids[i]!r}: cannot read its events: '
                                          f'checksum error or damaged shard ({e})') from None
            ev = out['events']
            if (ev['x'].size and (int(ev['x'].max()) >= self.size[1] or int(ev['y'].max()) >= self.size[0])) \
                    or not np.all(np.abs(ev['p']) == 1):
                raise DamagedDatasetError(f'{self.path}: sample {self.ids[i]!r}: events outside the '
                                          f'{self.size[1]}x{self.size[0]} image or of polarity other than +1/-1')
        return out

    def read(self, i):
        try:
            return self.blurred[i], self.sharp[i]
        except OSError as e:
            raise DamagedDatasetError(
                f'{self.path}: sample {self.ids[i]!r} (index {int(self.indices[i])}): cannot read its pixels: '
                f'{"checksum error or damaged shard" if self.schema_version >= 2 else "damaged shard?"} '
                f'({e})') from None


def _to_float(image):
    """uint8 (any strides) to contiguous float32 in [0, 1], in one pass."""
    out = np.empty(image.shape, np.float32)
    np.divide(image, np.float32(255), out=out)
    return out


class _Reader:
    """Random access to the samples of a dataset; shards open on first use, once per process."""

    def __init__(self, path):
        self.path = os.fspath(path)
        self.index = read_index(self.path)
        self.starts = [s['first_sample'] for s in self.index['shards']]
        self._shards = {}
        self._pid = os.getpid()

    def __len__(self):
        return self.index['num_samples']

    def shard_of(self, i):
        if not isinstance(i, (int, np.integer)) or not 0 <= i < len(self):
            raise IndexError(f'{self.path}: sample index {i} out of range [0, {len(self)})')
        k = bisect.bisect_right(self.starts, i) - 1
        if os.getpid() != self._pid:
            # A forked DataLoader worker: HDF5 handles opened by the parent are not safe to share,
            # so each process opens its own (the parent's are dropped here, not closed).
            self._shards, self._pid = {}, os.getpid()
        if k not in self._shards:
            entry = self.index['shards'][k]
            self._shards[k] = _Shard(os.path.join(self.path, entry['file']), entry, self.index)
        return self._shards[k], i - self.starts[k]

    def __getstate__(self):
        state = dict(self.__dict__)
        state['_shards'] = {}
        return state


def open_sample(path, i):
    """One sample of a dataset, as stored, for quick looks.

    Parameters
    ----------
    path : str or os.PathLike
        The dataset folder.
    i : int
        Sample index, 0 <= i < ``num_samples``.

    Returns
    -------
    dict
        ``blurred`` (H, W, 3) and ``sharp`` (F, H, W, 3), uint8 RGB in time order; ``sample_id``,
        ``blur_magnitude`` and ``index``; for rotational blur also ``orientation`` (F, 4),
        ``homography`` (F, 3, 3) and ``trajectory`` (n, 4): every sub-frame's world_from_cam
        quaternion (w, x, y, z) in time order, the whole camera path (None for shards written before
        it was stored); where the dataset has them, ``params`` (the sample's drawn values: the camera
        pipeline's gains, noise levels, JPEG quality), ``raw`` (H, W) uint16, the noisy Bayer
        mosaic (docs/synth.md, "The camera"), and ``events``: a dict of ``x``, ``y`` (uint16), ``t``
        (int64, ns from the exposure start), ``p`` (int8, +1/-1) in time order, ``thresholds``
        (2, H, W) float32 (C+ and C-) and ``exposure`` (start, end) in ns (docs/synth.md, "Events").
    """
    reader = _Reader(path)
    shard, j = reader.shard_of(i)
    blurred, sharp = shard.read(j)
    out = {'blurred': blurred, 'sharp': sharp, 'sample_id': shard.ids[j],
           'blur_magnitude': float(shard.magnitudes[j]), 'index': i}
    out.update(shard.poses(j))
    out.update(shard.extras(j))
    return out


class ShardDataset(_DatasetBase):
    """A blurkit dataset as a PyTorch ``Dataset`` (random access by sample index).

    Shard files are opened lazily in the process that reads them, so the dataset is safe with
    ``DataLoader(num_workers > 0)``: a worker never uses an HDF5 handle opened before it was forked.

    Augmentation follows one random stream per (seed, epoch, sample index), so a sample's crop and
    flips do not depend on the worker that reads it or on the batch it lands in. The same crop,
    flips and time reversal apply to the blurred image and to every frame. Call
    :meth:`set_epoch` before each epoch, as with ``DistributedSampler``. Workers receive a copy of
    the dataset when an epoch's iterator starts, so keep ``persistent_workers=False``.

    Parameters
    ----------
    path : str or os.PathLike
        The dataset folder (``index.json`` and shards).
    crop : int or (int, int), optional
        Random square crop of this size, or (height, width); None keeps whole images.
    flips : bool
        Random horizontal and vertical flips, each with probability 1/2.
    time_reversal : bool
        Reverse the frame order with probability 1/2 (a blurred image is the same played backwards).
    frames : sequence of int, optional
        Which of the F stored frames to return, in time order (e.g. ``(0, F // 2, F - 1)``); None
        returns all. Time reversal applies after the selection.
    seed : int
        Seed of the augmentation streams.
    voxel_bins : int
        Datasets made with ``--events``: also return ``voxel``, the sample's events as a voxel grid
        of this many time bins (:func:`voxel_grid`), cropped and flipped with the images; time
        reversal reverses its bins and negates it (a path played backwards mirrors every event's
        time and flips its polarity). 0: no events.

    Returns (from ``__getitem__``)
    ------------------------------
    dict
        ``blurred`` (3, h, w) and ``sharp`` (F', 3, h, w), float32 in [0, 1], as torch tensors
        (numpy arrays where torch is absent); ``sample_id`` (str), ``blur_magnitude`` (float),
        ``index`` (int) and ``transform`` (``top``, ``left``, ``flip_h``, ``flip_v``, ``reversed``).
    """

    def __init__(self, path, crop=None, flips=False, time_reversal=False, frames=None, seed=0, voxel_bins=0):
        self._reader = _Reader(path)
        index = self._reader.index
        self.path = self._reader.path
        self.voxel_bins = int(voxel_bins)
        if self.voxel_bins and not index.get('events'):
            raise ValueError(f'{self.path}: voxel_bins needs a dataset made with --events; this one has none')
        self.height, self.width, self.num_frames = index['height'], index['width'], index['frames']
        if crop is None:
            self.crop = (self.height, self.width)
        else:
            self.crop = (crop, crop) if isinstance(crop, (int, np.integer)) else tuple(crop)
        if not (0 < self.crop[0] <= self.height and 0 < self.crop[1] <= self.width):
            raise ValueError(f'{self.path}: crop {self.crop} does not fit its {self.height}x{self.width} '
                             '(height x width) images')
        self.frames = None if frames is None else [int(j) for j in frames]
        if self.frames is not None and not all(0 <= j < self.num_frames for j in self.frames):
            raise ValueError(f'{self.path}: frames {self.frames} outside 0..{self.num_frames - 1}')
        self.flips, self.time_reversal, self.seed, self.epoch = flips, time_reversal, seed, 0

    @property
    def index(self):
        """The dataset's ``index.json`` (see :func:`read_index`)."""
        return self._reader.index

    def set_epoch(self, epoch):
        """Selects the augmentation streams of `epoch`."""
        self.epoch = int(epoch)

    def __len__(self):
        return len(self._reader)

    def __getitem__(self, i):
        i = int(i) if isinstance(i, (np.integer, )) else i
        shard, j = self._reader.shard_of(i)
        blurred, sharp = shard.read(j)
        # Every draw is made whatever the options, so that each option's stream stays the same.
        rng = np.random.default_rng([self.seed, self.epoch, i])
        h, w = self.crop
        top = int(rng.integers(0, self.height - h + 1))
        left = int(rng.integers(0, self.width - w + 1))
        flip_h, flip_v, reverse = (bool(rng.integers(2)) for _ in range(3))
        flip_h, flip_v = flip_h and self.flips, flip_v and self.flips
        reverse = reverse and self.time_reversal
        if self.frames is not None:
            sharp = sharp[self.frames]
        if reverse:
            sharp = sharp[::-1]
        rows = slice(top + h - 1, top - 1 if top > 0 else None, -1) if flip_v else slice(top, top + h)
        cols = slice(left + w - 1, left - 1 if left > 0 else None, -1) if flip_h else slice(left, left + w)
        blurred = _to_float(blurred[rows, cols].transpose(2, 0, 1))
        sharp = _to_float(sharp[:, rows, cols].transpose(0, 3, 1, 2))
        out = {'blurred': blurred, 'sharp': sharp, 'sample_id': shard.ids[j],
               'blur_magnitude': float(shard.magnitudes[j]), 'index': i,
               'transform': {'top': top, 'left': left, 'flip_h': flip_h, 'flip_v': flip_v, 'reversed': reverse}}
        if self.voxel_bins:
            voxel = voxel_grid(shard.extras(j)['events'], self.voxel_bins, self.height, self.width)
            if reverse:
                voxel = -voxel[::-1]
            out['voxel'] = np.ascontiguousarray(voxel[:, rows, cols], np.float32)
        if torch is not None:
            for key in ('blurred', 'sharp', 'voxel'):
                if key in out:
                    out[key] = torch.from_numpy(out[key])
        return out


def voxel_grid(events, bins, height, width, t_start=None, t_end=None):
    """The events as a voxel grid of `bins` time bins (B, H, W) float32: each event adds its
    polarity to the two bins nearest its normalised time t* = (B - 1)(t - t_start)/(t_end - t_start),
    weighted 1 - |t* - b| (bilinear in time: event_utils' events_to_voxel, the representation
    EFNet's loaders feed the network). `events` is open_sample's ``events``; t_start and t_end
    default to its exposure, so that a bin is a fixed share of it whatever the events; event_utils
    normalises by the first and last event's times instead: pass t_start=events['t'][0] and
    t_end=events['t'][-1] for its grids exactly."""
    if bins < 1:
        raise ValueError(f'voxel_grid: bins must be at least 1, got {bins}')
    exposure = events.get('exposure', (0, 0))
    t0 = int(exposure[0]) if t_start is None else t_start
    t1 = int(exposure[1]) if t_end is None else t_end
    grid = np.zeros((bins, height, width), np.float64)
    t = np.asarray(events['t'], np.float64)
    if t.size == 0:
        return grid.astype(np.float32)
    x = np.asarray(events['x'], np.int64)
    y = np.asarray(events['y'], np.int64)
    p = np.asarray(events['p'], np.float64)
    ts = (bins - 1) * (t - t0) / max(t1 - t0, 1) if bins > 1 else np.zeros_like(t)
    lower = np.floor(ts).astype(np.int64)
    for b, w in ((lower, 1.0 - (ts - lower)), (lower + 1, ts - lower)):
        keep = (b >= 0) & (b < bins) & (w > 0)
        np.add.at(grid, (b[keep], y[keep], x[keep]), p[keep] * w[keep])
    return grid.astype(np.float32)
