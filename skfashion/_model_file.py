"""Model files that run no code: tensors in safetensors, everything else in JSON.

A fitted skfashion estimator is its parameters (``get_params``), its fitted
attributes (``classes_``, ``image_shape_``, ``runtime_``, ``history_``, ...)
and the states of its network and optimizer. ``dump`` writes them as one
safetensors file: the states and every numeric array as tensors, the rest as
JSON in the file's metadata, with a format version and the SHA-256 of every
tensor. ``load`` reads the JSON, rebuilds the estimator of the class it names
(one of skfashion's, nothing else is ever imported) from its parameters,
checks them as ``fit`` would, rebuilds the network from the fitted attributes
and loads the states into it. Nothing is unpickled, so a file cannot run code;
a file whose tensors or contents do not match what it declares is refused.

JSON has no tuples, arrays or objects: the values are written with a tag,
``{"__tuple__": [...]}``, ``{"__array__": name, "dtype": ...}`` (a tensor of
the file), ``{"__strings__": [...], "dtype": ...}``, ``{"__dict__": {...}}``,
``{"__runtime__": {...}}``, ``{"__device__": "cuda:0"}`` and
``{"__random_state__": {...}}``. Anything else (a callback object, say) cannot
be written without code and is a ``ValueError`` at ``dump``.
"""

import dataclasses
import hashlib
import json

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save as safetensors_bytes
from skorch.history import History

from ._atomic import atomic_write_bytes
from ._compat import check_params
from ._estimators import estimator_classes
from ._runtime import Runtime

FORMAT = "skfashion-model"
# Bumped when a change makes files that older versions would misread; load
# reads every version up to its own.
FORMAT_VERSION = 1

# The only attributes of a fitted estimator that are not plain data.
_NET = "net_"
_HISTORY = "history_"


class ModelFileError(ValueError):
    """A model file that is not one, or whose content does not match itself."""


# -- values <-> JSON and tensors ------------------------------------------------

# numpy dtypes that torch (and so safetensors) holds as they are.
_TORCH_DTYPES = {
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "float32",
    "float64",
}


