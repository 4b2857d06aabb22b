"""The Data tab's "Train from" choice: a training started in the window reads the on-disk token
store when asked, reuses it the next time, and the choice survives loading another file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from train_fixtures import sentiment_documents

from lstm_studio.core.config import ModelConfig, TrainConfig
from lstm_studio.core.corpus.cache import cache_usage


def write_reviews(path: Path, count: int, seed: int) -> Path:
    rows = [json.dumps({"text": d.text, "label": d.label}, ensure_ascii=False)
            for d in sentiment_documents(count, seed, "train")]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def run_training(qtbot: Any, window: Any) -> Any:
    tab = window.tab("Train")
    tab.form.set_configs(ModelConfig(embedding_dim=8, hidden_size=8),
                         TrainConfig(epochs=1, batch_size=8, lr=0.03, threads=1))
    with qtbot.waitSignal(tab.training_finished, timeout=120_000) as blocker:
        assert tab.start_training() is not None
    return blocker.args[0]


@pytest.mark.timeout(240)
def test_the_window_trains_from_the_store_when_asked(window: Any, qtbot: Any,
                                                     tmp_path: Path) -> None:
    data = window.data_tab
    choice = data.store_choice
    assert choice.value() == "auto" and window.state.data_config.store == "auto"
    with qtbot.waitSignal(data.loaded, timeout=60_000):
        data.load_paths([str(write_reviews(tmp_path / "reviews.jsonl", 200, 1))])
    choice.combo.setCurrentIndex(choice.combo.findData("on"))  # as the user picks it
    assert window.state.data_config.store == "on"

    assert cache_usage().stores == 0
    first = run_training(qtbot, window)
    assert first.status == "finished" and first.valid["accuracy"] is not None
    assert cache_usage().stores == 1  # the store was prepared, in the user's cache
    second = run_training(qtbot, window)
    assert cache_usage().stores == 1  # and reused
    assert second.valid == first.valid  # same data, same seed: the same run

    with qtbot.waitSignal(data.loaded, timeout=60_000):
        data.load_paths([str(write_reviews(tmp_path / "more.jsonl", 120, 2))])
    assert window.state.data_config.store == "on" and choice.value() == "on"
