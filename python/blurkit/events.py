"""Export of a blurkit dataset's events (``blurkit-synth panorama/photos --events``) to the files that
event-based deblurring code reads.

- ``h5``: one HDF5 file per sample in the layout of event_utils' packager (TimoStoff/event_utils,
  ``hdf5_packager``), which EFNet's and REFID's BasicSR loaders read: ``events/xs``, ``events/ys``
  (int16), ``events/ts`` (float64, seconds from the exposure start), ``events/ps`` (bool, True = +1);
  ``images/image000000000`` the blurred image and ``sharp_images/image%09d`` the sharp frames
  (uint8 RGB), each with the attributes ``timestamp`` (seconds), ``event_idx`` (the number of events
  before it) and ``size``; root attributes ``num_events``, ``num_pos``, ``num_neg``, ``duration``,
  ``t0``, ``tk``, ``num_imgs``, ``sensor_resolution`` (H, W), and blurkit's ``exposure_start`` and
  ``exposure_end`` (the blurred image's exposure, seconds).
- ``npz``: one ``.npz`` per sample with ``x``, ``y`` (int16), ``timestamp`` (float64, seconds from the
  exposure start) and ``polarity`` (int8, +1/-1), the key names of HighREV's and EVDI's event files
  (the images themselves: ``blurkit-synth shards export``, docs/export.md).

usage: python3 -m blurkit.events DATASET OUT [--format h5|npz]
"""
import argparse
import os
import sys

import numpy as np

from .shards import open_sample, read_index


class EventExportError(Exception):
    pass


def _sample_times(sample):
    """The blurred image's exposure and the sharp frames' times, seconds from the exposure start."""
    start, end = (int(v) for v in sample['events']['exposure'])
    f = len(sample['sharp'])
    frames = [start + (end - start) * j / (f - 1) for j in range(f)]
    return start * 1e-9, end * 1e-9, [t * 1e-9 for t in frames]


def export_events(dataset, out, fmt='h5'):
    """Writes every sample's events to `out` (a folder) as ``<sample_id>.h5`` or ``.npz``; returns
    the paths written."""
    index = read_index(dataset)
    if not index.get('events'):
        raise EventExportError(f'{dataset}: the dataset holds no events (made without --events)')
    if fmt not in ('h5', 'npz'):
        raise EventExportError(f"--format must be h5 or npz, got '{fmt}'")
    if max(index['width'], index['height']) > 32767:
        raise EventExportError(f"{dataset}: {index['width']}x{index['height']} images; the exported formats store "
                               'coordinates as int16 (at most 32767)')
    os.makedirs(out, exist_ok=True)
    written = []
    for i in range(index['num_samples']):
        s = open_sample(dataset, i)
        ev = s['events']
        start, end, frames = _sample_times(s)
        ts = (ev['t'].astype(np.float64) - int(ev['exposure'][0])) * 1e-9
        path = os.path.join(out, f"{s['sample_id']}.{fmt}")
        if fmt == 'npz':
            np.savez(path, x=ev['x'].astype(np.int16), y=ev['y'].astype(np.int16), timestamp=ts,
                     polarity=ev['p'].astype(np.int8))
        else:
            import h5py
            with h5py.File(path, 'w') as f:
                f.create_dataset('events/xs', data=ev['x'].astype(np.int16))
                f.create_dataset('events/ys', data=ev['y'].astype(np.int16))
                f.create_dataset('events/ts', data=ts)
                f.create_dataset('events/ps', data=ev['p'] > 0)
                h, w = s['blurred'].shape[:2]

                def image(name, pixels, t):
                    d = f.create_dataset(name, data=pixels)
                    d.attrs['size'] = pixels.shape
                    d.attrs['timestamp'] = t
                    d.attrs['type'] = 'image'
                    d.attrs['event_idx'] = int(np.searchsorted(ts, t, side='right'))
                image('images/image000000000', s['blurred'], 0.5 * (start + end))
                for j, (pixels, t) in enumerate(zip(s['sharp'], frames)):
                    image(f'sharp_images/image{j:09d}', pixels, t)
                f.attrs['num_events'] = len(ts)
                f.attrs['num_pos'] = int((ev['p'] > 0).sum())
                f.attrs['num_neg'] = int((ev['p'] < 0).sum())
                f.attrs['t0'] = start
                f.attrs['tk'] = end
                f.attrs['duration'] = end - start
                f.attrs['num_imgs'] = 1
                f.attrs['sensor_resolution'] = (h, w)
                f.attrs['exposure_start'] = start
                f.attrs['exposure_end'] = end
        written.append(path)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python3 -m blurkit.events',
                                     description="Exports a blurkit dataset's events (event_utils/EFNet "
                                                 "HDF5 or HighREV/EVDI-style .npz), one file per sample.")
    parser.add_argument('dataset')
    parser.add_argument('out')
    parser.add_argument('--format', default='h5', choices=('h5', 'npz'))
    args = parser.parse_args(argv)
    try:
        paths = export_events(args.dataset, args.out, args.format)
    except (EventExportError, OSError) as e:
        print(f'blurkit.events: {e}', file=sys.stderr)
        return 1
    print(f'{len(paths)} files in {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
