"""Fuzzing model files: every mutation is refused, or loads as a whole model.

Two kinds of mutation of a saved file of every estimator, drawn by
hypothesis:

- bytes changed anywhere (flipped, cut, inserted), the digest left as it
  was: refused with ``ModelFileError``, or loaded with every output identical
  to the original's (a change to the header's padding, say);
- the JSON document or the tensors changed as someone who knows the format
  would (values, types, dtypes, shapes, keys, nesting), the digest then made
  to match: refused with ``ModelFileError``, or loaded with every method
  giving outputs of the original's shapes and dtypes.

Never another exception, and within bounded memory (the address space is
limited while the mutations load) and time.
"""

import json
import os
import resource
import time
import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from safetensors.torch import save as safetensors_bytes
from sklearn.exceptions import ConvergenceWarning

from skfashion import (
    Autoencoder,
    ConvAutoencoder,
    ConvClassifier,
    ConvVariationalAutoencoder,
    FeedForwardClassifier,
    VariationalAutoencoder,
    io,
)
from skfashion._model_file import _DTYPE_NAMES, _arrays, _digest, _parse

# Per kind of mutation: about 12 s on one thread. SKFASHION_FUZZ_EXAMPLES
# runs longer, deeper searches.
EXAMPLES = int(os.environ.get("SKFASHION_FUZZ_EXAMPLES", 100))

ESTIMATORS = {
    "FeedForwardClassifier": lambda: FeedForwardClassifier((4,), max_epochs=1),
    "ConvClassifier": lambda: ConvClassifier((2,), dense_units=4, max_epochs=1),
    "Autoencoder": lambda: Autoencoder((4,), 2, max_epochs=1),
    "VariationalAutoencoder": lambda: VariationalAutoencoder((4,), 2, max_epochs=1),
    "ConvAutoencoder": lambda: ConvAutoencoder((2,), 2, max_epochs=1),
    "ConvVariationalAutoencoder": lambda: ConvVariationalAutoencoder(
        (2,), 2, max_epochs=1, sample_mixture=2
    ),
}


def _outputs(est, X):
    if hasattr(est, "predict"):
        return {
            "predict": est.predict(X),
            "predict_proba": est.predict_proba(X),
            "decision_function": est.decision_function(X),
        }
    codes = est.transform(X)
    return {
        "transform": codes,
        "inverse_transform": est.inverse_transform(codes),
        "reconstruct": est.reconstruct(X),
        "score": np.asarray(est.score(X)),
        "sample": est.sample(3, random_state=0),
    }


@pytest.fixture(scope="module")
def saved(sample_images, tmp_path_factory):
    """Each estimator, fitted once (1 epoch, 60 rows): its file's bytes and
    its outputs on 8 images."""
    images, y = sample_images
    X, y = images[:60], y[:60]
    files = {}
    folder = tmp_path_factory.mktemp("fuzz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for i, (name, make) in enumerate(ESTIMATORS.items()):
            est = make().set_params(random_state=i)
            est.fit(X, y) if hasattr(est, "predict") else est.fit(X)
            path = folder / f"{name}.safetensors"
            io.dump(est, path)
            files[name] = (path.read_bytes(), _outputs(est, X[:8]))
    return X[:8], files


class _Limits:
    """The address space limited to what the process has plus 2 GiB, and a
    wall-clock budget per load."""

    def __enter__(self):
        with open("/proc/self/status") as f:
            size = next(int(x.split()[1]) for x in f if x.startswith("VmSize"))
        self.old = resource.getrlimit(resource.RLIMIT_AS)
        limit = size * 1024 + (2 << 30)
        if self.old[1] == resource.RLIM_INFINITY or limit < self.old[1]:
            resource.setrlimit(resource.RLIMIT_AS, (limit, self.old[1]))
        return self

    def __exit__(self, *exc):
        resource.setrlimit(resource.RLIMIT_AS, self.old)


def _load_and_run(path, X):
    """``None`` if refused, else the loaded estimator's outputs on X."""
    start = time.monotonic()
    with _Limits(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a mutated input range warns
        try:
            est = io.load(path)
        except io.ModelFileError as exc:
            event(f"refused: {str(exc).split(': ', 1)[-1][:40]}")
            return None
        event("loaded")
        outputs = _outputs(est, X)
    assert time.monotonic() - start < 20
    return outputs


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_changed_bytes_are_refused_or_change_nothing(saved, tmp_path, data):
    X, files = saved
    name = data.draw(st.sampled_from(sorted(files)))
    original, expected = files[name]
    changed = bytearray(original)
    how = data.draw(st.sampled_from(["flip", "flip", "flip", "cut", "insert"]))
    at = data.draw(st.integers(0, len(original) - 1))
    if how == "flip":
        changed[at] ^= data.draw(st.integers(1, 255))
    elif how == "cut":
        del changed[at : at + data.draw(st.integers(1, 64))]
    else:
        changed[at:at] = data.draw(st.binary(min_size=1, max_size=16))
    path = tmp_path / "m.safetensors"
    path.write_bytes(bytes(changed))
    got = _load_and_run(path, X)
    if got is not None:
        for key, value in expected.items():
            np.testing.assert_array_equal(got[key], value, err_msg=key)


# -- structured mutations, signed -------------------------------------------------

_STRINGS = [
    "predict",
    "unknown_",
    "<U100000000",
    "<U3",
    "|O",
    "<f8",
    "float16",
    "bfloat16",
    "cuda:0",
    "meta",
    "mps",
    "__tuple__",
    "__dict__",
    "__array__",
    "__pairs__",
    "",
]
_DEEP = "@@deep@@"

_json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.sampled_from([0, -1, 1, 2, 10**12, 2**31, 2**63])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(_STRINGS + [_DEEP])
    | st.text(max_size=4)
)
_json_values = st.recursive(
    _json_leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(_STRINGS[:15]), inner, max_size=2)
    ),
    max_leaves=6,
)


