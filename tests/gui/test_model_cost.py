"""The live cost line: parameter count and training memory, red when it cannot fit."""

from __future__ import annotations

from typing import Any

import pytest

from lstm_studio.core.config import ModelConfig, TrainConfig
from lstm_studio.core.model_size import estimate_training_memory, parameter_count
from lstm_studio.gui.widgets import model_cost
from lstm_studio.gui.widgets.model_cost import ModelCost

GIB = 1 << 30


@pytest.fixture
def eight_gib_free(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_cost, "available_memory", lambda device="cpu": 8 * GIB)


def test_a_small_model_shows_its_parameters_and_memory(qtbot: Any, eight_gib_free) -> None:
    widget = ModelCost()
    qtbot.addWidget(widget)
    model = ModelConfig(vocab_size=20000, num_classes=2)
    widget.show_cost(model, TrainConfig(), max_len=120)
    text = widget.text()
    assert f"for {parameter_count(model):,} parameters" in text
    assert "documents up to 120 tokens" in text and "8.0 GB free" in text
    assert not widget.too_large and "Too large" not in text and "#b00020" not in text
    assert widget.estimate == estimate_training_memory(model, TrainConfig(), 120)
    assert "weights" in widget.toolTip() and "activations" in widget.toolTip()


def test_settings_that_cannot_fit_turn_red_with_the_reason(qtbot: Any, eight_gib_free) -> None:
    widget = ModelCost()
    qtbot.addWidget(widget)
    widget.show_cost(ModelConfig(vocab_size=20000, num_classes=2, hidden_size=4096,
                                 num_layers=8, bidirectional=True), TrainConfig())
    assert widget.too_large and "#b00020" in widget.text()
    assert "Too large for this machine" in widget.text()
    assert "256 tokens, assumed" in widget.text()


def test_the_train_form_updates_the_cost_while_the_user_edits(qtbot: Any,
                                                              eight_gib_free) -> None:
    from lstm_studio.gui.train.form import TrainForm

    form = TrainForm()
    qtbot.addWidget(form)
    form.set_data_context(20000, 2, True)
    before = form.cost.estimate
    assert before is not None and not form.cost.too_large
    form.hidden_size.setValue(4096)
    form.num_layers.setValue(8)
    form.bidirectional.setChecked(True)
    assert form.cost.estimate is not None
    assert form.cost.estimate.parameters == parameter_count(form.model_config())
    assert form.cost.estimate.total > before.total and form.cost.too_large
