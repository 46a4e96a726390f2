"""ONNX export: :func:`to_onnx` for one estimator, skl2onnx for Pipelines.

``to_onnx(estimator)`` gives the graph of a fitted estimator, equal to the
estimator under onnxruntime within 1e-5. Its input is ``X`` (rows); its
outputs are ``label`` and ``probabilities`` for a classifier, ``code`` for
an autoencoder, and ``reconstruction`` (from the input ``codes``) with
``method='inverse_transform'``.

:func:`register_skl2onnx_converters` teaches skl2onnx the estimators, so
that ``skl2onnx.to_onnx(pipeline, X[:1])`` exports a Pipeline that holds
them; its outputs are then named by skl2onnx: ``output_label`` and
``output_probability`` (a list of dicts ``{class: probability}``, or an
array with the ``zipmap=False`` option) for a classifier at the end,
``variable`` for a transformer at the end.

Needs ``pip install onnx onnxscript`` (and skl2onnx for Pipelines); a
missing package is an ImportError that names the command.
"""

from ._onnx_export import register_skl2onnx_converters, to_onnx

__all__ = ["register_skl2onnx_converters", "to_onnx"]
