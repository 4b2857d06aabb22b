"""The application state shared by all tabs: what is loaded, cleaned, built and trained.

Tabs never talk to each other directly; they read and write this object and listen to its
signals. It holds plain core objects (Dataset, CleaningResult, Vocabulary, configs, a loaded
model), so a project file is just a serialisation of it.

Tab plug-in contract (lstm_studio.gui.main_window.TAB_CLASSES): a tab is a QWidget built as
`TabClass(state, parent)`. Optional methods the window calls when present:
- `self_test_stage(self) -> str`: run this tab's stage of `--self-test` through its own code
  path (blocking until done, using qt event processing), return a one-line summary, raise on
  failure;
- `confirm_close(self) -> bool` and `shutdown(self) -> None`: asked and called on window close
  (e.g. stop a running training within 2 s);
- `project_state(self) -> dict` / `restore_project_state(self, data: dict) -> None`: extra
  settings the tab wants saved in project files.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from lstm_studio.core.config import (
    CleaningConfig,
    DataConfig,
    ModelConfig,
    TrainConfig,
    VocabConfig,
)


class AppState(QObject):
    dataset_changed = Signal()  # raw dataset replaced (cleaning and vocabulary are reset)
    cleaning_changed = Signal()  # cleaning finished; `cleaned` holds the result
    vocabulary_changed = Signal()
    model_changed = Signal()  # a model was trained or loaded; `model` holds it
    inspect_requested = Signal(str)  # open this sentence in the Inspect tab
    status_message = Signal(str)  # short text for the status bar

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dataset: Any = None  # core.dataset.Dataset (as loaded, splits applied)
        self.cleaned: Any = None  # core.cleaning.CleaningResult | None
        self.vocabulary: Any = None  # core.vocab.Vocabulary | None
        self.model: Any = None  # core.checkpoint.LoadedModel | None (trained or loaded)
        self.model_path: str | None = None
        self.data_config = DataConfig()
        self.cleaning_config = CleaningConfig()
        self.vocab_config = VocabConfig()
        self.model_config = ModelConfig()
        self.train_config = TrainConfig()

    def training_dataset(self) -> Any:
        """What training uses: the cleaned dataset when cleaning ran, else the raw one."""
        if self.cleaned is not None:
            return self.cleaned.dataset
        return self.dataset

    def set_dataset(self, dataset: Any) -> None:
        self.dataset = dataset
        self.cleaned = None
        self.vocabulary = None
        self.dataset_changed.emit()

    def set_cleaned(self, result: Any) -> None:
        self.cleaned = result
        self.vocabulary = None
        self.cleaning_changed.emit()

    def set_vocabulary(self, vocabulary: Any) -> None:
        self.vocabulary = vocabulary
        self.vocabulary_changed.emit()

    def set_model(self, model: Any, path: str | None = None) -> None:
        self.model = model
        self.model_path = path
        self.model_changed.emit()
