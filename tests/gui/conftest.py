"""GUI test fixtures: settings in a temporary .ini, dialogs answered without blocking, and a
real main window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lstm_studio.gui import dialogs


class DialogResponder:
    """Answers intercepted dialogs: `answers[kind]` (a value or a callable taking the call)."""

    def __init__(self) -> None:
        self.answers: dict[str, Any] = {"question": False}
        self.calls: list[dialogs.DialogCall] = []

    def __call__(self, call: dialogs.DialogCall) -> Any:
        self.calls.append(call)
        answer = self.answers.get(call.kind)
        return answer(call) if callable(answer) else answer

    def texts(self, kind: str) -> list[str]:
        return [call.text for call in self.calls if call.kind == kind]


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path_factory.mktemp("settings") / "lstm-studio.ini"
    monkeypatch.setenv("LSTM_STUDIO_SETTINGS", str(path))
    return path


@pytest.fixture(autouse=True)
def dialog_responder(monkeypatch: pytest.MonkeyPatch) -> DialogResponder:
    responder = DialogResponder()
    monkeypatch.setattr(dialogs, "responder", responder)
    monkeypatch.setattr(dialogs, "calls", [])
    return responder


@pytest.fixture
def window(qtbot: Any) -> Iterator[Any]:
    from lstm_studio.gui.main_window import MainWindow

    main_window = MainWindow()
    qtbot.addWidget(main_window)
    # A tab that failed to build is reported, not fatal, in the app; a test must fail at once.
    assert main_window.broken_tabs == {}, main_window.broken_tabs
    main_window.resize(1280, 800)
    main_window.show()
    qtbot.waitExposed(main_window)
    yield main_window
    main_window.shutdown_tabs()


@pytest.fixture
def finish(qtbot: Any) -> Any:
    """`finish(start)`: call `start(on_done)` and wait (event loop running) until on_done(ok)
    fired; returns ok."""

    def run(start: Any, timeout: int = 60_000) -> bool:
        result: dict[str, bool] = {}
        start(lambda ok: result.setdefault("ok", ok))
        qtbot.waitUntil(lambda: "ok" in result, timeout=timeout)
        return result["ok"]

    return run
