"""ONNX graphs of the fitted estimators, and skl2onnx converters for Pipelines.

The torch part of a graph (the module's ``encode``, ``decode`` or forward
with a softmax) is exported by ``torch.onnx.export`` (its ``torch.export``
path); the classifiers' labels are added with ONNX's own operators
(``ArgMax``, then ``Gather`` from a constant of ``classes_``), so that labels
of any kind (ints, strings) come out as ``predict`` gives them. Inputs are
rows (n, ``n_features_in_``): the convolutional modules view them as images
inside, as they do in skfashion. float32, or float64 for a model fitted with
``precision='float64'`` (a convolutional one then computes in float32 inside
the graph, between casts: onnxruntime has no float64 convolution).

``register_skl2onnx_converters`` (call it once, before skl2onnx's
``to_onnx``) teaches skl2onnx the six estimators: a converter inlines the
estimator's graph into skl2onnx's, so that
``skl2onnx.to_onnx(Pipeline([("ae", Autoencoder()), ("knn", ...)]), X[:1])``
exports the whole pipeline.
"""

import contextlib
import copy
import importlib
import io
import logging
import numbers
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


class _Float32Inside(nn.Module):
    """float64 in and out, float32 inside: for the layers onnxruntime has no
    float64 kernel of (``Conv``, ``ConvTranspose``)."""

    def __init__(self, wrapper):
        super().__init__()
        self.inner = copy.deepcopy(wrapper).to(torch.float32).eval()

    def forward(self, x):
        return self.inner(x.to(torch.float32)).to(torch.float64)


# Layers whose float64 kernels onnxruntime lacks (on CPU): Conv(11) among them.
_NO_FLOAT64_KERNEL = (nn.modules.conv._ConvNd,)


def _require(*names, extra=""):
    """Import ``names``; a missing one is an ImportError that says what to run."""
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ImportError as exc:
            raise ImportError(
                f"skfashion.onnx needs {name}, which is not installed: "
                f"pip install {' '.join(names)}{extra}"
            ) from exc
    return modules


def _check_opset(opset):
    """The opset as an int: 18 (torch's exporter's) up to onnx's newest."""
    import onnx

    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, numbers.Integral):
        raise ValueError(
            f"opset must be an int from {OPSET} to {newest}, got {opset!r}."
        )
    if not OPSET <= int(opset) <= newest:
        raise ValueError(
            f"opset must be from {OPSET} (the oldest torch's exporter writes) to "
            f"{newest} (the newest this onnx knows), got {opset}. With skl2onnx, "
            f"pass target_opset={{'': {OPSET}, 'ai.onnx.ml': 3}} or more."
        )
    return int(opset)


