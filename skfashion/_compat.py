"""Every private API of scikit-learn, skorch and torch that skfashion uses.

One place, so that a release that moves one of them breaks one file. The
version ranges they were tested with are declared in ``pyproject.toml``.

- scikit-learn: ``_fit_context`` (parameter validation around ``fit``, as
  scikit-learn's own estimators do), ``_param_validation`` (the constraint
  classes of ``_parameter_constraints``), ``_check_sample_weight``, and
  ``BaseEstimator._validate_params`` (``check_params``: a loaded model's
  parameters are checked as ``fit`` checks them).
- torch: ``torch.cpu._is_amx_tile_supported`` and
  ``_is_avx512_bf16_supported`` (whether the CPU multiplies bfloat16
  natively).
- skorch: none; its hooks and ``skorch.dataset.unpack_data`` are public.
"""

import torch
from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "Interval",
    "StrOptions",
    "_check_sample_weight",
    "_fit_context",
    "check_params",
    "cpu_multiplies_bfloat16",
    "validate_params",
]


def check_params(estimator):
    """Check ``estimator``'s parameters against its ``_parameter_constraints``."""
    estimator._validate_params()


def cpu_multiplies_bfloat16():
    """Whether this CPU has AMX tiles or AVX512-BF16 instructions."""
    cpu = torch.cpu
    return bool(cpu._is_amx_tile_supported() or cpu._is_avx512_bf16_supported())
