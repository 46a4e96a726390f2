"""Writing a file all or nothing: a temporary file beside it, then a rename.

Used for every file the package writes (downloaded archives, the bundled
samples, benchmark results); public as :func:`skfashion.io.atomic_write_bytes`.
"""

import os
import tempfile


def part_prefix(path):
    """The name prefix of the temporary files that stand in for ``path``."""
    return "." + os.path.basename(path) + "."


def atomic_write_bytes(path, data):
    """Write ``data`` to ``path`` through a temporary file and a rename.

    The temporary file lies beside ``path`` (same file system, so the rename is
    atomic) and is removed if anything fails: ``path`` either keeps its old
    content or gets all of the new one.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=part_prefix(path), suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a data file is not
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
