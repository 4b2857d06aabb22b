"""Use: predict as you type, generate text, and save or load the model file.

Prediction goes through `ModelBundle.predict` / `next_word_distribution`, which replay the
stored cleaning and vocabulary, so what the user types is prepared exactly as the training
data was. Typing restarts a 150 ms timer; only the settled text is run through the model.
A loaded model goes to `AppState.set_model`, so Predict, Generate, Evaluate and Inspect use it.
Loading a file and fitting the n-gram run in TaskSlots (one each).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.core.ngram import NGramModel, fit_on_vocabulary, vocab_tokens
from lstm_studio.core.progress import Progress
from lstm_studio.gui import dialogs
from lstm_studio.gui.state import AppState
from lstm_studio.gui.train.corpus_reads import split_texts
from lstm_studio.gui.workers import BackgroundTask, TaskSlot

if TYPE_CHECKING:
    from lstm_studio.core.checkpoint import ModelBundle
    from lstm_studio.core.explain.attribution import Attribution
from lstm_studio.gui.widgets.attribution_strip import AttributionStrip
from lstm_studio.gui.widgets.token_view import TokenView

log = logging.getLogger(__name__)
OnDone = Callable[[bool], None]
Emit = Callable[[object], None]

DEBOUNCE_MS = 150
MODEL_FILTER = "LSTM Studio model (*.safetensors);;All files (*)"
MODEL_SUFFIX = ".safetensors"


def describe(bundle: ModelBundle, path: str | None) -> str:
    config = bundle.model_config
    cell = "RNN (relu)" if config.cell == "rnn" and config.nonlinearity == "relu" \
        else config.cell.upper()
    if config.bidirectional:
        cell = "Bi" + cell
    what = ("language model" if config.task == "lm"
            else f"classifier ({', '.join(map(str, bundle.labels))})")
    where = f" — {path}" if path else " — not saved yet"
    layers = "1 layer" if config.num_layers == 1 else f"{config.num_layers} layers"
    return (f"{cell}, hidden {config.hidden_size}, {layers}, {what}, "
            f"vocabulary {len(bundle.vocab):,}{where}")


class ProbabilityBars(QWidget):
    """One labelled bar per class (or next word), reused while the labels stay the same."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._rows: list[tuple[QLabel, QProgressBar]] = []
        self.values: list[tuple[str, float]] = []

    def set_distribution(self, pairs: list[tuple[str, float]]) -> None:
        self.values = list(pairs)
        while len(self._rows) < len(pairs):
            label, bar = QLabel(), QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
            row = len(self._rows)
            self._grid.addWidget(label, row, 0)
            self._grid.addWidget(bar, row, 1)
            self._rows.append((label, bar))
        for index, (label, bar) in enumerate(self._rows):
            visible = index < len(pairs)
            label.setVisible(visible)
            bar.setVisible(visible)
            if visible:
                name, prob = pairs[index]
                label.setText(str(name))
                bar.setValue(round(1000 * prob))
                bar.setFormat(f"{prob:.1%}")

    def bar_values(self) -> dict[str, int]:
        return {label.text(): bar.value() for label, bar in self._rows if not label.isHidden()}


