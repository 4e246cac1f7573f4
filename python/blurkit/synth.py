"""blurkit's renderers in Python: fresh blur inside a PyTorch DataLoader, equal to the CLI's shards.

    from blurkit.synth import Rotation, RotationDataset
    r = Rotation(sources=['data/samples/panoramas'], samples=1000, frames=7, size=256, seed=3)
    s = r.sample(17)   # == blurkit.open_sample(<blurkit-synth panorama ... --seed 3 --out D>, 17)

    data = RotationDataset(sources=['data/samples/panoramas'], samples=10000, trajectory='shake')
    for epoch in range(epochs):
        data.set_epoch(epoch)   # new blur every epoch, reproducibly
        for batch in DataLoader(data, batch_size=8, num_workers=2, shuffle=True): ...

Keyword options are `blurkit-synth panorama|photos|video`'s flags with dashes written as underscores
(``max_angle=8``, ``frames_per_degree=0``): the compiled module parses them with the tool's own parser,
so the defaults, the manifest parameters, the checks and the error messages are the tool's. The
compiled module (``blurkit._synth``) is installed beside this package by ``cmake --install`` and the
Debian package (docs/install.md); ``scripts/setup.sh`` builds it into ``build/python/``, where a
source checkout finds it; elsewhere set ``BLURKIT_PYTHON_MODULES`` to the folder holding it.
"""
import importlib.machinery
import importlib.util
import json
import multiprocessing
import multiprocessing.context
import os

import numpy as np

from ._tools import cli_flags

try:
    import torch
    from torch.utils.data import Dataset as _DatasetBase
except ImportError:  # numpy arrays without torch
    torch = None
    _DatasetBase = object

_native = None

# Flags of the CLI that concern writing a dataset, which a renderer does not do.
_WRITE_ONLY = ('out', 'shard_size', 'shard_index', 'num_shards', 'compression', 'overwrite', 'quiet', 'help')


def _module():
    """The compiled module: installed beside this package, else $BLURKIT_PYTHON_MODULES, else the
    source checkout's build/python/."""
    global _native
    if _native is not None:
        return _native
    try:
        from . import _synth as module  # installed next to the package
    except ImportError:
        here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        folders = [os.environ.get('BLURKIT_PYTHON_MODULES'), os.path.join(here, 'build', 'python')]
        suffixes = importlib.machinery.EXTENSION_SUFFIXES
        found = [os.path.join(d, '_synth' + s) for d in folders if d for s in suffixes
                 if os.path.exists(os.path.join(d, '_synth' + s))]
        if not found:
            raise ImportError('blurkit.synth needs its compiled module _synth (for this Python: '
                              f'{suffixes[0]}), which cmake --install puts beside the package and '
                              'scripts/setup.sh builds into build/python/; '
                              f'looked in {[d for d in folders if d]} (set BLURKIT_PYTHON_MODULES to its '
                              'folder)') from None
        loader = importlib.machinery.ExtensionFileLoader('blurkit._synth', found[0])
        spec = importlib.util.spec_from_file_location('blurkit._synth', found[0], loader=loader)
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    _native = module
    # oneTBB's worker threads do not survive fork(): end them before every fork, so that a forked
    # DataLoader worker starts a pool of its own instead of waiting for the parent's threads.
    os.register_at_fork(before=_release_threads)
    return module


def _release_threads():
    if _native is not None:
        _native.release_threads()


def epoch_seed(seed, epoch):
    """The seed of epoch `epoch` of a dataset made with `seed`: `seed` itself for epoch 0, then a
    SplitMix64 mix of both (63 bits), so that the epochs of different seeds practically never
    coincide. Epoch e's samples are those of ``blurkit-synth ... --seed epoch_seed(seed, e)``."""
    seed, epoch = int(seed), int(epoch)
    if epoch == 0:
        return seed
    mask = (1 << 64) - 1

    def splitmix(x):
        x = (x + 0x9E3779B97F4A7C15) & mask
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & mask
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & mask
        return x ^ (x >> 31)

    return splitmix(seed ^ splitmix(epoch)) >> 1  # < 2**63: any tool and JSON reader takes it


