"""The Inspect tab: step through the gates of a real model (or the lecture's toy cell).

The tab owns one `Inspection` (a core trace plus the prediction after every prefix) and a
cursor: layer, direction, visit index, unit and lecture stage. Every view reads from those:
the token strip, the cell drawing, the formulas (core derivations), the heatmaps and the
prediction bars. Changing the cursor never recomputes anything; only a new model, sentence or
toy setting does, through `inspect_trace` (in a BackgroundTask for long sentences).
For the backward direction the cursor walks positions in the order the cell visits them.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QTabWidget, QWidget

from lstm_studio.core.errors import UserError
from lstm_studio.core.inspection import (
    Inspection,
    diagram_values,
    fresh_bundle,
    gates_api,
    inspect_model,
    inspect_toy,
    measure_gradients,
    series,
)
from lstm_studio.gui import dialogs
from lstm_studio.gui.inspect.explain_controls import ExplainControls
from lstm_studio.gui.inspect.export import build_handout, check_against_core
from lstm_studio.gui.inspect.gradient_view import GradientResult
from lstm_studio.gui.inspect.layout import setup_ui
from lstm_studio.gui.inspect.toy_cell_panel import CORE_PRESET_NAMES
from lstm_studio.gui.workers import BackgroundTask

log = logging.getLogger(__name__)

SYNC_WORDS = 40  # longer sentences are traced in a BackgroundTask
DEFAULT_SENTENCE = "món này ngon lắm nhưng phục_vụ hơi chậm"


class InspectTab(QWidget):
    """See the module docstring. Plug-in contract: lstm_studio.gui.state."""

    inspection_changed = Signal()  # a new trace is shown
    cursor_moved = Signal()  # step, unit, stage, layer or direction changed

    def __init__(self, state: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.inspection: Inspection | None = None
        self.layer, self.direction, self.index, self.unit = 0, "forward", 0, 0
        self.stage: str | None = None
        self._loaded: Any = None  # bundle from "Model file…"
        self._loaded_path = ""
        self._fresh: Any = None
        self._task: BackgroundTask | None = None
        self._grad_task: BackgroundTask | None = None
        self._retired: list[BackgroundTask] = []
        self._started = False
        self._updating = False
        setup_ui(self)
        self.explain = ExplainControls(self)  # attribution row, unit order, search, what-if
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        state.model_changed.connect(self._on_model_changed)
        state.inspect_requested.connect(self.inspect_text)
        for signal in (state.dataset_changed, state.cleaning_changed):
            signal.connect(self._fill_examples)
        self._fill_examples()
        self._on_model_changed()

    # --- model and sentence ------------------------------------------------------------------
    def source_key(self) -> str:
        return self.source.currentData()

    def set_source(self, key: str, retrace: bool = True) -> None:
        self.source.setCurrentIndex(self.source.findData(key))
        self._update_source_widgets()
        if retrace:
            self.retrace()

    def _on_source_chosen(self, _index: int) -> None:
        if self.source_key() == "checkpoint" and self._loaded is None:
            self.choose_checkpoint()
            return
        self._update_source_widgets()
        self.retrace()

    def _update_source_widgets(self) -> None:
        toy = self.source_key() == "toy"
        self.sentence.setEnabled(not toy)
        self.trace_button.setEnabled(not toy)
        self.examples.setEnabled(not toy)
        if toy:
            self.views.setCurrentIndex(2)
        elif self.views.currentIndex() == 2:
            self.views.setCurrentIndex(0)

    def _on_model_changed(self) -> None:
        index = self.source.findData("trained")
        self.source.model().item(index).setEnabled(self.state.model is not None)
        if self.state.model is not None and self.source_key() in ("trained", "toy", "fresh"):
            self.set_source("trained", retrace=self._started)
        elif self.state.model is None and self.source_key() == "trained":
            self.set_source("toy" if self._loaded is None else "checkpoint",
                            retrace=self._started)

    def current_bundle(self) -> Any:
        key = self.source_key()
        if key == "trained":
            return self.state.model
        if key == "checkpoint":
            return self._loaded
        if key == "fresh":
            # Rebuilt when the settings it comes from change (a model is cheap to initialise).
            state = self.state
            dataset = state.training_dataset()
            recipe = (repr(state.model_config), id(state.vocabulary), id(dataset),
                      self.sentence.text() if state.vocabulary is None and dataset is None
                      else "")
            if self._fresh is None or self._fresh[0] != recipe:
                # The sources are kept referenced so their ids cannot be reused meanwhile.
                self._fresh = (recipe, fresh_bundle(
                    state.model_config, state.train_config, state.vocab_config,
                    state.cleaning_config, state.vocabulary, state.training_dataset(),
                    self.sentence.text()),
                               state.vocabulary, dataset)
            return self._fresh[1]
        return None

    def choose_checkpoint(self) -> None:
        paths = dialogs.open_files(self, "Open a model file", "",
                                   "LSTM Studio models (*.safetensors);;All files (*)")
        if paths:
            self.load_checkpoint(paths[0])
        elif self._loaded is None and self.source_key() == "checkpoint":
            self.set_source("trained" if self.state.model is not None else "toy")

    def load_checkpoint(self, path: str) -> bool:
        try:
            from lstm_studio.core.checkpoint import load_checkpoint

            self._loaded, self._loaded_path = load_checkpoint(path), path
        except UserError as error:
            dialogs.error(self, "Cannot open the model", str(error))
            return False
        self.set_source("checkpoint")
        return True

    def inspect_text(self, text: str) -> None:
        """Show `text` (e.g. a misclassified document sent by the Train tab)."""
        self.sentence.setText(text)
        self._add_example(f"requested: {text}", text, top=True)
        self._bring_to_front()
        if self.source_key() == "toy":
            key = "trained" if self.state.model is not None else "fresh"
            self.set_source(key, retrace=False)
        self._started = True
        self.retrace()

    def _bring_to_front(self) -> None:
        """Show this tab when another tab asked to inspect a sentence."""
        widget: QWidget | None = self
        while widget is not None:
            parent = widget.parentWidget()
            if isinstance(parent, QTabWidget):
                parent.setCurrentWidget(widget)
                return
            widget = parent

    def _fill_examples(self) -> None:
        self.examples.clear()
        self.examples.addItem("Pick a document…", None)
        dataset = self.state.training_dataset()
        if dataset is None:
            return
        for split in ("test", "valid", "train"):
            for doc in dataset.split(split)[:100]:
                label = f"[{doc.label}] " if doc.label else ""
                self._add_example(f"{split} {label}{doc.text}", doc.text)

    def _add_example(self, title: str, text: str, top: bool = False) -> None:
        short = title if len(title) <= 80 else title[:79] + "…"
        if top:
            self.examples.insertItem(1, short, text)
        else:
            self.examples.addItem(short, text)

    def _on_example(self, index: int) -> None:
        text = self.examples.itemData(index)
        if text:
            self.sentence.setText(text)
            self.retrace()

    # --- tracing -----------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._started:  # first look: trace now (torch loads here, not at startup)
            self._started = True
            QTimer.singleShot(0, self, self.retrace)

    def retrace(self, force_sync: bool = False) -> None:
        """Recompute the inspection for the current source and sentence."""
        self._started = True
        self._stop_trace_task()
        try:
            if self.source_key() == "toy":
                self._show(self._toy_inspection())
                return
            bundle = self.current_bundle()
            if bundle is None:
                self.status.setText("Load or train a model first, or choose the toy cell.")
                return
            text = self.sentence.text().strip() or DEFAULT_SENTENCE
            if not self.sentence.text().strip():
                self.sentence.setText(text)
            if force_sync or len(text.split()) <= SYNC_WORDS:
                self._show(inspect_model(bundle, text, interventions=self.explain.edits()))
                return
        except UserError as error:
            self.status.setText(str(error))
            return
        self._start_trace_task(bundle, text)

    def _toy_inspection(self) -> Inspection:
        preset = CORE_PRESET_NAMES.get(self.toy_panel.preset.currentText(), "lecture")
        return inspect_toy(self.toy_panel.values(), preset)

    def _start_trace_task(self, bundle: Any, text: str) -> None:
        edits = self.explain.edits()
        task = BackgroundTask(lambda progress, _emit: inspect_model(bundle, text, progress,
                                                                    interventions=edits))
        task.finished.connect(self._show)
        task.failed.connect(self.status.setText)
        task.ended.connect(lambda: self.trace_button.setEnabled(True))
        self._task = task
        self.trace_button.setEnabled(False)
        self.status.setText(f"Tracing {len(text.split())} words…")
        task.start()

    def _stop_trace_task(self) -> None:
        task, self._task = self._task, None
        if task is not None and task.is_running():
            task.finished.disconnect(self._show)
            task.cancel()
            self._retired.append(task)
            task.ended.connect(lambda t=task: self._retired.remove(t))

    def is_busy(self) -> bool:
        return self._task is not None and self._task.is_running()

    def _on_toy_changed(self, _values: dict) -> None:
        if self.source_key() == "toy" and self._started:
            self.retrace()

    def _show(self, inspection: Inspection) -> None:
        self.inspection = inspection
        trace = inspection.trace
        self._updating = True
        try:
            self.layer_spin.setRange(0, trace.num_layers - 1)
            self.layer_spin.setEnabled(trace.num_layers > 1)
            self.layer = min(self.layer, trace.num_layers - 1)
            self.layer_spin.setValue(self.layer)
            self.direction_box.clear()
            self.direction_box.addItems(list(trace.directions))
            if self.direction not in trace.directions:
                self.direction = "forward"
            self.direction_box.setCurrentText(self.direction)
            self.direction_box.setEnabled(trace.bidirectional)
            self.unit_spin.setRange(0, trace.hidden_size - 1)
            self.unit = min(self.unit, trace.hidden_size - 1)
            self.unit_spin.setValue(self.unit)
            self.slider.setRange(0, trace.steps - 1)
            self.index = min(self.index, trace.steps - 1) if inspection.kind == "model" else 0
            stages = gates_api().STAGES[trace.cell]
            titles = gates_api().STAGE_TITLES[trace.cell]
            self.stage_box.clear()
            self.stage_box.addItem("Whole cell", None)
            for number, stage in enumerate(stages, start=1):
                self.stage_box.addItem(f"{number}. {titles[stage]}", stage)
            if self.stage not in stages:
                self.stage = None
            self.stage_box.setCurrentIndex(max(self.stage_box.findData(self.stage), 0))
        finally:
            self._updating = False
        self.tokens.set_tokens(trace.tokens, trace.oov)
        gate_names = [] if trace.cell == "lstm" else list(trace.get(0, "forward").gates)
        self.diagram.set_cell(trace.cell, gate_names, trace.nonlinearity)
        self.model_label.setText(inspection.description)
        self.toy_notes.setText("\n".join(f"Note: {n}" for n in inspection.notes))
        oov = sum(trace.oov)
        plural = "s" if trace.steps != 1 else ""
        self.status.setText(f"{trace.steps} token{plural} as the model sees them"
                            + (f", {oov} not in the vocabulary (dashed, read as <unk>)"
                               if oov else "") + ". Use ◀ ▶ or the Left/Right keys to step.")
        self.gradients.clear("Press “Measure” to backpropagate through this sentence.")
        self._load_direction()
        self.inspection_changed.emit()

    def _load_direction(self) -> None:
        if self.inspection is None:
            return
        trace = self.inspection.trace
        values = series(trace.get(self.layer, self.direction))
        self.heatmaps.set_data(values, trace.tokens, *self.explain.heatmap_extras(values))
        self._refresh()

    # --- cursor ------------------------------------------------------------------------------
    def direction_trace(self) -> Any:
        return self.inspection.trace.get(self.layer, self.direction)

    def position(self) -> int:
        """The token position under the cursor (visit order differs for backward)."""
        if self.inspection is None:
            return 0
        return self.direction_trace().order[self.index]

    def step_by(self, delta: int) -> None:
        if self.inspection is not None:
            self.set_index(self.index + delta)

    def set_index(self, index: int) -> None:
        if self.inspection is None:
            return
        self.index = max(0, min(index, self.inspection.trace.steps - 1))
        self._refresh()

    def go_to_position(self, position: int) -> None:
        if self.inspection is not None:
            self.set_index(self.direction_trace().order.index(position))

    def set_unit(self, unit: int) -> None:
        self.unit_spin.setValue(unit)

    def set_stage(self, stage: str | None) -> None:
        self.stage_box.setCurrentIndex(max(self.stage_box.findData(stage), 0))

    def stage_by(self, delta: int) -> None:
        """Walk the lecture's stages; past the last one, go on to the next token."""
        stages = [self.stage_box.itemData(i) for i in range(1, self.stage_box.count())]
        if not stages or self.inspection is None:
            return
        if self.stage is None:
            self.set_stage(stages[0] if delta > 0 else stages[-1])
            return
        where = stages.index(self.stage) + delta
        if where >= len(stages):
            if self.index + 1 < self.inspection.trace.steps:
                self.index += 1
                self.set_stage(stages[0])
        elif where < 0:
            if self.index > 0:
                self.index -= 1
                self.set_stage(stages[-1])
        else:
            self.set_stage(stages[where])

    def keyPressEvent(self, event: Any) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Left):
            self.step_by(1 if key == Qt.Key.Key_Right else -1)
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.inspection is not None:
            self.set_unit(self.unit + (1 if key == Qt.Key.Key_Down else -1))
        else:
            super().keyPressEvent(event)

    def _on_slider(self, value: int) -> None:
        if not self._updating and value != self.index:
            self.set_index(value)

    def _on_layer_changed(self, *_args: Any) -> None:
        if self._updating or self.inspection is None:
            return
        self.layer = self.layer_spin.value()
        self.direction = self.direction_box.currentText() or "forward"
        self._load_direction()
        self.cursor_moved.emit()

    def _on_unit_changed(self, unit: int) -> None:
        if not self._updating:
            self.unit = unit
            self._refresh()

    def _on_stage_box(self, _index: int) -> None:
        if not self._updating:
            self.stage = self.stage_box.currentData()
            self._refresh()

    def _on_heatmap_clicked(self, unit: int, position: int) -> None:
        self._updating = True
        self.unit_spin.setValue(unit)
        self._updating = False
        self.unit = unit
        self.go_to_position(position)

    def _on_play(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        if playing:
            self.timer.start()
        else:
            self.timer.stop()

    def _on_tick(self) -> None:
        if self.inspection is None:
            self.play_button.setChecked(False)
            return
        before = (self.index, self.stage)
        if self.stage is not None:
            self.stage_by(1)
        else:
            self.step_by(1)
        if (self.index, self.stage) == before:
            self.play_button.setChecked(False)

    def _refresh(self) -> None:
        """Push the cursor into every view."""
        if self.inspection is None:
            return
        inspection, trace = self.inspection, self.inspection.trace
        d = self.direction_trace()
        position = self.position()
        self._updating = True
        self.slider.setValue(self.index)
        self._updating = False
        self.tokens.set_current(position)
        self.heatmaps.set_cursor(position, self.unit)
        token = trace.tokens[position] if inspection.kind == "model" else ""
        if token and self.layer > 0:  # deeper layers read the layer below, not the embedding
            token += f", h of layer {self.layer - 1}"
        self.diagram.set_values(diagram_values(d, position, self.unit), token)
        self.diagram.set_stage(self.stage)
        self.formulas.set_derivations(self.derivations(), self.stage, inspection.notes)
        self.step_label.setText(f"step {self.index + 1} / {trace.steps}"
                                + (f" (position {position})" if self.direction == "backward"
                                   else ""))
        self.back_button.setEnabled(self.index > 0)
        self.forward_button.setEnabled(self.index < trace.steps - 1)
        self._show_prediction(position)
        self.cursor_moved.emit()

    def derivations(self) -> list:
        gates = gates_api()
        return gates.derivations(self.inspection.trace, self.layer, self.direction,
                                 self.position(), self.unit)

    def _show_prediction(self, position: int) -> None:
        inspection = self.inspection
        self.prediction.setVisible(inspection.kind == "model")
        if inspection.kind == "toy" or not inspection.predictions:
            self.prediction.set_distribution("No prediction for the toy cell: it has no "
                                             "output layer.", [])
            return
        prefix = " ".join(inspection.trace.tokens[: position + 1])
        prefix = prefix if len(prefix) <= 60 else "…" + prefix[-59:]
        what = ("Class probabilities" if inspection.task == "classify"
                else "Next word, top 8")
        self.prediction.set_distribution(f"{what} after reading “{prefix}”",
                                         inspection.predictions[position][:8])

    # --- gradient flow -----------------------------------------------------------------------
    def measure_gradient_flow(self) -> None:
        if self.inspection is None or self.inspection.kind != "model":
            self.gradients.clear("Gradient flow needs a model and a sentence of several words; "
                                 "the toy cell has a single step.")
            return
        if self._grad_task is not None and self._grad_task.is_running():
            return
        bundle, text = self.inspection.bundle, self.inspection.text
        task = BackgroundTask(lambda progress, _emit: measure_gradients(bundle, text, progress))
        task.finished.connect(self._on_gradients)
        task.failed.connect(lambda message: self.gradients.set_running(False, message))
        task.cancelled.connect(lambda: self.gradients.set_running(False, "Cancelled."))
        self._grad_task = task
        self.gradients.set_running(True, "Backpropagating…")
        task.start()

    def _on_gradients(self, measured: Any) -> None:
        self.gradients.set_running(False)
        self.gradients.show_result(GradientResult(
            tokens=measured.tokens, current=measured.current,
            current_name="this model", comparison=measured.comparison, note=measured.note))

    # --- export and self-test ----------------------------------------------------------------
    def choose_export(self) -> None:
        if self.inspection is None:
            dialogs.info(self, "Nothing to export", "Trace a sentence first.")
            return
        path = dialogs.save_file(self, "Export the walk-through", "walkthrough.html",
                                 "Web page (*.html)")
        if path:
            written = self.export_handout(path)
            self.state.status_message.emit(f"Walk-through saved to {written}")

    def export_handout(self, path: str) -> str:
        """Write the current walk-through as a self-contained HTML page; returns the path."""
        from lstm_studio.gui.inspect.handout import write_handout

        return str(write_handout(path, build_handout(self)))

    def self_test_stage(self) -> str:
        """Trace a sentence through this tab's own code path and compare with the core."""
        if self.state.model is not None:
            self.set_source("trained", retrace=False)
        else:
            self.set_source("fresh", retrace=False)
        if not self.sentence.text().strip():  # a real document when one is loaded
            first = self.examples.itemData(1) if self.examples.count() > 1 else None
            self.sentence.setText(first or DEFAULT_SENTENCE)
        self.retrace(force_sync=True)
        if self.inspection is None:
            raise RuntimeError(f"Inspect: nothing was traced ({self.status.text()})")
        self.set_index(self.inspection.trace.steps - 1)
        for stage in [None, *gates_api().STAGES[self.inspection.trace.cell]]:
            self.set_stage(stage)
        checked = check_against_core(self)
        return (f"Inspect: traced {self.inspection.trace.steps} tokens through "
                f"{self.inspection.description}; {checked} shown numbers equal the core trace")

    def shutdown(self) -> None:
        self.timer.stop()
        self.explain.shutdown()
        for task in (self._task, self._grad_task, *self._retired):
            if task is not None and task.is_running():
                task.cancel_and_wait(2000)

    def project_state(self) -> dict:
        return {"sentence": self.sentence.text(), "source": self.source_key(),
                "unit": self.unit, "toy": self.toy_panel.values()}

    def restore_project_state(self, data: dict) -> None:
        if isinstance(data.get("toy"), dict):
            for key, value in data["toy"].items():
                if key in self.toy_panel.values():
                    self.toy_panel.set_value(key, float(value))
        self.sentence.setText(str(data.get("sentence", "")))
        self.unit = int(data.get("unit", 0) or 0)
        source = data.get("source")
        if source in ("trained", "fresh", "toy"):
            self.set_source(source, retrace=self._started)
