"""Model files that run no code: tensors in safetensors, everything else in JSON.

A fitted skfashion estimator is its state (``__getstate__``, ``_state.py``):
its parameters, its fitted attributes and the states of its network and
optimizer, as plain values and numpy arrays. ``dump`` writes that state as
one safetensors file: every array as a tensor, the rest as a JSON document
in the file's metadata, with a format version and one SHA-256 over the whole
document and every tensor (its name, dtype, shape and bytes). Any other
scikit-learn estimator (a Pipeline, a FeatureUnion, a ColumnTransformer, any
tree of them holding skfashion estimators) is written by skops, whose bytes
are a tensor of the same file under the same digest.

``load`` reads the file's bytes in one go (a reader concurrent with a
writer's atomic replace gets the old file or the new one), parses the
safetensors header itself within limits (its size, the document's nesting
and number of values), checks the digest before it parses the document,
and makes the estimator of the class the document names (one of skfashion's,
nothing else is ever imported) with ``__setstate__``, which checks every
parameter, every fitted attribute and every tensor before anything is
allocated from them. Nothing is unpickled, so a file cannot run code; a file
that does not pass is a ``ModelFileError``.

JSON has no tuples, arrays or objects: the values are written with a tag,
``{"__tuple__": [...]}``, ``{"__dict__": {...}}`` (string keys),
``{"__pairs__": [[key, value], ...]}`` (other keys), ``{"__array__": name,
"dtype": ...}`` (a tensor of the file; strings as their code points),
``{"__objects__": [...], "shape": [...]}``, ``{"__scalar__": v, "dtype":
...}``, ``{"__device__": "cuda:0"}`` and ``{"__random_state__": {...}}``.
Anything else (a callback object, say) cannot be written without code and is
a ``ValueError`` at ``dump``.
"""

import hashlib
import hmac
import importlib
import io
import json
import math
import os
import re
import stat
import zipfile

import numpy as np
import torch
from safetensors.torch import save as safetensors_bytes

from ._atomic import atomic_write_bytes
from ._estimators import estimator_classes
from ._state import ModelFileError, loading_on

FORMAT = "skfashion-model"
# Version 2: one digest over the whole file, the estimator's state as
# ``__getstate__`` gives it, other estimators through skops. Version 1 files
# (skfashion 0.2; a SHA-256 per tensor only) still load, through the same
# checks of the state; their JSON has no digest.
FORMAT_VERSION = 2

# Limits on what a file may declare, checked before it is parsed further:
# the safetensors header (the JSON document with it), how deep the document
# nests and how many values it holds. A fitted estimator needs a small part.
MAX_HEADER_BYTES = 64 << 20
MAX_DEPTH = 24
MAX_VALUES = 2_000_000

_DIGEST_KEY = "skfashion_sha256"

