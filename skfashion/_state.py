"""An estimator's state as plain data, and the checks that a state must pass.

One state serves pickle, skops and ``skfashion.io``: ``__getstate__`` gives
the estimator's parameters, its fitted attributes and its network as plain
values (numbers, strings, lists, tuples, dicts, numpy arrays): the module's
and the optimizer's states as numpy arrays, the history as a list, the
runtime as a dict. ``__setstate__`` sets exactly what the class's fit sets,
after checking it: the parameters as ``fit`` checks them, each fitted
attribute against what the class declares (``_fitted_spec``: its type, dtype,
shape and range, and how the attributes agree), the network's tensors against
a network built on torch's meta device (no memory) from those attributes;
only then is the network materialised and the tensors loaded. Whatever does
not pass is a ``ModelFileError`` that names the attribute.

The device is the loader's: the fitted one where this machine has it, else
the CPU, or the one ``skfashion.io.load(device=...)`` chooses (``loading_on``).
"""

import contextlib
import contextvars
import dataclasses
import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from skorch.exceptions import DeviceWarning

from ._runtime import DEVICE_TYPES, Runtime, _mps_available


class ModelFileError(ValueError):
    """A model file or saved state that is refused: damaged, changed, or not
    one that this version of skfashion wrote for this class."""


# The device a state is loaded on (None: the fitted one if present, else CPU).
_LOAD_DEVICE = contextvars.ContextVar("skfashion_load_device", default=None)


@contextlib.contextmanager
def loading_on(device):
    """States set up within this context put their network on ``device``."""
    token = _LOAD_DEVICE.set(device)
    try:
        yield
    finally:
        _LOAD_DEVICE.reset(token)


def _device_present(device):
    device = torch.device(device)
    if device.type == "cpu":
        return True
    if device.type == "cuda":
        index = device.index or 0
        return torch.cuda.is_available() and index < torch.cuda.device_count()
    return device.type == "mps" and _mps_available()


def load_device(fitted_device):
    """The device a loaded network goes to: the chosen one, or the fitted one
    where this machine has it, else the CPU (with a ``DeviceWarning``)."""
    chosen = _LOAD_DEVICE.get()
    if chosen is not None:
        try:
            device = torch.device(chosen)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(f"device={chosen!r} is not a device: {exc}") from exc
        if not _device_present(device):
            raise ValueError(
                f"device={chosen!r}: this machine has no such device. Load on "
                "'cpu' (device='cpu') or on a device that torch sees."
            )
        return str(device)
    if _device_present(fitted_device):
        return fitted_device
    warnings.warn(
        f"The model was fitted on {fitted_device!r}, which this machine lacks: "
        "its network is loaded on the CPU. Choose the device with "
        "skfashion.io.load(path, device=...).",
        DeviceWarning,
        stacklevel=2,
    )
    return "cpu"


# -- specs: what a value must be -----------------------------------------------


class _Refused(Exception):
    """A value that fails its spec (the message says how)."""


def integer(low=None, high=None):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise _Refused(f"an int, not {type(value).__name__}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise _Refused(f"an int in [{low}, {high}], not {value}")

    return check


def real(finite=True):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, Real):
            raise _Refused(f"a number, not {type(value).__name__}")
        if finite and not math.isfinite(value):
            raise _Refused(f"a finite number, not {value}")

    return check


def one_of(*values):
    def check(value):
        if not isinstance(value, str) or value not in values:
            raise _Refused(f"one of {list(values)}, not {value!r:.40}")

    return check


def sequence(item, kind=list, length=None):
    def check(value):
        if type(value) is not kind:
            raise _Refused(f"a {kind.__name__}, not {type(value).__name__}")
        if length is not None and len(value) != length:
            raise _Refused(f"of length {length}, not {len(value)}")
        for v in value:
            item(v)

    return check


def array(kinds, ndim):
    """A numpy array of one of the dtype kinds ``kinds`` with ``ndim`` axes."""

    def check(value):
        if not isinstance(value, np.ndarray):  # a memmap from joblib too
            raise _Refused(f"a numpy array, not {type(value).__name__}")
        if value.dtype.kind not in kinds or value.dtype.hasobject and "O" not in kinds:
            raise _Refused(f"an array of kind {kinds!r}, not {value.dtype}")
        if value.ndim != ndim:
            raise _Refused(f"an array of {ndim} axes, not {value.ndim}")
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise _Refused("finite")

    return check


