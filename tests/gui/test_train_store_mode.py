"""Train, Evaluate, Use and Inspect on a corpus browsed from its on-disk token store: the run
reads the store (with the cleaning the Clean tab applied, or none), the evaluation the user
sees equals the core's on the same documents, and no view visits the whole corpus."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from screenshot_dir import SCREENSHOTS
from train_fixtures import sentiment_documents

from lstm_studio.core.config import ModelConfig, TrainConfig, config_to_dict
from lstm_studio.core.corpus.training import StoredDocuments
from lstm_studio.core.dataset import Document
from lstm_studio.core.evaluation import evaluate
from lstm_studio.core.runs import RunStore
from lstm_studio.gui.inspect.panels import EXAMPLES_PER_SPLIT

SPLIT_SIZES = {"train": 400, "valid": 40, "test": 40}


def write_corpus(path: Path) -> list[Document]:
    """Reviews with label and split fields; returns them as written."""
    documents = [doc for seed, (split, count) in enumerate(SPLIT_SIZES.items())
                 for doc in sentiment_documents(count, seed + 1, split)]
    rows = [json.dumps({"text": d.text, "label": d.label, "split": d.split},
                       ensure_ascii=False) for d in documents]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return documents


def load_from_store(qtbot: Any, window: Any, tmp_path: Path) -> list[Document]:
    """The store chosen first, as the user picks it, then the corpus loaded."""
    data = window.data_tab
    choice = data.store_choice
    choice.combo.setCurrentIndex(choice.combo.findData("on"))
    documents = write_corpus(tmp_path / "reviews.jsonl")
    with qtbot.waitSignal(data.loaded, timeout=60_000):
        data.load_paths([str(tmp_path / "reviews.jsonl")])
    assert window.state.store is not None
    return documents


def train(qtbot: Any, window: Any, epochs: int = 1) -> Any:
    tab = window.tab("Train")
    tab.form.set_configs(ModelConfig(embedding_dim=8, hidden_size=8),
                         TrainConfig(epochs=epochs, batch_size=8, lr=0.01, threads=1,
                                     device="cpu"))
    with qtbot.waitSignal(tab.training_ended, timeout=120_000) as blocker:
        assert tab.start_training() is not None, tab.blocker()
    assert blocker.args == ["finished"], tab.training.slot.last_error
    return tab.training.result


def clean(finish: Any, window: Any) -> None:
    """The Clean tab's defaults less language detection (the reviews are no language)."""
    tab = window.tab("Clean")
    tab.panel.set_config(replace(tab.config(), detect_language=False))
    assert finish(tab.run_cleaning, timeout=120_000)
    assert window.state.cleaned_store is not None


def show_inspect(qtbot: Any, window: Any) -> Any:
    inspect = window.tab("Inspect")
    window.tabs.setCurrentWidget(inspect)
    qtbot.waitUntil(lambda: inspect.sentence_bar.examples.count() > 1, timeout=10_000)
    return inspect


@pytest.mark.timeout(300)
def test_train_evaluate_use_inspect_from_the_store(window: Any, qtbot: Any, tmp_path: Path,
                                                   finish: Any) -> None:
    documents = load_from_store(qtbot, window, tmp_path)
    result = train(qtbot, window)
    tab = window.tab("Train")
    assert result.status == "finished"
    assert tab.training.result is result
    bundle = window.state.model
    assert bundle is result.bundle and bundle.cleaning_config is None  # Clean was not run
    record = RunStore().get(result.run_id)
    assert record.cleaning_config is None and record.data_config["store"] == "on"
    window.tabs.setCurrentWidget(tab)
    tab.pages.setCurrentIndex(0)
    qtbot.wait(50)
    tab.grab().save(str(SCREENSHOTS / "train_store_mode.png"))

    # What the Evaluate page shows is what the core says on the same test documents.
    view = tab.evaluate_view
    test_docs = [doc for doc in documents if doc.split == "test"]
    expected = evaluate(bundle, test_docs)
    assert view.metrics_split == "test"
    shown = view.metrics
    assert shown["documents"] == len(test_docs) == expected["documents"]
    assert shown["accuracy"] == expected["accuracy"]
    assert shown["confusion"] == expected["confusion"] == view.confusion_counts()
    assert shown["loss"] == pytest.approx(expected["loss"], rel=1e-4)
    assert view.per_class.rowCount() == len(bundle.labels)
    # Evaluating again on demand reads the split through the store: the same figures.
    shown_before = dict(shown)
    assert finish(view.evaluate_current)
    assert view.metrics["confusion"] == shown_before["confusion"]
    assert view.metrics["accuracy"] == shown_before["accuracy"]
    wrong = [row["text"] for row in view.metrics["misclassified"]]
    assert view.misclassified.rowCount() == len(wrong)

    # Inspect offers the first documents of each split; a misclassified document opens there.
    inspect = show_inspect(qtbot, window)
    per_split = sum(min(EXAMPLES_PER_SPLIT, n) for n in SPLIT_SIZES.values())
    assert inspect.sentence_bar.examples.count() == 1 + per_split  # "Pick a document…" first
    assert wrong  # one seeded epoch of a tiny model gets some wrong
    window.tabs.setCurrentWidget(tab)
    tab.pages.setCurrentWidget(view)
    view.misclassified.setCurrentCell(0, 0)
    qtbot.keyClick(view.misclassified, Qt.Key.Key_Return)  # as Enter or a double-click
    qtbot.waitUntil(inspect.isVisible, timeout=5_000)
    assert inspect.sentence_bar.text() == wrong[0]

    # The Use page predicts a typed sentence with the trained model.
    use = tab.use_view
    use.input.setPlainText("great food and friendly staff")
    use.predict_now()
    assert set(use.bars.bar_values()) == set(bundle.labels)


@pytest.mark.timeout(300)
def test_a_cleaned_store_trains_with_its_cleaning(window: Any, qtbot: Any, tmp_path: Path,
                                                  finish: Any) -> None:
    load_from_store(qtbot, window, tmp_path)
    clean(finish, window)
    state = window.state
    result = train(qtbot, window)
    assert result.status == "finished"
    assert state.training_store() is state.cleaned_store
    assert result.bundle.cleaning_config == state.cleaned.config is not None
    record = RunStore().get(result.run_id)
    assert record.cleaning_config == config_to_dict(state.cleaned.config)


@pytest.mark.timeout(300)
def test_no_view_visits_the_whole_corpus(window: Any, qtbot: Any, tmp_path: Path,
                                         finish: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Load → clean → train → evaluate → inspect → use with the store's documents read by
    index only: iterating a StoredDocuments (a whole split, or the corpus) fails the test."""
    read: list[int] = []
    get = StoredDocuments.__getitem__

    def counted(self: StoredDocuments, i: Any) -> Any:
        read.append(1)
        return get(self, i)

    def refuse(_self: StoredDocuments) -> Any:
        raise AssertionError("a view iterated a store's documents")

    monkeypatch.setattr(StoredDocuments, "__iter__", refuse)
    monkeypatch.setattr(StoredDocuments, "__getitem__", counted)
    load_from_store(qtbot, window, tmp_path)
    clean(finish, window)
    result = train(qtbot, window)
    assert result.status == "finished"
    tab = window.tab("Train")
    assert finish(tab.evaluate_view.evaluate_current)
    show_inspect(qtbot, window)
    use = tab.use_view
    use.input.setPlainText("great food")
    use.predict_now()
    assert use.bars.bar_values()
    assert len(read) < sum(SPLIT_SIZES.values())  # a few documents shown, never all read
