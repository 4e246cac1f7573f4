"""blurkit from Python: its shard datasets as a PyTorch Dataset, prediction datasets, scoring.

    import blurkit
    data = blurkit.ShardDataset('runs/demo/panorama_train', crop=64, flips=True, time_reversal=True)
    blurkit.write_predictions('runs/pred/mine', ids, frames, method='mine')
    blurkit.score('runs/demo/panorama_test', 'runs/pred/mine', 'runs/score/mine')['methods']['mine']
    blurkit.export('runs/demo/panorama_train', 'runs/basicsr', 'basicsr-lmdb', crop=64, crop_step=32)

numpy and h5py are required; torch is optional (ShardDataset then returns numpy arrays).
``import blurkit.synth`` renders blur on the fly (RotationDataset, VideoDataset), equal to blurkit-synth's
shards; it needs the compiled module scripts/setup.sh builds (docs/python.md).
"""
from .bench import BenchError, score
from .export import ExportError, export
from .predictions import write_predictions
from .shards import DamagedDatasetError, ShardDataset, metadata_sha256, open_sample, read_index, voxel_grid

__all__ = ['ShardDataset', 'read_index', 'open_sample', 'write_predictions', 'score', 'export', 'metadata_sha256',
           'DamagedDatasetError', 'BenchError', 'ExportError', 'voxel_grid']
__version__ = '0.1.0'
