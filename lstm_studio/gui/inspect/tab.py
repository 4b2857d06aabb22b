"""The Inspect tab: step through the gates of a real model (or the lecture's toy cell).

The tab decides WHAT is traced: the model (trained or loaded, a model file, a fresh untrained
one built from the current settings, or the toy cell) and the sentence. Tracing goes through
`core.inspection` (in a TaskSlot for long sentences; short ones are traced at once) and the
result goes to the `Walkthrough`, which owns the cursor and every view. Gradient flow is
measured in a second TaskSlot. A result that arrives after the trace it belongs to was
replaced is dropped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from lstm_studio.core.errors import UserError
from lstm_studio.core.inspection import (
    GradientMeasurement,
    Inspection,
    fresh_bundle,
    gates_api,
    inspect_model,
    inspect_toy,
    measure_gradients,
)
from lstm_studio.gui import dialogs
from lstm_studio.gui.inspect.explain_controls import ExplainControls
from lstm_studio.gui.inspect.export import build_handout, check_against_core
from lstm_studio.gui.inspect.gradient_view import GradientResult
from lstm_studio.gui.inspect.panels import SentenceBar, SourceBar
from lstm_studio.gui.inspect.toy_cell_panel import CORE_PRESET_NAMES
from lstm_studio.gui.inspect.walkthrough import Walkthrough
from lstm_studio.gui.state import AppState
from lstm_studio.gui.widgets.token_view import pipeline_caption
from lstm_studio.gui.workers import BackgroundTask, TaskSlot

if TYPE_CHECKING:
    from lstm_studio.core.checkpoint import ModelBundle
    from lstm_studio.core.vocab import Vocabulary

log = logging.getLogger(__name__)

SYNC_WORDS = 40  # longer sentences are traced in the background
DEFAULT_SENTENCE = "món này ngon lắm nhưng phục_vụ hơi chậm"
RESTORABLE_SOURCES = ("trained", "fresh", "toy")


class InspectTab(QWidget):
    """See the module docstring. Plug-in contract: lstm_studio.gui.state."""

    inspection_changed = Signal()  # a new trace is shown

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._loaded: ModelBundle | None = None  # from "Model file…"
        self._fresh: tuple[str, ModelBundle, object, object] | None = None
        self._started = False
        self.tracer = TaskSlot(self, "Tracing", "Tracing failed")
        self.measurer = TaskSlot(self, "Measuring gradient flow")
        self.walk = Walkthrough()
        self.source_bar = SourceBar(self.walk.controls)
        self.sentence_bar = SentenceBar()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #495057")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.source_bar)
        layout.addWidget(self.sentence_bar)
        layout.addWidget(self.walk, 1)
        layout.addWidget(self.status)
        self.explain = ExplainControls(self)  # attribution row, unit order, search, what-if
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.source_bar.source_chosen.connect(self._on_source_chosen)
        self.source_bar.load_requested.connect(self.choose_checkpoint)
        self.source_bar.export_requested.connect(self.choose_export)
        self.sentence_bar.trace_requested.connect(self.retrace)
        self.sentence_bar.example_chosen.connect(lambda _text: self.retrace())
        self.walk.view.gradients.measure_requested.connect(self.measure_gradient_flow)
        self.walk.view.toy.panel.values_changed.connect(self._on_toy_changed)
        self.tracer.busy_changed.connect(lambda _busy: self._update_trace_button())
        self.measurer.busy_changed.connect(
            lambda busy: self.walk.view.gradients.measure.setEnabled(not busy))
        state.model_changed.connect(self._on_model_changed)
        state.inspect_requested.connect(self.inspect_text)
        self._examples_stale = False
        for signal in (state.dataset_changed, state.cleaning_changed):
            signal.connect(self._on_data_changed)
        self._fill_examples()
        self._on_model_changed()

    # --- model and sentence ------------------------------------------------------------------
    def source_key(self) -> str:
        return self.source_bar.key()

    def set_source(self, key: str, retrace: bool = True) -> None:
        self.source_bar.select(key)
        self._update_source_widgets()
        if retrace:
            self.retrace()

    def _on_source_chosen(self) -> None:
        if self.source_key() == "checkpoint" and self._loaded is None:
            self.choose_checkpoint()
            return
        self._update_source_widgets()
        self.retrace()

    def _update_source_widgets(self) -> None:
        toy = self.source_key() == "toy"
        self.sentence_bar.set_editable(not toy)
        self._update_trace_button()
        self.walk.view.show_toy_page(toy)

    def _update_trace_button(self) -> None:
        """Trace waits while a long trace runs; the toy cell reads no sentence."""
        busy = self.tracer.is_busy()
        self.sentence_bar.trace_button.setEnabled(self.source_key() != "toy" and not busy)

    def _on_model_changed(self) -> None:
        has_model = self.state.model is not None
        self.source_bar.enable("trained", has_model)
        if has_model and self.source_key() in ("trained", "toy", "fresh"):
            self.set_source("trained", retrace=self._started)
        elif not has_model and self.source_key() == "trained":
            self.set_source("toy" if self._loaded is None else "checkpoint",
                            retrace=self._started)

    def current_bundle(self) -> ModelBundle | None:
        key = self.source_key()
        if key == "trained":
            return self.state.model
        if key == "checkpoint":
            return self._loaded
        if key == "fresh":
            return self._fresh_bundle()
        return None

    def _fresh_bundle(self) -> ModelBundle:
        """An untrained model from the current settings, rebuilt when they change (a model
        is cheap to initialise)."""
        state = self.state
        dataset = state.training_dataset()
        sentence = self.sentence_bar.text() if state.vocabulary is None and dataset is None \
            else ""
        recipe = repr((state.model_config, id(state.vocabulary), id(dataset), sentence))
        if self._fresh is None or self._fresh[0] != recipe:
            # the settings cleaning applied ("auto" segmentation decided)
            cleaning = (state.cleaned.config if state.cleaned is not None
                        else state.cleaning_config)
            bundle = fresh_bundle(state.model_config, state.train_config, state.vocab_config,
                                  cleaning, self._fresh_vocabulary(), dataset,
                                  self.sentence_bar.text())
            # The sources stay referenced so their ids cannot be reused meanwhile.
            self._fresh = (recipe, bundle, state.vocabulary, dataset)
        return self._fresh[1]

    def _fresh_vocabulary(self) -> Vocabulary | None:
        """The vocabulary built, else for a corpus browsed from its store the one its training
        split gives, from the store's word counts: `fresh_bundle` would read every training
        text on the GUI thread. None: `fresh_bundle` builds it (texts in memory are there)."""
        state = self.state
        store = state.training_store()
        if state.vocabulary is not None or store is None:
            return state.vocabulary
        from lstm_studio.core.corpus.browse import store_filtered_splits
        from lstm_studio.core.corpus.store import selected
        from lstm_studio.core.corpus.training import store_vocabulary

        filters = store_filtered_splits(store)
        train = selected(store, "train", filters)
        if not len(train):
            return None
        return store_vocabulary(store, train, state.vocab_config, store.train_counts(filters))[0]

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

            self._loaded = load_checkpoint(path)
        except UserError as error:
            dialogs.error(self, "Cannot open the model", str(error))
            return False
        self.set_source("checkpoint")
        return True

    def inspect_text(self, text: str) -> None:
        """Show `text` (e.g. a misclassified document sent by the Train tab)."""
        self.sentence_bar.sentence.setText(text)
        self.sentence_bar.add_example(f"requested: {text}", text, top=True)
        self._bring_to_front()
        if self.source_key() == "toy":
            self.set_source("trained" if self.state.model is not None else "fresh",
                            retrace=False)
        self.retrace()

    def _bring_to_front(self) -> None:
        """Show this tab when another tab asked to inspect a sentence: in every enclosing
        QTabWidget, the page holding it (a page's parent is the QTabWidget's inner stack)."""
        widget = self.parentWidget()
        while widget is not None:
            if isinstance(widget, QTabWidget):
                for index in range(widget.count()):
                    page = widget.widget(index)
                    if page is self or page.isAncestorOf(self):
                        widget.setCurrentIndex(index)
            widget = widget.parentWidget()

    def _on_data_changed(self) -> None:
        """Pick the example documents now if the tab is on screen, else when it is next shown:
        with 200,000 documents and a split missing, picking them scans the whole dataset on
        the GUI thread, which the Data tab's load must not pay for."""
        self._examples_stale = True
        if self.isVisible():
            self._fill_examples()

    def _fill_examples(self) -> None:
        self._examples_stale = False
        self.sentence_bar.fill_examples(self.state.training_dataset())

    # --- tracing -----------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._examples_stale:
            self._fill_examples()
        if not self._started:  # first look: trace now (torch loads here, not at startup)
            self._started = True
            QTimer.singleShot(0, self, self.retrace)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.walk.handle_key(event):
            super().keyPressEvent(event)

    def retrace(self, force_sync: bool = False) -> None:
        """Recompute the inspection for the current source and sentence."""
        self._started = True
        self.tracer.cancel()  # a long trace still running is of the old sentence
        try:
            if self.source_key() == "toy":
                self._show(self._toy_inspection())
                return
            bundle = self.current_bundle()
            if bundle is None:
                self.status.setText("Load or train a model first, or choose the toy cell.")
                return
            text = self.sentence_bar.text().strip() or DEFAULT_SENTENCE
            if not self.sentence_bar.text().strip():
                self.sentence_bar.sentence.setText(text)
            if force_sync or len(text.split()) <= SYNC_WORDS:
                self._show(inspect_model(bundle, text, interventions=self.explain.edits()))
                return
        except UserError as error:
            self.status.setText(str(error))
            return
        self.status.setText(f"Tracing {len(text.split())} words…")
        key = self.source_key()
        edits = self.explain.edits()
        self.tracer.start(lambda progress, _emit: inspect_model(bundle, text, progress,
                                                                interventions=edits),
                          self._show, on_failed=self.status.setText,
                          still_valid=lambda: self.source_key() == key)

    def _toy_inspection(self) -> Inspection:
        panel = self.walk.view.toy.panel
        preset = CORE_PRESET_NAMES.get(panel.preset.currentText(), "lecture")
        return inspect_toy(panel.values(), preset)

    def is_busy(self) -> bool:
        return self.tracer.is_busy()

    def _on_toy_changed(self, _values: dict[str, float]) -> None:
        if self.source_key() == "toy" and self._started:
            self.retrace()

    def _show(self, inspection: Inspection) -> None:
        self.measurer.cancel()  # a measurement of the previous trace is no longer wanted
        self.walk.show_inspection(inspection)
        trace = inspection.trace
        self.source_bar.model_label.setText(inspection.description)
        oov = sum(trace.oov)
        tokens = "1 token" if trace.steps == 1 else f"{trace.steps} tokens"
        bundle = self.current_bundle() if inspection.kind == "model" else None
        after = f" ({pipeline_caption(bundle.pipeline)})" if bundle is not None else ""
        self.status.setText(f"{tokens} as the model sees them{after}"
                            + (f", {oov} not in the vocabulary (dashed, read as <unk>)"
                               if oov else "") + ". Use ◀ ▶ or the Left/Right keys to step.")
        self.inspection_changed.emit()

    # --- gradient flow -----------------------------------------------------------------------
    def measure_gradient_flow(self) -> BackgroundTask | None:
        gradients = self.walk.view.gradients
        inspection = self.walk.inspection
        if inspection is None or inspection.kind != "model" or inspection.bundle is None:
            gradients.clear("Gradient flow needs a model and a sentence of several words; "
                            "the toy cell has a single step.")
            return None
        if self.measurer.is_busy():
            return None
        bundle, text = inspection.bundle, inspection.text
        gradients.set_running(True, "Backpropagating…")
        return self.measurer.start(
            lambda progress, _emit: measure_gradients(bundle, text, progress),
            self._on_gradients, on_failed=lambda message: gradients.set_running(False, message),
            on_cancelled=lambda: gradients.set_running(False, "Cancelled."),
            still_valid=lambda: self.walk.inspection is inspection)

    def _on_gradients(self, measured: GradientMeasurement) -> None:
        gradients = self.walk.view.gradients
        gradients.set_running(False)
        gradients.show_result(GradientResult(
            tokens=measured.tokens, current=measured.current, current_name="this model",
            comparison=measured.comparison, note=measured.note))

    # --- export and self-test ----------------------------------------------------------------
    def choose_export(self) -> None:
        if self.walk.inspection is None:
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

        return str(write_handout(path, build_handout(self.walk, self.explain.attribution)))

    def self_test_stage(self) -> str:
        """Trace a sentence through this tab's own code path and compare with the core."""
        self.set_source("trained" if self.state.model is not None else "fresh", retrace=False)
        if self._examples_stale:
            self._fill_examples()
        if not self.sentence_bar.text().strip():  # a real document when one is loaded
            first = self.sentence_bar.first_example()
            self.sentence_bar.sentence.setText(first or DEFAULT_SENTENCE)
        self.retrace(force_sync=True)
        walk = self.walk
        if walk.inspection is None:
            raise RuntimeError(f"Inspect: nothing was traced ({self.status.text()})")
        walk.set_index(walk.steps() - 1)
        for stage in [None, *gates_api().STAGES[walk.inspection.trace.cell]]:
            walk.set_stage(stage)
        checked = check_against_core(walk)
        tokens = "1 token" if walk.steps() == 1 else f"{walk.steps()} tokens"
        return (f"Inspect: traced {tokens} through "
                f"{walk.inspection.description}; {checked:,} shown numbers equal the core trace")

    def shutdown(self) -> None:
        self.walk.step_bar.stop_playing()
        self.tracer.shutdown()
        self.measurer.shutdown()
        self.explain.shutdown()

    def project_state(self) -> dict[str, Any]:
        return {"sentence": self.sentence_bar.text(), "source": self.source_key(),
                "unit": self.walk.unit, "toy": self.walk.view.toy.panel.values()}

    def restore_project_state(self, data: dict[str, Any]) -> None:
        panel = self.walk.view.toy.panel
        toy = data.get("toy")
        if isinstance(toy, dict):
            for key, value in toy.items():
                if key in panel.values():
                    panel.set_value(key, float(value))
        self.sentence_bar.sentence.setText(str(data.get("sentence", "")))
        self.walk.unit = int(data.get("unit", 0) or 0)
        source = data.get("source")
        if source in RESTORABLE_SOURCES:
            self.set_source(source, retrace=self._started)