class _Encoder:
    """Turns a value into JSON, putting its tensors aside under unique names."""

    def __init__(self):
        self.tensors = {}

    def tensor(self, name, value):
        name = f"{name}#{len(self.tensors)}"  # unique, and says where it was
        self.tensors[name] = value.detach().cpu().contiguous()
        return name

    def __call__(self, value, where):
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, np.generic):
            return self(value.item(), where)
        if isinstance(value, tuple):
            return {
                "__tuple__": [self(v, f"{where}[{i}]") for i, v in enumerate(value)]
            }
        if isinstance(value, list):
            return [self(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise ValueError(f"{where} has keys that are not strings.")
            return {"__dict__": {k: self(v, f"{where}.{k}") for k, v in value.items()}}
        if isinstance(value, torch.Tensor):
            return {"__tensor__": self.tensor(where, value)}
        if isinstance(value, np.ndarray):
            return self.array(value, where)
        if isinstance(value, Runtime):
            return {"__runtime__": self(dataclasses.asdict(value), where)}
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
        if dtype.kind in "biuf":
            stored = value if dtype.name in _TORCH_DTYPES else value.astype(np.int64)
            if dtype.kind == "u" and dtype.itemsize >= 8 and value.size:
                if value.max() > np.iinfo(np.int64).max:
                    raise ValueError(f"{where} holds uint64 values beyond int64.")
            tensor = torch.from_numpy(np.ascontiguousarray(stored))
            return {"__array__": self.tensor(where, tensor), "dtype": dtype.str}
        if dtype.kind in "US" or (
            dtype.kind == "O" and all(isinstance(v, str) for v in value.ravel())
        ):
            return {
                "__strings__": value.tolist(),
                "dtype": dtype.str,
                "shape": list(value.shape),
            }
        raise ValueError(
            f"{where} is an array of {dtype} that is neither numbers nor strings: "
            "a model file cannot hold it."
        )


def _decode(value, tensors):
    """The inverse of ``_Encoder``: JSON (and the file's tensors) -> the value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    if not isinstance(value, dict) or len(value) not in (1, 2, 3):
        raise ModelFileError(f"Unexpected JSON value in a model file: {value!r:.80}.")
    if "__tuple__" in value:
        return tuple(_decode(v, tensors) for v in value["__tuple__"])
    if "__dict__" in value:
        return {k: _decode(v, tensors) for k, v in value["__dict__"].items()}
    if "__tensor__" in value:
        return _tensor(tensors, value["__tensor__"])
    if "__array__" in value:
        array = _tensor(tensors, value["__array__"]).numpy()
        return array.astype(np.dtype(value["dtype"]), copy=True)
    if "__strings__" in value:
        dtype = np.dtype(value["dtype"])
        if dtype.kind not in "USO":
            raise ModelFileError(f"Strings declared as {dtype} in a model file.")
        array = np.empty(len(value["__strings__"]), dtype=dtype)
        array[:] = value["__strings__"]
        return array.reshape(value["shape"]) if value["shape"] else array
    if "__runtime__" in value:
        return Runtime(**_decode(value["__runtime__"], tensors))
    if "__device__" in value:
        return torch.device(value["__device__"])
    if "__random_state__" in value:
        state = value["__random_state__"]
        keys = _decode(state["keys"], tensors).astype(np.uint32)
        random_state = np.random.RandomState()
        random_state.set_state(
            (state["kind"], keys, state["pos"], state["has_gauss"], state["gauss"])
        )
        return random_state
    raise ModelFileError(f"Unknown value in a model file: {value!r:.80}.")


def _tensor(tensors, name):
    if name not in tensors:
        raise ModelFileError(f"The model file names a tensor it lacks: {name!r}.")
    return tensors[name]


def _digest(tensor):
    """SHA-256 of a tensor's dtype, shape and bytes."""
    flat = tensor.contiguous().reshape(-1).view(torch.uint8).numpy()
    h = hashlib.sha256(f"{tensor.dtype}{tuple(tensor.shape)}".encode())
    h.update(flat.tobytes())
    return h.hexdigest()


# -- dump and load ---------------------------------------------------------------


def dump(estimator, path):
    """Write a fitted skfashion estimator to ``path``: a model file that runs no code.

    The file is safetensors: the network's and the optimizer's states and the
    fitted arrays as tensors, the parameters and the other fitted attributes
    as JSON in its metadata, with a format version and the SHA-256 of every
    tensor. It is written all or nothing (a temporary file, then a rename).
    :func:`load` rebuilds an estimator whose every method gives the same
    output, and that goes on training (``warm_start``, ``partial_fit``) as the
    original would. A :class:`~sklearn.pipeline.Pipeline` is written whole:
    its skfashion steps so, its other steps in skops's format (which runs no
    code either; needs ``pip install skops``), in the same file.

    Parameters
    ----------
    estimator : fitted skfashion estimator or Pipeline
        An ``Autoencoder``, ``VariationalAutoencoder``, ``ConvAutoencoder``,
        ``ConvVariationalAutoencoder``, ``FeedForwardClassifier`` or
        ``ConvClassifier``, or a fitted ``Pipeline`` of them and scikit-learn
        estimators. Parameters that are code (``callbacks``) cannot be
        written: set them to None first.

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
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "skfashion_version": _version(),
        **_document(estimator, encode),
    }
    document["sha256"] = {k: _digest(t) for k, t in encode.tensors.items()}
    metadata = {"skfashion": json.dumps(document, allow_nan=True)}
    atomic_write_bytes(path, safetensors_bytes(encode.tensors, metadata=metadata))


def _document(estimator, encode):
    """The JSON of a skfashion estimator or a Pipeline; tensors go to ``encode``."""
    from sklearn.pipeline import Pipeline

    if type(estimator) is Pipeline:
        return _pipeline_document(estimator, encode)
    classes = estimator_classes()
    name = type(estimator).__name__
    if classes.get(name) is not type(estimator):
        raise ValueError(
            f"dump writes skfashion's estimators ({', '.join(sorted(classes))}) "
            f"and Pipelines of them, not {name}."
        )
    if not hasattr(estimator, _NET):
        raise ValueError(f"This {name} is not fitted: fit it before dump.")
    params = encode(estimator.get_params(deep=False), "params")
    fitted = {
        key: value
        for key, value in vars(estimator).items()
        if key.endswith("_") and not key.startswith("_") and key != _NET
    }
    fitted[_HISTORY] = estimator.history_.to_list()
    net = estimator.net_
    module_state = {
        k: encode.tensor(f"module.{k}", v) for k, v in net.module_.state_dict().items()
    }
    return {
        "class": name,
        "params": params,
        "fitted": encode(fitted, "fitted"),
        "module_state": module_state,
        "optimizer_state": encode(_optimizer_state(net.optimizer_), "optimizer"),
    }


def _pipeline_document(pipeline, encode):
    """A Pipeline's JSON: its own parameters and each step's document.

    skfashion steps (and nested Pipelines) as ``_document`` writes them; any
    other estimator in skops's format, as a tensor of bytes.
    """
    steps = []
    for name, step in pipeline.steps:
        if step is None or step == "passthrough":
            steps.append({"name": name, "passthrough": step})
        elif type(step).__name__ in estimator_classes() or _is_pipeline(step):
            steps.append({"name": name, "estimator": _document(step, encode)})
        else:
            data = _skops().dumps(step)
            tensor = torch.frombuffer(bytearray(data), dtype=torch.uint8)
            steps.append(
                {"name": name, "skops": encode.tensor(f"steps.{name}", tensor)}
            )
    params = pipeline.get_params(deep=False)
    del params["steps"]
    return {"class": "Pipeline", "params": encode(params, "params"), "steps": steps}


def _is_pipeline(estimator):
    from sklearn.pipeline import Pipeline

    return type(estimator) is Pipeline


def _skops():
    try:
        import skops.io
    except ImportError as exc:  # only the Pipelines' other steps need it
        raise ImportError(
            "A Pipeline's scikit-learn steps are written in skops's format: "
            "pip install skops."
        ) from exc
    return skops.io


def load(path, *, trusted=None):
    """Read a model file written by :func:`dump`: the fitted estimator.

    Nothing in the file is run: the JSON names one of skfashion's estimator
    classes, whose parameters are checked as ``fit`` checks them; the network
    is rebuilt from the fitted attributes and the tensors loaded into it. A
    file that is not a model file, from a newer format, or whose tensors do
    not match what it declares (their SHA-256, names and shapes) raises a
    ``ValueError`` that says so. A Pipeline's scikit-learn steps are read by
    skops, which builds only the types it trusts: those of scikit-learn,
    numpy and scipy here, and those named in ``trusted``.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`dump`.

    trusted : list of str, default=None
        More types that skops may build for a Pipeline's scikit-learn steps
        (``skops.io.get_untrusted_types`` names them), for a file you trust.

    Returns
    -------
    estimator : fitted skfashion estimator or Pipeline

    See Also
    --------
    dump : Write a model file.
    """
    try:
        with safe_open(path, framework="pt") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except FileNotFoundError:
        raise
    except Exception as exc:  # safetensors' errors for a file that is not one
        raise ModelFileError(
            f"{path} is not a model file of skfashion.io.dump (not safetensors: {exc})."
        ) from exc
    try:
        document = json.loads(metadata["skfashion"])
    except (KeyError, json.JSONDecodeError) as exc:
        raise ModelFileError(
            f"{path} is a safetensors file, but not one of skfashion.io.dump (no "
            "skfashion metadata)."
        ) from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a skfashion model file.")
    version = document.get("format_version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has format version {version!r}; this skfashion "
            f"({_version()}) reads versions 1 to {FORMAT_VERSION}: upgrade skfashion."
        )
    _check_tensors(path, document, tensors)
    return _rebuild(document, tensors, path, trusted)


def _rebuild(document, tensors, path, trusted):
    """The estimator (or Pipeline) of a document."""
    if document.get("class") == "Pipeline":
        return _rebuild_pipeline(document, tensors, path, trusted)
    cls = estimator_classes().get(document.get("class"))
    if cls is None:
        raise ModelFileError(
            f"{path} declares the class {document.get('class')!r}, which is not "
            "a skfashion estimator."
        )
    try:
        params = _decode(document["params"], tensors)
        estimator = cls(**params)
        check_params(estimator)
        fitted = _decode(document["fitted"], tensors)
        fitted[_HISTORY] = History(fitted[_HISTORY])
        module_state = {
            k: _tensor(tensors, v) for k, v in document["module_state"].items()
        }
        optimizer_state = _decode(document["optimizer_state"], tensors)
        optimizer_state["state"] = {
            int(k): v for k, v in optimizer_state["state"].items()
        }
        fitted[_NET] = estimator._restored_net(fitted, module_state, optimizer_state)
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelFileError(
            f"{path} does not hold a {cls.__name__} that skfashion can rebuild: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    vars(estimator).update(fitted)
    return estimator


def _rebuild_pipeline(document, tensors, path, trusted):
    from sklearn.pipeline import Pipeline

    steps = []
    try:
        for step in document["steps"]:
            if "passthrough" in step:
                estimator = step["passthrough"]
                if estimator not in (None, "passthrough"):
                    raise ModelFileError(f"{path}: a step of unknown kind.")
            elif "estimator" in step:
                estimator = _rebuild(step["estimator"], tensors, path, trusted)
            else:
                data = _tensor(tensors, step["skops"]).numpy().tobytes()
                estimator = _skops_loads(data, trusted, path)
            steps.append((step["name"], estimator))
        params = _decode(document["params"], tensors)
        return Pipeline(steps, **params)
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(
            f"{path} does not hold a Pipeline that skfashion can rebuild: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


# The packages whose types skops may build for a Pipeline's other steps: the
# code of scikit-learn and its array libraries, installed anyway. Functions
# and classes of any other package are refused unless ``trusted`` names them.
_TRUSTED_PACKAGES = ("sklearn", "numpy", "scipy")


def _skops_loads(data, trusted, path):
    sio = _skops()
    untrusted = sio.get_untrusted_types(data=data)
    allowed = [t for t in untrusted if t.split(".")[0] in _TRUSTED_PACKAGES]
    refused = sorted(set(untrusted) - set(allowed) - set(trusted or ()))
    if refused:
        raise ModelFileError(
            f"{path} has a Pipeline step of types that are not scikit-learn's, "
            f"numpy's or scipy's: {refused}. If you trust the file, name them: "
            "load(path, trusted=[...])."
        )
    return sio.loads(data, trusted=allowed + list(trusted or ()))


def _optimizer_state(optimizer):
    """The optimizer's state dict, its parameters' indices as strings (JSON)."""
    state = optimizer.state_dict()
    return {
        "state": {str(k): v for k, v in state["state"].items()},
        "param_groups": state["param_groups"],
    }


def _check_tensors(path, document, tensors):
    """The tensors are the ones the JSON declares, byte for byte."""
    declared = document.get("sha256")
    if not isinstance(declared, dict) or set(declared) != set(tensors):
        raise ModelFileError(
            f"{path}: its tensors are not the ones it declares (a file changed "
            "or put together by hand)."
        )
    for name, tensor in tensors.items():
        if _digest(tensor) != declared[name]:
            raise ModelFileError(
                f"{path}: the tensor {name!r} does not match its SHA-256: the file "
                "is damaged or was changed after it was written."
            )


def _version():
    from . import __version__

    return __version__
