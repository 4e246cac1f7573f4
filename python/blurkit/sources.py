"""Turning the media that public packages ship into sources blurkit-synth reads.

scripts/fetch_samples.py uses these to build the sample data (data_manifests/samples.json); they
work on a user's own files as well:

- ``decode_data_uri_module``: the bytes inside a JavaScript module ``export default 'data:...;base64,...'``
  (how npm's ``@pmndrs/assets`` ships its Poly Haven HDRIs).
- ``repair_dwab``: removes what lossy DWA(B) OpenEXR compression leaves around very bright
  sources (the sun, lamps): negative lobes and blocks where one channel carries thousands and the
  others nothing. Left alone they become black or coloured dots once the image is exposed and clipped.
- ``cubemap_to_equirect``: six cube faces (OpenGL convention, as WebGL viewers use them) to an
  equirectangular panorama in blurkit's convention (row 0 looks straight up, the centre column
  looks along the +z face, longitude grows to the right).
- ``stereo_top``: the top eye of a top/bottom stereo panorama.
- ``riff_webp_chunks``: the WebP images stored uncompressed in a Qt resource bundle (.rcc).

Only correctly rounded arithmetic (+, -, *, /, sqrt) touches pixel positions, and the per-row and
per-column angles come from Python's scalar math library, so a conversion gives the same bytes on
any x86-64 machine; fetch_samples checks the sha256 of each output.
"""
import base64
import math
import re

import numpy as np

__all__ = ['decode_data_uri_module', 'repair_dwab', 'damage_mask', 'cubemap_to_equirect',
           'equirect_directions', 'stereo_top', 'riff_webp_chunks', 'FACES']

FACES = ('posx', 'negx', 'posy', 'negy', 'posz', 'negz')


def decode_data_uri_module(text):
    """The bytes of the base64 data URI in a module like ``export default 'data:...;base64,XXXX'``."""
    match = re.search(r"data:[^;,'\"]*;base64,([A-Za-z0-9+/=\s]+)", text)
    if not match:
        raise ValueError('no base64 data URI found (expected "data:<type>;base64,...")')
    return base64.b64decode(re.sub(r'\s', '', match.group(1)), validate=True)


def damage_mask(img, chroma_ratio=20.0, level=None, negative=None, reach=4):
    """Pixels DWA compression damaged next to a bright source. `level` defaults to 100 times the
    image's median brightest channel, `negative` to a tenth of that median:
    - a channel below -`negative` within `reach` pixels of a channel above `level`: the negative
      lobes of ringing around the sun or a lamp (negatives elsewhere are quantisation noise in dark
      areas; repair_dwab only clips them to zero);
    - one channel above `level` and more than `chroma_ratio` times the smallest (plus 1% of
      `level`): the blocks where one channel carries a lamp's energy and the others are zero. Real
      light that bright keeps energy in every channel; dimmer saturated colours (an orange railing
      in the sun) are not touched."""
    img = np.asarray(img, dtype=np.float32)
    lo = img.min(axis=2)
    hi = img.max(axis=2)
    median = max(float(np.median(hi)), 1e-6)
    level = 100.0 * median if level is None else level
    negative = 0.1 * median if negative is None else negative
    bright = hi > level
    near = np.zeros_like(bright)
    h, w = bright.shape
    ys, xs = np.nonzero(bright)
    for y, x in zip(ys, xs):
        near[max(0, y - reach):y + reach + 1, max(0, x - reach):x + reach + 1] = True
    return ((lo < -negative) & near) | (bright & (hi > chroma_ratio * (np.maximum(lo, 0) + 0.01 * level)))


def _box3(a):
    """3x3 sum with zero padding (the mask's dilation and the fill's neighbourhoods)."""
    p = np.pad(a, [(1, 1), (1, 1)] + [(0, 0)] * (a.ndim - 2))
    out = np.zeros_like(a)
    for dy in range(3):
        for dx in range(3):
            out = out + p[dy:dy + a.shape[0], dx:dx + a.shape[1]]
    return out


