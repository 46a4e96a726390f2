"""Downloading the data sets' files: mirrors, checks, atomic writes.

An archive is fetched whole from the first mirror that answers, its content
checked against the SHA-256 that the data set lists, and only then written
(through a temporary file and a rename); a failed download leaves neither a
partial file nor a folder it created.
"""

import glob
import gzip
import hashlib
import http.client
import os
import pathlib
import re
import time
import urllib.request

from .._atomic import atomic_write_bytes, part_prefix
from ._idx import parse_idx

_DOWNLOAD_TIMEOUT = 60  # seconds without data before a mirror is given up
# A temporary file untouched this long belongs to no live download (each is
# written in one go, after the whole archive arrived): a killed one left it.
_STALE_PART_SECONDS = 60
MIRROR_ENV = "SKFASHION_MIRROR"


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _verified_array(data, expected_sha256, where, fix):
    """Parse IDX bytes after checking that their SHA-256 is the expected one."""
    digest = _sha256(data)
    if digest != expected_sha256:
        raise ValueError(
            f"{where} is corrupted: the SHA-256 of its decompressed content is "
            f"{digest}, expected {expected_sha256}. {fix}"
        )
    return parse_idx(data, name=where)


def _mirrors(dataset, base_url):
    """The URLs of folders that hold the data set's four files, in order of use.

    ``base_url`` (a folder of this data set's files) wins; else the
    ``SKFASHION_MIRROR`` environment variable, a folder laid out like the data
    home (``mnist/``, ``fashion-mnist/``); else the publishers' mirrors. Any
    URL that urllib opens works, ``file://`` too (a local copy).
    """
    if base_url is None and os.environ.get(MIRROR_ENV):
        base_url = _as_url(os.environ[MIRROR_ENV]).rstrip("/") + "/" + dataset.name
    if base_url is None:
        return dataset.mirrors
    return (_as_url(base_url).rstrip("/") + "/",)


def _as_url(location):
    """A URL for ``location``: a URL as it is, a folder (str or path) as file://.

    A plain folder (``/srv/mnist``, ``C:\\data``, a ``pathlib.Path``) is
    named by its absolute ``file://`` URL, so that urllib opens it.
    """
    location = os.fspath(location)
    if isinstance(location, bytes):
        location = os.fsdecode(location)
    # a scheme of two letters or more: 'C:' is a Windows drive, not a scheme
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+://", location) or location.startswith(
        "file:"
    ):
        return location
    return pathlib.Path(location).expanduser().resolve().as_uri()


def _download(dataset, datafile, path, base_url=None):
    """Download one archive from the first mirror that answers, atomically.

    The archive's content is checked against its SHA-256 in memory, and only
    then written (to a temporary file renamed into place): an interrupted or
    corrupted transfer leaves nothing that looks complete.
    """
    errors = []
    for mirror in _mirrors(dataset, base_url):
        url = mirror + datafile.name
        try:
            with urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT) as response:
                # read() raises IncompleteRead when the connection closes
                # before Content-Length bytes have arrived.
                archive = response.read()
            if not archive:
                raise ValueError("the file is empty (0 bytes)")
            try:
                content = gzip.decompress(archive)
            except (EOFError, OSError) as exc:
                raise ValueError(f"not a complete gzip archive ({exc})") from exc
            _verified_array(content, datafile.sha256, url, "The mirror is damaged.")
        except (OSError, ValueError, http.client.HTTPException) as exc:
            # URLError (unreachable host, HTTP errors) is an OSError.
            errors.append(f"{url}: {getattr(exc, 'reason', None) or exc!r}")
            continue
        atomic_write_bytes(path, archive)
        return
    raise OSError(
        f"Could not download {dataset.title} file {datafile.name}; every mirror "
        "failed:\n  " + "\n  ".join(errors) + "\nCopy the four files by hand into "
        f"{os.path.dirname(path)}, point data_home or the SKFASHION_DATA "
        "environment variable at a folder that has them, or name a mirror with "
        f"base_url or the {MIRROR_ENV} environment variable."
    )


def _remove_stale_parts(path):
    """Remove the temporary files that killed downloads of ``path`` left."""
    pattern = os.path.join(
        glob.escape(os.path.dirname(path)), glob.escape(part_prefix(path)) + "*.part"
    )
    for part in glob.glob(pattern):
        try:
            if time.time() - os.path.getmtime(part) > _STALE_PART_SECONDS:
                os.remove(part)
        except FileNotFoundError:  # another process removed it first
            pass


def _download_into(dataset, datafile, path, base_url):
    """Download ``path``; a failure leaves no folder that this call created."""
    created = []
    folder = os.path.dirname(path)
    while not os.path.isdir(folder):
        created.append(folder)
        folder = os.path.dirname(folder)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        _remove_stale_parts(path)
        _download(dataset, datafile, path, base_url)
    except BaseException:
        for folder in created:  # innermost first
            try:
                os.rmdir(folder)
            except OSError:  # not empty: something else lives there now
                break
        raise
