"""Settings routed as skorch spells them: ``optimizer__*`` and ``module__*``.

``RoutedSettings`` is the estimators' mixin that stores ``__init__``'s
``**kwargs`` unchanged (in the private ``_kwargs``, so that scikit-learn's
init check passes), returns them from ``get_params``, takes them in
``set_params`` and checks them at fit: each ``optimizer__`` name against the
torch optimizer's signature and its values by building the optimizer; the
``module__`` settings through the family's ``_check_module_routed`` (a
user's module, ``module=``; the built-in networks take none).
"""

import inspect

import torch
from sklearn.base import BaseEstimator

from ._recipe import OPTIMIZERS, optimizer_kwargs

# Settings routed to the parts skorch builds, spelled as skorch spells them
# (``optimizer__momentum=0.9``): stored unchanged, returned by get_params.
ROUTED_PREFIXES = ("optimizer__", "module__")

# What a routed setting of the optimizer may not set: the flat parameter
# that owns it (one owner per option).
_OPTIMIZER_OWNED = {"lr": "learning_rate", "weight_decay": "weight_decay"}

# Settings of how an optimizer runs rather than what it computes: a warm fit
# keeps the fitted ones.
_RUN_SETTINGS = ("fused", "foreach", "capturable", "differentiable")


def is_routed(key):
    """Whether ``key`` is a routed setting: a known prefix, then a name."""
    return any(
        key.startswith(prefix) and key[len(prefix) :].isidentifier()
        for prefix in ROUTED_PREFIXES
    )


def _is_plain_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def plain_routed_value(value):
    """Whether a routed value is plain data that a model file holds: None, a
    bool, a number, a short string, or a tuple of numbers."""
    if value is None or isinstance(value, bool) or _is_plain_number(value):
        return True
    if isinstance(value, str):
        return len(value) <= 256
    return (
        type(value) is tuple
        and len(value) <= 16
        and all(_is_plain_number(v) for v in value)
    )


