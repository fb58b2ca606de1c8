"""A stand-in for onnxruntime, for one test: it runs tools/onnx_generate.py where the real package cannot be installed.

Not ONNX Runtime. It evaluates the operators that 'charlstm export --format onnx' writes with numpy, as the ONNX
operator specifications define them (LSTM: gates i, o, f, c; B = [Wb, Rb]), with the graph read by the onnx package
(Debian's python3-onnx). The C# tests run the same files in the real ONNX Runtime; this one checks the script's
plumbing (metadata, prompt, state fed back, decoding) against `charlstm generate --temperature 0`.
"""

import numpy as np
import onnx
from onnx import helper, numpy_helper


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _lstm(inputs, attributes):
    x, w, r, b, _, h, c = inputs
    hidden = attributes["hidden_size"]
    bias = b[0, : 4 * hidden] + b[0, 4 * hidden:]
    h, c = h[0], c[0]
    ys = []
    for xt in x:
        gates = xt @ w[0].T + h @ r[0].T + bias
        i, o, f, g = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        ys.append(h)
    return [np.stack(ys)[:, None], h[None], c[None]]


def _slice(inputs, _):
    data, starts, ends, axes = inputs
    index = [slice(None)] * data.ndim
    for s, e, a in zip(starts, ends, axes):
        index[a] = slice(s, e)
    return [data[tuple(index)]]


_OPS = {
    "Gather": lambda i, a: [np.take(i[0], i[1], axis=a.get("axis", 0))],
    "ConstantOfShape": lambda i, a: [np.zeros(tuple(i[0]), np.float32)],
    "EyeLike": lambda i, a: [np.eye(*i[0].shape, dtype=i[0].dtype)],
    "Unsqueeze": lambda i, a: [np.expand_dims(i[0], tuple(i[1]))],
    "Squeeze": lambda i, a: [np.squeeze(i[0], axis=tuple(i[1]))],
    "Slice": _slice,
    "Concat": lambda i, a: [np.concatenate(i, axis=a["axis"])],
    "MatMul": lambda i, a: [i[0] @ i[1]],
    "Add": lambda i, a: [i[0] + i[1]],
    "LSTM": _lstm,
}


class _ModelMetadata:
    def __init__(self, model):
        self.custom_metadata_map = {p.key: p.value for p in model.metadata_props}


class InferenceSession:
    def __init__(self, path, providers=None):
        self._model = onnx.load(path)
        self._constants = {t.name: numpy_helper.to_array(t) for t in self._model.graph.initializer}

    def get_modelmeta(self):
        return _ModelMetadata(self._model)

    def run(self, output_names, feeds):
        values = dict(self._constants, **feeds)
        for node in self._model.graph.node:
            inputs = [values[name] if name else None for name in node.input]
            attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            for name, value in zip(node.output, _OPS[node.op_type](inputs, attributes)):
                values[name] = value
        return [values[name] for name in output_names]