# safetensors' dtype names -> numpy's (bfloat16 read as its bits).
_DTYPES = {
    "BOOL": np.dtype(bool),
    "U8": np.dtype(np.uint8),
    "I8": np.dtype(np.int8),
    "I16": np.dtype("<i2"),
    "I32": np.dtype("<i4"),
    "I64": np.dtype("<i8"),
    "F16": np.dtype("<f2"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "BF16": np.dtype("<u2"),
}

# numpy dtypes that torch (and so safetensors) holds as they are; unsigned
# and date-time arrays are stored as the signed integers of their bits.
_TORCH_KINDS = {"b1", "u1", "i1", "i2", "i4", "i8", "f2", "f4", "f8"}
_SIGNED = {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}
_TENSOR_KEYS = {"dtype", "shape", "data_offsets"}
_SINGLE_TAGS = {
    "__tuple__",
    "__dict__",
    "__pairs__",
    "__device__",
    "__random_state__",
    "__tensor__",
    "__runtime__",
}
_DTYPE_STRING = re.compile(r"^[<>|=]?(?:[biufUS]\d{1,9}|[Mm]8(?:\[\d*[a-zA-Z]+\])?)$")


# -- values -> JSON and tensors ------------------------------------------------


class _Encoder:
    """Turns a value into JSON, putting its arrays aside as named tensors."""

    def __init__(self):
        self.tensors = {}

    def tensor(self, name, array):
        name = f"{name}#{len(self.tensors)}"  # unique, and says where it was
        self.tensors[name] = torch.from_numpy(np.array(array, order="C", copy=True))
        return name

    def __call__(self, value, where):
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.generic):
            if value.dtype.kind not in "biufU":
                raise ValueError(f"{where} is a numpy {value.dtype} scalar.")
            return {"__scalar__": value.item(), "dtype": value.dtype.str}
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, tuple):
            return {
                "__tuple__": [self(v, f"{where}[{i}]") for i, v in enumerate(value)]
            }
        if isinstance(value, list):
            return [self(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            if all(type(k) is str for k in value):
                return {
                    "__dict__": {k: self(v, f"{where}.{k}") for k, v in value.items()}
                }
            return {
                "__pairs__": [
                    [self(k, f"{where} key"), self(v, f"{where}[{k!r}]")]
                    for k, v in value.items()
                ]
            }
        if isinstance(value, np.ndarray):
            return self.array(value, where)
        if isinstance(value, torch.device):
            return {"__device__": str(value)}
        if isinstance(value, np.random.RandomState):
            kind, keys, pos, has_gauss, gauss = value.get_state(legacy=True)
            state = {
                "kind": kind,
                "keys": self.array(keys, where),
                "pos": int(pos),
                "has_gauss": int(has_gauss),
                "gauss": float(gauss),
            }
            return {"__random_state__": state}
        raise ValueError(
            f"{where} holds a {type(value).__name__}, which a model file cannot "
            "hold without running code when it is loaded. Set it to plain data "
            "(for callbacks: set_params(callbacks=None)) before dump, or save "
            "the estimator with pickle or joblib if you trust whoever loads it."
        )

    def array(self, value, where):
        dtype = value.dtype
        if dtype.kind in "biufMm" and f"{dtype.kind}{dtype.itemsize}" != "f16":
            stored = value
            if f"{dtype.kind}{dtype.itemsize}" not in _TORCH_KINDS:
                stored = value.view(_SIGNED[dtype.itemsize])  # the same bits
            stored = stored.astype(stored.dtype.newbyteorder("<"), copy=False)
            return {"__array__": self.tensor(where, stored), "dtype": dtype.str}
        if dtype.kind in "US" and dtype.itemsize:
            # The characters as numbers: the file holds every byte that load
            # allocates, and the declared width is the tensor's last axis.
            unit = np.dtype("<i4") if dtype.kind == "U" else np.dtype("u1")
            width = dtype.itemsize // unit.itemsize
            codes = np.array(value, order="C", copy=True).view(unit)
            codes = codes.reshape(*value.shape, width)
            return {"__array__": self.tensor(where, codes), "dtype": dtype.str}
        if dtype.kind == "O":
            items = value.ravel().tolist()
            if all(isinstance(v, (str, bool, int, float)) for v in items):
                return {"__objects__": items, "shape": list(value.shape)}
        raise ValueError(
            f"{where} is an array of {dtype} that is neither numbers nor strings: "
            "a model file cannot hold it."
        )


# -- JSON and tensors -> values ------------------------------------------------


class _Decoder:
    """The inverse of ``_Encoder``: JSON and the file's tensors -> the value.

    ``version``: the file's format version (1 has tags of its own).
    Every declaration is checked against the tensor it names before anything
    is allocated from it.
    """

    def __init__(self, tensors, version):
        self.tensors = tensors
        self.version = version
        self.used = set()

    def tensor(self, name):
        if not isinstance(name, str) or name not in self.tensors:
            raise ModelFileError(f"the document names a tensor it lacks: {name!r:.80}")
        # dump writes each array as a tensor of its own: a tensor named twice
        # would be copied once per name, more memory than the file has.
        if name in self.used:
            raise ModelFileError(f"the document names the tensor {name!r:.80} twice")
        self.used.add(name)
        return self.tensors[name]

    def __call__(self, value):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict) or not value:
            raise ModelFileError(f"an unexpected JSON value: {value!r:.80}")
        tag = next(iter(value))
        body = value[tag]
        if tag in _SINGLE_TAGS and len(value) != 1:
            raise ModelFileError(f"an unexpected JSON value: {value!r:.80}")
        if tag == "__tuple__" and isinstance(body, list):
            return tuple(self(v) for v in body)
        if tag == "__dict__" and isinstance(body, dict):
            return {k: self(v) for k, v in body.items()}
        if tag == "__pairs__" and isinstance(body, list) and self.version >= 2:
            pairs = {}
            for pair in body:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise ModelFileError("a dict's pairs are not pairs")
                key = self(pair[0])
                if not isinstance(key, (str, int, float, bool, np.generic)):
                    raise ModelFileError(f"a dict key of type {type(key).__name__}")
                pairs[key] = self(pair[1])
            return pairs
        if tag == "__array__" and set(value) == {"__array__", "dtype"}:
            return self.array(self.tensor(body), value["dtype"])
        if tag == "__objects__" and set(value) == {"__objects__", "shape"}:
            return self.objects(body, value["shape"])
        if tag == "__scalar__" and set(value) == {"__scalar__", "dtype"}:
            return self.scalar(body, value["dtype"])
        if tag == "__device__" and isinstance(body, str) and len(body) < 32:
            try:
                return torch.device(body)
            except (RuntimeError, ValueError) as exc:
                raise ModelFileError(f"not a device: {body!r}") from exc
        if tag == "__random_state__" and isinstance(body, dict):
            return self.random_state(body)
        if self.version == 1:
            return self.version_1(value, tag, body)
        raise ModelFileError(f"an unknown value: {value!r:.80}")

    @staticmethod
    def dtype(declared, kinds):
        if not isinstance(declared, str) or not _DTYPE_STRING.match(declared):
            raise ModelFileError(f"not a dtype a model file holds: {declared!r:.40}")
        try:
            dtype = np.dtype(declared)  # a checked string: allocates nothing
        except TypeError as exc:
            raise ModelFileError(f"not a dtype: {declared!r:.40}") from exc
        if dtype.kind not in kinds:
            raise ModelFileError(f"{dtype} where {kinds!r} are expected")
        return dtype

    def array(self, tensor, declared):
        dtype = self.dtype(declared, "biufUSMm")
        if dtype.kind in "US":
            unit = "i" if dtype.kind == "U" else "u"
            size = 4 if dtype.kind == "U" else 1
            if (
                tensor.dtype.kind != unit
                or tensor.dtype.itemsize != size
                or tensor.ndim < 1
                or tensor.shape[-1] * size != dtype.itemsize
            ):
                raise ModelFileError(
                    f"strings declared as {dtype} on a tensor of {tensor.dtype} "
                    f"{tensor.shape}"
                )
            array = np.ascontiguousarray(tensor).view(dtype)
            array = array.reshape(tensor.shape[:-1]).copy()
            if (
                dtype.kind == "U"
                and array.size
                and (tensor.min() < 0 or tensor.max() > 0x10FFFF)
            ):
                raise ModelFileError("strings of code points beyond Unicode")
            return array
        if dtype.itemsize != tensor.dtype.itemsize or (
            tensor.dtype.kind != dtype.kind
            if dtype.kind in "bf"
            else tensor.dtype.kind not in "iu"
        ):
            raise ModelFileError(f"{dtype} declared on a tensor of {tensor.dtype}")
        return tensor.view(dtype.newbyteorder("<")).astype(dtype, copy=True)

    @staticmethod
    def objects(items, shape):
        if (
            not isinstance(items, list)
            or not isinstance(shape, list)
            or not all(type(n) is int and n >= 0 for n in shape)
            or math.prod(shape) != len(items)
            or not all(isinstance(v, (str, bool, int, float)) for v in items)
        ):
            raise ModelFileError("an object array that does not match its shape")
        array = np.empty(len(items), dtype=object)
        array[:] = items
        return array.reshape(shape)

    def scalar(self, value, declared):
        dtype = self.dtype(declared, "biufU")
        try:
            if dtype.kind == "U":
                if not isinstance(value, str):
                    raise TypeError("not a string")
                return np.str_(value)
            if isinstance(value, str) or value is None:
                raise TypeError("not a number")
            scalar = dtype.type(value)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ModelFileError(f"not a {dtype} scalar: {value!r:.40}") from exc
        if scalar.item() != value and not (value != value):  # NaN is itself
            raise ModelFileError(f"not a {dtype} scalar: {value!r:.40}")
        return scalar

    def random_state(self, state):
        try:
            keys = self(state["keys"])
            if not isinstance(keys, np.ndarray) or keys.shape != (624,):
                raise TypeError("keys")
            random_state = np.random.RandomState()
            random_state.set_state(
                (
                    state["kind"],
                    keys.astype(np.uint32),
                    state["pos"],
                    state["has_gauss"],
                    state["gauss"],
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"not a RandomState's state: {exc}") from exc
        return random_state

    def version_1(self, value, tag, body):
        """Tags of format version 1 (skfashion 0.2)."""
        if tag == "__tensor__":
            return self.tensor(body).copy()
        if tag == "__array__" and set(value) == {"__array__", "dtype"}:
            tensor = self.tensor(body)
            dtype = self.dtype(value["dtype"], "biuf")
            return tensor.astype(dtype, copy=True)
        if tag == "__runtime__" and isinstance(body, dict):
            return self(body)
        if tag == "__strings__" and set(value) == {"__strings__", "dtype", "shape"}:
            strings, shape = body, value["shape"]
            dtype = self.dtype(value["dtype"], "US")
            if (
                not isinstance(strings, list)
                or not all(isinstance(s, str) for s in strings)
                or not isinstance(shape, list)
                or not all(type(n) is int and n >= 0 for n in shape)
                or math.prod(shape) != len(strings)
            ):
                raise ModelFileError("strings that do not match their shape")
            # The width declared may not exceed the longest string given: the
            # array then takes no more memory than the JSON that holds them.
            longest = max((len(s) for s in strings), default=0)
            unit = 4 if dtype.kind == "U" else 1
            if dtype.itemsize > unit * max(longest, 1):
                raise ModelFileError(f"strings declared as {dtype}, wider than given")
            try:
                array = np.array(strings, dtype=dtype)
            except (UnicodeError, ValueError) as exc:
                raise ModelFileError(f"strings that are not {dtype}") from exc
            return array.reshape(shape)
        raise ModelFileError(f"an unknown value: {value!r:.80}")


# -- the file: bytes <-> header, tensors and digest --------------------------------


def _digest(document, tensors):
    """SHA-256 over the document and every tensor: name, dtype, shape, bytes.

    Each part is preceded by its length, so that no two files share one.
    ``tensors``: name -> (safetensors dtype, shape, bytes).
    """
    h = hashlib.sha256(FORMAT.encode())

    def part(data):
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)

    part(document.encode())
    for name in sorted(tensors):
        dtype, shape, data = tensors[name]
        part(name.encode())
        part(f"{dtype}{list(shape)}".encode())
        part(data)
    return h.hexdigest()


_DTYPE_NAMES = {
    torch.bool: "BOOL",
    torch.uint8: "U8",
    torch.int8: "I8",
    torch.int16: "I16",
    torch.int32: "I32",
    torch.int64: "I64",
    torch.float16: "F16",
    torch.float32: "F32",
    torch.float64: "F64",
}


def _check_limits(value):
    """The document nests at most MAX_DEPTH deep and holds at most MAX_VALUES
    values (walked without recursion)."""
    stack = [(value, 0)]
    count = 0
    while stack:
        item, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH or count > MAX_VALUES:
            raise ModelFileError(
                f"its JSON nests deeper than {MAX_DEPTH} or holds more than "
                f"{MAX_VALUES} values, which no model file does"
            )
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def _json(text, what):
    try:
        value = json.loads(text)
    except RecursionError:
        raise ModelFileError(f"its {what} nests too deep for a model file") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"its {what} is not JSON ({exc})") from None
    _check_limits(value)
    return value


