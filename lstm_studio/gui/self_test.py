"""`lstm-studio --self-test`: drive the real window through every stage on the built-in sample.

Each stage goes through the same code a user's clicks reach (the Data tab's loader, the Clean
tab's run, the Vocabulary tab's build), then each further tab's own `self_test_stage()`. One
line per stage is printed; the exit status is 0 when all passed, else 1 with the failing
stage named. Dialogs are intercepted so nothing can block an unattended run.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TextIO, TypeVar

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QWidget

from lstm_studio.core.wording import plural
from lstm_studio.gui import dialogs
from lstm_studio.gui.clean.tab import CleanTab
from lstm_studio.gui.tab_contract import SelfTestTab
from lstm_studio.gui.vocab.tab import VocabTab
from lstm_studio.gui.workers import BackgroundTask

if TYPE_CHECKING:
    from lstm_studio.gui.main_window import MainWindow

STAGE_TIMEOUT_S = 300
W = TypeVar("W", bound=QWidget)


class ReportsErrors(Protocol):
    """A tab that remembers why its last background task failed."""

    @property
    def last_error(self) -> str | None: ...


class StageFailed(Exception):
    pass


def run_task(start: Callable[[Callable[[bool], None]], BackgroundTask | None], what: str,
             timeout_s: float = STAGE_TIMEOUT_S, owner: ReportsErrors | None = None) -> None:
    """Start a tab's background work with an `on_done(ok)` callback and wait for it while the
    event loop keeps running (the window stays live)."""
    loop = QEventLoop()
    result: dict[str, bool] = {}

    def on_done(ok: bool) -> None:
        result["ok"] = ok
        loop.quit()

    task = start(on_done)
    if task is None:
        raise StageFailed(f"{what} could not start")
    if "ok" not in result:
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        timer.start(int(timeout_s * 1000))
        loop.exec()
    if "ok" not in result:
        raise StageFailed(f"{what} did not finish within {timeout_s:.0f} s")
    if not result["ok"]:
        reason = owner.last_error if owner is not None else None
        error = dialogs.last("error")
        if reason is None and error is not None:
            reason = error.text
        raise StageFailed(reason or f"{what} did not succeed")


class SelfTest:
    def __init__(self, window: MainWindow, out: TextIO | None = None) -> None:
        self.window = window
        self.out = out or sys.stdout
        self.exit_code = 1

    def _required_tab(self, cls: type[W], title: str) -> W:
        tab = self.window.tab_of(cls)
        if tab is None:
            raise StageFailed(f"there is no {title} tab")
        return tab

    def _print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    # --- the shell's stages ---------------------------------------------------------------
    def stage_tabs(self) -> str:
        if self.window.broken_tabs:
            name, reason = next(iter(self.window.broken_tabs.items()))
            raise StageFailed(f"the {name} tab failed to load: {reason}")
        tabs = self.window.tab_widgets
        return f"{plural(len(tabs), 'tab')}: " + ", ".join(tabs)

    def stage_load(self) -> str:
        from lstm_studio.resources_path import sample_paths

        data_tab = self.window.data_tab
        run_task(lambda done: data_tab.load_paths(sample_paths("reviews"), on_done=done),
                 "loading the sample", owner=data_tab)
        dataset = self.window.state.dataset
        if dataset is None or len(dataset) == 0:
            raise StageFailed("the sample loaded no documents")
        if data_tab.model.rowCount() != len(dataset):
            raise StageFailed("the document table does not show every document")
        return plural(len(dataset), "document")

    def stage_clean(self) -> str:
        clean_tab = self._required_tab(CleanTab, "Clean")
        run_task(clean_tab.run_cleaning, "cleaning", owner=clean_tab)
        cleaned = self.window.state.cleaned
        if cleaned is None or len(cleaned.dataset) == 0:
            raise StageFailed("cleaning kept no documents")
        dropped = len(cleaned.report.dropped)
        return f"{len(cleaned.dataset):,} kept, {dropped:,} dropped"

    def stage_vocabulary(self) -> str:
        vocab_tab = self._required_tab(VocabTab, "Vocabulary")
        run_task(vocab_tab.build_vocabulary, "building the vocabulary", owner=vocab_tab)
        vocab = self.window.state.vocabulary
        if vocab is None or len(vocab) <= 2:
            raise StageFailed("the vocabulary is empty")
        return plural(len(vocab), "token")

    def stages(self) -> list[tuple[str, Callable[[], str]]]:
        stages: list[tuple[str, Callable[[], str]]] = [
            ("tabs", self.stage_tabs), ("load", self.stage_load), ("clean", self.stage_clean),
            ("vocabulary", self.stage_vocabulary)]
        for title, widget in self.window.tabs_with(SelfTestTab):
            if title not in ("Data", "Clean", "Vocabulary"):
                stages.append((title.lower(), widget.self_test_stage))
        return stages

    # --- running --------------------------------------------------------------------------
    def run(self) -> int:
        previous = dialogs.responder
        dialogs.responder = lambda call: None  # never block on a modal dialog
        try:
            self.exit_code = self._run_stages()
        finally:
            dialogs.responder = previous
        return self.exit_code

    def _run_stages(self) -> int:
        started = time.perf_counter()
        stages = self.stages()
        for name, stage in stages:
            begin = time.perf_counter()
            errors_before = sum(1 for c in dialogs.calls if c.kind == "error")
            try:
                summary = stage()
                errors = [c for c in dialogs.calls if c.kind == "error"][errors_before:]
                if errors:
                    raise StageFailed(errors[0].text)
            except Exception as error:
                if not isinstance(error, StageFailed):
                    traceback.print_exc(file=sys.stderr)
                self._print(f"self-test: {name} ... FAILED: {error}")
                self._print(f"self-test: failed at stage '{name}'")
                return 1
            self._print(f"self-test: {name} ... ok ({summary}, "
                        f"{time.perf_counter() - begin:.1f} s)")
        self._print(f"self-test: all {plural(len(stages), 'stage')} passed in "
                    f"{time.perf_counter() - started:.1f} s")
        return 0
