"""Files: model files that run no code, and writes that are never half-done.

:func:`dump` and :func:`load` save a fitted estimator (or any scikit-learn
meta-estimator holding skfashion estimators) as a safetensors file (tensors,
and JSON for everything else) that loading never runs code from: a file is
loaded exactly or refused with :class:`ModelFileError`, on the device the
loader chooses. :func:`atomic_write_bytes` writes as ``open(path, "wb")``
would (``~``, symbolic links, the umask and an existing file's mode; special
and read-only files refused), through a temporary file and a rename, the way
every file of skfashion is written (models, downloads, results): a reader
sees the old content or all of the new one, and a failure leaves no partial
file.
"""

from ._atomic import atomic_write_bytes, part_prefix
from ._model_file import FORMAT_VERSION, ModelFileError, dump, load

__all__ = [
    "FORMAT_VERSION",
    "ModelFileError",
    "atomic_write_bytes",
    "dump",
    "load",
    "part_prefix",
]