class UseView(QWidget):
    """Predict, Generate, Save model, Load model."""

    model_loaded = Signal(str)
    model_saved = Signal(str)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.loader = TaskSlot(self, "Loading the model", "Could not load the model")
        self.generator = TaskSlot(self, "Generating", "Could not generate")
        self._loading_allowed = True
        self.loader.busy_changed.connect(lambda _busy: self._update_load_button())
        self._ngram_cache: dict[tuple[int, int], NGramModel] = {}
        self.model_label = QLabel("No model yet: train one or load a model file.")
        self.model_label.setWordWrap(True)
        self.save_button = QPushButton("Save model…")
        self.load_button = QPushButton("Load model…")
        self.save_button.clicked.connect(self.save_model)
        self.load_button.clicked.connect(lambda: self.load_model())

        self.input = QPlainTextEdit()
        self.input.setPlaceholderText("Type a sentence; the prediction updates as you type.")
        self.input.setMaximumHeight(90)
        self.tokens = TokenView()  # the tokens after the model's whole text pipeline
        self.bars = ProbabilityBars()
        self.attribution = AttributionStrip()  # filled by a worker (core/explain) as you type
        self.explain_slot = TaskSlot(self, "Explaining the prediction")
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.predict_now)
        self.input.textChanged.connect(self._debounce.start)
        predict_box = QGroupBox("Predict")
        predict_layout = QVBoxLayout(predict_box)
        predict_layout.addWidget(self.input)
        predict_layout.addWidget(self.tokens)
        predict_layout.addWidget(self.bars)
        predict_layout.addWidget(self.attribution)
        predict_layout.addStretch(1)

        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText("Prompt, e.g. the first words of a sentence")
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.05, 5.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(1.0)
        self.top_k = QSpinBox()
        self.top_k.setRange(0, 100000)
        self.top_k.setSpecialValueText("all words")
        self.length = QSpinBox()
        self.length.setRange(1, 500)
        self.length.setValue(20)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.ngram_order = QSpinBox()
        self.ngram_order.setRange(1, 5)
        self.ngram_order.setValue(3)
        self.generate_button = QPushButton("Generate")
        self.ngram_button = QPushButton("Generate with n-gram")
        self.generate_button.clicked.connect(self.generate_now)
        self.ngram_button.clicked.connect(lambda: self.generate_ngram())
        self.output = QTextBrowser()
        generate_box = QGroupBox("Generate (language models)")
        form = QFormLayout()
        for label, widget in (("Prompt", self.prompt), ("Temperature", self.temperature),
                              ("Top-k", self.top_k), ("Length (words)", self.length),
                              ("Seed", self.seed), ("N-gram order", self.ngram_order)):
            form.addRow(label, widget)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.ngram_button)
        generate_layout = QVBoxLayout(generate_box)
        generate_layout.addLayout(form)
        generate_layout.addLayout(buttons)
        generate_layout.addWidget(self.output, 1)
        self.generate_box = generate_box
        self.predict_box = predict_box

        top = QHBoxLayout()
        top.addWidget(self.model_label, 1)
        top.addWidget(self.save_button)
        top.addWidget(self.load_button)
        panes = QHBoxLayout()
        panes.addWidget(predict_box, 1)
        panes.addWidget(generate_box, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(panes, 1)
        self.state.model_changed.connect(self._on_model_changed)
        self._on_model_changed()

    # ----- model ----------------------------------------------------------------------------
    def _on_model_changed(self) -> None:
        bundle: ModelBundle | None = self.state.model
        has = bundle is not None
        lm = bundle is not None and bundle.model_config.task == "lm"
        self.model_label.setText(describe(bundle, self.state.model_path) if bundle is not None
                                 else "No model yet: train one or load a model file.")
        self.save_button.setEnabled(has)
        self.predict_box.setTitle("Next word (as you type)" if lm else "Predict (as you type)")
        self.generate_box.setEnabled(lm)
        self._ngram_cache.clear()
        self.bars.set_distribution([])
        self.tokens.clear()
        self.attribution.clear()
        if has and self.input.toPlainText().strip():
            self._debounce.start()

    def save_model(self) -> str | None:
        bundle: ModelBundle | None = self.state.model
        if bundle is None:
            return None
        from lstm_studio.core.paths import user_data_dir

        start = str(user_data_dir() / "models" / f"model{MODEL_SUFFIX}")
        path = dialogs.save_file(self, "Save model", start, MODEL_FILTER)
        if not path:
            return None
        try:
            from lstm_studio.core.checkpoint import save_checkpoint

            save_checkpoint(bundle, path)
        except Exception as error:  # disk full, permissions: tell the user, keep the model
            log.warning("Saving %s failed: %s", path, error)
            dialogs.error(self, "Could not save the model", _sentence(error))
            return None
        self.state.model_path = path
        self.model_label.setText(describe(bundle, path))
        self.state.status_message.emit(f"Model saved to {path}")
        self.model_saved.emit(path)
        return path

    def load_model(self, on_done: OnDone | None = None) -> BackgroundTask | None:
        """Ask for a model file and load it off the GUI thread (what Load model… does)."""
        if self.loader.is_busy() or not self._loading_allowed:
            return None
        paths = dialogs.open_files(self, "Load model", "", MODEL_FILTER)
        return self.load_model_file(paths[0], on_done) if paths else None

    def load_model_file(self, path: str, on_done: OnDone | None = None
                        ) -> BackgroundTask | None:
        """Load a model file in the background (a failure keeps the current model)."""
        if self.loader.is_busy() or not self._loading_allowed:
            return None

        def job(_progress: Progress, _emit: Emit) -> ModelBundle:
            from lstm_studio.core.checkpoint import load_checkpoint

            bundle = load_checkpoint(path)
            if bundle.pipeline.segments:  # import pyvi here, not on the first keystroke
                from lstm_studio.core.segmentation import preload

                preload()
            return bundle

        # A failure goes to the slot's dialog ("Could not load the model"); the model in use
        # stays.
        return self.loader.start(job, lambda bundle: self._on_loaded(bundle, path),
                                 on_done=on_done)

    def _on_loaded(self, bundle: ModelBundle, path: str) -> None:
        self.state.set_model(bundle, path)
        self.state.status_message.emit(f"Model loaded from {path}")
        self.model_loaded.emit(path)

    def set_loading_allowed(self, allowed: bool) -> None:
        """Loading replaces the model, so it waits while a model trains."""
        self._loading_allowed = allowed
        self._update_load_button()

    def _update_load_button(self) -> None:
        self.load_button.setEnabled(self._loading_allowed and not self.loader.is_busy())

    # ----- predict --------------------------------------------------------------------------
    def predict_now(self) -> None:
        bundle: ModelBundle | None = self.state.model
        text = self.input.toPlainText()
        if bundle is None or not text.strip():
            self.bars.set_distribution([])
            self.tokens.clear()
            self.explain_slot.cancel()
            self.attribution.clear()
            return
        try:
            encoded = bundle.prepare(text)
            if bundle.model_config.task == "lm":
                pairs = list(bundle.next_word_distribution(text, k=10))
            else:
                probs = bundle.predict(text)
                pairs = sorted(probs.items(), key=lambda kv: -kv[1])
        except Exception as error:  # a bug must not kill typing; show one line
            log.exception("Prediction failed")
            self.tokens.setText(f"Prediction failed: {html.escape(_sentence(error))}")
            return
        self.tokens.set_encoded(encoded.tokens, encoded.oov, bundle.pipeline)
        self.bars.set_distribution(pairs)
        self.explain_now(bundle, text)

    def explain_now(self, bundle: ModelBundle, text: str) -> None:
        """Attribute the prediction to the typed tokens in a worker (integrated gradients)."""
        def job(progress: Progress, _emit: Emit) -> Attribution:
            from lstm_studio.core.explain.attribution import explain

            return explain(bundle, text, "ig", progress=progress)

        self.explain_slot.start(
            job, self._show_attribution, on_failed=self.attribution.show_message,
            still_valid=lambda: self.state.model is bundle and self.input.toPlainText() == text)

    def _show_attribution(self, result: Attribution) -> None:
        what = "next word" if result.task == "lm" else "class"
        caption = f"Why {what} “{result.target}” (p = {result.target_probability:.2f})"
        if result.note:
            caption += f" — {result.note}"
        self.attribution.set_attribution(result.tokens, result.attributions, result.target,
                                         caption, result.oov)

    # ----- generate -------------------------------------------------------------------------
    def generate_now(self) -> list[str]:
        bundle: ModelBundle | None = self.state.model
        if bundle is None:
            return []
        from lstm_studio.core.generation import generate

        try:
            words = generate(bundle, self.prompt.text(), max_tokens=self.length.value(),
                             temperature=self.temperature.value(),
                             top_k=self.top_k.value() or None, seed=self.seed.value())
        except Exception as error:
            dialogs.error(self, "Could not generate", _sentence(error))
            return []
        self._show_generated("LSTM" if bundle.model_config.cell == "lstm"
                             else bundle.model_config.cell.upper(), words)
        return words

    def generate_ngram(self, on_done: OnDone | None = None) -> BackgroundTask | None:
        """Fit (once per model and order) an n-gram on the train split, then generate."""
        bundle: ModelBundle | None = self.state.model
        dataset = self.state.training_dataset()
        if bundle is None or dataset is None or self.generator.is_busy():
            return None
        order = self.ngram_order.value()
        key = (id(bundle), order)
        cached = self._ngram_cache.get(key)
        # Read in the worker: from a store one at a time, never all held as a list here.
        texts = split_texts(dataset, "train") if cached is None else []
        stoi = bundle.vocab.stoi
        prompt = vocab_tokens(self.prompt.text(), stoi)
        length, seed, temperature = (self.length.value(), self.seed.value(),
                                     self.temperature.value())

        def job(_progress: Progress, _emit: Emit) -> tuple[NGramModel, list[str]]:
            ngram = cached if cached is not None else fit_on_vocabulary(texts, stoi, order)
            words = ngram.generate(prompt, length, seed, temperature)
            return ngram, list(words)

        def show(result: tuple[NGramModel, list[str]]) -> None:
            self._ngram_cache[key] = result[0]
            self._show_generated(f"{order}-gram", result[1])

        return self.generator.start(job, show, on_done=on_done,
                                    still_valid=lambda: self.state.model is bundle)

    def _show_generated(self, who: str, words: list[str]) -> None:
        prompt = html.escape(self.prompt.text().strip())
        text = html.escape(" ".join(words))
        self.output.append(f"<p><b>{who}</b>: <span style='color:#666'>{prompt}</span> "
                           f"{text}</p>")

    def shutdown(self) -> None:
        self._debounce.stop()
        self.loader.shutdown()
        self.generator.shutdown()
        self.explain_slot.shutdown()


def _sentence(error: BaseException) -> str:
    text = str(error).strip()
    return text if text else type(error).__name__
