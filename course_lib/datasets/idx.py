"""The IDX file format of MNIST and Fashion-MNIST, read with NumPy alone.

An IDX file is a tiny header followed by one array, stored row-major and big-endian::

    bytes 0-1   0x00 0x00                  always zero
    byte  2     type code                  0x08 = uint8 (the only one MNIST uses), see _IDX_TYPES
    byte  3     number of dimensions d     3 for images (N, rows, cols), 1 for labels (N,)
    then        d big-endian uint32        the size of each dimension
    then        the data                   prod(sizes) items of the given type, big-endian

So ``train-images-idx3-ubyte`` starts with ``00 00 08 03``, then 60000, 28, 28.
The files are distributed gzipped (``.gz``); :func:`read_idx` reads both forms.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

# type code -> NumPy dtype; '>' means big-endian (the most significant byte first).
_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """The array stored in the IDX bytes ``data`` (already decompressed), in native byte order."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{source} is not an IDX file: it starts with {data[:4].hex(' ') or 'nothing'}")
    dtype, ndim = _IDX_TYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"{source}: the header announces shape {shape} ({expected} bytes of data) "
            f"but the file holds {len(data) - header} bytes after the header (truncated or corrupted?)"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    # Native byte order, and a writable copy (frombuffer on bytes is read-only).
    return array.astype(dtype.newbyteorder("="))


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file, gzipped (name ending in ``.gz``) or not.

    Returns the stored array: (N, rows, cols) uint8 for MNIST images, (N,) uint8 for labels.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        try:
            data = f.read()
        except (OSError, EOFError) as err:  # gzip.BadGzipFile is an OSError
            raise ValueError(f"{path} could not be decompressed: {err}") from err
    return parse_idx(data, source=str(path))
