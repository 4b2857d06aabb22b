"""Restoring an opened project, step by step, through the tabs' own code paths.

Reload the sources (with the saved split decisions) → rerun cleaning if it had run → rebuild
the vocabulary → hand each tab its saved state → load the trained model. Each step starts
when the previous background task ended, so the window stays responsive throughout.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from lstm_studio.core.project import Project
from lstm_studio.gui import dialogs
from lstm_studio.gui.workers import BackgroundTask

log = logging.getLogger(__name__)


class ProjectRestorer(QObject):
    done = Signal(bool)

    def __init__(self, window: Any, project: Project, notes: list[str]) -> None:
        super().__init__(window)
        self.window = window
        self.project = project
        self.notes = list(notes)

    def start(self) -> None:
        project, window, state = self.project, self.window, self.window.state
        state.cleaning_config = project.cleaning
        state.vocab_config = project.vocabulary
        state.model_config = project.model
        state.train_config = project.training
        for title, method in (("Clean", "set_config"), ("Vocabulary", "set_config")):
            tab = window.tab(title)
            if tab is not None:
                getattr(tab, method)(getattr(state, "cleaning_config" if title == "Clean"
                                             else "vocab_config"))
        if not project.data.sources:
            self._after_vocabulary(True)
            return
        window.data_tab.load_paths(project.data.sources, project.data, self._after_load)

    def _fail(self, stage: str) -> None:
        dialogs.error(self.window, "Cannot open project",
                      f"The project could not be restored: {stage} did not finish.")
        self.done.emit(False)

    def _after_load(self, ok: bool) -> None:
        if not ok:
            self.done.emit(False)  # the data tab already showed why
            return
        clean_tab = self.window.tab("Clean")
        if self.project.cleaning_ran and clean_tab is not None:
            if clean_tab.run_cleaning(self._after_cleaning) is None:
                self._fail("cleaning")
        else:
            self._after_cleaning(True)

    def _after_cleaning(self, ok: bool) -> None:
        if not ok:
            self._fail("cleaning")
            return
        vocab_tab = self.window.tab("Vocabulary")
        if self.project.vocabulary_built and vocab_tab is not None:
            if vocab_tab.build_vocabulary(self._after_vocabulary) is None:
                self._after_vocabulary(True)
        else:
            self._after_vocabulary(True)

    def _after_vocabulary(self, ok: bool) -> None:
        if not ok:
            self._fail("building the vocabulary")
            return
        for title, widget in self.window.tabs_with("restore_project_state"):
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
        def work(progress: object, emit: object) -> Any:
            from lstm_studio.core.checkpoint import load_checkpoint

            return load_checkpoint(path)

        task = BackgroundTask(work, self)

        def loaded(bundle: Any) -> None:
            self.window.state.set_model(bundle, path)

        def failed(message: str) -> None:
            self.notes.append(f"The trained model could not be loaded: {message}")

        task.finished.connect(loaded)
        task.failed.connect(failed)
        task.ended.connect(lambda: self._finish(True))
        self._model_task = task
        task.start()

    def _finish(self, ok: bool) -> None:
        if self.notes:
            dialogs.info(self.window, "Project opened", "\n".join(self.notes))
        self.window.state.status_message.emit("Project restored")
        self.done.emit(ok)