def _read_file(path):
    """The file's bytes, read in one go from one open file.

    An atomic replace by a writer (``dump``) swaps whole files: the one
    opened here is read to its end, old or new, never a mix.
    """
    # Non-blocking: opening a FIFO would otherwise wait for a writer.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ModelFileError(
            f"{path} is not a regular file (a directory, a FIFO, a device...): "
            "give the path of a model file."
        )
    with open(fd, "rb") as f:
        size = info.st_size
        data = bytearray(size)
        n = f.readinto(data)
        if n != size or f.read(1):
            raise ModelFileError(f"{path} changed size while it was read: retry.")
    return data


def _parse(data):
    """``(metadata, tensors)`` of a safetensors file's bytes, checked.

    ``tensors``: name -> (dtype name, shape, memoryview of its bytes): the
    header's declarations checked against the bytes there are, nothing
    allocated from them.
    """
    if len(data) < 8:
        raise ModelFileError("it is too short for safetensors")
    n = int.from_bytes(data[:8], "little")
    if n > MAX_HEADER_BYTES or n > len(data) - 8:
        raise ModelFileError(
            f"its header declares {n} bytes (the file has {len(data) - 8}, a "
            f"model file at most {MAX_HEADER_BYTES})"
        )
    header = _json(bytes(data[8 : 8 + n]), "safetensors header")
    if not isinstance(header, dict):
        raise ModelFileError("its header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(v, str) for v in metadata.values()
    ):
        raise ModelFileError("its metadata are not strings")
    buffer = memoryview(data)[8 + n :]
    tensors, spans = {}, []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != _TENSOR_KEYS:
            raise ModelFileError(f"the tensor {name!r:.80} is not declared as one")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if (
            dtype not in _DTYPES
            or not isinstance(shape, list)
            or len(shape) > 8
            or not all(type(v) is int and v >= 0 for v in shape)
            or not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(type(v) is int for v in offsets)
            or not 0 <= offsets[0] <= offsets[1] <= len(buffer)
            or offsets[1] - offsets[0] != math.prod(shape) * _DTYPES[dtype].itemsize
        ):
            raise ModelFileError(
                f"the tensor {name!r:.80} does not match the bytes there are"
            )
        spans.append(tuple(offsets))
        tensors[name] = (dtype, tuple(shape), buffer[offsets[0] : offsets[1]])
    end = 0
    for begin, stop in sorted(spans):  # safetensors: contiguous, no overlap
        if begin != end:
            raise ModelFileError("its tensors overlap or leave gaps")
        end = stop
    if end != len(buffer):
        raise ModelFileError("it has bytes that no tensor declares")
    return metadata, tensors


