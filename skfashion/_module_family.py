"""A user's own torch module as the network family (``module=``).

``Autoencoder(module=MyModule, module__width=32)``, and the same on
``VariationalAutoencoder`` and ``FeedForwardClassifier``, train any
``torch.nn.Module`` that offers what the face needs (``_modules.py``, "a
user's own module": ``encode`` / ``decode``, the Gaussian code head, logits)
with everything the built-in networks get: the fit's lifecycle, weights,
warm start, ``partial_fit``, precision, threads, model files and ONNX.

``ModuleNetwork`` implements the family protocol (``_family.py``) for the
module, and is mixed before the built-in family of those estimators: with
``module=None`` (the default) every member is the built-in family's. The
module's class is called with its ``module__*`` settings, plus what the fit
knows that it asks for by name in its ``__init__`` (``n_features``,
``input_shape``, ``n_components``, ``n_classes``), unless a setting gives it.
The input reaches the module in the shape the estimator was fitted on:
rows (n, d) as rows, images (n, h, w) as (n, 1, h, w), (n, c, h, w) as given.
"""

import inspect
import math

import torch
from sklearn.base import is_classifier

from ._family import NetworkFamily
from ._modules import UserAutoencoderModule, UserClassifierModule
from ._runtime import on_meta_else_cpu
from ._state import MAX_FEATURES, integer, sequence

# What the fit passes to a user's module that asks for it by name.
META = ("n_features", "input_shape", "n_components", "n_classes")


def _signature(module):
    try:
        return inspect.signature(module)
    except (TypeError, ValueError):  # a builtin without one: no names to check
        return None


class ModuleNetwork(NetworkFamily):
    """A user's ``torch.nn.Module`` class as the network (``module=``)."""

    _family_constraints: dict = {"module": [None, type]}

    # -- which family ----------------------------------------------------------

    def _built_in_unchanged(self):
        """Refuse the built-in family's parameters when a module is given:
        the module's own settings are its ``module__*``."""
        built_in = set(super()._family_constraints)
        defaults = {
            name: p.default
            for name, p in inspect.signature(type(self).__init__).parameters.items()
        }
        for name in sorted(built_in):
            value = getattr(self, name)
            if name in defaults and not _same(value, defaults[name]):
                raise ValueError(
                    f"{name}={value!r} sets the built-in network, but module="
                    f"{self.module.__name__} is the network: give your module's "
                    f"own settings as module__<name>, and leave {name} at its "
                    f"default ({defaults[name]!r})."
                )

    def _check_module(self, methods):
        module = self.module
        if not (isinstance(module, type) and issubclass(module, torch.nn.Module)):
            raise ValueError(
                f"module must be a torch.nn.Module class (not an instance), got "
                f"{module!r:.80}: pass the class, and its settings as "
                "module__<name>."
            )
        missing = [m for m in methods if not callable(getattr(module, m, None))]
        if missing:
            raise ValueError(
                f"{type(self).__name__} needs a module with "
                f"{' and '.join(f'{m}(...)' for m in methods)}; "
                f"{module.__name__} has no {', '.join(missing)}. See the "
                "user guide's 'Your own network and optimizer'."
            )

    @property
    def _face(self):
        return "classifier" if is_classifier(self) else "autoencoder"

    def _module_and_kwargs(self, X, fitted):
        module, kwargs = super()._module_and_kwargs(X, fitted)
        if self.module is not None:  # checked on the meta device first
            check_user_module(self, module, kwargs, X.shape[1])
        return module, kwargs

    def _fitted_spec(self):
        required, optional = super()._fitted_spec()
        if self.module is None:
            return required, optional
        shape = sequence(integer(1, MAX_FEATURES), tuple)
        return {**required, "input_shape_": shape}, optional

    def _fitted_agree(self, fitted):
        agree = super()._fitted_agree(fitted)
        if self.module is None:
            return agree
        return [
            *agree,
            (
                "input_shape_",
                1 <= len(fitted["input_shape_"]) <= 3
                and math.prod(fitted["input_shape_"]) == fitted["n_features_in_"],
            ),
        ]

    # -- the protocol ------------------------------------------------------------

    @property
    def _autoencoder_module(self):
        if self.module is None:
            return super()._autoencoder_module
        return UserAutoencoderModule

    @property
    def _classifier_module(self):
        if self.module is None:
            return super()._classifier_module
        return UserClassifierModule

    @property
    def _input_fitted_names(self):
        if self.module is None:
            return super()._input_fitted_names
        return ("input_shape_",)

    def _input_fitted(self, shape):
        if self.module is None:
            return super()._input_fitted(shape)
        if len(shape) == 3:  # (n, h, w): one channel
            return {"input_shape_": (1, *map(int, shape[1:]))}
        return {"input_shape_": tuple(int(v) for v in shape[1:])}

    def _check_input_shape(self, shape):
        if self.module is None:
            return super()._check_input_shape(shape)
        given = (1, *shape[1:]) if len(shape) == 3 else tuple(shape[1:])
        if tuple(given) != tuple(self.input_shape_):
            raise ValueError(
                f"X holds arrays of shape {tuple(shape[1:])}, but "
                f"{type(self).__name__} was fitted on {tuple(self.input_shape_)} "
                "(its module's input): give arrays of the fitted shape, or rows "
                "of as many values."
            )

    def _fitted_input_shape(self):
        if self.module is None:
            return super()._fitted_input_shape()
        return tuple(self.input_shape_)

    def _check_fit_size(self, n_samples, y=None):
        if self.module is None:
            return super()._check_fit_size(n_samples, y)

    def _augmentation(self, fitted):
        if self.module is None:
            return super()._augmentation(fitted)
        return None

    def _check_module_routed(self, settings):
        if self.module is None:
            return super()._check_module_routed(settings)
        signature = _signature(self.module)
        if signature is None:
            return
        params = signature.parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
        for name in settings:
            if name not in params and not takes_any:
                raise ValueError(
                    f"module__{name}: {self.module.__name__}.__init__ has no "
                    f"parameter {name!r}; its parameters are "
                    f"{', '.join(params) or 'none'}."
                )

    def _family_kwargs(self, X, fitted):
        if self.module is None:
            return super()._family_kwargs(X, fitted)
        face = self._face
        methods = ("encode", "decode") if face == "autoencoder" else ("forward",)
        self._check_module(methods)
        self._built_in_unchanged()
        settings = self._routed("module__")
        self._check_module_routed(settings)
        input_shape = fitted.get("input_shape_") or (int(X.shape[1]),)
        meta = {"n_features": int(X.shape[1]), "input_shape": tuple(input_shape)}
        if face == "autoencoder":
            meta["n_components"] = int(self.n_components)
        else:
            meta["n_classes"] = len(fitted["classes_"])
        signature = _signature(self.module)
        asked = set(signature.parameters) if signature is not None else set()
        kwargs = {k: v for k, v in meta.items() if k in asked and k not in settings}
        kwargs.update(settings)
        return {
            "module": self.module,
            "module_kwargs": kwargs,
            "input_shape": tuple(input_shape),
        }


