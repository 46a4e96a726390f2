"""Model files as an attacker who knows the format would write them."""

import json

from safetensors.torch import save as safetensors_bytes

from skfashion._model_file import _DTYPE_NAMES, _digest


def signed(document, tensors):
    """Safetensors bytes of a document and tensors with a matching digest."""
    text = json.dumps(document)
    parts = {
        name: (_DTYPE_NAMES[t.dtype], tuple(t.shape), t.numpy().tobytes())
        for name, t in tensors.items()
    }
    metadata = {"skfashion": text, "skfashion_sha256": _digest(text, parts)}
    return safetensors_bytes(tensors, metadata=metadata)