def _sample(X_sample, width, np_dtype, name):
    """``X_sample`` as rows (n >= 1, ``width``) of the graph's dtype, or an error."""
    if X_sample is None:
        return np.zeros((2, width), dtype=np_dtype)
    if hasattr(X_sample, "to_numpy"):  # pandas, polars
        X_sample = X_sample.to_numpy()
    try:
        array = np.asarray(X_sample)
    except Exception as exc:  # ragged lists
        raise ValueError(
            f"X_sample must be an array of numbers ({name}), got {exc}."
        ) from exc
    if array.dtype.kind not in "biuf":
        raise ValueError(
            f"X_sample must hold numbers, got an array of dtype {array.dtype}; "
            "pass a few rows of the data the estimator was fitted on."
        )
    if array.ndim < 2:
        raise ValueError(
            f"X_sample must be 2-D rows (n, {width}), got shape {array.shape}; "
            "use X[:1] rather than X[0], or X.reshape(1, -1)."
        )
    if array.shape[0] == 0:
        raise ValueError(
            "X_sample is empty (0 rows); pass at least one row, e.g. X[:1], "
            "or None for rows of zeros."
        )
    if int(np.prod(array.shape[1:])) != width:
        raise ValueError(
            f"X_sample has {int(np.prod(array.shape[1:]))} features per row "
            f"(shape {array.shape}), but the graph's input {name!r} has {width}; "
            "pass rows like those the estimator was fitted on."
        )
    return array.reshape(len(array), width).astype(np_dtype)


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

    The graph's input and outputs, by name:

    - a classifier: input ``X`` (rows); outputs ``label`` (n,), as
      ``predict`` gives them (``classes_`` of any kind: int64, float, bool
      or strings), then ``probabilities`` (n, n_classes), as
      ``predict_proba``;
    - an autoencoder (variational ones too): input ``X``; output ``code``
      (n, n_components), as ``transform`` (a VAE's posterior mean);
    - with ``method='inverse_transform'``: input ``codes`` (n,
      n_components); output ``reconstruction`` (n, n_features), as
      ``inverse_transform``.

    Run under onnxruntime, the outputs equal the estimator's within 1e-5.
    Inputs and outputs are float32, or float64 for a model fitted with
    ``precision='float64'``; a convolutional float64 model computes in
    float32 inside the graph (onnxruntime has no float64 ``Conv``), between
    casts, so that its float64 input and outputs still match within 1e-5.

    Parameters
    ----------
    estimator : fitted skfashion estimator

    X_sample : array-like of shape (n_samples, n_features), default=None
        An example of the input (its values do not matter): one row or more
        of ``n_features_in_`` numbers, or images of as many pixels. None uses
        rows of zeros. Image arrays are flattened: the graph takes rows. An
        empty, 1-D or non-numeric sample, or one of another width, is a
        ``ValueError``.

    method : {'predict', 'transform', 'inverse_transform'} or None, default=None
        The method the graph computes: None is 'predict' for a classifier,
        'transform' for an autoencoder.

    opset : int, default=18
        The ONNX opset of the graph: from 18 (the oldest torch's exporter
        writes) to the newest the installed onnx knows; others are a
        ``ValueError``.

    Returns
    -------
    model : onnx.ModelProto
        Its input is ``X`` (rows; ``codes`` for 'inverse_transform'), of any
        number of rows.

    Raises
    ------
    ImportError
        Without onnx or onnxscript, saying ``pip install onnx onnxscript``.

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
    (onnx, _) = _require("onnx", "onnxscript")
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    opset = _check_opset(opset)
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
    if method == "inverse_transform":  # a sample of rows is not one of codes
        X_sample = None
    X_sample = _sample(X_sample, width, np_dtype, name)
    if dtype == torch.float64 and any(
        isinstance(m, _NO_FLOAT64_KERNEL) for m in module.modules()
    ):
        # onnxruntime has no float64 convolution: the graph takes and gives
        # float64, and computes in float32 inside (within 1e-5 of the model).
        wrapper, dtype = _Float32Inside(wrapper), torch.float32
    # Two rows at least: torch.export takes a dimension of 1 for a constant.
    example = torch.as_tensor(np.concatenate([X_sample[:2], X_sample[:2]])[:2])
    was_training = module.training
    module.eval()
    try:
        buffer = io.BytesIO()
        with _quiet_exporter(), torch.no_grad():
            program = torch.onnx.export(
                wrapper if isinstance(wrapper, _Float32Inside) else wrapper.to(dtype),
                (example,),
                input_names=[name],
                output_names=outputs,
                dynamic_shapes=({0: torch.export.Dim("n")},),
                opset_version=opset,
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
    # The outputs have the input's float type (the sample's, or the step
    # before's): the steps after then get what they were given, whatever
    # the estimator's precision (the converter casts in and out).
    float_type = type(operator.inputs[0].type)
    if float_type not in (DoubleTensorType, FloatTensorType):
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
    if container.target_opset < OPSET:
        raise ValueError(
            f"skfashion's estimators export with opset {OPSET} or more, but "
            f"skl2onnx was asked for {container.target_opset}: pass "
            f"target_opset={{'': {OPSET}, 'ai.onnx.ml': 3}} (or leave it out) "
            "to skl2onnx.to_onnx."
        )
    model = to_onnx(estimator, opset=container.target_opset)
    graph = model.graph
    prefix = scope.get_unique_variable_name(type(estimator).__name__) + "_"
    source = operator.inputs[0].full_name
    wanted = graph.input[0].type.tensor_type.elem_type
    given = _elem_type(operator.inputs[0].type)
    if given is not None and given != wanted:
        # The step before (or the sample) gives another dtype than the
        # estimator's precision: cast, as the estimator itself converts X.
        cast = prefix + "cast_input"
        container.add_node(
            "Cast", [source], [cast], name=cast, to=wanted, op_version=OPSET
        )
        source = cast
    rename = {graph.input[0].name: source}
    casts = []
    for graph_output, variable in zip(graph.output, operator.outputs):
        rename[graph_output.name] = variable.full_name
        declared = _elem_type(variable.type)
        if graph_output.type.tensor_type.elem_type == wanted and declared not in (
            None,
            wanted,
        ):  # a float output, declared in the input's float type
            rename[graph_output.name] = prefix + graph_output.name
            casts.append((prefix + graph_output.name, variable.full_name, declared))

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
    for source, target, to in casts:
        container.add_node(
            "Cast", [source], [target], name=target + "_cast", to=to, op_version=OPSET
        )


def _elem_type(variable_type):
    """The ONNX element type of a skl2onnx variable type (None if unknown)."""
    from onnx import TensorProto
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int32TensorType,
        Int64TensorType,
    )

    types = {
        DoubleTensorType: TensorProto.DOUBLE,
        FloatTensorType: TensorProto.FLOAT,
        Int64TensorType: TensorProto.INT64,
        Int32TensorType: TensorProto.INT32,
    }
    return types.get(type(variable_type))


def _opset_of(model, domain):
    for opset in model.opset_import:
        if opset.domain == domain:
            return opset.version
    return None


def register_skl2onnx_converters():
    """Teach skl2onnx skfashion's estimators (idempotent).

    After it, ``skl2onnx.to_onnx`` converts Pipelines that hold them; the
    classifiers take skl2onnx's ``zipmap`` option as its own classifiers do.

    The output names are skl2onnx's, not :func:`to_onnx`'s:

    - a Pipeline that ends in a classifier (skfashion's or scikit-learn's):
      ``output_label`` (n,), as ``predict``, and ``output_probability``:
      skl2onnx's ZipMap, a list of n dicts ``{class: probability}``; with
      ``options={id(classifier): {"zipmap": False}}`` (needed for a float64
      sample: ZipMap takes no doubles) they are ``label`` and
      ``probabilities``, an array (n, n_classes), as ``predict_proba``;
    - a Pipeline that ends in a transformer (an autoencoder): ``variable``
      (n, n_components), as ``transform``.

    The input is named ``X`` and typed as ``X_sample`` is (float32 or
    float64). A skfashion step whose precision differs from the data it gets
    casts it, as the estimator converts its input, and gives its outputs in
    the type it was given, so that a float64 model in a float32 Pipeline (or
    the reverse) exports a graph that runs. skl2onnx's ``target_opset`` must
    be 18 or more (or left out). Needs ``pip install skl2onnx onnx
    onnxscript``; a missing one is an ImportError that says so.
    """
    _require("skl2onnx", "onnx", "onnxscript")
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