class _Renderer:
    """A renderer of one kind (panorama, photos, video), built lazily in each process that uses it,
    so that a DataLoader worker never uses one built before it was forked, and picklable (spawn)."""

    def __init__(self, kind, sources, options):
        options = dict(options)
        for key in _WRITE_ONLY:
            if key in options:
                raise ValueError(f'{key}: blurkit.synth renders samples and writes no dataset; '
                                 f'use blurkit-synth {kind} to write shards')
        if 'input' in options:
            raise ValueError("give the sources as sources=[...] (blurkit-synth's --input)")
        self.threads = int(options.pop('threads', 1))
        self.cache = int(options.pop('cache', 0) or 0)
        self.kind = kind
        if isinstance(sources, (str, os.PathLike)):
            sources = [sources]
        self.args = []
        for source in sources or []:
            self.args += ['--input', os.fspath(source)]
        self.args += cli_flags(options)
        self._pid, self._native = None, None
        self.native()  # bad options fail here, in the caller's process

    def native(self):
        if self._pid != os.getpid():
            if self._native is not None:
                # Built before this process was forked: its video decoders' threads live in the
                # parent, so closing them here would wait for ever. Leave it, unclosed.
                self._native.abandon()
            self._native = _module().Renderer(self.kind, self.args, self.threads, self.cache)
            self._pid = os.getpid()
        return self._native

    def __getstate__(self):
        return {'kind': self.kind, 'args': self.args, 'threads': self.threads, 'cache': self.cache}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._pid, self._native = None, None


class _Synth:
    """What Rotation and Video share: length, spec, sample(i)."""

    def __init__(self, kind, sources, options):
        self._renderer = _Renderer(kind, sources, options)
        native = self._renderer.native()
        self.kind = kind
        self.height, self.width, self.num_frames = native.height, native.width, native.frames
        self.seed = native.seed
        self.spec = json.loads(native.spec_json)

    @property
    def params(self):
        """The generation parameters, as the CLI records them in every shard's index."""
        return self.spec['params']

    def __len__(self):
        return len(self._renderer.native())

    def _planar(self, index, seed, frames, as_uint8=False):
        """sample() with ``blurred`` (3, H, W) and ``sharp`` (len(frames), 3, H, W), float32 in [0, 1]
        or uint8, the frames in the order of `frames`, converted without the GIL (for the Datasets)."""
        return self._renderer.native().sample(int(index), int(seed), list(frames), bool(as_uint8))

    def sample(self, index, seed=None):
        """Sample `index` (0 <= index < len), made with `seed` (default: the options' seed).

        Returns a dict in :func:`blurkit.open_sample`'s layout: ``blurred`` (H, W, 3) and ``sharp``
        (F, H, W, 3) uint8 RGB in time order, ``sample_id``, ``blur_magnitude``, ``index``; rotational
        blur adds ``orientation`` (F, 4), ``homography`` (F, 3, 3) and ``trajectory`` (n, 4), video
        adds ``source_frames`` (F,); and ``seed``, ``source_file``, ``source_sha256``; with a camera
        pipeline (``camera_pipeline='rsblur'``, ...), ``params`` (its drawn values) and, with
        ``store_raw=True``, ``raw`` (H, W) uint16."""
        index = int(index)
        if not 0 <= index < len(self):
            raise IndexError(f'sample {index} outside 0..{len(self) - 1}')
        return self._renderer.native().sample(index, None if seed is None else int(seed))


