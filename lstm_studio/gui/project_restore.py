"""Restoring an opened project, step by step, through the tabs' own code paths.

Reload the sources (with the saved split decisions) → rerun cleaning if it had run → rebuild
the vocabulary → hand each tab its saved state → load the trained model. Each step starts
when the previous background task ended, so the window stays responsive throughout. Opening
another project (or closing the window) abandons a restore in progress: its remaining steps
do nothing and its model load is cancelled.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from lstm_studio.core.progress import Progress
from lstm_studio.core.project import Project
from lstm_studio.gui import dialogs
from lstm_studio.gui.clean.tab import CleanTab
from lstm_studio.gui.tab_contract import ProjectStateTab
from lstm_studio.gui.vocab.tab import VocabTab
from lstm_studio.gui.workers import TaskSlot

if TYPE_CHECKING:
    from lstm_studio.core.checkpoint import ModelBundle
    from lstm_studio.gui.main_window import MainWindow

log = logging.getLogger(__name__)


class ProjectRestorer(QObject):
    done = Signal(bool)  # the restore ended (ok?); not emitted once abandoned

    def __init__(self, window: MainWindow, project: Project, notes: list[str]) -> None:
        super().__init__(window)
        self.window = window
        self.project = project
        self.notes = list(notes)
        self._abandoned = False
        self._model_loading = TaskSlot(window, "Loading the model")

    def start(self) -> None:
        project, window, state = self.project, self.window, self.window.state
        state.cleaning_config = project.cleaning
        state.vocab_config = project.vocabulary
        state.model_config = project.model
        state.train_config = project.training
        clean_tab = window.tab_of(CleanTab)
        if clean_tab is not None:
            clean_tab.set_config(project.cleaning)
        vocab_tab = window.tab_of(VocabTab)
        if vocab_tab is not None:
            vocab_tab.set_config(project.vocabulary)
        if not project.data.sources:
            self._after_vocabulary(True)
            return
        window.data_tab.load_paths(project.data.sources, project.data, self._after_load)

    def abandon(self) -> None:
        """Stop here: later steps do nothing, a model load in progress is cancelled."""
        self._abandoned = True
        self._model_loading.cancel()

    def shutdown(self) -> None:
        self.abandon()
        self._model_loading.shutdown()

    def _fail(self, stage: str) -> None:
        dialogs.error(self.window, "Cannot open project",
                      f"The project could not be restored: {stage} did not finish.")
        self.done.emit(False)

    def _after_load(self, ok: bool) -> None:
        if self._abandoned:
            return
        if not ok:
            self.done.emit(False)  # the data tab already showed why
            return
        clean_tab = self.window.tab_of(CleanTab)
        if self.project.cleaning_ran and clean_tab is not None:
            if clean_tab.run_cleaning(self._after_cleaning) is None:
                self._fail("cleaning")
        else:
            self._after_cleaning(True)

    def _after_cleaning(self, ok: bool) -> None:
        if self._abandoned:
            return
        if not ok:
            self._fail("cleaning")
            return
        vocab_tab = self.window.tab_of(VocabTab)
        if self.project.vocabulary_built and vocab_tab is not None:
            if vocab_tab.build_vocabulary(self._after_vocabulary) is None:
                self._after_vocabulary(True)
        else:
            self._after_vocabulary(True)

    def _after_vocabulary(self, ok: bool) -> None:
        if self._abandoned:
            return
        if not ok:
            self._fail("building the vocabulary")
            return
        for title, widget in self.window.tabs_with(ProjectStateTab):
            if title in self.project.tabs:
                try:
                    widget.restore_project_state(self.project.tabs[title])
                except Exception as error:
                    log.exception("%s.restore_project_state failed", title)
                    self.notes.append(f"The {title} tab could not restore its settings "
                                      f"({error}).")
        path = self.project.model_path
        if path and Path(path).is_file() and self.window.state.model is None:
            self._load_model(path)
        else:
            self._finish(True)

    def _load_model(self, path: str) -> None:
        def work(progress: Progress, emit: object) -> ModelBundle:
            from lstm_studio.core.checkpoint import load_checkpoint

            return load_checkpoint(path)

        def loaded(bundle: ModelBundle) -> None:
            self.window.state.set_model(bundle, path)

        def failed(message: str) -> None:
            self.notes.append(f"The trained model could not be loaded: {message}")

        # A model that does not load is a note in the final message, not a failed restore.
        self._model_loading.start(work, loaded, on_failed=failed,
                                  on_done=lambda _ok: self._finish(True))

    def _finish(self, ok: bool) -> None:
        if self._abandoned:
            return
        if self.notes:
            dialogs.info(self.window, "Project opened", "\n".join(self.notes))
        self.window.state.status_message.emit("Project restored")
        self.done.emit(ok)