def runtime(value):
    if type(value) is not dict or set(value) != {
        f.name for f in dataclasses.fields(Runtime)
    }:
        raise _Refused("a dict of device, precision, n_threads, seed")
    device = value["device"]
    if not isinstance(device, str) or len(device) > 32:
        raise _Refused("a device name")
    try:
        parsed = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise _Refused(f"a device, not {device!r}") from exc
    if parsed.type not in DEVICE_TYPES:
        raise _Refused(f"a device of {DEVICE_TYPES}, not {device!r}")
    one_of("float32", "bfloat16", "float64")(value["precision"])
    if value["n_threads"] is not None:
        integer(1, 1 << 16)(value["n_threads"])
    if value["seed"] is not None:
        integer(0, np.iinfo(np.int32).max)(value["seed"])


def history(value):
    if type(value) is not list:
        raise _Refused("a list of epochs")
    for epoch in value:
        if type(epoch) is not dict or not all(isinstance(k, str) for k in epoch):
            raise _Refused("a list of dicts")


def optional(check):
    def maybe(value):
        if value is not None:
            check(value)

    return maybe


# Bounds on what a state may declare before it is compared with its tensors.
MAX_FEATURES = 1 << 28


def base_spec():
    """``(required, optional)`` specs of what every estimator's fit sets."""
    required = {
        "n_features_in_": integer(1, MAX_FEATURES),
        "runtime_": runtime,
        "precision_": one_of("float32", "bfloat16", "float64"),
        "input_range_": sequence(real(), tuple, 2),
        "batch_size_": integer(1, 1 << 31),
        "history_": history,
        "loss_curve_": sequence(real(finite=False)),
        "n_epochs_": integer(1, 1 << 31),
    }
    optional_ = {
        "feature_names_in_": array("O", 1),
        "validation_loss_curve_": sequence(real(finite=False)),
        "best_validation_loss_": real(finite=False),
    }
    return required, optional_


def check_fitted(estimator, fitted, required, optional_):
    """Each fitted attribute passes its spec, and they agree with each other."""
    cls = type(estimator).__name__
    missing = sorted(set(required) - set(fitted))
    if missing:
        raise ModelFileError(
            f"The saved {cls} lacks the fitted attribute {missing[0]!r} that its "
            "fit sets: the state is damaged or not from this class."
        )
    for name, value in fitted.items():
        spec = required.get(name) or optional_.get(name)
        if spec is None:
            raise ModelFileError(
                f"The saved {cls} holds {name!r}, which a {cls}'s fit does not set: "
                "refused (a state changed by hand, or from another version)."
            )
        try:
            spec(value)
        except _Refused as exc:
            raise ModelFileError(
                f"The saved {cls}'s {name!r} must be {exc}: refused."
            ) from None
    agree = [
        ("precision_", fitted["precision_"] == fitted["runtime_"]["precision"]),
        ("n_epochs_", fitted["n_epochs_"] == len(fitted["history_"])),
        ("loss_curve_", len(fitted["loss_curve_"]) == fitted["n_epochs_"]),
        ("input_range_", fitted["input_range_"][0] <= fitted["input_range_"][1]),
    ]
    if "feature_names_in_" in fitted:
        names = fitted["feature_names_in_"]
        agree.append(
            (
                "feature_names_in_",
                len(names) == fitted["n_features_in_"]
                and all(isinstance(v, str) for v in names),
            )
        )
    if ("validation_loss_curve_" in fitted) != ("best_validation_loss_" in fitted):
        agree.append(("validation_loss_curve_", False))
    agree.extend(estimator._fitted_agree(fitted))
    for name, ok in agree:
        if not ok:
            raise ModelFileError(
                f"The saved {cls}'s {name!r} does not agree with its other fitted "
                "attributes: refused (a state changed by hand)."
            )


# -- the network's state -----------------------------------------------------------

# The per-parameter state an optimizer of the recipe keeps (Adam, AdamW, SGD).
_OPTIMIZER_KEYS = {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "momentum_buffer"}
_DEVICE_SETTINGS = {"fused", "foreach", "capturable", "differentiable"}


def to_numpy(tensor):
    """A tensor as a numpy array (on the CPU, its own memory)."""
    tensor = tensor.detach().cpu()
    if tensor.dtype == torch.bfloat16:  # numpy has none; never in a state
        raise ValueError("A bfloat16 tensor in a network's state.")
    return tensor.numpy().copy()


def net_state(net):
    """The fitted net as plain data: module and optimizer states as arrays."""
    module = {k: to_numpy(v) for k, v in net.module_.state_dict().items()}
    state = net.optimizer_.state_dict()
    optimizer = {
        "state": {
            str(k): {
                name: to_numpy(v) if torch.is_tensor(v) else v for name, v in s.items()
            }
            for k, s in state["state"].items()
        },
        "param_groups": [dict(g) for g in state["param_groups"]],
    }
    work = float(getattr(net, "work_per_sample", math.inf))
    if not math.isfinite(work):  # not counted: counted again at load
        return {"module": module, "optimizer": optimizer}
    return {"module": module, "optimizer": optimizer, "work": work}


