"""The Inspect tab's widgets and their layout, Qt Designer style: `setup_ui(tab)`.

Kept apart from lstm_studio.gui.inspect.tab so that module holds only behaviour. Every widget
becomes an attribute of the tab (tab.sentence, tab.forward_button, ...) and is connected to the
tab's slots here.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.gui.inspect.cell_diagram import CellDiagram
from lstm_studio.gui.inspect.controls import FormulaPanel, PredictionBars, TokenStrip
from lstm_studio.gui.inspect.gate_heatmaps import GateHeatmaps
from lstm_studio.gui.inspect.gradient_view import GradientView
from lstm_studio.gui.inspect.toy_cell_panel import ToyCellPanel

SOURCES = {"trained": "Trained / loaded model", "checkpoint": "Model file…",
           "fresh": "Fresh untrained model", "toy": "Toy cell (lecture)"}
SPEEDS = {"0.5×": 1600, "1×": 800, "2×": 400, "4×": 200}


def setup_ui(tab: Any) -> None:
    """Create the tab's widgets, lay them out and connect them to the tab's slots."""
    tab.source = QComboBox()
    for key, title in SOURCES.items():
        tab.source.addItem(title, key)
    tab.source.activated.connect(tab._on_source_chosen)
    tab.load_button = QPushButton("Load…")
    tab.load_button.setToolTip("Open a model file (.safetensors) written by LSTM Studio")
    tab.load_button.clicked.connect(tab.choose_checkpoint)
    tab.layer_spin, tab.unit_spin = QSpinBox(), QSpinBox()
    tab.layer_spin.valueChanged.connect(tab._on_layer_changed)
    tab.unit_spin.valueChanged.connect(tab._on_unit_changed)
    tab.direction_box = QComboBox()
    tab.direction_box.currentTextChanged.connect(tab._on_layer_changed)
    tab.export_button = QPushButton("Export HTML…")
    tab.export_button.setToolTip("Save this walk-through (drawing, formulas, token table) "
                              "as one self-contained web page")
    tab.export_button.clicked.connect(tab.choose_export)
    row1 = QHBoxLayout()
    for widget in (QLabel("Model:"), tab.source, tab.load_button, QLabel("  Layer:"),
                   tab.layer_spin, QLabel("Direction:"), tab.direction_box,
                   QLabel("Unit:"), tab.unit_spin):
        row1.addWidget(widget)
    tab.model_label = QLabel()
    tab.model_label.setStyleSheet("color: #495057")
    row1.addWidget(tab.model_label, 1)
    row1.addWidget(tab.export_button)

    tab.sentence = QLineEdit()
    tab.sentence.setPlaceholderText("Type a sentence, then press Enter")
    tab.sentence.returnPressed.connect(tab.retrace)
    tab.trace_button = QPushButton("Trace")
    tab.trace_button.clicked.connect(tab.retrace)
    tab.examples = QComboBox()
    tab.examples.setMinimumWidth(260)
    tab.examples.setMaximumWidth(360)
    tab.examples.activated.connect(tab._on_example)
    row2 = QHBoxLayout()
    row2.addWidget(QLabel("Sentence:"))
    row2.addWidget(tab.sentence, 1)
    row2.addWidget(tab.trace_button)
    row2.addWidget(tab.examples)

    tab.tokens = TokenStrip()
    tab.tokens.token_clicked.connect(lambda pos: tab.go_to_position(pos))

    tab.back_button = _tool("◀", "Previous token (Left)", lambda: tab.step_by(-1))
    tab.forward_button = _tool("▶", "Next token (Right)", lambda: tab.step_by(1))
    tab.slider = QSlider(Qt.Orientation.Horizontal)
    tab.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    tab.slider.valueChanged.connect(tab._on_slider)
    tab.play_button = QPushButton("Play")
    tab.play_button.setCheckable(True)
    tab.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    tab.play_button.toggled.connect(tab._on_play)
    tab.speed = QComboBox()
    tab.speed.addItems(list(SPEEDS))
    tab.speed.setCurrentText("1×")
    tab.speed.currentTextChanged.connect(lambda text: tab.timer.setInterval(SPEEDS[text]))
    tab.timer = QTimer(tab)
    tab.timer.setInterval(SPEEDS["1×"])
    tab.timer.timeout.connect(tab._on_tick)
    tab.stage_box = QComboBox()
    tab.stage_box.setMinimumWidth(190)
    tab.stage_box.currentIndexChanged.connect(tab._on_stage_box)
    tab.stage_back = _tool("◀", "Previous stage", lambda: tab.stage_by(-1))
    tab.stage_forward = _tool("▶", "Next stage (walks the lecture's six stages)",
                           lambda: tab.stage_by(1))
    tab.step_label = QLabel()
    tab.step_label.setMinimumWidth(110)
    row3 = QHBoxLayout()
    for widget in (tab.back_button, tab.slider, tab.forward_button, tab.step_label,
                   tab.play_button, tab.speed, QLabel("  Stage:"), tab.stage_back,
                   tab.stage_box, tab.stage_forward):
        row3.addWidget(widget, 1 if widget is tab.slider else 0)

    tab.diagram = CellDiagram()
    tab.formulas = FormulaPanel()
    tab.prediction = PredictionBars()
    tab.status = QLabel()
    tab.status.setWordWrap(True)
    tab.status.setStyleSheet("color: #495057")
    lower = QSplitter(Qt.Orientation.Horizontal)
    lower.addWidget(tab.formulas)
    lower.addWidget(tab.prediction)
    lower.setSizes([560, 220])
    left = QSplitter(Qt.Orientation.Vertical)
    left.addWidget(tab.diagram)
    left.addWidget(lower)
    left.setSizes([330, 260])
    left.setChildrenCollapsible(False)

    tab.heatmaps = GateHeatmaps()
    tab.heatmaps.cell_clicked.connect(tab._on_heatmap_clicked)
    tab.gradients = GradientView()
    tab.gradients.measure_requested.connect(tab.measure_gradient_flow)
    tab.toy_panel = ToyCellPanel()
    tab.toy_panel.values_changed.connect(tab._on_toy_changed)
    tab.toy_notes = QLabel()
    tab.toy_notes.setWordWrap(True)
    toy_page = QWidget()
    toy_layout = QVBoxLayout(toy_page)
    toy_layout.addWidget(tab.toy_panel)
    toy_layout.addWidget(tab.toy_notes)
    toy_layout.addStretch(1)
    tab.views = QTabWidget()
    tab.views.addTab(tab.heatmaps, "Gate heatmaps")
    tab.views.addTab(tab.gradients, "Gradient flow")
    tab.views.addTab(toy_page, "Toy cell")
    main = QSplitter(Qt.Orientation.Horizontal)
    main.addWidget(left)
    main.addWidget(tab.views)
    main.setSizes([700, 560])
    main.setChildrenCollapsible(False)

    layout = QVBoxLayout(tab)
    layout.setContentsMargins(6, 6, 6, 6)
    layout.setSpacing(4)
    layout.addLayout(row1)
    layout.addLayout(row2)
    layout.addWidget(tab.tokens)
    layout.addLayout(row3)
    layout.addWidget(main, 1)
    layout.addWidget(tab.status)

def _tool(text: str, tip: str, slot: Any) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.clicked.connect(slot)
    return button
