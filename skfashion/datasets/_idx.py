"""Reading and writing the IDX format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number, one big-endian uint32 size per dimension,
then the values in C order, big-endian. The magic number is two zero bytes, a
type code and the number of dimensions. Files ending in ``.gz`` are gzip
compressed, as the publishers ship them.
"""

import gzip
import os

import numpy as np

from .._atomic import atomic_write_bytes

# type code -> big-endian numpy dtype, as in the format's description.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_CODES = {dtype.newbyteorder("="): code for code, dtype in _IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def parse_idx(data, *, name="IDX data"):
    """Parse the bytes of an uncompressed IDX file into an array.

    Parameters
    ----------
    data : bytes
        The whole content of an uncompressed IDX file.

    name : str, default="IDX data"
        How to call the data in error messages, usually its file name.

    Returns
    -------
    array : ndarray
        The values, in native byte order, with the shape the header declares.

    Raises
    ------
    ValueError
        If the magic number is not an IDX one, or the file is shorter or longer
        than its header says.
    """
    data = memoryview(data)
    if len(data) < 4:
        raise ValueError(f"{name} is not an IDX file: it has only {len(data)} bytes.")
    zero0, zero1, code, ndim = data[:4]
    if zero0 != 0 or zero1 != 0 or code not in _IDX_DTYPES:
        raise ValueError(
            f"{name} is not an IDX file: bad magic number 0x{bytes(data[:4]).hex()} "
            "(expected 0x0000 then a type code in "
            f"{sorted(hex(c) for c in _IDX_DTYPES)} and the number of dimensions)."
        )
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(
            f"{name} is truncated: its header declares {ndim} dimensions but the "
            f"file has only {len(data)} bytes."
        )
    shape = tuple(int(s) for s in np.frombuffer(data[4:header_size], dtype=">u4"))
    dtype = _IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header_size
    if actual != expected:
        problem = "truncated" if actual < expected else "longer than its header says"
        raise ValueError(
            f"{name} is {problem}: shape {shape} of {dtype.newbyteorder('=')} needs "
            f"{expected} bytes of values, found {actual}. Delete the file and "
            "download it again."
        )
    values = np.frombuffer(data[header_size:], dtype=dtype).reshape(shape)
    # Native byte order, and a writable copy that does not pin ``data``.
    return values.astype(dtype.newbyteorder("="))


def read_idx(path):
    """Read an IDX file, gzip compressed or not.

    Parameters
    ----------
    path : str or path-like
        The file. Compression is detected from the content, not the name.

    Returns
    -------
    array : ndarray
        The values with the shape and type the header declares.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from skfashion.datasets import read_idx, write_idx
    >>> path = os.path.join(tempfile.mkdtemp(), "x-idx2-ubyte.gz")
    >>> write_idx(path, np.arange(6, dtype=np.uint8).reshape(2, 3))
    >>> read_idx(path)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    return parse_idx(read_idx_bytes(path), name=os.fspath(path))


def read_idx_bytes(path):
    """Return the uncompressed bytes of an IDX file, gzip compressed or not."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (EOFError, OSError) as exc:
            raise ValueError(
                f"{os.fspath(path)} is a damaged or truncated gzip file ({exc}). "
                "Delete it and download it again."
            ) from exc
    return raw


def idx_bytes(array):
    """Encode an array as the bytes of an uncompressed IDX file."""
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _IDX_CODES:
        raise ValueError(
            f"IDX cannot store dtype {array.dtype}; use one of "
            f"{sorted(str(d) for d in _IDX_CODES)}."
        )
    if array.ndim > 255 or any(s >= 2**32 for s in array.shape):
        raise ValueError(f"IDX cannot store an array of shape {array.shape}.")
    header = bytes([0, 0, _IDX_CODES[native], array.ndim])
    header += np.asarray(array.shape, dtype=">u4").tobytes()
    big_endian = _IDX_DTYPES[_IDX_CODES[native]]
    return header + np.ascontiguousarray(array, dtype=big_endian).tobytes()


def write_idx(path, array, *, compress=None):
    """Write an array as an IDX file, atomically.

    The file is written beside its destination under a temporary name and
    renamed into place, so that a reader never sees a half-written file.

    Parameters
    ----------
    path : str or path-like
        Destination.

    array : array-like
        Values of type uint8, int8, int16, int32, float32 or float64, any rank.

    compress : bool, default=None
        Gzip the file. None compresses when ``path`` ends in ``.gz``.
    """
    path = os.fspath(path)
    if compress is None:
        compress = path.endswith(".gz")
    data = idx_bytes(array)
    if compress:
        # mtime=0 makes the archive a function of the content alone.
        data = gzip.compress(data, mtime=0)
    atomic_write_bytes(path, data)