def _tensor(array):
    """A tensor of an array (a copy of a read-only one: a joblib memmap)."""
    array = np.asarray(array)
    return torch.from_numpy(array if array.flags.writeable else array.copy())


def check_module_state(cls, skeleton, module_state, weight_dtype):
    """The saved module state has the skeleton's names, shapes and dtypes.

    ``skeleton``: the module built on the meta device (no memory) from the
    fitted attributes; returns the state as tensors, without copies.
    """
    if type(module_state) is not dict:
        raise ModelFileError(f"The saved {cls}'s network state is not a dict.")
    expected = skeleton.state_dict()
    if set(module_state) != set(expected):
        odd = sorted(set(module_state) ^ set(expected))[0]
        raise ModelFileError(
            f"The saved {cls}'s network does not match its parameters: the tensor "
            f"{odd!r} is missing or not expected. Refused."
        )
    tensors = {}
    for name, meta in expected.items():
        value = module_state[name]
        dtype = weight_dtype if meta.is_floating_point() else meta.dtype
        if not isinstance(value, np.ndarray) or value.dtype.hasobject:
            raise ModelFileError(f"The saved {cls}'s tensor {name!r} is not an array.")
        tensor = _tensor(value)
        if tuple(tensor.shape) != tuple(meta.shape) or tensor.dtype != dtype:
            raise ModelFileError(
                f"The saved {cls}'s tensor {name!r} is {tuple(tensor.shape)} "
                f"{tensor.dtype}, but its parameters make {tuple(meta.shape)} "
                f"{dtype}: refused."
            )
        tensors[name] = tensor
    return tensors


def _same_kind(value, fresh):
    if isinstance(fresh, bool) or fresh is None:
        return value is None or type(value) is bool
    if isinstance(fresh, Real):
        return (
            isinstance(value, Real)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value >= 0
        )
    if isinstance(fresh, (tuple, list)):
        return (
            type(value) in (tuple, list)
            and len(value) == len(fresh)
            and all(_same_kind(v, f) for v, f in zip(value, fresh))
        )
    return type(value) is type(fresh) and value == fresh


def check_optimizer_state(cls, optimizer, saved):
    """The saved optimizer state fits the freshly built ``optimizer``: the
    same groups and settings' kinds, per-parameter tensors of its shapes."""
    fresh = optimizer.state_dict()
    refused = ModelFileError(
        f"The saved {cls}'s optimizer state does not match its optimizer: refused."
    )
    if type(saved) is not dict or set(saved) != {"state", "param_groups"}:
        raise refused
    groups = saved["param_groups"]
    if type(groups) is not list or len(groups) != len(fresh["param_groups"]):
        raise refused
    params = {}
    for group, fresh_group in zip(groups, fresh["param_groups"]):
        if type(group) is not dict or set(group) - {"initial_lr"} != set(
            fresh_group
        ) - {"initial_lr"}:
            raise refused
        for key, value in group.items():
            if key == "params":
                if list(value) != fresh_group["params"]:
                    raise refused
            elif key == "initial_lr":
                if not _same_kind(value, 0.0):
                    raise refused
            elif not _same_kind(value, fresh_group[key]):
                raise refused
        params.update(dict.fromkeys(fresh_group["params"]))
    shapes = {
        i: p.shape
        for i, p in zip(
            params,
            (p for g in optimizer.param_groups for p in g["params"]),
        )
    }
    state = saved["state"]
    if type(state) is not dict:
        raise refused
    loaded = {}
    for key, values in state.items():
        if not isinstance(key, str) or not key.isdigit() or int(key) not in shapes:
            raise refused
        if type(values) is not dict or not set(values) <= _OPTIMIZER_KEYS:
            raise refused
        entry = {}
        for name, value in values.items():
            if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
                raise refused
            if name == "step":
                if value.shape != () or not np.isfinite(value) or value < 0:
                    raise refused
            elif value.shape != tuple(shapes[int(key)]):
                raise refused
            entry[name] = _tensor(value)
        loaded[int(key)] = entry
    # How the optimizer runs (fused kernels, say) is the loading device's
    # choice, as for a new fit there; the rest is the saved state's.
    return {
        "state": loaded,
        "param_groups": [
            {
                k: fresh_group[k]
                if k in _DEVICE_SETTINGS and k in fresh_group
                else (tuple(v) if isinstance(v, list) and k != "params" else v)
                for k, v in group.items()
            }
            for group, fresh_group in zip(groups, fresh["param_groups"])
        ],
    }
