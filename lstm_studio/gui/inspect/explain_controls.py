"""The Inspect tab's "why" tools, placed and connected in one spot: the attribution row above
the heatmaps, the unit order bar, the neuron search and the what-if edits.

`ExplainControls(tab)` adds its widgets to the tab's views and listens to the tab's and its
walk-through's signals; the walk-through asks it for the heatmaps' unit order and attribution
row (`heatmap_extras`) and the tab for the edits to trace with (`edits`). The attribution of
the traced sentence (integrated gradients on the unedited model, the whole sentence as traced)
runs in a TaskSlot worker after each trace.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QVBoxLayout, QWidget

from lstm_studio.core.dataset import Document
from lstm_studio.core.errors import UserError
from lstm_studio.gui.inspect.neuron_search import NeuronSearchPanel
from lstm_studio.gui.inspect.unit_order import UnitOrderBar
from lstm_studio.gui.inspect.what_if import WhatIfPanel
from lstm_studio.gui.workers import TaskSlot


class ExplainControls(QObject):
    def __init__(self, tab: Any) -> None:
        super().__init__(tab)
        self.tab = tab
        self.walk = tab.walk
        self.attribution: Any = None  # core Attribution of the traced sentence, when ready
        self.original: Any = None  # the unedited inspection of the current sentence
        self._attribution_bundle: Any = None  # the model `attribution` explains
        self.unit_order = UnitOrderBar()
        self.neurons = NeuronSearchPanel(self._documents)
        self.what_if = WhatIfPanel()
        self.slot = TaskSlot(tab, "Attribution")
        self.original_slot = TaskSlot(tab, "Tracing the unedited run")
        views, heatmaps = self.walk.view.pages, self.walk.view.heatmaps
        index, current = views.indexOf(heatmaps), views.currentIndex()
        views.removeTab(index)  # before reparenting, which would drop the page by itself
        page = QWidget()
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(self.unit_order)
        page_layout.addWidget(heatmaps, 1)
        heatmaps.show()  # a removed tab page stays hidden otherwise
        views.insertTab(index, page, "Gate heatmaps")
        views.setCurrentIndex(current)
        views.addTab(self.neurons, "Neuron search")
        views.addTab(self.what_if, "What-if")
        tab.inspection_changed.connect(self._on_inspection)
        self.walk.cursor_moved.connect(self._on_cursor)
        heatmaps.cell_clicked.connect(self._on_cell)
        self.walk.heatmap_extras = self.heatmap_extras
        self.unit_order.changed.connect(self._reload)
        self.neurons.open_document.connect(tab.inspect_text)
        self.what_if.edits_changed.connect(self._on_edits)

    # --- what the tab asks -------------------------------------------------------------------
    def edits(self) -> list:
        return self.what_if.edits()

    def heatmap_extras(self, series: dict[str, np.ndarray]
                       ) -> tuple[list[int] | None, list[float] | None]:
        """(units to show in order, attribution per step) for the maps of the current layer."""
        inspection = self.walk.inspection
        contributions = None
        if self.unit_order.criterion() == "attributed" and inspection is not None:
            try:
                if inspection.kind != "model":
                    raise UserError("Ranking by attribution needs a model, not the toy cell.")
                from lstm_studio.core.explain.unit_order import unit_contributions

                contributions = unit_contributions(inspection.bundle, inspection.trace,
                                                   self.walk.layer, self.walk.direction)[0]
            except UserError as error:
                self.unit_order.message.setText(str(error))
                return None, self._attribution_values()
        return self.unit_order.order(series, contributions), self._attribution_values()

    def _attribution_values(self) -> list[float] | None:
        inspection, result = self.walk.inspection, self.attribution
        if inspection is None or result is None or result.tokens != inspection.trace.tokens:
            return None
        return result.attributions

    # --- reacting to the tab -----------------------------------------------------------------
    def _on_inspection(self) -> None:
        inspection = self.walk.inspection
        if inspection is None or inspection.kind != "model":
            self.attribution = None
            self.slot.cancel()
            self.what_if.show_comparison(None, None)
            return
        if not inspection.interventions:
            self.original = inspection
        elif not self._same_sentence(self.original, inspection):
            self._start_original(inspection)
        self._on_cursor()
        self.what_if.show_comparison(
            self.original if self._same_sentence(self.original, inspection) else None,
            inspection)
        if (self.attribution is not None and self._attribution_bundle is inspection.bundle
                and self.attribution.tokens == inspection.trace.tokens):
            self._reload()  # the unedited attribution of this sentence is already known
        else:
            self.attribution = None
            self._start_attribution(inspection)

    @staticmethod
    def _same_sentence(known: Any, inspection: Any) -> bool:
        """Two inspections of the same sentence by the same model."""
        return (known is not None and known.bundle is inspection.bundle
                and known.trace.tokens == inspection.trace.tokens)

    def _start_original(self, inspection: Any) -> None:
        """The unedited run of an edited sentence, for the side-by-side (in a worker)."""
        bundle, text = inspection.bundle, inspection.text

        def job(progress: Any, _emit: Any) -> Any:
            from lstm_studio.core.inspection import inspect_model

            return inspect_model(bundle, text, progress)

        def done(original: Any) -> None:
            self.original = original
            self.what_if.show_comparison(original, self.walk.inspection)

        self.original_slot.start(job, done, on_failed=self.what_if.finals.setText,
                                 still_valid=lambda: self.walk.inspection is inspection)

    def _on_cursor(self) -> None:
        inspection = self.walk.inspection
        if inspection is None or inspection.kind != "model":
            return
        trace = inspection.trace
        self.neurons.set_context(inspection.bundle, trace, self.walk.layer, self.walk.direction)
        self.what_if.set_context(trace.cell, trace.hidden_size, trace.steps, self.walk.layer,
                                 self.walk.direction)

    def _on_cell(self, unit: int, step: int) -> None:
        self.neurons.set_unit(unit, step)
        self.what_if.set_cursor(unit, step)

    def _reload(self) -> None:
        if self.walk.inspection is not None:
            self.walk.reload()

    def _on_edits(self) -> None:
        self.tab.retrace()

    def _start_attribution(self, inspection: Any) -> None:
        bundle, text = inspection.bundle, inspection.text

        def job(progress: Any, _emit: Any) -> Any:
            from lstm_studio.core.explain.attribution import explain

            return explain(bundle, text, "ig", max_len=None, progress=progress)

        def done(result: Any) -> None:
            self.attribution, self._attribution_bundle = result, bundle
            self._reload()

        self.slot.start(job, done, on_failed=self.unit_order.message.setText,
                        still_valid=lambda: self.walk.inspection is inspection)

    def shutdown(self) -> None:
        self.slot.shutdown()
        self.original_slot.shutdown()
        self.neurons.shutdown()

    def _documents(self, split: str) -> Sequence[Document]:
        """A split for the neuron search: from a store its documents are read one at a time
        by the scan in its worker, not here."""
        dataset = self.tab.state.training_dataset()
        return dataset.split(split) if dataset is not None else []