class Rotation(_Synth):
    """Rotational blur, as ``blurkit-synth panorama`` (or ``photos`` with ``photos=True``).

    Parameters
    ----------
    sources : path or list of paths
        Panoramas (or photos): files or folders, as ``--input``; or leave out and give ``manifest``
        and ``split``.
    samples : int
        The dataset's length N. Sample i renders source floor(i P / N), as the CLI's.
    photos : bool
        Perspective photographs (K R K^-1) instead of equirectangular panoramas.
    threads : int
        Threads one sample's rendering may use (1, the default, suits DataLoader workers; 0 = all).
        A limit for the whole process while a sample renders (TBB's global control).
    cache : int
        Decoded sources kept per process (0: the CLI's 3). Shuffled access over many sources
        decodes a source for nearly every sample; ``RotationDataset.sampler()`` keeps the shuffle
        but groups the samples of a source, or raise this where memory allows.
    **options
        Any other flag of the command: ``frames=7``, ``size=256`` (or ``'320x240'``), ``fov``,
        ``max_angle``, ``trajectory='slerp' | 'shake' | 'gyro'``, ``gyro=PATH``, ``exposure_time``,
        ``seed``, ``manifest``, ``split``, ``noise_poisson``, ... (``help('panorama')`` lists them).
    """

    def __init__(self, sources=None, samples=None, photos=False, **options):
        if samples is not None:
            options['samples'] = samples
        super().__init__('photos' if photos else 'panorama', sources, options)


class Video(_Synth):
    """Dynamic blur, as ``blurkit-synth video``: windows of high-speed frames averaged in linear light.

    The length is the number of windows (times ``crops_per_window``) of the clips, as the CLI's.
    ``sources``: video files, frame folders or GoPro-style folders (``--input``); other options:
    ``window``, ``stride``, ``frames``, ``crop``, ``crops_per_window``, ``clip_range``, ``response``,
    ``seed``, ... (``help('video')``)."""

    def __init__(self, sources=None, **options):
        super().__init__('video', sources, options)


def help(kind='panorama'):  # noqa: A001 (the CLI's word)
    """The options of ``blurkit-synth KIND --help`` (panorama, photos or video)."""
    return _module().help(kind)


class _EpochDataset(_DatasetBase):
    """A torch Dataset that renders sample i of epoch e with seed ``epoch_seed(seed, e)``.

    The epoch lives in shared memory, so :meth:`set_epoch` reaches DataLoader workers that already
    run (``persistent_workers=True``), under fork and spawn alike. Each worker process builds its
    own renderer on first use (resolving and checking the sources again) and keeps its decoded
    sources or video windows (``cache``)."""

    def __init__(self, synth, length, epoch_seeds, keep_frames, time_reversal, dtype):
        self.synth = synth
        self.length = len(synth) if length is None else int(length)
        if not 0 < self.length <= len(synth):
            raise ValueError(f'length {self.length} outside 1..{len(synth)}')
        self.epoch_seeds, self.time_reversal = bool(epoch_seeds), bool(time_reversal)
        if dtype not in ('float32', 'uint8'):
            raise ValueError(f"dtype must be 'float32' or 'uint8', got {dtype!r}")
        self.dtype = dtype
        self.keep_frames = None if keep_frames is None else [int(j) for j in keep_frames]
        if self.keep_frames is not None and not all(0 <= j < synth.num_frames for j in self.keep_frames):
            raise ValueError(f'keep_frames {self.keep_frames} outside 0..{synth.num_frames - 1}')
        self._epoch = multiprocessing.Value('q', 0, lock=False)

    @property
    def epoch(self):
        return int(self._epoch.value)

    def set_epoch(self, epoch):
        """Draws epoch `epoch`'s samples from now on (call before iterating the epoch)."""
        self._epoch.value = int(epoch)

    def __len__(self):
        return self.length

    def __getstate__(self):
        state = dict(self.__dict__)
        if multiprocessing.context.get_spawning_popen() is None:  # a copy, not a worker: detach
            state['_epoch'] = int(self._epoch.value)
        return state

    def __setstate__(self, state):
        if isinstance(state['_epoch'], int):
            state['_epoch'] = multiprocessing.Value('q', state['_epoch'], lock=False)
        self.__dict__.update(state)

    def __getitem__(self, i):
        i = int(i)
        if not 0 <= i < self.length:
            raise IndexError(f'sample {i} outside 0..{self.length - 1}')
        epoch = self.epoch
        seed = epoch_seed(self.synth.seed, epoch) if self.epoch_seeds else self.synth.seed
        frames = list(range(self.synth.num_frames)) if self.keep_frames is None else self.keep_frames
        reverse = False
        if self.time_reversal:
            reverse = bool(np.random.default_rng([seed, i]).integers(2))
            if reverse:
                frames = frames[::-1]
        s = self.synth._planar(i, seed, frames, self.dtype == 'uint8')
        out = {'blurred': s['blurred'], 'sharp': s['sharp'], 'sample_id': s['sample_id'],
               'blur_magnitude': s['blur_magnitude'], 'index': i, 'epoch': epoch, 'reversed': reverse}
        if 'orientation' in s:
            out['orientation'] = s['orientation'][::-1].copy() if reverse else s['orientation']
        if 'raw' in s:
            out['raw'] = s['raw']
        if torch is not None:
            out = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in out.items()}
        return out


