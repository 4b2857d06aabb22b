"""The Clean tab's settings panel: the lecture's pipeline as checkboxes, language detection
options, the Vietnamese text steps (normalization_panel.py), and the Run / Export buttons.
Widgets are bound to CleaningConfig fields by name."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.core.cleaning_steps import STEP_TITLES
from lstm_studio.core.config import LECTURE_STEPS, CleaningConfig
from lstm_studio.gui.clean.normalization_panel import VietnamesePanel
from lstm_studio.gui.widgets.binder import FieldBinder


def numbered_title(step: str) -> str:
    """"1 – Remove URLs and HTML tags": the step's number in the lecture's order, its title
    (the Vietnamese steps, not in the lecture, have no number)."""
    number = LECTURE_STEPS.index(step) if step in LECTURE_STEPS else None
    title = STEP_TITLES.get(step, step)
    return f"{number} – {title}" if number is not None else title


def language_codes(text: str) -> list[str]:
    """"vi, EN; fr" -> ["vi", "en", "fr"]: what a person types into a languages field."""
    return [part.strip().lower() for part in text.replace(";", ",").split(",") if part.strip()]


class PipelinePanel(QGroupBox):
    """Settings in, `config()` out; the tab owns running and results."""

    def __init__(self, config: CleaningConfig, parent: QWidget | None = None) -> None:
        super().__init__("Pipeline", parent)
        layout = QVBoxLayout(self)
        self.detect_box = QCheckBox("Language detection (langid)")
        layout.addWidget(self.detect_box)
        language_form = QFormLayout()
        self.languages_edit = QLineEdit()
        self.languages_edit.setToolTip("Languages to keep, e.g. vi or vi, en")
        self.threshold_box = QDoubleSpinBox()
        self.threshold_box.setRange(0.0, 1.0)
        self.threshold_box.setSingleStep(0.05)
        self.threshold_box.setDecimals(2)
        self.candidates_edit = QLineEdit()
        self.candidates_edit.setPlaceholderText("all languages")
        self.candidates_edit.setToolTip("Restrict langid to these candidates, e.g. vi, en, fr")
        language_form.addRow("Keep languages", self.languages_edit)
        language_form.addRow("Min. confidence", self.threshold_box)
        language_form.addRow("Candidates", self.candidates_edit)
        layout.addLayout(language_form)
        self.step_boxes: dict[str, QCheckBox] = {}
        for step in LECTURE_STEPS:
            box = QCheckBox(numbered_title(step))
            box.setToolTip(STEP_TITLES.get(step, step))
            self.step_boxes[step] = box
            layout.addWidget(box)
        self.drop_empty_box = QCheckBox("Drop documents left empty")
        layout.addWidget(self.drop_empty_box)
        self.vietnamese = VietnamesePanel()
        layout.addWidget(self.vietnamese)
        layout.addStretch(1)
        buttons = QHBoxLayout()
        self.run_button = QPushButton("Run cleaning")
        self.run_button.setDefault(True)
        self.export_button = QPushButton("Export CSV…")
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.export_button)
        layout.addLayout(buttons)
        self.setMinimumWidth(270)
        self.setMaximumWidth(340)

        self.binder: FieldBinder[CleaningConfig] = FieldBinder(config, self)
        self._bind()
        self.detect_box.toggled.connect(self._refresh_language_fields)
        self.vietnamese.changed.connect(self._on_step_toggled)
        self.set_config(config)

    def _bind(self) -> None:
        binder = self.binder
        binder.bind("detect_language", self.detect_box)
        binder.bind_custom(
            ("languages",), self.languages_edit,
            read=lambda: {"languages": language_codes(self.languages_edit.text())},
            write=lambda config: self.languages_edit.setText(", ".join(config.languages)))
        binder.bind("threshold", self.threshold_box, digits=2)
        binder.bind_custom(
            ("candidate_languages",), self.candidates_edit,
            read=lambda: {"candidate_languages":
                          language_codes(self.candidates_edit.text()) or None},
            write=lambda config: self.candidates_edit.setText(
                ", ".join(config.candidate_languages or [])))
        # One field, six boxes: the binder follows the first; the others report edits here.
        boxes = list(self.step_boxes.values())
        binder.bind_custom(("steps",), boxes[0], read=self._read_steps, write=self._write_steps)
        for box in boxes[1:]:
            box.toggled.connect(self._on_step_toggled)
        binder.bind("drop_empty", self.drop_empty_box)

    def _read_steps(self) -> dict[str, object]:
        # The Vietnamese steps' switches are the Vietnamese panel's (added by apply_to).
        return {"steps": {step: box.isChecked() for step, box in self.step_boxes.items()}}

    def _write_steps(self, config: CleaningConfig) -> None:
        for step, box in self.step_boxes.items():
            box.setChecked(bool(config.steps.get(step, True)))

    def _on_step_toggled(self, *_args: object) -> None:
        if not self.binder.loading:
            self.binder.changed.emit()

    def _refresh_language_fields(self) -> None:
        detect = self.detect_box.isChecked()
        for widget in (self.languages_edit, self.threshold_box, self.candidates_edit):
            widget.setEnabled(detect)

    # --- config <-> form ------------------------------------------------------------------
    def set_config(self, config: CleaningConfig) -> None:
        self.vietnamese.set_config(config)
        self.binder.set_config(config)
        self._refresh_language_fields()

    def config(self) -> CleaningConfig:
        return self.vietnamese.apply_to(self.binder.config())

    def set_running_allowed(self, can_run: bool, can_export: bool) -> None:
        self.run_button.setEnabled(can_run)
        self.export_button.setEnabled(can_export)
