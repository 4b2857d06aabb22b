"""The widget-to-config binder every settings form uses, tested once here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox

from lstm_studio.gui.widgets.binder import FieldBinder


@dataclass
class Settings:
    size: int = 8
    rate: float = 0.5
    flag: bool = False
    choice: str = "b"
    name: str = "x"
    limit: int | None = None
    kind: str = "rnn"
    variant: str = "tanh"
    hidden_extra: str = "kept"


def make_form(qtbot: Any) -> tuple[FieldBinder[Settings], dict[str, Any]]:
    widgets: dict[str, Any] = {"size": QSpinBox(), "rate": QDoubleSpinBox(),
                               "flag": QCheckBox(), "choice": QComboBox(),
                               "name": QLineEdit(), "limit": QSpinBox(), "cell": QComboBox()}
    for widget in widgets.values():
        qtbot.addWidget(widget)
    widgets["size"].setRange(1, 100)
    widgets["rate"].setDecimals(4)
    widgets["limit"].setRange(0, 50)
    widgets["limit"].setSpecialValueText("off")
    for text in ("a", "b", "c"):
        widgets["choice"].addItem(text.upper(), text)
    for text in ("rnn-tanh", "rnn-relu", "lstm"):
        widgets["cell"].addItem(text, text)
    binder: FieldBinder[Settings] = FieldBinder(Settings())
    for name in ("size", "flag", "choice", "name", "limit"):
        binder.bind(name, widgets[name])
    binder.bind("rate", widgets["rate"], digits=3)
    cell = widgets["cell"]

    def read_cell() -> dict[str, Any]:
        kind, _, variant = str(cell.currentData()).partition("-")
        return {"kind": kind, "variant": variant or "tanh"}

    def write_cell(config: Settings) -> None:
        key = f"rnn-{config.variant}" if config.kind == "rnn" else config.kind
        cell.setCurrentIndex(cell.findData(key))

    binder.bind_custom(("kind", "variant"), cell, read_cell, write_cell)
    return binder, widgets


def test_set_config_then_read_back_round_trips_every_field(qtbot: Any) -> None:
    binder, _ = make_form(qtbot)
    wanted = Settings(size=42, rate=0.125, flag=True, choice="c", name="review", limit=7,
                      kind="rnn", variant="relu", hidden_extra="from the file")
    binder.set_config(wanted)
    assert binder.config() == wanted


def test_widget_edits_reach_the_config_and_fire_changed(qtbot: Any) -> None:
    binder, widgets = make_form(qtbot)
    binder.set_config(Settings())
    fired: list[bool] = []
    binder.changed.connect(lambda: fired.append(True))
    widgets["size"].setValue(13)
    widgets["flag"].setChecked(True)
    widgets["cell"].setCurrentIndex(widgets["cell"].findData("lstm"))
    config = binder.config()
    assert (config.size, config.flag, config.kind, config.variant) == (13, True, "lstm", "tanh")
    assert len(fired) == 3
    assert config.hidden_extra == "kept"  # a field no widget shows keeps its value


def test_special_value_text_means_none(qtbot: Any) -> None:
    binder, widgets = make_form(qtbot)
    binder.set_config(Settings(limit=None))
    assert widgets["limit"].value() == 0 and widgets["limit"].text() == "off"
    assert binder.config().limit is None
    widgets["limit"].setValue(3)
    assert binder.config().limit == 3


def test_set_config_fires_changed_once(qtbot: Any) -> None:
    binder, _ = make_form(qtbot)
    fired: list[bool] = []
    binder.changed.connect(lambda: fired.append(True))
    binder.set_config(Settings(size=99, flag=True, choice="a", limit=4))
    assert fired == [True]


def test_digits_round_float_fields(qtbot: Any) -> None:
    binder, widgets = make_form(qtbot)
    widgets["rate"].setValue(0.12345)
    assert binder.config().rate == 0.123


def test_unknown_and_doubly_bound_fields_are_refused(qtbot: Any) -> None:
    binder, _ = make_form(qtbot)
    spare = QSpinBox()
    qtbot.addWidget(spare)
    with pytest.raises(AttributeError):
        binder.bind("no_such_field", spare)
    with pytest.raises(ValueError):
        binder.bind("size", spare)