def repair_dwab(img, chroma_ratio=20.0, level=None, negative=None):
    """Returns (repaired float32 image, mask of the pixels replaced).

    The damaged pixels (``damage_mask``, grown by one pixel to take the ringing's positive lobes
    next to them) are filled from their undamaged neighbours, ring by ring from the outside in
    (the mean of the filled 8-neighbours, as inpainting by diffusion does), so a sun keeps the
    brightness and colour of its undamaged rim instead of black or coloured dots. Pixels outside
    the mask keep their values, clipped at zero. Horizontal neighbours wrap around (the panorama's seam)."""
    img = np.asarray(img, dtype=np.float32)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'expected an HxWx3 image, got shape {img.shape}')
    bad = damage_mask(img, chroma_ratio, level, negative)
    mask = _box3(bad.astype(np.int32)) > 0
    out = np.maximum(img, 0)
    known = ~mask
    out[mask] = 0
    while not known.all():
        # Wrap horizontally: extend by one column each side before the 3x3 sums.
        k = np.concatenate([known[:, -1:], known, known[:, :1]], axis=1).astype(np.float64)
        v = np.concatenate([out[:, -1:], out, out[:, :1]], axis=1).astype(np.float64)
        v = v * k[..., None]
        count = _box3(k)[:, 1:-1]
        total = _box3(v)[:, 1:-1]
        fill = (~known) & (count > 0)
        if not fill.any():
            raise ValueError('repair_dwab: every pixel is damaged; there is nothing to fill from')
        out[fill] = (total[fill] / count[fill][:, None]).astype(np.float32)
        known = known | fill
    # Each damaged region keeps the light it held: the ringing's lobes cancel in its signed sum,
    # which a fill from the rim alone would lose (a sun as dim as its halo).
    labels, count = _components(mask)
    for k in range(1, count + 1):
        region = labels == k
        held = float(img[region].astype(np.float64).sum())
        filled = float(out[region].astype(np.float64).sum())
        if held > 0 and filled > 0:
            out[region] *= np.float32(held / filled)
    return out, mask


def _components(mask):
    """8-connected components of a boolean mask: (labels, count), labels 1..count."""
    labels = np.zeros(mask.shape, np.int32)
    count = 0
    h, w = mask.shape
    for y0, x0 in zip(*np.nonzero(mask)):
        if labels[y0, x0]:
            continue
        count += 1
        labels[y0, x0] = count
        stack = [(y0, x0)]
        while stack:
            y, x = stack.pop()
            for yy in range(max(0, y - 1), min(h, y + 2)):
                for xx in range(max(0, x - 1), min(w, x + 2)):
                    if mask[yy, xx] and not labels[yy, xx]:
                        labels[yy, xx] = count
                        stack.append((yy, xx))
    return labels, count


def equirect_directions(width, height):
    """Unit view directions (x, y, z) of an equirectangular image's pixel centres, y up, the
    centre column along +z, longitude growing to the right (towards +x)."""
    lon = [(2.0 * math.pi) * ((c + 0.5) / width - 0.5) for c in range(width)]
    lat = [math.pi * (0.5 - (r + 0.5) / height) for r in range(height)]
    sin_lon = np.array([math.sin(a) for a in lon])[None, :]
    cos_lon = np.array([math.cos(a) for a in lon])[None, :]
    sin_lat = np.array([math.sin(a) for a in lat])[:, None]
    cos_lat = np.array([math.cos(a) for a in lat])[:, None]
    x = cos_lat * sin_lon
    y = np.broadcast_to(sin_lat, (height, width))
    z = cos_lat * cos_lon
    return x, y, z


# OpenGL's cube-map selection (the specification's table): for each face, the major axis and the
# (sc, tc) pair as signed components of the direction, s = (sc / |ma| + 1) / 2 along the image's
# columns and t = (tc / |ma| + 1) / 2 along its rows.
_FACE_AXES = {
    'posx': (0, +1, (2, -1), (1, -1)),
    'negx': (0, -1, (2, +1), (1, -1)),
    'posy': (1, +1, (0, +1), (2, +1)),
    'negy': (1, -1, (0, +1), (2, -1)),
    'posz': (2, +1, (0, +1), (1, -1)),
    'negz': (2, -1, (0, -1), (1, -1)),
}


