"""Writing a file all or nothing: a temporary file beside it, then a rename.

Used for every file the package writes (model files, downloaded archives, the
bundled samples, benchmark results); public as
:func:`skfashion.io.atomic_write_bytes`.

The write behaves as ``open(path, "wb")`` would, except that it is whole or
nothing: ``~`` is expanded, a symbolic link is written through (its target
is replaced, the link stays), a directory, FIFO, socket or device node is
refused (``open`` would block on a FIFO or write into a device; a rename
would silently put a regular file in its place), a read-only file is
refused, a new file gets its mode from the umask and an existing file keeps
its mode (and, where the process may, its owner). Errors name the caller's
path, never the hidden temporary file.
"""

import errno
import os
import secrets
import stat


def part_prefix(path):
    """The name prefix of the temporary files that stand in for ``path``."""
    return "." + os.path.basename(os.path.expanduser(os.fspath(path))) + "."


def _kind(mode):
    """What a file that is not a regular one is, in words."""
    for test, name in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def resolve_target(path):
    """``(shown, target, existing stat or None)`` for a write to ``path``.

    ``shown`` is the caller's path (``~`` expanded) for messages; ``target``
    the regular file that ``open(path, "wb")`` would write: the end of any
    chain of symbolic links. Raises the ``OSError`` that says why the path
    cannot be written as a regular file.
    """
    shown = os.path.expanduser(os.fspath(path))
    if isinstance(shown, bytes):
        shown = os.fsdecode(shown)
    target = os.path.realpath(shown)
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        return shown, target, None
    if stat.S_ISDIR(existing.st_mode):
        raise IsADirectoryError(
            errno.EISDIR, "Is a directory; give the path of a file to write", shown
        )
    if not stat.S_ISREG(existing.st_mode):
        raise OSError(
            errno.EINVAL,
            f"Is {_kind(existing.st_mode)}, not a regular file; skfashion writes "
            "regular files only (give the path of a file)",
            shown,
        )
    # The mode bits, not only os.access: root may write anything, but a file
    # made read-only says that it is not to be replaced.
    if not existing.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise PermissionError(
            errno.EACCES,
            "Permission denied: the file is read-only (chmod u+w it, or remove "
            "it, to replace it)",
            shown,
        )
    return shown, target, existing


def atomic_write_bytes(path, data):
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Behaves as ``open(path, "wb").write(data)`` would (``~`` expanded; a
    symbolic link written through to its target; a new file's mode from the
    umask, an existing file's mode kept; a read-only file, a directory, a
    FIFO or a device refused with an ``OSError`` naming ``path``), but all
    or nothing: the temporary file lies beside the target (same file system,
    so the rename is atomic), is synced before the rename and removed if
    anything fails. ``path`` keeps its old content or gets all of the new
    one; a reader that opens it meanwhile reads one or the other whole.

    Parameters
    ----------
    path : str, bytes or path-like
        The file to write.

    data : bytes-like
        Its new content.
    """
    shown, target, existing = resolve_target(path)
    directory = os.path.dirname(target)
    tmp = os.path.join(directory, f"{part_prefix(target)}{secrets.token_hex(6)}.part")
    try:
        # 0o666 and O_EXCL as open() creates a file: the kernel applies the
        # umask (reading the umask would change it, for every thread).
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, shown) from None
    try:
        try:
            with os.fdopen(fd, "wb") as f:
                if existing is not None:
                    os.fchmod(f.fileno(), stat.S_IMODE(existing.st_mode))
                    try:  # keep the owner where this process may (root)
                        os.fchown(f.fileno(), existing.st_uid, existing.st_gid)
                    except OSError:
                        pass
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            if exc.filename in (tmp, target):  # name the caller's path
                raise type(exc)(exc.errno, exc.strerror, shown) from exc
            raise
    finally:
        if os.path.lexists(tmp):
            os.remove(tmp)