def _arrays(tensors):
    """The tensors as numpy arrays over the file's bytes (no copies)."""
    arrays = {}
    for name, (dtype, shape, data) in tensors.items():
        array = np.frombuffer(data, dtype=_DTYPES[dtype]).reshape(shape)
        if dtype == "BF16":  # numpy has no bfloat16: through torch
            array = torch.from_numpy(array.copy()).view(torch.bfloat16)
            array = array.float().numpy()
        arrays[name] = array
    return arrays


# -- dump and load ---------------------------------------------------------------


def dump(estimator, path):
    """Write a fitted skfashion estimator to ``path``: a model file that runs no code.

    The file is safetensors: the estimator's state (its parameters, fitted
    attributes and the states of its network and optimizer) as tensors and
    a JSON document in its metadata, with a format version and one SHA-256
    over the document and every tensor. Any other scikit-learn estimator
    holding skfashion estimators (a :class:`~sklearn.pipeline.Pipeline`,
    :class:`~sklearn.pipeline.FeatureUnion`,
    :class:`~sklearn.compose.ColumnTransformer`, any tree of them) is written
    in skops's format (which runs no code either; needs ``pip install
    skops``) in the same file, under the same digest.

    The write behaves as ``open(path, "wb")`` would, but all or nothing (a
    temporary file, then a rename): ``~`` is expanded, a symbolic link is
    written through to its target, a new file's mode follows the umask and
    an existing file keeps its mode; a directory, a FIFO, a device and a
    read-only file are refused with an ``OSError`` that names ``path``.
    :func:`load` rebuilds an estimator whose every method gives the same
    output, and that goes on training (``warm_start``, ``partial_fit``) as the
    original would.

    Parameters
    ----------
    estimator : fitted skfashion estimator or scikit-learn meta-estimator
        An ``Autoencoder``, ``VariationalAutoencoder``, ``ConvAutoencoder``,
        ``ConvVariationalAutoencoder``, ``FeedForwardClassifier`` or
        ``ConvClassifier``, or a scikit-learn estimator holding them.
        Parameters that are code (``callbacks``) cannot be written: set them
        to None first.

    path : str or path-like
        The file to write (``.safetensors`` by convention).

    See Also
    --------
    load : Read a model file.

    Examples
    --------
    >>> import tempfile, os
    >>> from skfashion import FeedForwardClassifier
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> from skfashion.io import dump, load
    >>> X, y = load_fashion_mnist_sample(return_X_y=True)
    >>> clf = FeedForwardClassifier((16,), max_epochs=1, random_state=0)
    >>> clf = clf.fit(X[:300], y[:300])
    >>> path = os.path.join(tempfile.mkdtemp(), "clf.safetensors")
    >>> dump(clf, path)
    >>> bool((load(path).predict_proba(X[:5]) == clf.predict_proba(X[:5])).all())
    True
    """
    encode = _Encoder()
    document = json.dumps(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "skfashion_version": _version(),
            **_document(estimator, encode),
        },
        allow_nan=True,
    )
    tensors = {
        name: (_DTYPE_NAMES[t.dtype], tuple(t.shape), t.numpy().tobytes())
        for name, t in encode.tensors.items()
    }
    metadata = {"skfashion": document, _DIGEST_KEY: _digest(document, tensors)}
    atomic_write_bytes(path, safetensors_bytes(encode.tensors, metadata=metadata))


