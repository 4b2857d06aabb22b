"""Gate tracing for display: what the Inspect tab and `lstm-studio inspect` compute (no Qt).

`inspect_model` traces a sentence through a model bundle with the gates core and adds the
prediction after every prefix; `inspect_toy` does the same for the lecture's toy cell;
`measure_gradients` measures the gradient flow of the model and of a fresh RNN and LSTM of the
same size. These are plain functions taking a core `Progress`, so the tab runs them in a
BackgroundTask for long sentences and directly for short ones. Torch and the gates core are
imported inside the functions: the main window opens before torch loads.

The readout helpers (`series`, `diagram_values`) only index the core trace's arrays; the
products shown on the drawing's wires are multiplied from those same arrays.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lstm_studio.core.config import CleaningConfig, ModelConfig, TrainConfig, VocabConfig
from lstm_studio.core.progress import Progress, report
from lstm_studio.core.wording import plural

if TYPE_CHECKING:  # torch-backed modules: imported when first used, not at import time
    from lstm_studio.core.checkpoint import ModelBundle
    from lstm_studio.core.dataset import Dataset
    from lstm_studio.core.vocab import Vocabulary

SERIES: dict[str, tuple[str, ...]] = {
    "lstm": ("f", "i", "g", "o", "c", "h"),
    "gru": ("r", "z", "n", "h"),
    "rnn": ("h",),
}
FALLBACK_LABELS = ["class 0", "class 1"]


@dataclass
class Inspection:
    """One traced sentence (or toy cell) with everything the tab shows about it."""

    trace: Any  # lstm_studio.core.gates.trace.Trace
    kind: str  # "model" or "toy"
    description: str
    text: str
    bundle: Any = None
    toy: Any = None  # lstm_studio.core.gates.toy.ToyCell
    task: str = "classify"
    # predictions[t]: (label, probability) largest first, after reading positions 0..t.
    predictions: list[list[tuple[str, float]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    interventions: list[Any] = field(default_factory=list)  # what-if edits applied (gates core)


@functools.lru_cache(maxsize=1)
def gates_api() -> Any:
    """The gates core, imported on first use (it imports torch)."""
    import importlib

    from lstm_studio.core import gates

    # Submodules by name: the package exports a function called `derivation` too.
    derivation = importlib.import_module("lstm_studio.core.gates.derivation")
    toy = importlib.import_module("lstm_studio.core.gates.toy")

    return types.SimpleNamespace(
        trace=gates.trace, derivations=gates.derivations, STAGES=gates.STAGES,
        STAGE_TITLES=derivation.STAGE_TITLES, toy_cell=gates.toy_cell,
        TOY_PRESETS=gates.TOY_PRESETS, NOTES=toy.NOTES, gradient_flow=gates.gradient_flow,
        prefix_predictions=gates.prefix_predictions)


# --- readouts -------------------------------------------------------------------------------
def series(direction_trace: Any) -> dict[str, np.ndarray]:
    """{name: [timesteps, units]} for the heatmaps, in the lecture's order."""
    out: dict[str, np.ndarray] = {}
    for name in SERIES[direction_trace.cell]:
        if name == "c":
            out[name] = direction_trace.c
        elif name == "h":
            out[name] = direction_trace.h
        else:
            out[name] = direction_trace.gates[name].value
    return out


def diagram_values(direction_trace: Any, step: int, unit: int) -> dict[str, float | None]:
    """The selected unit's numbers at `step` (a token position) for the cell drawing."""
    d = direction_trace
    scalar_input = d.x.shape[1] == 1
    values: dict[str, float | None] = {
        "x": float(d.x[step, 0]) if scalar_input else None,
        "h_prev": float(d.h_prev[step, unit]),
        "h": float(d.h[step, unit]),
    }
    gate_values: dict[str, float] = {}  # the same numbers, never None
    for name, gate in d.gates.items():
        value = gate_values[name] = float(gate.value[step, unit])
        values[name if name != "h" else "pre_h"] = value
        values[f"s_{name}"] = float(gate.pre[step, unit])
    if d.cell == "lstm":
        f, i, g = gate_values["f"], gate_values["i"], gate_values["g"]
        c_prev, c = float(d.c_prev[step, unit]), float(d.c[step, unit])
        values.update(c_prev=c_prev, c=c, fc=f * c_prev, ig=i * g, tanh_c=math.tanh(c))
    return values


# --- models ---------------------------------------------------------------------------------
def describe(bundle: Any) -> str:
    config = bundle.model_config
    cell = config.cell.upper() if config.cell != "rnn" else f"RNN ({config.nonlinearity})"
    shape = (f"{plural(config.num_layers, 'layer')} × {plural(config.hidden_size, 'unit')}"
             + (", bidirectional" if config.bidirectional else ""))
    task = "classifier" if config.task == "classify" else "language model"
    return f"{cell} {task}, {shape}, vocabulary {len(bundle.vocab)}"


