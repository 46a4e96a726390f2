"""ONNX graphs of the fitted estimators, and skl2onnx converters for Pipelines.

The torch part of a graph (the module's ``encode``, ``decode`` or forward
with a softmax) is exported by ``torch.onnx.export`` (its ``torch.export``
path); the classifiers' labels are added with ONNX's own operators
(``ArgMax``, then ``Gather`` from a constant of ``classes_``), so that labels
of any kind (ints, strings) come out as ``predict`` gives them. Inputs are
rows (n, ``n_features_in_``): the convolutional modules view them as images
inside, as they do in skfashion. float32, or float64 for a model fitted with
``precision='float64'``.

``register_skl2onnx_converters`` (call it once, before skl2onnx's
``to_onnx``) teaches skl2onnx the six estimators: a converter inlines the
estimator's graph into skl2onnx's, so that
``skl2onnx.to_onnx(Pipeline([("ae", Autoencoder()), ("knn", ...)]), X[:1])``
exports the whole pipeline.
"""

import contextlib
import io
import logging
import warnings

import numpy as np
import torch
from torch import nn

# The opset of the graphs torch exports; skl2onnx's converters ask for theirs.
OPSET = 18

METHODS = {
    "autoencoder": ("transform", "inverse_transform"),
    "classifier": ("predict",),
}


class _Encode(nn.Module):
    """rows (n, d) -> codes (n, k): ``transform`` (a VAE's posterior mean)."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        return self.module.encode(x)


class _Decode(nn.Module):
    """codes (n, k) -> rows (n, d): ``inverse_transform``."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, z):
        return self.module.decode(z)


