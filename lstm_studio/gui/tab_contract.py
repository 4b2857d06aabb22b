"""What the main window expects of a tab, as Protocols the window and the self-test check.

A tab is a QWidget built as `TabClass(state, parent)` (the list is
lstm_studio.gui.main_window.TAB_CLASSES). Each method below is optional; the window calls it
on the tabs that have it (`MainWindow.tabs_with(Protocol)`):

- `self_test_stage() -> str`: run this tab's stage of `--self-test` through its own code path
  (blocking until done, with the event loop running), return a one-line summary, raise on
  failure;
- `confirm_close() -> bool` and `shutdown() -> None`: asked and called on window close
  (`shutdown` stops the tab's background tasks: its TaskSlots' `shutdown()`);
- `project_state() -> dict` / `restore_project_state(data: dict) -> None`: extra settings the
  tab keeps in project files.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

# JSON-shaped data a tab keeps in a project file (see core.project.Project.tabs).
TabProjectData = dict[str, object]


@runtime_checkable
class SelfTestTab(Protocol):
    def self_test_stage(self) -> str: ...


@runtime_checkable
class ClosingTab(Protocol):
    def confirm_close(self) -> bool: ...


@runtime_checkable
class ShutdownTab(Protocol):
    def shutdown(self) -> None: ...


@runtime_checkable
class ProjectStateTab(Protocol):
    def project_state(self) -> TabProjectData: ...

    def restore_project_state(self, data: TabProjectData) -> None: ...