def _document(estimator, encode):
    """The JSON of an estimator; its arrays go to ``encode``."""
    from sklearn.base import BaseEstimator

    classes = estimator_classes()
    name = type(estimator).__name__
    if classes.get(name) is type(estimator):
        if not hasattr(estimator, "net_"):
            raise ValueError(f"This {name} is not fitted: fit it before dump.")
        state = estimator.__getstate__()
        if isinstance(state.get("module"), type):  # a user's module: its name
            state["module"] = _module_name(state["module"])
        return {"class": name, "state": encode(state, "state")}
    if isinstance(estimator, BaseEstimator):
        for where, param in estimator.get_params(deep=True).items():
            if classes.get(type(param).__name__) is type(param) and (
                param.get_params(deep=False).get("callbacks") is not None
            ):
                raise ValueError(
                    f"The step {where!r} ({type(param).__name__}) has callbacks, "
                    "which a model file cannot hold without running code when it "
                    f"is loaded: set_params({where}__callbacks=None) before dump."
                )
        data = _skops().dumps(estimator)
        _check_loadable(_skops().get_untrusted_types(data=data))
        skops = encode.tensor("skops", np.frombuffer(data, np.uint8))
        return {"class": "skops", "skops": skops}
    raise ValueError(
        f"dump writes skfashion's estimators ({', '.join(sorted(classes))}) "
        f"and scikit-learn estimators holding them, not {name}."
    )