class _Probabilities(nn.Module):
    """rows (n, d) -> class probabilities (n, c): ``predict_proba``."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        return torch.softmax(self.module(x), dim=1)


@contextlib.contextmanager
def _quiet_exporter():
    """Without the exporter's warnings about torchvision's operators (not used)."""
    logger = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's notes to itself
            yield
    finally:
        logger.setLevel(level)


def _kind(estimator):
    from sklearn.base import is_classifier

    return "classifier" if is_classifier(estimator) else "autoencoder"


def to_onnx(estimator, X_sample=None, *, method=None, opset=OPSET):
    """The ONNX graph of a fitted skfashion estimator.

    A classifier's graph gives ``label`` (as ``predict``: ``classes_`` of any
    kind) and ``probabilities`` (as ``predict_proba``); an autoencoder's
    gives ``code`` (as ``transform``) or, with ``method='inverse_transform'``,
    ``reconstruction`` from codes. Run under onnxruntime, the outputs equal
    the estimator's within 1e-5.

    Parameters
    ----------
    estimator : fitted skfashion estimator

    X_sample : array-like of shape (n_samples, n_features), default=None
        An example of the input (its values do not matter). None uses rows
        of zeros. Image arrays are flattened: the graph takes rows.

    method : {'predict', 'transform', 'inverse_transform'} or None, default=None
        The method the graph computes: None is 'predict' for a classifier,
        'transform' for an autoencoder.

    opset : int, default=18
        The ONNX opset of the graph (18 or more).

    Returns
    -------
    model : onnx.ModelProto
        Its input is ``X`` (rows; ``codes`` for 'inverse_transform'), of any
        number of rows.

    Examples
    --------
    >>> import numpy as np, onnxruntime
    >>> from skfashion import FeedForwardClassifier
    >>> from skfashion.datasets import load_fashion_mnist_sample
    >>> from skfashion.onnx import to_onnx
    >>> X, y = load_fashion_mnist_sample(return_X_y=True)
    >>> clf = FeedForwardClassifier((16,), max_epochs=1, random_state=0)
    >>> clf = clf.fit(X[:300], y[:300])
    >>> session = onnxruntime.InferenceSession(to_onnx(clf).SerializeToString())
    >>> labels, probabilities = session.run(None, {"X": X[:5]})
    >>> bool((labels == clf.predict(X[:5])).all())
    True
    """
    import onnx
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    kind = _kind(estimator)
    method = method or METHODS[kind][0]
    if method not in METHODS[kind]:
        raise ValueError(
            f"method must be one of {METHODS[kind]} for a {kind}, got {method!r}."
        )
    module = estimator.net_.module_
    dtype = estimator.runtime_.weight_dtype
    np_dtype = estimator.runtime_.data_dtype
    if method == "inverse_transform":
        wrapper, name, width = _Decode(module), "codes", int(estimator.n_components)
        outputs = ["reconstruction"]
    else:
        width = estimator.n_features_in_
        name = "X"
        if kind == "classifier":
            wrapper, outputs = _Probabilities(module), ["probabilities"]
        else:
            wrapper, outputs = _Encode(module), ["code"]
    if X_sample is None or method == "inverse_transform":
        X_sample = np.zeros((2, width), dtype=np_dtype)
    X_sample = np.asarray(X_sample, dtype=np_dtype).reshape(-1, width)
    # Two rows at least: torch.export takes a dimension of 1 for a constant.
    example = torch.as_tensor(np.concatenate([X_sample[:2], X_sample[:2]])[:2])
    was_training = module.training
    module.eval()
    try:
        buffer = io.BytesIO()
        with _quiet_exporter(), torch.no_grad():
            program = torch.onnx.export(
                wrapper.to(dtype),
                (example,),
                input_names=[name],
                output_names=outputs,
                dynamic_shapes=({0: torch.export.Dim("n")},),
                opset_version=max(int(opset), OPSET),
                dynamo=True,
                verbose=False,
            )
        program.save(buffer)
    finally:
        module.train(was_training)
    model = onnx.load_from_string(buffer.getvalue())
    if kind == "classifier":
        model = _add_labels(model, estimator.classes_)
    onnx.checker.check_model(model)
    return model


def _classes_tensor(classes):
    """``classes_`` as an ONNX constant: int64, float, bool or strings."""
    from onnx import numpy_helper

    classes = np.asarray(classes)
    if classes.dtype.kind in "USO":
        classes = np.array([str(c) for c in classes], dtype=object)
    elif classes.dtype.kind in "iub":
        classes = classes.astype(np.int64)
    return numpy_helper.from_array(classes, name="classes")


def _add_labels(model, classes):
    """label = classes_[argmax(probabilities)]: as ``predict`` maps them."""
    from onnx import helper

    graph = model.graph
    graph.initializer.append(_classes_tensor(classes))
    graph.node.extend(
        [
            helper.make_node(
                "ArgMax", ["probabilities"], ["label_index"], axis=1, keepdims=0
            ),
            helper.make_node("Gather", ["classes", "label_index"], ["label"], axis=0),
        ]
    )
    label_type = graph.initializer[-1].data_type
    label = helper.make_tensor_value_info("label", label_type, ["n"])
    outputs = list(graph.output)
    del graph.output[:]
    graph.output.extend([label, *outputs])
    return model


# -- skl2onnx ------------------------------------------------------------------------


def _shape_calculator(operator):
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )

    estimator = operator.raw_operator
    n = operator.inputs[0].get_first_dimension()
    float_type = (
        DoubleTensorType
        if estimator.runtime_.precision == "float64"
        else FloatTensorType
    )
    if _kind(estimator) == "classifier":
        kind = np.asarray(estimator.classes_).dtype.kind
        label_type = StringTensorType if kind in "USO" else Int64TensorType
        operator.outputs[0].type = label_type([n])
        operator.outputs[1].type = float_type([n, len(estimator.classes_)])
    else:
        operator.outputs[0].type = float_type([n, int(estimator.n_components)])


def _converter(scope, operator, container):
    """Inline the estimator's graph: its names made unique in skl2onnx's."""
    from onnx import helper

    estimator = operator.raw_operator
    model = to_onnx(estimator, opset=max(OPSET, container.target_opset))
    graph = model.graph
    prefix = scope.get_unique_variable_name(type(estimator).__name__) + "_"
    rename = {graph.input[0].name: operator.inputs[0].full_name}
    for graph_output, variable in zip(graph.output, operator.outputs):
        rename[graph_output.name] = variable.full_name

    def renamed(name):
        return rename.get(name, prefix + name) if name else name

    for tensor in graph.initializer:
        copy = type(tensor)()
        copy.CopyFrom(tensor)
        copy.name = renamed(tensor.name)
        container.initializers.append(copy)
    for node in graph.node:
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        container.add_node(
            node.op_type,
            [renamed(i) for i in node.input],
            [renamed(o) for o in node.output],
            name=prefix + (node.name or node.op_type),
            op_domain=node.domain,
            op_version=_opset_of(model, node.domain),
            **attributes,
        )


def _opset_of(model, domain):
    for opset in model.opset_import:
        if opset.domain == domain:
            return opset.version
    return None


def register_skl2onnx_converters():
    """Teach skl2onnx skfashion's estimators (idempotent).

    After it, ``skl2onnx.to_onnx`` converts Pipelines that hold them; the
    classifiers take skl2onnx's ``zipmap`` option as its own classifiers do.
    """
    from skl2onnx import update_registered_converter
    from sklearn.base import ClassifierMixin

    from ._estimators import estimator_classes

    for name, cls in estimator_classes().items():
        # Classifiers take skl2onnx's options for classifiers (ZipMap or not).
        options = (
            {"zipmap": [True, False, "columns"], "nocl": [True, False]}
            if issubclass(cls, ClassifierMixin)
            else None
        )
        update_registered_converter(
            cls, f"Skfashion{name}", _shape_calculator, _converter, options=options
        )
