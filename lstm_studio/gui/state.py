"""The application state shared by all tabs: what is loaded, cleaned, built and trained.

Tabs never talk to each other directly; they read and write this object and listen to its
signals. It holds plain core objects (Dataset, CleaningResult, Vocabulary, configs, a loaded
model), so a project file is just a serialisation of it. The core types are imported for the
type checker only: importing them here would pull torch (checkpoint) and the cleaning
patterns into start-up, before the window shows.

What a tab is and which optional methods the window calls: lstm_studio.gui.tab_contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from lstm_studio.core.config import (
    CleaningConfig,
    DataConfig,
    ModelConfig,
    TrainConfig,
    VocabConfig,
)

if TYPE_CHECKING:
    from lstm_studio.core.checkpoint import ModelBundle
    from lstm_studio.core.cleaning import CleaningResult
    from lstm_studio.core.corpus.store import TokenStore
    from lstm_studio.core.dataset import Dataset
    from lstm_studio.core.vocab import Vocabulary


class AppState(QObject):
    dataset_changed = Signal()  # raw dataset replaced (cleaning and vocabulary are reset)
    cleaning_changed = Signal()  # cleaning finished; `cleaned` holds the result
    vocabulary_changed = Signal()
    model_changed = Signal()  # a model was trained or loaded; `model` holds it
    inspect_requested = Signal(str)  # open this sentence in the Inspect tab
    status_message = Signal(str)  # short text for the status bar

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dataset: Dataset | None = None  # as loaded, splits applied
        self.cleaned: CleaningResult | None = None
        # A corpus browsed from the on-disk token store (the Data tab's "Train from"): the
        # store behind `dataset` (built without cleaning) and the one behind `cleaned`.
        # Their documents are read from the store when asked for (core/corpus/browse.py).
        self.store: TokenStore | None = None
        self.cleaned_store: TokenStore | None = None
        self.vocabulary: Vocabulary | None = None
        self.model: ModelBundle | None = None  # trained here or loaded from a file
        self.model_path: str | None = None
        self.data_config = DataConfig()
        self.cleaning_config = CleaningConfig()
        self.vocab_config = VocabConfig()
        self.model_config = ModelConfig()
        self.train_config = TrainConfig()

    def training_dataset(self) -> Dataset | None:
        """What training uses: the cleaned dataset when cleaning ran, else the raw one."""
        if self.cleaned is not None:
            return self.cleaned.dataset
        return self.dataset

    def training_store(self) -> TokenStore | None:
        """The store behind `training_dataset()`, when the corpus is browsed from one."""
        if self.cleaned is not None:
            return self.cleaned_store
        return self.store

    def set_dataset(self, dataset: Dataset, store: TokenStore | None = None) -> None:
        self.dataset = dataset
        self.store = store
        self.cleaned = None
        self.cleaned_store = None
        self.vocabulary = None
        self.dataset_changed.emit()

    def set_cleaned(self, result: CleaningResult, store: TokenStore | None = None) -> None:
        self.cleaned = result
        self.cleaned_store = store
        self.vocabulary = None
        self.cleaning_changed.emit()

    def set_vocabulary(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.vocabulary_changed.emit()

    def set_model(self, model: ModelBundle | None, path: str | None = None) -> None:
        """Install a trained or loaded model (None: forget the current one)."""
        self.model = model
        self.model_path = path
        self.model_changed.emit()
