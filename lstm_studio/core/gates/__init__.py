"""Gate tracing: every number inside an RNN/LSTM/GRU cell, as the model computes it.

    trace(model_or_bundle, text_or_ids) -> Trace           every layer, direction and step
    derivation(trace, layer, direction, step, unit, stage) the lecture's worked-example form
    toy_cell("lecture", W_if=...)                          the slides' 1x1 LSTM, settable
    prefix_predictions(bundle, text)                       the prediction after each word
    gradient_flow(model, ids, label)                       ‖∂Loss/∂h_t‖ for every t

This package imports torch (it is inherently torch); it never imports Qt.
"""

from lstm_studio.core.gates.derivation import STAGES, Derivation, derivation, derivations
from lstm_studio.core.gates.fused import LECTURE_GATE_ORDER, PYTORCH_GATE_ORDER, gate_rows
from lstm_studio.core.gates.gradient import gradient_flow
from lstm_studio.core.gates.prefix import PrefixPrediction, prefix_predictions
from lstm_studio.core.gates.toy import NOTES, TOY_PRESETS, ToyCell, toy_cell
from lstm_studio.core.gates.trace import DirectionTrace, GateTrace, Trace, trace

__all__ = [
    "LECTURE_GATE_ORDER",
    "NOTES",
    "PYTORCH_GATE_ORDER",
    "STAGES",
    "TOY_PRESETS",
    "Derivation",
    "DirectionTrace",
    "GateTrace",
    "PrefixPrediction",
    "ToyCell",
    "Trace",
    "derivation",
    "derivations",
    "gate_rows",
    "gradient_flow",
    "prefix_predictions",
    "toy_cell",
    "trace",
]
