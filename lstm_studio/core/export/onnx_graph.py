"""A trained RecurrentModel as an ONNX graph that onnxruntime runs with dynamic batch and length.

The graph is written node by node with `onnx.helper` rather than traced by `torch.onnx.export`:
tracing needs PyTorch's deprecated TorchScript exporter or the dynamo exporter (onnxscript,
about 20 s per model here, and known to freeze the time axis of bidirectional layers), while a
direct translation takes milliseconds and says exactly what the model computes. Packed
sequences have no ONNX form, so the graph mirrors `RecurrentModel.masked_outputs` instead:

* inputs `ids` [batch, steps] (padding 0 after each text) and `lengths` [batch];
* each layer and direction is one ONNX LSTM/GRU/RNN node over the padded batch with explicit
  zero initial states; the forward direction is exact at every real position because padding
  only comes after them;
* the backward direction reads each sequence reversed *within its own length* (the same gather
  index as masked_outputs), and its outputs are put back in order;
* pooling reproduces `RecurrentModel.pool`: `last` takes the forward state after the last real
  token and the backward state after the first, `mean`/`max` skip padding with a mask;
* a classifier ends in `logits` and `probabilities` (softmax); a language model ends in the
  next-word `logits` after each row's last real token.

Gate order differs between the two libraries: PyTorch stores LSTM gates as (input, forget,
cell, output) and GRU gates as (reset, update, new); ONNX wants (input, output, forget, cell)
and (update, reset, hidden), and PyTorch's GRU applies the reset gate after the recurrent
matrix product, which is ONNX's `linear_before_reset=1`.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import torch

from lstm_studio import __version__
from lstm_studio.core.checkpoint import ModelBundle
from lstm_studio.core.config import config_to_dict
from lstm_studio.core.export.common import ExportError, ExportResult, check_target, write_file
from lstm_studio.core.export.manifest import (
    INPUT_IDS,
    INPUT_LENGTHS,
    MANIFEST_KEY,
    OUTPUT_LOGITS,
    OUTPUT_PROBABILITIES,
    manifest_dict,
)

OPSET = 17  # onnxruntime 1.14+ and most other runtimes
MISSING_EXTRA = ("ONNX export needs the optional packages onnx and onnxruntime; install them "
                 "with: pip install 'lstm-studio[export]'.")
# PyTorch gate blocks -> ONNX gate blocks
GATE_ORDER = {"lstm": (0, 3, 1, 2), "gru": (1, 0, 2), "rnn": (0,)}
OP_TYPES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}


def _onnx() -> Any:
    try:
        import onnx
    except ImportError as error:
        raise ExportError(MISSING_EXTRA) from error
    return onnx


class _Graph:
    """Collects nodes and initializers with unique names."""

    def __init__(self, onnx: Any) -> None:
        self.onnx = onnx
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, hint: str, value: Any, dtype: Any = np.int64) -> str:
        name = self.name(hint)
        array = np.asarray(value, dtype=dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def weight(self, hint: str, tensor: torch.Tensor) -> str:
        return self.const(hint, tensor.detach().to("cpu", torch.float32).numpy(), np.float32)

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, outputs: int = 1,
           names: list[str] | None = None, **attributes: Any) -> Any:
        out = names or [self.name(hint or op_type.lower()) for _ in range(outputs)]
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, out,
                                                     name=self.name(op_type), **attributes))
        return out[0] if outputs == 1 else out


def _reorder(weight: torch.Tensor, cell: str, hidden: int) -> torch.Tensor:
    blocks = weight.split(hidden, dim=0)
    return torch.cat([blocks[i] for i in GATE_ORDER[cell]], dim=0)


def _recurrent_node(g: _Graph, rnn: torch.nn.Module, cell: str, nonlinearity: str, layer: int,
                    reverse: bool, source: str, initial: str, hidden: int) -> str:
    """One layer, one direction, over time-major `source` [T, B, F] -> outputs [T, B, H]."""
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    w_ih, w_hh, b_ih, b_hh = (getattr(rnn, name + suffix)
                              for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    tag = f"{cell}{suffix}"
    w = g.weight(f"{tag}_W", _reorder(w_ih, cell, hidden).unsqueeze(0))
    r = g.weight(f"{tag}_R", _reorder(w_hh, cell, hidden).unsqueeze(0))
    b = g.weight(f"{tag}_B", torch.cat([_reorder(b_ih, cell, hidden),
                                        _reorder(b_hh, cell, hidden)]).unsqueeze(0))
    inputs = [source, w, r, b, "", initial]
    attributes: dict[str, Any] = {"hidden_size": hidden, "direction": "forward"}
    if cell == "lstm":
        inputs.append(initial)  # initial cell state: zeros too
    elif cell == "gru":
        attributes["linear_before_reset"] = 1
    else:
        attributes["activations"] = ["Relu" if nonlinearity == "relu" else "Tanh"]
    y = g.op(OP_TYPES[cell], inputs, hint=f"{tag}_Y", **attributes)
    return g.op("Squeeze", [y, g.const("axis1", [1])], hint=f"{tag}_out")  # [T, B, H]


def build_graph(bundle: ModelBundle) -> Any:
    """The ONNX ModelProto for `bundle` (metadata included)."""
    onnx = _onnx()
    helper = onnx.helper
    model = bundle.model
    config = bundle.model_config
    hidden = config.hidden_size
    g = _Graph(onnx)
    one = g.const("one", 1)
    lengths = g.op("Max", [INPUT_LENGTHS, one], hint="lengths_at_least_1")
    embedded = g.op("Gather", [g.weight("embedding", model.embedding.weight), INPUT_IDS],
                    hint="embedded")
    x = g.op("Transpose", [embedded], hint="time_major", perm=[1, 0, 2])  # [T, B, E]
    shape = g.op("Shape", [x], hint="shape")
    steps = g.op("Gather", [shape, g.const("zero", 0)], hint="steps")
    batch = g.op("Slice", [shape, g.const("s1", [1]), g.const("e2", [2])], hint="batch")
    positions = g.op("Range", [g.const("start", 0), steps, one], hint="positions")
    position_col = g.op("Unsqueeze", [positions, g.const("ax1", [1])], hint="position_col")
    length_row = g.op("Unsqueeze", [lengths, g.const("ax0", [0])], hint="length_row")
    initial = g.op("ConstantOfShape",
                   [g.op("Concat", [g.const("dirs", [1]), batch, g.const("h", [hidden])],
                         hint="state_shape", axis=0)],
                   hint="zero_state",
                   value=helper.make_tensor("zero", onnx.TensorProto.FLOAT, [1], [0.0]))
    reverse_index = None
    if config.bidirectional:
        # masked_outputs: flipped = length - 1 - t inside the text, t itself on the padding
        flipped = g.op("Sub", [g.op("Sub", [length_row, one]), position_col], hint="flipped")
        inside = g.op("GreaterOrEqual", [flipped, g.const("zero_i", 0)])
        reverse_index = g.op("Unsqueeze", [g.op("Where", [inside, flipped, position_col]),
                                           g.const("ax2", [2])], hint="reverse_index")
    layer_input = x
    for layer in range(config.num_layers):
        outputs = []
        for direction in range(2 if config.bidirectional else 1):
            source = layer_input
            if direction:
                assert reverse_index is not None
                source = _reverse(g, layer_input, reverse_index)
            out = _recurrent_node(g, model.rnn, config.cell, config.nonlinearity, layer,
                                  bool(direction), source, initial, hidden)
            if direction:
                assert reverse_index is not None
                out = _reverse(g, out, reverse_index)
            outputs.append(out)
        layer_input = (g.op("Concat", outputs, hint=f"layer{layer}", axis=2)
                       if len(outputs) > 1 else outputs[0])
    head_w = g.weight("head_weight", model.head.weight)
    head_b = g.weight("head_bias", model.head.bias)
    if config.task == "lm":
        last = _last_step(g, layer_input, lengths, hidden, 0)
        g.op("Gemm", [last, head_w, head_b], names=[OUTPUT_LOGITS], transB=1)
        outputs_info = [helper.make_tensor_value_info(OUTPUT_LOGITS, onnx.TensorProto.FLOAT,
                                                      ["batch", "vocabulary"])]
    else:
        pooled = _pool(g, layer_input, lengths, position_col, length_row, config.pooling,
                       hidden, config.bidirectional)
        g.op("Gemm", [pooled, head_w, head_b], names=[OUTPUT_LOGITS], transB=1)
        g.op("Softmax", [OUTPUT_LOGITS], names=[OUTPUT_PROBABILITIES], axis=-1)
        outputs_info = [helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT,
                                                      ["batch", "classes"])
                        for name in (OUTPUT_PROBABILITIES, OUTPUT_LOGITS)]
    inputs_info = [
        helper.make_tensor_value_info(INPUT_IDS, onnx.TensorProto.INT64, ["batch", "steps"]),
        helper.make_tensor_value_info(INPUT_LENGTHS, onnx.TensorProto.INT64, ["batch"]),
    ]
    graph = helper.make_graph(g.nodes, "lstm_studio_model", inputs_info, outputs_info,
                              g.initializers)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="LSTM Studio", producer_version=__version__)
    proto.ir_version = 8  # what opset 17 needs; readable by onnxruntime 1.14 and later
    proto.doc_string = (f"LSTM Studio {config.cell.upper()} "
                        f"{'classifier' if config.task == 'classify' else 'language model'}; "
                        f"the text pipeline is in the metadata key {MANIFEST_KEY}.")
    manifest = manifest_dict(bundle.pipeline, config.task, bundle.labels, bundle.max_len,
                             config_to_dict(config), __version__, bundle.calibration)
    helper.set_model_props(proto, {MANIFEST_KEY: json.dumps(manifest, ensure_ascii=False)})
    onnx.checker.check_model(proto)
    return proto


def _reverse(g: _Graph, tensor: str, reverse_index: str) -> str:
    """Each sequence of time-major `tensor` reversed within its own length."""
    index = g.op("Expand", [reverse_index, g.op("Shape", [tensor])])
    return g.op("GatherElements", [tensor, index], hint="reversed", axis=0)


def _last_step(g: _Graph, output: str, lengths: str, hidden: int, start: int) -> str:
    """Features [start, start + hidden) at each row's last real step -> [B, hidden]."""
    part = g.op("Slice", [output, g.const("from", [start]), g.const("to", [start + hidden]),
                          g.const("feature_axis", [2])], hint="direction_part")
    index = g.op("Unsqueeze", [g.op("Sub", [lengths, g.const("one_i", 1)]),
                               g.const("ax02", [0, 2])], hint="last_index")
    index = g.op("Expand", [index, g.op("Shape", [g.op("Gather", [part, g.const("t0", [0])])])])
    picked = g.op("GatherElements", [part, index], hint="last", axis=0)  # [1, B, H]
    return g.op("Squeeze", [picked, g.const("ax0s", [0])], hint="last_state")


