"""The main window: tabs over one AppState, menus, drag-and-drop, projects, persisted settings.

Tabs are listed in TAB_CLASSES and built as `TabClass(state, parent)`; the optional tab
methods are the Protocols of lstm_studio.gui.tab_contract.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QTimer, Signal, qVersion
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QIcon, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QTabWidget, QWidget

from lstm_studio import APP_NAME, __version__
from lstm_studio.core.config import CleaningConfig, ModelConfig, TrainConfig, VocabConfig
from lstm_studio.core.errors import UserError
from lstm_studio.core.project import SUFFIX, Project, load_project, save_project
from lstm_studio.core.wording import plural
from lstm_studio.gui import dialogs, settings
from lstm_studio.gui.clean.tab import CleanTab
from lstm_studio.gui.data.tab import DataTab
from lstm_studio.gui.inspect.tab import InspectTab
from lstm_studio.gui.memory import prefer_gui_thread
from lstm_studio.gui.project_restore import ProjectRestorer
from lstm_studio.gui.state import AppState
from lstm_studio.gui.tab_contract import ClosingTab, ProjectStateTab, ShutdownTab
from lstm_studio.gui.train.tab import TrainTab
from lstm_studio.gui.vocab.tab import VocabTab
from lstm_studio.gui.workers import BackgroundTask
from lstm_studio.resources_path import resource

if TYPE_CHECKING:
    from lstm_studio.gui.export_dialog import ExportDialog

log = logging.getLogger(__name__)

W = TypeVar("W", bound=QWidget)
T = TypeVar("T")

# What builds a tab: its class, called as `cls(state, parent)`.
TabFactory = Callable[[AppState, QWidget], QWidget]
# (title, class): the window's tabs in order.
TAB_CLASSES: tuple[tuple[str, TabFactory], ...] = (
    ("Data", DataTab),
    ("Clean", CleanTab),
    ("Vocabulary", VocabTab),
    ("Train", TrainTab),
    ("Inspect", InspectTab),
)
PROJECT_FILTER = f"LSTM Studio project (*{SUFFIX});;All files (*)"
MODEL_SUFFIX = ".safetensors"


def app_icon() -> QIcon:
    icon = QIcon()
    for name in ("lstm-studio.svg", "lstm-studio.png"):
        path = resource("icons", name)
        if path.is_file():
            icon.addFile(str(path))
    return icon


class MainWindow(QMainWindow):
    project_opened = Signal(bool)  # restoring a project ended (ok?)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        prefer_gui_thread()  # workers must not starve the window's painting of the GIL
        self.state = AppState(self)
        self._restore_options()
        self.project_path: str | None = None
        self._restorer: ProjectRestorer | None = None
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self.tab_widgets: dict[str, QWidget] = {}
        # A tab that fails to build is reported (the self-test fails on it), not fatal.
        self.broken_tabs: dict[str, str] = {}
        for title, cls in TAB_CLASSES:
            try:
                widget = cls(self.state, self)
            except Exception as error:
                log.exception("The %s tab failed to build", title)
                self.broken_tabs[title] = f"{type(error).__name__}: {error}"
                continue
            self.tab_widgets[title] = widget
            self.tabs.addTab(widget, title)
        self._status = QLabel()
        self.statusBar().addPermanentWidget(self._status)
        self.state.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        for signal in (self.state.dataset_changed, self.state.cleaning_changed,
                       self.state.vocabulary_changed, self.state.model_changed):
            signal.connect(self._update_status)
        # Cleaning and vocabulary settings are remembered when the step succeeds, not only on
        # a clean exit (as the tabs did before settings had one module). Training settings
        # only on exit: the self-test trains a tiny model and must not leave its settings.
        # In an event-loop turn of their own: writing the file (twice) was 30 ms of the turn
        # that installs a 200,000-document vocabulary.
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(0)
        self._save_timer.timeout.connect(self.save_configs)
        for signal in (self.state.cleaning_changed, self.state.vocabulary_changed):
            signal.connect(self._save_timer.start)
        self._build_menus()
        self._update_title()
        self._update_status()
        geometry = settings.window_geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
        for title, reason in self.broken_tabs.items():
            self.statusBar().showMessage(f"The {title} tab could not be loaded: {reason}")

    # --- tabs -----------------------------------------------------------------------------
    def tab(self, title: str) -> QWidget | None:
        """The tab titled `title`, or None when it failed to build."""
        return self.tab_widgets.get(title)

    def tab_of(self, cls: type[W]) -> W | None:
        """The tab of class `cls`, or None when it failed to build."""
        for widget in self.tab_widgets.values():
            if isinstance(widget, cls):
                return widget
        return None

    @property
    def data_tab(self) -> DataTab:
        tab = self.tab_of(DataTab)
        if tab is None:  # every way in to the app starts here: nothing works without it
            raise RuntimeError(f"The Data tab could not be built: {self.broken_tabs['Data']}")
        return tab

    def tabs_with(self, kind: type[T]) -> list[tuple[str, T]]:
        """(title, tab) for the tabs that implement `kind`, a tab_contract Protocol."""
        return [(title, widget) for title, widget in self.tab_widgets.items()
                if isinstance(widget, kind)]

    # --- menus ----------------------------------------------------------------------------
    def _action(self, menu: QMenu, text: str, slot: Callable[[], object],
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda checked=False: slot())
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_file_action = self._action(file_menu, "Open &File…",
                                             lambda: self.data_tab.ask_open_files(),
                                             QKeySequence.StandardKey.Open)
        self.open_folder_action = self._action(file_menu, "Open F&older…",
                                               lambda: self.data_tab.ask_open_folder(),
                                               "Ctrl+Shift+O")
        sample_menu = file_menu.addMenu("Open &Sample")
        self._action(sample_menu, "Restaurant reviews (pos/neg)",
                     lambda: self.open_sample("reviews"))
        self._action(sample_menu, "Vietnamese text for language modelling",
                     lambda: self.open_sample("lm"))
        self.recent_menu = file_menu.addMenu("&Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addSeparator()
        self._action(file_menu, "Open &Project…", self.ask_open_project, "Ctrl+Shift+P")
        self._action(file_menu, "&Save Project", self.save_project_action,
                     QKeySequence.StandardKey.Save)
        self._action(file_menu, "Save Project &As…", self.save_project_as, "Ctrl+Shift+S")
        file_menu.addSeparator()
        self.export_action = self._action(file_menu, "&Export Model…", self.show_export_dialog,
                                          "Ctrl+E")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, "Ctrl+Q")
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About LSTM Studio", self.show_about)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        entries = settings.recent_datasets()
        if not entries:
            self.recent_menu.addAction("(none)").setEnabled(False)
        for paths in entries:
            text = " + ".join(Path(p).name for p in paths)
            action = self.recent_menu.addAction(text)
            action.setToolTip("\n".join(paths))
            action.triggered.connect(lambda checked=False, p=paths: self.open_paths(p))

    # --- opening data ---------------------------------------------------------------------
    def open_paths(self, paths: Sequence[str]) -> BackgroundTask:
        self.tabs.setCurrentWidget(self.data_tab)
        return self.data_tab.load_paths(list(paths))

    def open_model_file(self, path: str) -> BackgroundTask | None:
        """Hand a model file to the tab that loads models (the Train tab's Use page)."""
        train = self.tab_of(TrainTab)
        if train is None:
            return None
        self.tabs.setCurrentWidget(train)
        return train.open_model_file(path)

    def open_sample(self, kind: str = "reviews") -> BackgroundTask:
        from lstm_studio.resources_path import sample_paths

        return self.open_paths(sample_paths(kind))

    def start_first_launch(self) -> None:
        """The first time the app runs, load the reviews sample so every tab shows something."""
        if settings.first_launch():
            settings.mark_launched()
            QTimer.singleShot(0, lambda: self.open_sample("reviews"))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and all(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        if len(paths) == 1 and paths[0].endswith(SUFFIX):
            self.open_project(paths[0])
        elif len(paths) == 1 and paths[0].lower().endswith(MODEL_SUFFIX):
            self.open_model_file(paths[0])
        else:
            self.open_paths(paths)

    # --- projects -------------------------------------------------------------------------
    def current_project(self) -> Project:
        state = self.state
        tabs = {}
        for title, widget in self.tabs_with(ProjectStateTab):
            try:
                tabs[title] = widget.project_state()
            except Exception:
                log.exception("%s.project_state failed", title)
        return Project(
            data=state.data_config, cleaning=state.cleaning_config,
            cleaning_ran=state.cleaned is not None, vocabulary=state.vocab_config,
            vocabulary_built=state.vocabulary is not None, model=state.model_config,
            training=state.train_config, model_path=state.model_path, tabs=tabs)

    def save_project_to(self, path: str) -> None:
        if not path.endswith(SUFFIX):
            path += SUFFIX
        save_project(path, self.current_project())
        self.project_path = path
        settings.set_last_project(path)
        self._update_title()
        self.statusBar().showMessage(f"Saved project {path}", 8000)

    def save_project_action(self) -> None:
        if self.project_path:
            self._guarded(lambda: self.save_project_to(self.project_path or ""))
        else:
            self.save_project_as()

    def save_project_as(self) -> None:
        path = dialogs.save_file(self, "Save project", settings.last_project(), PROJECT_FILTER)
        if path:
            self._guarded(lambda: self.save_project_to(path))

    def ask_open_project(self) -> None:
        paths = dialogs.open_files(self, "Open project", settings.last_project(), PROJECT_FILTER)
        if paths:
            self.open_project(paths[0])

    def _guarded(self, fn: Callable[[], object]) -> bool:
        try:
            fn()
        except UserError as error:
            dialogs.error(self, APP_NAME, str(error))
            return False
        except OSError as error:
            dialogs.error(self, APP_NAME, f"Could not write the file: {error.strerror}.")
            return False
        return True

    def open_project(self, path: str) -> bool:
        """Start restoring a project; `project_opened(ok)` fires when everything is back."""
        try:
            project, notes = load_project(path)
        except UserError as error:
            dialogs.error(self, "Cannot open project", str(error))
            return False
        if self._restorer is not None:
            self._restorer.abandon()  # a restore still running must not finish over this one
        self.project_path = path
        settings.set_last_project(path)
        self._update_title()
        self._restorer = ProjectRestorer(self, project, notes)
        self._restorer.done.connect(self.project_opened)
        self._restorer.start()
        return True

    # --- status, about --------------------------------------------------------------------
    def _update_title(self) -> None:
        name = Path(self.project_path).stem if self.project_path else None
        self.setWindowTitle(f"{name} — {APP_NAME}" if name else APP_NAME)

    def _update_status(self) -> None:
        state = self.state
        parts = []
        if state.dataset is not None:
            parts.append(plural(len(state.dataset), "document"))
        if state.cleaned is not None:
            parts.append(f"{len(state.cleaned.dataset):,} after cleaning")
        if state.vocabulary is not None:
            parts.append(f"vocabulary {len(state.vocabulary):,}")
        if state.model is not None:
            parts.append("model ready")
        self._status.setText("  ·  ".join(parts) or "no data")

    def about_html(self) -> str:
        try:
            import torch  # only now: the window is long shown

            torch_version = torch.__version__
        except Exception:
            torch_version = "not installed"
        try:
            langid_version = metadata.version("langid")
        except metadata.PackageNotFoundError:
            langid_version = "not installed"
        rows = [("LSTM Studio", __version__), ("Qt", qVersion()), ("PySide6", pyside_version),
                ("PyTorch", torch_version), ("langid", langid_version),
                ("Python", platform.python_version())]
        table = "".join(f"<tr><td>{k}</td><td><b>{v}</b></td></tr>" for k, v in rows)
        return (f"<h3>{APP_NAME}</h3><p>From raw review text to a trained RNN/LSTM, and a look "
                f"inside its gates.</p><table cellspacing='4'>{table}</table>"
                f"<p>Settings: {settings.settings_location()}</p>")

    def show_export_dialog(self) -> ExportDialog:
        from lstm_studio.gui.export_dialog import ExportDialog

        self.export_dialog = ExportDialog(self.state, self)
        self.export_dialog.open()
        return self.export_dialog

    def show_about(self) -> None:
        dialogs.about(self, f"About {APP_NAME}", self.about_html())

    # --- settings and closing -------------------------------------------------------------
    def _restore_options(self) -> None:
        state = self.state
        state.cleaning_config = settings.load_config("cleaning", CleaningConfig)
        state.vocab_config = settings.load_config("vocabulary", VocabConfig)
        state.model_config = settings.load_config("model", ModelConfig)
        state.train_config = settings.load_config("training", TrainConfig)

    def save_configs(self) -> None:
        """Remember the cleaning and vocabulary settings (the next launch starts with them)."""
        settings.save_config("cleaning", self.state.cleaning_config)
        settings.save_config("vocabulary", self.state.vocab_config)

    def save_options(self) -> None:
        """Everything remembered between sessions; called when the window closes."""
        self.save_configs()
        settings.save_config("model", self.state.model_config)
        settings.save_config("training", self.state.train_config)
        settings.save_window_geometry(self.saveGeometry())

    def shutdown_tabs(self) -> None:
        """Stop every background task (tabs and a project restore) and wait for it."""
        if self._restorer is not None:
            self._restorer.shutdown()
        for title, widget in self.tabs_with(ShutdownTab):
            try:
                widget.shutdown()
            except Exception:
                log.exception("%s.shutdown failed", title)

    def closeEvent(self, event: QCloseEvent) -> None:
        for _title, widget in self.tabs_with(ClosingTab):
            if not widget.confirm_close():
                event.ignore()
                return
        self.save_options()
        self.shutdown_tabs()
        event.accept()

