"""Files: writing them so that nothing is ever half-written.

:func:`atomic_write_bytes` writes through a temporary file and a rename, the
way every file of skfashion is written (downloads, results): a reader sees
the old content or all of the new one, and a failure leaves no partial file.
"""

from ._atomic import atomic_write_bytes, part_prefix

__all__ = ["atomic_write_bytes", "part_prefix"]
