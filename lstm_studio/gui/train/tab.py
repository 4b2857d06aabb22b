"""The Train tab: configure, train with live plots, compare runs, evaluate, use the model.

The tab lays out four pages and connects them to the shared AppState: the form's settings go
to the state, the data decides whether Start is possible, and a finished run's model and
metrics go to the state and the Evaluate page. The run itself is `TrainingView`'s. A run
another process writes (Open run…, or Follow on the Compare page) is shown by `FollowView`
in the same place; Resume (Compare, or a followed run that ended early) continues a run
from its checkpoint in `TrainingView`.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEventLoop, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.core.config import ModelConfig, TrainConfig, config_from_dict, config_to_dict
from lstm_studio.core.dataset import Dataset
from lstm_studio.gui import dialogs
from lstm_studio.gui.state import AppState
from lstm_studio.gui.train.compare_view import CompareView
from lstm_studio.gui.train.evaluate_view import EvaluateView
from lstm_studio.gui.train.follow_view import FollowView
from lstm_studio.gui.train.form import TrainForm
from lstm_studio.gui.train.job import TrainingInputs, recorded_settings
from lstm_studio.gui.train.search_view import SearchView
from lstm_studio.gui.train.training_view import TrainingView
from lstm_studio.gui.train.use_view import UseView
from lstm_studio.gui.workers import BackgroundTask

if TYPE_CHECKING:
    from lstm_studio.core.pipeline import TrainResult


class TrainTab(QWidget):
    """Configure & train, Compare, Evaluate and Use, as four pages of one tab."""

    training_started = Signal()
    training_finished = Signal(object)  # the core's TrainResult
    training_ended = Signal(str)  # "finished", "stopped", "failed" or "cancelled"

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._data_blocker: str | None = None
        self._labels_cache: tuple[Dataset, list[str]] | None = None
        self.form = TrainForm()
        self.form.set_configs(state.model_config, state.train_config)
        self.training = TrainingView()
        self.follow = FollowView()
        self.right = QStackedWidget()  # the run trained here, or a run followed from its folder
        self.right.addWidget(self.training)
        self.right.addWidget(self.follow)
        self.compare = CompareView()
        self.evaluate_view = EvaluateView(state)
        self.use_view = UseView(state)
        self.search_view = SearchView(self._search_inputs)
        self.form.quality.attach(state, self.form.embedding_dim.value, self.form.seed.value)

        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(400)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(self.right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([420, 860])
        self.pages = QTabWidget()
        self.pages.addTab(splitter, "Configure && train")
        self.pages.addTab(self.search_view, "Search")
        self.pages.addTab(self.compare, "Compare")
        self.pages.addTab(self.evaluate_view, "Evaluate")
        self.pages.addTab(self.use_view, "Use")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.pages)

        self.form.changed.connect(self._on_form_changed)
        training = self.training
        training.start_requested.connect(self.start_training)
        training.started.connect(self.training_started)
        training.running_changed.connect(self._on_running_changed)
        training.ended.connect(self._on_ended)
        training.finished.connect(self._on_finished)
        training.status_message.connect(state.status_message)
        training.open_run_requested.connect(self.open_run)
        self.follow.closed.connect(lambda: self.right.setCurrentWidget(self.training))
        self.follow.resume_requested.connect(self.resume_run)
        self.compare.follow_requested.connect(self.follow_run)
        self.compare.resume_requested.connect(self.resume_run)
        self.search_view.apply_requested.connect(self.apply_search_settings)
        self.search_view.trial_finished.connect(lambda _trial: self.compare.mark_stale())
        self.search_view.slot.busy_changed.connect(lambda _busy: self._update_blocker())
        for signal in (state.dataset_changed, state.cleaning_changed, state.vocabulary_changed):
            signal.connect(self._on_data_changed)
        self._on_data_changed()

    def open_model_file(self, path: str) -> BackgroundTask | None:
        """A model file dropped on the window: load it on the Use page."""
        self.pages.setCurrentWidget(self.use_view)
        return self.use_view.load_model_file(path)

    # ----- state -----------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.form.preloader.start()  # torch loads in the background while the user reads

    def _on_form_changed(self) -> None:
        self.state.model_config = self.form.model_config()
        self.state.train_config = self.form.train_config()
        self._update_blocker()

    def _on_data_changed(self) -> None:
        dataset = self.state.training_dataset()
        vocab = self.state.vocabulary
        vocab_size = len(vocab) if vocab else 0
        if dataset is None:
            self._data_blocker = "Load a dataset in the Data tab to train a model."
            self.form.set_data_context(vocab_size, 2, True)
        else:
            self._data_blocker = (None if self._has_train(dataset)
                                  else "The dataset has no train split to learn from.")
            labels = self._labels_of(dataset)
            self.form.set_data_context(vocab_size, len(labels), bool(labels))
        self.form.quality.attach(self.state)
        self._update_blocker()

    def _has_train(self, dataset: Dataset) -> bool:
        """Whether a document is in the train split: a store answers from its split array
        (visiting its documents would decode them all), a list stops at the first one."""
        if self.state.training_store() is not None:
            return len(dataset.split("train")) > 0
        return any(doc.split == "train" for doc in dataset.documents)

    def _labels_of(self, dataset: Dataset) -> list[str]:
        """The dataset's labels, found once per dataset: a pass over 200,000 documents on the
        GUI thread costs ~15 ms, and a new vocabulary does not change them."""
        if self._labels_cache is None or self._labels_cache[0] is not dataset:
            self._labels_cache = (dataset, dataset.labels())
        return self._labels_cache[1]

    def is_training(self) -> bool:
        return self.training.is_training()

    def blocker(self) -> str | None:
        """Why a run cannot start now, or None."""
        searching = "A settings search is running." if self.search_view.is_running() else None
        return self._settings_blocker() or searching

    def _settings_blocker(self) -> str | None:
        """What in the data or the form stops a run or a search from starting."""
        return self._data_blocker or self.form.problem()

    def _update_blocker(self) -> None:
        self.training.set_blocker(self.blocker())
        self.search_view.update_buttons()

    def _on_running_changed(self, running: bool) -> None:
        self.form.setEnabled(not running)
        self.use_view.set_loading_allowed(not running)
        self.search_view.update_buttons()

    # ----- training ---------------------------------------------------------------------------
    def start_training(self) -> BackgroundTask | None:
        """Start a run with the form's settings (what the Start button does)."""
        inputs = self._training_inputs()
        if self.is_training() or self.blocker() is not None or inputs is None:
            return None
        return self.training.start(inputs)

    def _training_inputs(self) -> TrainingInputs | None:
        """The data and the form's settings (None: no data), with the store the corpus is
        browsed from, if any: a run or a search then reads that store, not its documents."""
        dataset = self.state.training_dataset()
        if dataset is None:
            return None
        return TrainingInputs(dataset, *self._form_inputs(), store=self.state.training_store())

    def _form_inputs(self) -> tuple:
        """(vocabulary, model, training, cleaning, data) settings a run or a search starts
        from: the form's, with the language model's specials, and the cleaning replayed at
        prediction time only if the training text was cleaned with it."""
        model_config, train_config = self.form.model_config(), self.form.train_config()
        vocab_config = self.state.vocab_config
        if model_config.task == "lm" and not vocab_config.lm_specials:
            vocab_config = replace(vocab_config, lm_specials=True)
        cleaned = self.state.cleaned
        cleaning = ((getattr(cleaned, "config", None) or self.state.cleaning_config)
                    if cleaned is not None else None)
        return vocab_config, model_config, train_config, cleaning, self.state.data_config

    # ----- search -----------------------------------------------------------------------------
    def _search_inputs(self) -> tuple | None:
        """What a settings search starts from: the data and the form (None: cannot start)."""
        inputs = self._training_inputs()
        if self.is_training() or self._settings_blocker() is not None or inputs is None:
            return None
        corpus = inputs.store if inputs.store is not None else inputs.dataset
        data, cleaning = recorded_settings(inputs)
        return (corpus, inputs.vocab_config, inputs.model_config, inputs.train_config,
                cleaning, data)

    def apply_search_settings(self, model_config: ModelConfig,
                              train_config: TrainConfig) -> None:
        """The best trial's settings into the form (the user then trains with Start)."""
        self.form.set_configs(model_config, train_config)
        self.pages.setCurrentIndex(0)
        self.state.status_message.emit("The best search settings are in the form")

    # ----- runs from folders ----------------------------------------------------------------
    def open_run(self) -> None:
        """Open run…: choose a run folder (by default in the run history) and follow it."""
        from lstm_studio.core.paths import user_data_dir

        folder = dialogs.open_folder(self, "Open a run folder", str(user_data_dir() / "runs"))
        if folder:
            self.follow_run(folder)

    def follow_run(self, folder: str) -> bool:
        """Show the run writing `folder`: live curves, epoch table, status, Stop."""
        from lstm_studio.core.errors import UserError

        try:
            self.follow.attach(folder)
        except UserError as error:
            dialogs.error(self, "Cannot open the run", str(error))
            return False
        self.right.setCurrentWidget(self.follow)
        self.pages.setCurrentIndex(0)
        return True

    def resume_run(self, folder: str) -> BackgroundTask | None:
        """Continue the run in `folder` here from its last checkpoint."""
        if self.is_training():
            dialogs.error(self, "Cannot resume the run", "A model is training; stop it first.")
            return None
        from lstm_studio.core.runs import read_run

        record = read_run(folder)
        if record is None or not record.resumable:
            dialogs.error(self, "Cannot resume the run",
                          f"The run in {folder} has no checkpoint to continue from.")
            return None
        if self.follow.follower.folder == folder:
            self.follow.close_run()
        self.right.setCurrentWidget(self.training)
        self.pages.setCurrentIndex(0)
        return self.training.start_resume(folder, str(record.model_config.get("task")),
                                          int(record.train_config.get("epochs", 1)))

    def _on_ended(self, status: str) -> None:
        self.compare.mark_stale()
        self.training_ended.emit(status)

    def _on_finished(self, result: TrainResult) -> None:
        bundle = result.bundle
        if bundle is not None:
            self.state.set_model(bundle, None)
            if bundle.model_config.task == "lm":
                # Perplexity beside the n-gram baseline's, both on the validation text.
                self.evaluate_view.show_metrics(result.valid, "valid")
                if result.valid:
                    self.evaluate_view.start_baseline("valid")
            else:
                split = "test" if result.test else "valid"
                self.evaluate_view.show_metrics(result.test or result.valid, split)
        self.training_finished.emit(result)

    # ----- window plug-in contract ------------------------------------------------------------
    def confirm_close(self) -> bool:
        if not self.is_training():
            return True
        return dialogs.question(self, "Training is running",
                                "A model is still training. Stop it and close? The run is "
                                "recorded as stopped.")

    def shutdown(self) -> None:
        """Stop the run (≤ 2 s between two steps) and every page's background work."""
        self.training.shutdown()
        self.follow.shutdown()
        self.use_view.shutdown()
        self.evaluate_view.shutdown()
        self.search_view.shutdown()
        self.form.quality.shutdown()
        self.form.preloader.wait()  # a module import must not be cut off at exit

    def project_state(self) -> dict[str, Any]:
        return {"model_config": config_to_dict(self.form.model_config()),
                "train_config": config_to_dict(self.form.train_config())}

    def restore_project_state(self, data: dict[str, Any]) -> None:
        self.form.set_configs(config_from_dict(ModelConfig, data.get("model_config")),
                              config_from_dict(TrainConfig, data.get("train_config")))

    def self_test_stage(self) -> str:
        """Train a tiny model by clicking Start, save and reload it; one-line summary."""
        if self.state.training_dataset() is None:
            raise RuntimeError("The Train stage needs a dataset loaded first.")
        saved_model, saved_train = self.form.model_config(), self.form.train_config()
        tiny_model = replace(saved_model, embedding_dim=16, hidden_size=16, num_layers=1,
                             bidirectional=False, tie_weights=False)
        tiny_train = replace(saved_train, epochs=1, batch_size=16, device="cpu",
                             early_stopping=None, threads=1)  # tiny: threads only add waits
        self.form.set_configs(tiny_model, tiny_train)
        try:
            start = self.training.start_button
            if not start.isEnabled():
                raise RuntimeError(f"Start is disabled: {self.blocker()}")
            loop = QEventLoop()
            self.training_ended.connect(loop.quit)
            QTimer.singleShot(0, start.click)
            QTimer.singleShot(300_000, loop.quit)
            loop.exec()
            self.training_ended.disconnect(loop.quit)
            return self._check_self_test_run()
        finally:
            self.form.set_configs(saved_model, saved_train)

    def _check_self_test_run(self) -> str:
        result = self.training.result
        if result is None or result.status != "finished":
            status = getattr(result, "status", "no result")
            raise RuntimeError(f"Training did not finish ({status}).")
        from lstm_studio.core.checkpoint import load_checkpoint, save_checkpoint

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "self-test.safetensors"
            save_checkpoint(result.bundle, path)
            loaded = load_checkpoint(path)
        metrics = result.test or result.valid or {}
        score = (f"accuracy {metrics['accuracy']:.2f}" if "accuracy" in metrics
                 else f"perplexity {metrics.get('perplexity', float('nan')):.1f}")
        count = self.training.plots.step_count()
        steps = "1 step" if count == 1 else f"{count} steps"
        return (f"trained {steps} in {result.seconds:.1f} s "
                f"({score}); checkpoint saved and reloaded ({len(loaded.vocab):,} words)")