def _bilinear(face, s, t):
    """Samples face (HxWxC uint8 or float) at face coordinates s, t in [0, 1] (pixel centres at
    (i + 0.5) / size), clamped to the face; float64 result."""
    h, w = face.shape[:2]
    x = np.clip(s * w - 0.5, 0.0, w - 1.0)
    y = np.clip(t * h - 0.5, 0.0, h - 1.0)
    x0 = np.minimum(np.floor(x).astype(np.int64), w - 2)
    y0 = np.minimum(np.floor(y).astype(np.int64), h - 2)
    fx = (x - x0)[:, None]
    fy = (y - y0)[:, None]
    f = face.astype(np.float64)
    a = f[y0, x0]
    b = f[y0, x0 + 1]
    c = f[y0 + 1, x0]
    d = f[y0 + 1, x0 + 1]
    return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy


def cubemap_to_equirect(faces, width):
    """faces: dict of the six names in FACES to square HxWxC arrays of one size and type.
    Returns a width x width/2 equirectangular image of the faces' type (uint8 is rounded)."""
    missing = [f for f in FACES if f not in faces]
    if missing:
        raise ValueError(f'cubemap_to_equirect: missing faces {missing}')
    shapes = {faces[f].shape for f in FACES}
    if len(shapes) != 1:
        raise ValueError(f'cubemap_to_equirect: faces differ in shape: {sorted(shapes)}')
    shape = next(iter(shapes))
    if shape[0] != shape[1]:
        raise ValueError(f'cubemap_to_equirect: faces must be square, got {shape[:2]}')
    if width % 2:
        raise ValueError('cubemap_to_equirect: width must be even')
    height = width // 2
    d = equirect_directions(width, height)
    absd = [np.abs(c) for c in d]
    # The major axis: the largest |component|, ties to the lower axis (x before y before z).
    major = np.where((absd[0] >= absd[1]) & (absd[0] >= absd[2]), 0, np.where(absd[1] >= absd[2], 1, 2))
    channels = shape[2] if len(shape) == 3 else 1
    out = np.zeros((height, width, channels), np.float64)
    for name, (axis, sign, (sa, ss), (ta, ts)) in _FACE_AXES.items():
        sel = (major == axis) & ((d[axis] > 0) if sign > 0 else (d[axis] <= 0))
        if not sel.any():
            continue
        ma = absd[axis][sel]
        s = (ss * d[sa][sel] / ma + 1.0) * 0.5
        t = (ts * d[ta][sel] / ma + 1.0) * 0.5
        face = faces[name].reshape(shape[0], shape[1], channels)
        out[sel] = _bilinear(face, s, t)
    if faces[FACES[0]].dtype == np.uint8:
        out = np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)
    else:
        out = out.astype(faces[FACES[0]].dtype)
    return out if len(shape) == 3 else out[..., 0]


def stereo_top(img):
    """The top half of a top/bottom stereo panorama (the left eye by the usual convention): a 2:1
    equirectangular image when the whole is square."""
    h, w = img.shape[:2]
    if h % 2 or w != h:
        raise ValueError(f'stereo_top: expected a square top/bottom stereo image, got {w}x{h}')
    return img[:h // 2].copy()


def riff_webp_chunks(data):
    """Yields (offset, bytes) of every complete RIFF/WEBP file stored uncompressed in `data` (a Qt
    .rcc bundle keeps them so): 'RIFF', a little-endian size, 'WEBP', then size - 4 bytes."""
    data = bytes(data)
    pos = 0
    while True:
        pos = data.find(b'RIFF', pos)
        if pos < 0 or pos + 12 > len(data):
            return
        size = int.from_bytes(data[pos + 4:pos + 8], 'little')
        if data[pos + 8:pos + 12] == b'WEBP' and pos + 8 + size <= len(data):
            yield pos, data[pos:pos + 8 + size]
            pos += 8 + size
        else:
            pos += 4
