"""Editors for every scalar of the lecture's toy LSTM cell (one input, one unit).

Sixteen parameters (for each gate f, i, g, o: W_i, b_i, W_h, b_h) and the three inputs x_t,
h_{t-1}, c_{t-1}, each a spin box with a slider beside the inputs. The panel only holds numbers
and says when they changed (`values_changed`); the Inspect tab turns them into a real 1x1 LSTM
through the gates core, so the toy cell runs the same code path as a trained model.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

GATES: tuple[str, ...] = ("f", "i", "g", "o")  # the lecture's order
GATE_NAMES = {"f": "forget", "i": "input", "g": "candidate", "o": "output"}
PARAM_KINDS: tuple[str, ...] = ("W_i", "b_i", "W_h", "b_h")
INPUTS: tuple[str, ...] = ("x", "h_prev", "c_prev")
INPUT_TITLES = {"x": "x_t", "h_prev": "h_{t-1}", "c_prev": "c_{t-1}"}


def param_key(kind: str, gate: str) -> str:
    """'W_i', 'f' -> 'W_if' (the lecture's names: W_if, b_if, W_hf, b_hf)."""
    return f"{kind}{gate}"


# The lecture's worked example (section 3, "Example"): x_t = 1, h_{t-1} = 1, c_{t-1} = 2.
LECTURE: dict[str, float] = {
    "W_if": 1.63, "b_if": 0.0, "W_hf": 2.7, "b_hf": 1.62,
    "W_ii": 1.65, "b_ii": 0.62, "W_hi": 2.0, "b_hi": 0.0,
    "W_ig": 0.94, "b_ig": -0.32, "W_hg": 1.41, "b_hg": 0.0,
    "W_io": -0.19, "b_io": 0.0, "W_ho": 4.38, "b_ho": 0.59,
    "x": 1.0, "h_prev": 1.0, "c_prev": 2.0,
}


def _with(**changes: float) -> dict[str, float]:
    values = dict(LECTURE)
    values.update(changes)
    return values


# Same numbers as the gates core's TOY_PRESETS (a test keeps them equal); kept here so the
# panel can be built without importing torch.
PRESETS: dict[str, dict[str, float]] = {
    "Lecture example": dict(LECTURE),
    # Forget and input gates shut: the memory is wiped, c_t ≈ 0.
    "Forget everything": _with(W_if=-4.0, b_if=-2.0, W_hf=-3.0, b_hf=-1.0,
                               W_ii=-3.0, b_ii=-2.0, W_hi=-2.0, b_hi=-1.0),
    # Forget gate open, input gate shut: c_t ≈ c_{t-1}, the memory passes through unchanged.
    "Remember everything": _with(W_if=4.0, b_if=2.0, W_hf=3.0, b_hf=1.0,
                                 W_ii=-3.0, b_ii=-2.0, W_hi=-2.0, b_hi=-1.0),
}
CORE_PRESET_NAMES = {"Lecture example": "lecture", "Forget everything": "forget",
                     "Remember everything": "remember"}


class ToyCellPanel(QWidget):
    """Spin boxes for every scalar; `values_changed(dict)` after each edit or preset."""

    values_changed = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spins: dict[str, QDoubleSpinBox] = {}
        self._sliders: dict[str, QSlider] = {}
        self._loading = False

        self.preset = QComboBox()
        self.preset.addItems([*PRESETS, "Custom"])
        self.preset.currentTextChanged.connect(self._on_preset)
        top = QHBoxLayout()
        top.addWidget(QLabel("Preset:"))
        top.addWidget(self.preset, 1)

        weights = QGroupBox("Weights and biases (one input, one unit)")
        grid = QGridLayout(weights)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(3)
        for column, kind in enumerate(PARAM_KINDS, start=1):
            grid.addWidget(QLabel(f"<b>{kind}·</b>" if kind.startswith("W") else f"<b>{kind}</b>"),
                           0, column, Qt.AlignmentFlag.AlignCenter)
        for row, gate in enumerate(GATES, start=1):
            grid.addWidget(QLabel(f"{GATE_NAMES[gate]} ({gate})"), row, 0)
            for column, kind in enumerate(PARAM_KINDS, start=1):
                key = param_key(kind, gate)
                spin = self._make_spin(key, -20.0, 20.0)
                spin.setToolTip(f"{key}: {kind[0]} = {'weight' if kind[0] == 'W' else 'bias'} "
                                f"of the {GATE_NAMES[gate]} gate on "
                                f"{'x_t' if kind.endswith('i') else 'h_{t-1}'}")
                grid.addWidget(spin, row, column)

        inputs = QGroupBox("Inputs")
        input_grid = QGridLayout(inputs)
        input_grid.setVerticalSpacing(3)
        for row, key in enumerate(INPUTS):
            spin = self._make_spin(key, -10.0, 10.0)
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(-500, 500)
            slider.valueChanged.connect(lambda value, k=key: self._on_slider(k, value))
            self._sliders[key] = slider
            input_grid.addWidget(QLabel(INPUT_TITLES[key]), row, 0)
            input_grid.addWidget(spin, row, 1)
            input_grid.addWidget(slider, row, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(weights)
        layout.addWidget(inputs)
        layout.addStretch(1)
        self.apply_preset("Lecture example")

    def _make_spin(self, key: str, low: float, high: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setDecimals(3)
        spin.setSingleStep(0.05)
        spin.setKeyboardTracking(False)
        spin.setMinimumWidth(64)
        spin.valueChanged.connect(lambda _value, k=key: self._on_edit(k))
        self._spins[key] = spin
        return spin

    # --- API -------------------------------------------------------------------------------
    def values(self) -> dict[str, float]:
        return {key: spin.value() for key, spin in self._spins.items()}

    def spin(self, key: str) -> QDoubleSpinBox:
        return self._spins[key]

    def set_value(self, key: str, value: float) -> None:
        self._spins[key].setValue(value)

    def apply_preset(self, name: str) -> None:
        values = PRESETS[name]
        self._loading = True
        try:
            for key, value in values.items():
                self._spins[key].setValue(value)
                if key in self._sliders:
                    self._sliders[key].setValue(round(value * 50))
            if self.preset.currentText() != name:
                self.preset.setCurrentText(name)
        finally:
            self._loading = False
        self.values_changed.emit(self.values())

    # --- slots -----------------------------------------------------------------------------
    def _on_preset(self, name: str) -> None:
        if name in PRESETS and not self._loading:
            self.apply_preset(name)

    def _on_edit(self, key: str) -> None:
        if self._loading:
            return
        if key in self._sliders:
            slider = self._sliders[key]
            slider.blockSignals(True)
            slider.setValue(round(self._spins[key].value() * 50))
            slider.blockSignals(False)
        matching = [name for name, values in PRESETS.items() if values == self.values()]
        self._loading = True
        self.preset.setCurrentText(matching[0] if matching else "Custom")
        self._loading = False
        self.values_changed.emit(self.values())

    def _on_slider(self, key: str, value: int) -> None:
        if not self._loading:
            self._spins[key].setValue(value / 50)