def _nodes(value, path=()):
    """Every (path, value) of a JSON tree."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _nodes(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nodes(v, (*path, i))


def _parent(document, path):
    node = document
    for key in path[:-1]:
        node = node[key]
    return node


def _nudged(value, data):
    """A value near ``value``, of its type where it has one."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + data.draw(st.sampled_from([-2, -1, 1, 2, 10**12]))
    if isinstance(value, float):
        return data.draw(st.sampled_from([value * 2, -value, 0.0, value + 1e-3]))
    if isinstance(value, str):
        return data.draw(st.sampled_from(_STRINGS + ["sigmoid", "identity", "bce"]))
    if isinstance(value, dict) and set(value) == {"__tuple__"}:
        return {"__tuple__": _nudged(value["__tuple__"], data)}
    if isinstance(value, list) and value:
        i = data.draw(st.integers(0, len(value) - 1))
        return [*value[:i], _nudged(value[i], data), *value[i + 1 :]]
    return data.draw(_json_values)


def _mutate_document(document, data, tensor_names):
    nodes = [p for p, _ in _nodes(document) if p]
    # Mostly a parameter or fitted attribute, or a value inside one, rather
    # than the network's tensors and the history (most of the nodes).
    top = [p for p in nodes if len(p) == 3 and p[:2] == ("state", "__dict__")]
    inner = [p for p in nodes if len(p) > 3 and p[2] not in ("net_", "history_")]
    where = data.draw(st.sampled_from(["top", "top", "inner", "any"]))
    nodes = {"top": top, "inner": inner}.get(where) or nodes
    path = data.draw(st.sampled_from(nodes))
    parent, key = _parent(document, path), path[-1]
    how = data.draw(
        st.sampled_from(
            [
                *["nudge", "nudge", "replace", "replace", "tensor"],
                *["delete", "add", "wrap", "inject", "inject"],
            ]
        )
    )
    if how == "inject":  # an attribute of the estimator's own: a method's name
        names = ["predict", "transform", "fit", "score", "unknown_", "_private"]
        value = data.draw(_json_leaves)
        document["state"]["__dict__"][data.draw(st.sampled_from(names))] = value
    elif how == "nudge":
        parent[key] = _nudged(parent[key], data)
    elif how == "replace":
        parent[key] = data.draw(_json_values)
    elif how == "tensor":  # point at another tensor, or declare another dtype
        parent[key] = {
            "__array__": data.draw(st.sampled_from(tensor_names)),
            "dtype": data.draw(
                st.sampled_from(["<U100000000", "<f4", "<i8", "|b1", "<U1", "<M8"])
            ),
        }
    elif how == "delete":
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)
    elif how == "add":
        if isinstance(parent, dict):
            names = [*_STRINGS, "transform", "_private", "classes_", "net_"]
            parent[data.draw(st.sampled_from(names))] = data.draw(_json_values)
        else:
            parent.append(data.draw(_json_values))
    else:
        parent[key] = {data.draw(st.sampled_from(_STRINGS[11:15])): parent[key]}


def _mutate_tensors(tensors, data):
    name = data.draw(st.sampled_from(sorted(tensors)))
    shape = data.draw(st.lists(st.integers(0, 5), max_size=3))
    dtype = data.draw(
        st.sampled_from([tensors[name].dtype] * 3 + sorted(_DTYPE_NAMES, key=str))
    )
    tensors[name] = torch.zeros(shape, dtype=dtype)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_crafted_documents_are_refused_or_load_whole(saved, tmp_path, data):
    X, files = saved
    name = data.draw(st.sampled_from(sorted(files)))
    original, expected = files[name]
    metadata, parts = _parse(bytearray(original))
    document = json.loads(metadata["skfashion"])
    tensors = {k: torch.from_numpy(v.copy()) for k, v in _arrays(parts).items()}
    for _ in range(data.draw(st.sampled_from([1, 1, 1, 2, 3]))):
        if data.draw(st.integers(0, 3)) or not tensors:
            _mutate_document(document, data, sorted(tensors))
        else:
            _mutate_tensors(tensors, data)
    text = json.dumps(document).replace(f'"{_DEEP}"', "[" * 5000 + "]" * 5000)
    signed = {
        k: (_DTYPE_NAMES[t.dtype], tuple(t.shape), t.numpy().tobytes())
        for k, t in tensors.items()
    }
    metadata = {"skfashion": text, "skfashion_sha256": _digest(text, signed)}
    path = tmp_path / "m.safetensors"
    path.write_bytes(safetensors_bytes(tensors, metadata=metadata))
    got = _load_and_run(path, X)
    if got is not None:
        for key, value in expected.items():
            assert np.shape(got[key]) == np.shape(value), key
            assert np.asarray(got[key]).dtype == np.asarray(value).dtype, key