def _module_name(module):
    """The import name of a user's module class (``module=``), which
    :func:`load` imports only when the caller trusts it by that name."""
    name = f"{module.__module__}.{module.__qualname__}"
    _check_loadable([name])
    return name


def _trusted_module(state, trusted):
    """The state with its user's module class (named by :func:`dump`)
    imported, if the caller trusts that name; else a ``ModelFileError``."""
    name = state.get("module") if isinstance(state, dict) else None
    if not isinstance(name, str):
        return state
    if name not in (trusted or ()):
        raise ModelFileError(
            f"it holds a user's module, {name!r:.200}, whose code runs when it "
            f"is built: load(path, trusted=[{name!r:.200}]) if you trust it"
        )
    if not _importable(name):
        raise ModelFileError(f"its module {name!r:.200} cannot be imported here")
    for i in range(len(name.split(".")) - 1, 0, -1):
        parts = name.split(".")
        try:
            value = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            value = getattr(value, attr)
        break
    import torch

    if not (isinstance(value, type) and issubclass(value, torch.nn.Module)):
        raise ModelFileError(f"{name!r:.200} is not a torch.nn.Module class")
    return {**state, "module": value}


def _check_loadable(types):
    """Refuse types that no load can import by name (a lambda, a local or
    ``__main__`` function): the file could be written, never read."""
    for name in types:
        if not _importable(name):
            raise ValueError(
                f"The estimator holds {name}, which cannot be imported by name "
                "when the file is loaded (a lambda, a function defined inside "
                "another or in __main__): use a function defined at the top "
                "level of an importable module, or save the estimator with "
                "pickle or joblib if you trust whoever loads it."
            )