def _same(a, b):
    try:
        return (
            bool(a == b)
            if not isinstance(a, (list, tuple))
            else (type(b) in (list, tuple) and tuple(a) == tuple(b))
        )
    except (TypeError, ValueError):
        return a is b


def check_user_module(estimator, module_class, module_kwargs, n_features):
    """Run the built module once on two rows of zeros, on the meta device (no
    memory, no arithmetic) or else the CPU (``on_meta_else_cpu``), and
    refuse, with the fix, outputs of the wrong shape: the code's width
    against ``n_components``, the reconstruction's size against the input's,
    the logits against the classes."""
    cls = type(estimator).__name__
    name = estimator.module.__name__

    def run():
        module = module_class(**module_kwargs).eval()
        with torch.no_grad():
            return module(torch.zeros(2, n_features))

    try:
        out = on_meta_else_cpu(run)
    except (TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise ValueError(
            f"{cls} cannot run module={name} on inputs of shape "
            f"(n, {', '.join(map(str, module_kwargs['input_shape']))}): "
            f"{type(exc).__name__}: {exc}. Give X in the shape your module "
            "reads (images as (n, h, w) or (n, c, h, w)), or fix the module."
        ) from exc
    if isinstance(out, dict):  # an autoencoder
        k = int(estimator.n_components)
        if tuple(out["code"].shape) != (2, k):
            raise ValueError(
                f"{name}.encode gives codes of shape {tuple(out['code'].shape[1:])}"
                f", but n_components={k}: set n_components to its code's width, or "
                "take n_components in its __init__."
            )
        if math.prod(out["reconstruction"].shape[1:]) != n_features:
            raise ValueError(
                f"{name}.decode gives {math.prod(out['reconstruction'].shape[1:])} "
                f"values per sample, but the input has {n_features}: decode to "
                "the input's shape."
            )
    else:
        c = module_kwargs.get("n_classes")
        if c is not None and tuple(out.shape) != (2, c):
            raise ValueError(
                f"{name}.forward gives outputs of shape {tuple(out.shape[1:])}, "
                f"but there are {c} classes: return one logit per class, or take "
                "n_classes in its __init__."
            )