def _pool(g: _Graph, output: str, lengths: str, position_col: str, length_row: str,
          pooling: str, hidden: int, bidirectional: bool) -> str:
    """RecurrentModel.pool over time-major outputs [T, B, D] -> [B, D]."""
    if pooling == "last":
        forward = _last_step(g, output, lengths, hidden, 0)
        if not bidirectional:
            return forward
        backward = g.op("Slice", [output, g.const("from", [hidden]),
                                  g.const("to", [2 * hidden]), g.const("feature_axis", [2])])
        first = g.op("Gather", [backward, g.const("t0", 0)], hint="backward_first", axis=0)
        return g.op("Concat", [forward, first], hint="pooled", axis=1)
    mask = g.op("Unsqueeze", [g.op("Less", [position_col, length_row]), g.const("ax2", [2])],
                hint="mask")
    if pooling == "mean":
        kept = g.op("Where", [mask, output, g.const("zero_f", 0.0, np.float32)])
        total = g.op("ReduceSum", [kept, g.const("ax0", [0])], keepdims=0)
        count = g.op("Cast", [g.op("Unsqueeze", [lengths, g.const("ax1", [1])])],
                     to=g.onnx.TensorProto.FLOAT)
        return g.op("Div", [total, count], hint="pooled")
    kept = g.op("Where", [mask, output, g.const("minus_inf", -np.inf, np.float32)])
    return g.op("ReduceMax", [kept], hint="pooled", axes=[0], keepdims=0)


def export_onnx(bundle: ModelBundle, path: str | os.PathLike[str]) -> ExportResult:
    """Write MODEL.onnx (pipeline in its metadata) and MODEL.pipeline.json beside it."""
    target = check_target(path)
    proto = build_graph(bundle)
    sidecar = target.with_name(target.stem + ".pipeline.json")
    files = [write_file(target, proto.SerializeToString())]
    manifest = proto.metadata_props[0].value
    files.append(write_file(sidecar, json.dumps(json.loads(manifest), ensure_ascii=False,
                                                indent=1) + "\n"))
    kind = "classifier" if bundle.task == "classify" else "language model (next-word logits)"
    return ExportResult("onnx", files, f"Exported the {kind} as ONNX, its text pipeline inside "
                        "it and in the JSON file beside it:")