def _importable(name):
    parts = name.split(".")
    if parts[0] == "__main__" or any(p.startswith("<") for p in parts):
        return False
    for i in range(len(parts) - 1, 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                value = getattr(value, attr)
        except AttributeError:
            return False
        return True
    return False


def _skops():
    try:
        import skops.io
    except ImportError as exc:  # only estimators other than skfashion's need it
        raise ImportError(
            "Estimators other than skfashion's (a Pipeline, say) are written in "
            "skops's format: pip install skops."
        ) from exc
    return skops.io


def load(path, *, device=None, trusted=None):
    """Read a model file written by :func:`dump`: the fitted estimator.

    A file is loaded exactly or refused. Nothing in it is run, and nothing
    is allocated from what it declares before that is checked: its bytes
    are read once; the header's size, the document's nesting and its number
    of values are bounded; one SHA-256 over the document and every tensor
    must match (any changed byte is refused); the document names one of
    skfashion's estimator classes, whose parameters are checked as ``fit``
    checks them, whose fitted attributes must be exactly those its fit sets
    (names, types, dtypes, shapes, ranges), and whose network is built on
    torch's meta device and compared with the file's tensors before it is
    materialised. Other scikit-learn estimators are read by skops, which
    builds only the types it trusts by default (``skops.io.get_untrusted_types``
    names the others), skfashion's estimators and those named in
    ``trusted``; any other function or class (``numpy.full_like`` in a
    ``FunctionTransformer``, say) is refused with a ``ModelFileError`` that
    names it.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`dump`.

    device : str or torch.device, default=None
        Where the networks go: None puts each on the device it was fitted on
        where this machine has it, else on the CPU (a model trained on a GPU
        loads on a machine without one); 'cpu', 'cuda', 'cuda:1', 'mps'
        choose.

    trusted : list of str, default=None
        More types that skops may build for estimators other than
        skfashion's (``skops.io.get_untrusted_types`` names them), and the
        user's module class of an estimator fitted with ``module=`` (its
        import name, ``"mypackage.MyModule"``), for a file you trust: a
        module's code runs when it is built.

    Returns
    -------
    estimator : fitted skfashion estimator or scikit-learn estimator

    Raises
    ------
    ModelFileError
        A ``ValueError``: the file is not a model file, is damaged or was
        changed, is from a newer format, or declares what its class's fit
        does not set.

    See Also
    --------
    dump : Write a model file.
    """
    path = os.path.expanduser(os.fspath(path))
    data = _read_file(path)
    try:
        metadata, tensors = _parse(data)
    except ModelFileError as exc:
        raise ModelFileError(
            f"{path} is not a model file of skfashion.io.dump: {exc}."
        ) from None
    if "skfashion" not in metadata:
        raise ModelFileError(
            f"{path} is a safetensors file, but not one of skfashion.io.dump (no "
            "skfashion metadata)."
        )
    text = metadata["skfashion"]
    signed = _DIGEST_KEY in metadata
    if signed and not hmac.compare_digest(
        str(metadata[_DIGEST_KEY]), _digest(text, tensors)
    ):
        raise ModelFileError(
            f"{path} does not match its SHA-256: the file is damaged or was "
            "changed after it was written. Refused."
        )
    try:
        document = _json(text, "document")
    except ModelFileError as exc:
        raise ModelFileError(f"{path} is not a skfashion model file: {exc}.") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a skfashion model file.")
    version = document.get("format_version")
    if type(version) is not int or not 1 <= version <= FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has format version {version!r:.20}; this skfashion "
            f"({_version()}) reads versions 1 to {FORMAT_VERSION}: upgrade skfashion."
        )
    if version >= 2 and not signed:
        raise ModelFileError(f"{path} has no SHA-256 of its content. Refused.")
    if version == 1:
        _check_version_1_tensors(path, document, tensors)
    try:
        with loading_on(device):
            return _rebuild(document, _arrays(tensors), version, trusted)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from exc.__cause__
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise ModelFileError(
            f"{path} does not hold an estimator that skfashion can rebuild: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


def _rebuild(document, tensors, version, trusted):
    """The estimator of a (checked) document."""
    decode = _Decoder(tensors, version)
    name = document.get("class")
    if name == "skops" and version >= 2:
        data = decode.tensor(document.get("skops"))
        if data.dtype != np.uint8 or data.ndim != 1:
            raise ModelFileError("its skops part is not bytes")
        return _skops_loads(data.tobytes(), trusted)
    if name == "Pipeline" and version == 1:
        raise ModelFileError(
            "a Pipeline in format version 1 (skfashion 0.2) is not read by this "
            "version: load it with skfashion 0.2 and save its steps, or refit"
        )
    cls = estimator_classes().get(name) if isinstance(name, str) else None
    if cls is None:
        raise ModelFileError(
            f"it declares the class {name!r:.80}, which is not a skfashion estimator"
        )
    if version == 1:
        state = _version_1_state(cls, document, decode)
    else:
        if set(document) != {
            "format",
            "format_version",
            "skfashion_version",
            "class",
            "state",
        }:
            raise ModelFileError("its document has keys a model file has not")
        state = _trusted_module(decode(document["state"]), trusted)
    estimator = cls.__new__(cls)
    estimator.__setstate__(state)
    return estimator


def _version_1_state(cls, document, decode):
    """The state (as ``__getstate__`` gives it) of a format-1 document.

    Parameters added since skfashion 0.2 take their defaults, as they did
    when version 1 read the file.
    """
    params = decode(document["params"])
    if not isinstance(params, dict):
        raise ModelFileError("its parameters are not a dict")
    state = {**cls().get_params(deep=False), **params, **decode(document["fitted"])}
    module = document["module_state"]
    if not isinstance(module, dict):
        raise ModelFileError("its module state is not a dict")
    state["net_"] = {
        "module": {k: decode.tensor(v).copy() for k, v in module.items()},
        "optimizer": decode(document["optimizer_state"]),
    }
    return state


def _check_version_1_tensors(path, document, tensors):
    """Format 1: each tensor matches its SHA-256 (the JSON has none)."""
    declared = document.get("sha256")
    if not isinstance(declared, dict) or set(declared) != set(tensors):
        raise ModelFileError(
            f"{path}: its tensors are not the ones it declares (a file changed "
            "or put together by hand)."
        )
    for name, (dtype, shape, data) in tensors.items():
        torch_dtype = {v: k for k, v in _DTYPE_NAMES.items()}.get(dtype)
        h = hashlib.sha256(f"{torch_dtype}{tuple(shape)}".encode())
        h.update(data)
        if h.hexdigest() != declared[name]:
            raise ModelFileError(
                f"{path}: the tensor {name!r} does not match its SHA-256: the file "
                "is damaged or was changed after it was written."
            )


# What a skops part may unpack to: dump writes it uncompressed, so a part
# that unpacks to more than a few times its size (a zip bomb) is refused
# from the zip's directory, before skops reads it.
MAX_SKOPS_RATIO = 4
MAX_SKOPS_BYTES = 4 << 30
MAX_SKOPS_MEMBERS = 100_000


def _check_skops_zip(data):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ModelFileError(f"its skops part is not a zip file: {exc}") from exc
    total = sum(member.file_size for member in members)
    limit = min(MAX_SKOPS_RATIO * len(data) + (1 << 20), MAX_SKOPS_BYTES)
    if len(members) > MAX_SKOPS_MEMBERS or total > limit:
        raise ModelFileError(
            f"its skops part of {len(data)} bytes unpacks to {total} bytes in "
            f"{len(members)} files (at most {limit} bytes and "
            f"{MAX_SKOPS_MEMBERS} files): refused"
        )


def _skops_loads(data, trusted):
    """skops's load, building only what skops trusts by default, skfashion's
    estimators and the types named in ``trusted``."""
    sio = _skops()
    own = {f"{cls.__module__}.{cls.__name__}" for cls in estimator_classes().values()}
    _check_skops_zip(data)
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # skops's errors for bytes that are not its format
        raise ModelFileError(f"its skops part cannot be read: {exc}") from exc
    allowed = [t for t in untrusted if t in own]
    refused = sorted(set(untrusted) - set(allowed) - set(trusted or ()))
    if refused:
        raise ModelFileError(
            "it holds types that neither skops trusts by default nor are "
            f"skfashion's estimators: {refused}. Any of them may run code when "
            "the estimator is used; if you trust the file, name them: "
            "load(path, trusted=[...])"
        )
    try:
        return sio.loads(data, trusted=allowed + list(trusted or ()))
    except ModelFileError:
        raise
    except Exception as exc:  # skops's errors for a crafted part
        raise ModelFileError(f"its skops part cannot be read: {exc}") from exc


def _version():
    from . import __version__

    return __version__