def fresh_bundle(model_config: ModelConfig, train_config: TrainConfig, vocab_config: VocabConfig,
                 cleaning_config: CleaningConfig | None, vocabulary: Vocabulary | None,
                 dataset: Dataset | None, sentence: str = "", seed: int = 0) -> ModelBundle:
    """An untrained model from these settings and vocabulary, as a ModelBundle.

    Without a vocabulary yet, one is built from the training texts (or the sentence itself),
    so the user can look inside a randomly initialised cell before loading any data.
    """
    import torch

    from lstm_studio.core.checkpoint import ModelBundle
    from lstm_studio.core.models import build_model

    if vocabulary is None:
        from lstm_studio.core.vocab import Vocabulary

        texts = [doc.text for doc in dataset.split("train")] if dataset is not None else []
        vocabulary = Vocabulary.build(texts or [sentence or "empty"], vocab_config)
    labels = dataset.labels() if dataset is not None else []
    config = dataclasses.replace(model_config)
    if config.task == "lm" and vocabulary.bos_id is None:
        config.task = "classify"
    if config.task == "classify":
        labels = labels if len(labels) >= 2 else list(FALLBACK_LABELS)
        config.num_classes = len(labels)
        config.tie_weights = False
    config.vocab_size = len(vocabulary)
    torch.manual_seed(seed)
    model = build_model(config)
    model.eval()
    return ModelBundle(model=model, model_config=config, train_config=train_config,
                       vocab_config=vocab_config, vocab=vocabulary, labels=labels,
                       cleaning_config=cleaning_config, info={"fresh": True})


# --- computations ---------------------------------------------------------------------------
def inspect_model(bundle: Any, text: str, progress: Progress | None = None,
                  description: str = "", interventions: list[Any] | None = None) -> Inspection:
    """Trace `text` through `bundle` and predict after every prefix, with what-if edits
    (gates/interventions.py) applied to both when given."""
    gates = gates_api()
    edits = list(interventions or [])
    report(progress, 0, 2, "tracing")
    traced = gates.trace(bundle, text, interventions=edits, progress=progress)
    report(progress, 1, 2, "predicting after each word")
    predictions = prefix_distributions(bundle, text, gates, progress, edits)
    report(progress, 2, 2, "done")
    return Inspection(trace=traced, kind="model", description=description or describe(bundle),
                      text=text, bundle=bundle, task=bundle.model_config.task,
                      predictions=predictions, interventions=edits)


def prefix_distributions(bundle: Any, text: str, gates: Any = None,
                         progress: Progress | None = None,
                         interventions: list[Any] | None = None
                         ) -> list[list[tuple[str, float]]]:
    """The prediction after each token (the core's prefix_predictions), largest first."""
    gates = gates or gates_api()
    raw = gates.prefix_predictions(bundle, text, k=8, interventions=interventions,
                                   progress=progress)
    return [sorted(item.probabilities.items(), key=lambda kv: -kv[1]) for item in raw]


def inspect_toy(values: dict[str, float], preset: str = "lecture") -> Inspection:
    """The toy cell with these settings, traced by the same core code as real models."""
    gates = gates_api()
    cell = gates.toy_cell(preset, **values)
    notes = list(gates.NOTES) if preset == "lecture" and _is_preset(values, gates, preset) else []
    return Inspection(trace=cell.trace(), kind="toy", description="Toy LSTM cell (1 input, 1 unit)",
                      text="x_t", toy=cell, task="", notes=notes)


def _is_preset(values: dict[str, float], gates: Any, preset: str) -> bool:
    reference = gates.TOY_PRESETS[preset]
    return all(abs(values.get(k, v) - v) < 1e-9 for k, v in reference.items())


@dataclass
class GradientMeasurement:
    tokens: list[str]
    current: list[float] | None
    comparison: dict[str, list[float]]
    note: str


def measure_gradients(bundle: Any, text: str, progress: Progress | None = None,
                      seed: int = 0) -> GradientMeasurement:
    """‖dLoss/dh_t‖ per timestep for the model, and for a fresh RNN and LSTM of the same size."""
    import torch

    from lstm_studio.core.models import build_model

    gates = gates_api()
    encoded = bundle.prepare(text)
    ids = list(encoded.ids)
    label = _target_label(bundle, text)
    report(progress, 0, 3, "this model")
    current = [float(v) for v in gates.gradient_flow(bundle.model, ids, label)]
    comparison: dict[str, list[float]] = {}
    for done, cell in enumerate(("rnn", "lstm"), start=1):
        report(progress, done, 3, f"fresh {cell.upper()}")
        # The lecture's setting: one direction, the loss read at the last word only, so the
        # gradient must travel back through every step to reach the first word.
        config = dataclasses.replace(bundle.model_config, cell=cell, nonlinearity="tanh",
                                     dropout=0.0, bidirectional=False, pooling="last")
        torch.manual_seed(seed)
        model = build_model(config)
        model.eval()
        comparison[cell.upper()] = [float(v) for v in gates.gradient_flow(model, ids, label)]
    report(progress, 3, 3, "done")
    label_name = (bundle.labels[label] if isinstance(label, int) and bundle.labels
                  and label < len(bundle.labels) else str(label))
    target = (f"the loss of “{label_name}” (the model's own prediction)" if label is not None
              else "the next-word loss")
    note = (f"Right: {target} backpropagated through a fresh one-direction RNN and LSTM of the "
            "same size (same seed), reading to the last word.")
    return GradientMeasurement(tokens=list(encoded.tokens), current=current,
                               comparison=comparison, note=note)


def _target_label(bundle: Any, text: str) -> Any:
    """Classifier: the predicted class index (a loss exists for any sentence). LM: None, the
    next words of the sentence are their own targets."""
    if bundle.model_config.task != "classify":
        return None
    return list(bundle.labels).index(bundle.label_for(bundle.predict(text)))