class SourceGroupedSampler:
    """A shuffled order of a RotationDataset's samples that keeps each source's samples together:
    the sources in a random order, each source's samples in a random order, new every epoch (the
    dataset's ``epoch`` when iteration starts), so that DataLoader workers decode each source once
    per epoch instead of once per sample. Use it as ``DataLoader(data, sampler=data.sampler())``."""

    def __init__(self, dataset, seed=0):
        self.dataset, self.seed = dataset, int(seed)

    def __len__(self):
        return len(self.dataset)

    def __iter__(self):
        n, length = len(self.dataset.synth), len(self.dataset)
        sources = len(self.dataset.synth.params['sources'])
        rng = np.random.default_rng([self.seed, self.dataset.epoch])
        source_of = (np.arange(length, dtype=np.int64) * sources) // n  # as the renderer picks them
        order = []
        for s in rng.permutation(sources):
            members = np.flatnonzero(source_of == s)
            order.extend(int(i) for i in rng.permutation(members))
        return iter(order)


class RotationDataset(_EpochDataset):
    """:class:`Rotation` as a PyTorch ``Dataset`` of fresh samples: each epoch draws new paths,
    starts and noise, reproducibly (epoch e = ``--seed epoch_seed(seed, e)``).

    Items are :class:`blurkit.ShardDataset`'s: ``blurred`` (3, H, W) and ``sharp`` (F', 3, H, W)
    float32 in [0, 1] (or uint8: ``dtype``; torch tensors, numpy without torch), ``sample_id``, ``blur_magnitude``,
    ``index``, ``epoch``, ``reversed`` and ``orientation`` (F, 4).

    Parameters
    ----------
    length : int
        Samples per epoch: the CLI's N (``samples``) when that is not given. A length below
        ``samples`` takes the first samples, which come from the first sources.
    epoch_seeds : bool
        New samples every epoch (True) or the same ones (False).
    keep_frames : sequence of int, optional
        Which of the F frames (``frames``, the CLI's) to return, in time order (e.g. ``(0, F // 2, F - 1)``).
    time_reversal : bool
        Reverse the frames with probability 1/2 (a blurred image is the same played backwards).
    dtype : 'float32' or 'uint8'
        float32 in [0, 1] (default), or the bytes, (3, H, W) alike: a quarter of the data through the
        DataLoader's shared memory, for converting on the GPU (``x.float() / 255`` gives the float32
        items exactly). See docs/python.md for what each costs.
    **options
        :class:`Rotation`'s.
    """

    def __init__(self, length=None, epoch_seeds=True, keep_frames=None, time_reversal=False, dtype='float32',
                 **options):
        if length is not None and options.get('samples') is None:
            options['samples'] = length
        super().__init__(Rotation(**options), length, epoch_seeds, keep_frames, time_reversal, dtype)

    def sampler(self, seed=0):
        """A :class:`SourceGroupedSampler`: shuffled, each source's samples together."""
        return SourceGroupedSampler(self, seed)


class VideoDataset(_EpochDataset):
    """:class:`Video` as a PyTorch ``Dataset``: each epoch draws new crops and noise (the windows
    are the clips'). Items and parameters as :class:`RotationDataset`'s, without ``orientation``."""

    def __init__(self, length=None, epoch_seeds=True, keep_frames=None, time_reversal=False, dtype='float32',
                 **options):
        super().__init__(Video(**options), length, epoch_seeds, keep_frames, time_reversal, dtype)