class RoutedSettings(BaseEstimator):
    """``optimizer__*`` and ``module__*`` settings, as skorch's nets take them."""

    def _set_routed(self, kwargs):
        """Store ``__init__``'s ``**kwargs`` unchanged, as skorch does.

        Routed settings (``optimizer__momentum``) and any other keyword are
        kept as given and returned by ``get_params`` (scikit-learn's rule:
        nothing raises in ``__init__``); fit refuses a keyword that is not a
        routed setting, as Python refuses an unexpected keyword argument.
        Only names that would pass for fitted or private attributes (a
        trailing or leading underscore) are refused here. They are kept in
        the private ``_kwargs`` (scikit-learn's checks: ``__init__`` sets no
        public attribute but its parameters).
        """
        for key in kwargs:
            if key.startswith("_") or key.endswith("_"):
                raise TypeError(
                    f"{type(self).__name__}.__init__() got an unexpected keyword "
                    f"argument {key!r}. Settings of the optimizer and of a "
                    "user's module are routed as optimizer__<name> and "
                    "module__<name>."
                )
        self._kwargs = dict(kwargs)

    def __getattr__(self, name):
        """A routed setting read as an attribute (``est.optimizer__momentum``),
        as skorch's nets allow; called only when no attribute has the name."""
        kwargs = self.__dict__.get("_kwargs", {})
        if name in kwargs:
            return kwargs[name]
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}"
        )

    def __delattr__(self, name):
        """``del est.optimizer__momentum`` drops the setting (torch's default
        then holds), as for an attribute."""
        kwargs = self.__dict__.get("_kwargs", {})
        if name in kwargs and name not in self.__dict__:
            self._kwargs = {k: v for k, v in kwargs.items() if k != name}
        else:
            super().__delattr__(name)

    def _keyword_names(self):
        """The names ``**kwargs`` stored: beyond the signature's parameters,
        neither fitted (``name_``) nor private (``_name``)."""
        return sorted(getattr(self, "_kwargs", {}))

    def _routed(self, prefix):
        """``{name: value}`` of the routed settings under ``prefix``."""
        return {
            key[len(prefix) :]: value
            for key, value in sorted(getattr(self, "_kwargs", {}).items())
            if key.startswith(prefix) and is_routed(key)
        }

    def get_params(self, deep=True):
        """Parameters of this estimator, routed settings included.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of contained estimators.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        params.update(getattr(self, "_kwargs", {}))
        return params

    def set_params(self, **params):
        """Set the parameters of this estimator, routed settings included.

        ``optimizer__momentum=0.9`` is stored as given (scikit-learn's own
        ``set_params`` would take ``optimizer`` for an estimator); it is
        checked at fit.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
            Estimator instance.
        """
        keywords = set(self._keyword_names())
        routed = {
            key: params.pop(key)
            for key in list(params)
            if is_routed(key) or key in keywords
        }
        super().set_params(**params)
        if routed:  # a new dict: a clone's settings are not shared
            self._kwargs = {**getattr(self, "_kwargs", {}), **routed}
        return self

    def _check_routed(self):
        """Refuse, with the fix, routed settings that no part of this fit takes.

        Values must be plain data (a model file holds them); ``module__``
        settings go to a user's own module, and the built-in networks take
        their settings as flat parameters.
        """
        for key in self._keyword_names():
            if not is_routed(key):
                raise TypeError(
                    f"{type(self).__name__} got an unexpected keyword argument "
                    f"{key!r}. Settings of the optimizer and of a user's module "
                    "are routed as optimizer__<name> and module__<name>; the "
                    f"parameters are {', '.join(self._get_param_names())}."
                )
        for prefix in ROUTED_PREFIXES:
            for name, value in self._routed(prefix).items():
                if not plain_routed_value(value):
                    raise ValueError(
                        f"{prefix}{name}={value!r:.60} is not plain data: routed "
                        "settings must be None, a bool, an int, a float, a string "
                        "or a tuple of numbers (float(x), tuple(x)), so that "
                        "model files can hold them."
                    )
        self._check_module_routed(self._routed("module__"))

    def _check_module_routed(self, settings):
        """Hook: the module's routed settings ``{name: value}``. The built-in
        networks take none: each is refused, naming the flat parameter."""
        if not settings:
            return
        name, value = next(iter(settings.items()))
        flat = super().get_params(deep=False)
        if name in flat:
            fix = (
                f"use {name}={value!r}: the built-in networks take their "
                "settings as flat parameters"
            )
        else:
            fix = (
                "module__ settings go to a user's own torch module (module=), "
                f"and the built-in network of {type(self).__name__} has no "
                f"parameter {name!r}"
            )
        raise ValueError(f"module__{name}={value!r:.60}: {fix}.")

    def _optimizer_settings(self, runtime):
        """``(kwargs, settings)`` of this fit's torch optimizer.

        ``kwargs``: what the optimizer is built with beyond ``lr`` and
        ``weight_decay``: the fused kernel where torch has one for the device
        (``_recipe.optimizer_kwargs``), then the ``optimizer__`` settings,
        which win (``optimizer__fused=False``). ``settings``: the param-group
        defaults they give, for a warm fit to apply. Each name is checked
        against the torch class's signature and the values by building the
        optimizer on one parameter: a ``ValueError`` names the setting and
        the fix.
        """
        cls = OPTIMIZERS[self.optimizer]
        torch_name = cls.__name__
        accepted = [
            name
            for name, p in inspect.signature(cls.__init__).parameters.items()
            if name not in ("self", "params", *_OPTIMIZER_OWNED)
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        routed = self._routed("optimizer__")
        for name in routed:
            if name in _OPTIMIZER_OWNED:
                owner = _OPTIMIZER_OWNED[name]
                raise ValueError(
                    f"optimizer__{name} is set by {owner}: use "
                    f"{owner}={routed[name]!r} instead (one owner per option)."
                )
            if name not in accepted:
                raise ValueError(
                    f"optimizer__{name}: {torch_name} has no parameter {name!r}; "
                    f"its parameters are {', '.join(accepted)} (learning rate "
                    "and weight decay: learning_rate=, weight_decay=). Drop "
                    f"optimizer__{name} or choose another optimizer (now "
                    f"optimizer={self.optimizer!r})."
                )
        kwargs = {**optimizer_kwargs(self.optimizer, runtime.device), **routed}
        probe = torch.nn.Parameter(
            torch.zeros(1, dtype=runtime.weight_dtype, device=runtime.device)
        )
        try:
            built = cls(
                [probe], lr=self.learning_rate, weight_decay=self.weight_decay, **kwargs
            )
        except (TypeError, ValueError, RuntimeError) as exc:
            given = ", ".join(f"optimizer__{k}={v!r}" for k, v in routed.items())
            raise ValueError(
                f"{torch_name} refuses its settings ({given or 'the defaults'}): "
                f"{exc}. Change or drop the optimizer__ setting named."
            ) from exc
        return kwargs, dict(built.defaults)
