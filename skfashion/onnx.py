"""ONNX export: :func:`to_onnx` for one estimator, skl2onnx for Pipelines.

``to_onnx(estimator)`` gives the graph of a fitted estimator (labels and
probabilities of a classifier, codes or reconstructions of an autoencoder),
equal to the estimator under onnxruntime within 1e-5.
:func:`register_skl2onnx_converters` teaches skl2onnx the estimators, so
that ``skl2onnx.to_onnx(pipeline, X[:1])`` exports a Pipeline that holds
them. Needs ``pip install onnx onnxscript`` (and skl2onnx for Pipelines).
"""

from ._onnx_export import register_skl2onnx_converters, to_onnx

__all__ = ["register_skl2onnx_converters", "to_onnx"]
