"""Clean tab: the Vietnamese text settings (segmentation, tone marks, abbreviations, the
language filter's short-text rule and splits) and the abbreviation-table editor.

The panel reads and writes the `CleaningConfig` fields it owns (`set_config` / `apply_to`), so
the tab only places it. The table editor is a non-modal window over the table text: "Apply"
parses it (a malformed line is named in red and nothing changes), "Reset" brings back the
shipped table, and the file buttons load or save a table in the `--abbreviations` format.
`report_lines` words the cleaning report's Vietnamese figures for the tab's summary.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from lstm_studio.core import segmentation
from lstm_studio.core.atomic import atomic_write
from lstm_studio.core.config import CleaningConfig
from lstm_studio.core.errors import UserError
from lstm_studio.core.normalization import default_table, format_table, parse_table, read_table
from lstm_studio.gui import dialogs

SEGMENT_CHOICES = (("auto", "Auto"), ("on", "On"), ("off", "Off"))
TONE_CHOICES = (("new", "hoà, thuý (new)"), ("old", "hòa, thúy (old)"))
TABLE_FILTER = "Abbreviation table (*.txt);;All files (*)"


class AbbreviationEditor(QDialog):
    """View and edit the abbreviation table as text; `applied(dict)` when it parses."""

    applied = Signal(dict)

    def __init__(self, table: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Chat abbreviations")
        self.resize(460, 520)
        intro = QLabel("One entry per line: <b>short = expansion</b> (e.g. <i>ko = không</i>). "
                       "Whole words only, any case; a short form after a number is a unit "
                       "(<i>50 k</i>) and stays. Lines starting with # are comments.")
        intro.setWordWrap(True)
        self.editor = QPlainTextEdit(format_table(table))
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c92a2a;")
        self.error.setMinimumHeight(2 * self.error.fontMetrics().lineSpacing() + 4)  # 2 lines
        self.apply_button = QPushButton("Apply")
        self.reset_button = QPushButton("Reset to shipped table")
        self.load_button = QPushButton("Load…")
        self.save_button = QPushButton("Save as…")
        buttons = QHBoxLayout()
        for button in (self.load_button, self.save_button, self.reset_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.apply_button.clicked.connect(lambda: self.apply())
        self.reset_button.clicked.connect(
            lambda: self.editor.setPlainText(format_table(default_table())))
        self.load_button.clicked.connect(lambda: self.load())
        self.save_button.clicked.connect(lambda: self.save())

    def apply(self) -> dict[str, str] | None:
        try:
            table = parse_table(self.editor.toPlainText(), "The table")
        except UserError as error:
            self.error.setStyleSheet("color: #c92a2a;")
            self.error.setText(str(error))
            return None
        self.error.setStyleSheet("color: #2b8a3e;")
        self.error.setText(f"Applied: {len(table)} entries.")
        self.applied.emit(table)
        return table

    def load(self, path: str | None = None) -> bool:
        if path is None:
            paths = dialogs.open_files(self, "Load abbreviation table", "", TABLE_FILTER)
            path = paths[0] if paths else None
        if not path:
            return False
        try:
            table = read_table(path)
        except UserError as error:
            self.error.setStyleSheet("color: #c92a2a;")
            self.error.setText(str(error))
            return False
        self.editor.setPlainText(format_table(table))
        self.error.setText("")
        return True

    def save(self, path: str | None = None) -> str | None:
        path = path or dialogs.save_file(self, "Save abbreviation table", "abbreviations.txt",
                                         TABLE_FILTER)
        if not path:
            return None
        with atomic_write(path) as handle:
            handle.write(self.editor.toPlainText())
        return path


class VietnamesePanel(QGroupBox):
    """Segmentation, normalisation and the language filter's short-text rules."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Vietnamese text", parent)
        self.table: dict[str, str] | None = None  # None: the shipped table
        self.editor: AbbreviationEditor | None = None
        self.segment_combo = QComboBox()
        for value, title in SEGMENT_CHOICES:
            self.segment_combo.addItem(title, value)
        self.segment_combo.setToolTip("Join the syllables of each word with “_” (nhân_viên). "
                                      "Auto: on when most documents use Vietnamese letters")
        found = segmentation.description()
        self.segmenter_label = QLabel(f"with {found}" if found else
                                      f"{segmentation.LIBRARY} is not installed "
                                      f"({segmentation.INSTALL_HINT})")
        self.segmenter_label.setStyleSheet("color: #868e96;")
        self.tone_box = QCheckBox("One tone-mark style")
        self.tone_combo = QComboBox()
        for value, title in TONE_CHOICES:
            self.tone_combo.addItem(title, value)
        self.abbreviations_box = QCheckBox("Expand chat abbreviations")
        self.table_button = QPushButton("Table…")
        self.table_button.setToolTip("View and edit the abbreviation table")
        self.short_spin = QSpinBox()
        self.short_spin.setRange(1, 50)
        self.short_spin.setSuffix(" words")
        self.short_spin.setToolTip("Shorter texts are not dropped on langid's guess alone: the "
                                   "corpus's languages and Vietnamese-only letters decide")
        self.filter_valid_box = QCheckBox("Filters may drop validation documents too")
        self.filter_valid_box.setToolTip("Train is always filtered; the test split never is, "
                                         "so it is scored whole")
        form = QFormLayout(self)
        form.addRow("Segment words", self.segment_combo)
        form.addRow("", self.segmenter_label)
        tone = QHBoxLayout()
        tone.addWidget(self.tone_box)
        tone.addWidget(self.tone_combo, 1)
        form.addRow(tone)
        abbreviations = QHBoxLayout()
        abbreviations.addWidget(self.abbreviations_box)
        abbreviations.addStretch(1)
        abbreviations.addWidget(self.table_button)
        form.addRow(abbreviations)
        form.addRow("Short texts under", self.short_spin)
        form.addRow(self.filter_valid_box)
        self.last_run = QLabel()  # what the last run decided and found, in words
        self.last_run.setWordWrap(True)
        self.last_run.setStyleSheet("color: #495057;")
        form.addRow(self.last_run)
        self.tone_box.toggled.connect(self.tone_combo.setEnabled)
        self.table_button.clicked.connect(lambda: self.open_editor())
        for signal in (self.segment_combo.currentIndexChanged, self.tone_box.toggled,
                       self.tone_combo.currentIndexChanged, self.abbreviations_box.toggled,
                       self.short_spin.valueChanged, self.filter_valid_box.toggled):
            signal.connect(lambda *_: self.changed.emit())

    def set_config(self, config: CleaningConfig) -> None:
        self.segment_combo.setCurrentIndex(max(0, self.segment_combo.findData(config.segment)))
        self.tone_box.setChecked(bool(config.steps.get("normalize_tone_marks", True)))
        self.tone_combo.setCurrentIndex(max(0, self.tone_combo.findData(config.tone_style)))
        self.tone_combo.setEnabled(self.tone_box.isChecked())
        self.abbreviations_box.setChecked(bool(config.steps.get("expand_abbreviations", True)))
        self.table = dict(config.abbreviations) if config.abbreviations is not None else None
        self.short_spin.setValue(config.short_text_words)
        self.filter_valid_box.setChecked("valid" in config.filter_splits)

    def apply_to(self, config: CleaningConfig) -> CleaningConfig:
        steps = dict(config.steps, normalize_tone_marks=self.tone_box.isChecked(),
                     expand_abbreviations=self.abbreviations_box.isChecked())
        return replace(config, steps=steps, segment=self.segment_combo.currentData(),
                       tone_style=self.tone_combo.currentData(),
                       abbreviations=dict(self.table) if self.table is not None else None,
                       short_text_words=self.short_spin.value(),
                       filter_splits=["train", "valid"] if self.filter_valid_box.isChecked()
                       else ["train"])

    def show_report(self, report: Any) -> None:
        self.last_run.setText("\n".join(report_lines(report)))
        # A wrapped label in a form does not ask for the height its lines need; give it.
        width = max(self.last_run.width(), self.width() - 30, 200)
        self.last_run.setMinimumHeight(self.last_run.heightForWidth(width))

    def open_editor(self) -> AbbreviationEditor:
        if self.editor is None:
            self.editor = AbbreviationEditor(self.current_table(), self)
            self.editor.applied.connect(self._on_table_applied)
        self.editor.show()
        self.editor.raise_()
        return self.editor

    def current_table(self) -> dict[str, str]:
        return dict(self.table) if self.table is not None else default_table()

    def _on_table_applied(self, table: dict) -> None:
        self.table = None if table == default_table() else dict(table)
        self.changed.emit()


def report_lines(report: Any) -> list[str]:
    """The Vietnamese figures of a cleaning report, one short line each."""
    lines = [f"Segmentation: {report.segmentation}" if report.segmentation else "",
             f"Words joined by “_”: {report.joined_share(after=False):.1%} as loaded ("
             + ("looks segmented" if report.looked_segmented else "not segmented")
             + f"), {report.joined_share():.1%} after cleaning"]
    if report.no_diacritics or report.no_diacritics_dropped:
        lines.append(f"Typed without diacritics: {report.no_diacritics:,} kept, "
                     f"{report.no_diacritics_dropped:,} dropped")
    spared = ", ".join(f"{split} {n:,}" for split, n in report.spared.items())
    splits = " and ".join(report.filtered_splits) or "no split"
    lines.append(f"Filters drop from {splits} only"
                 + (f"; kept although they would be dropped: {spared}" if spared else ""))
    failed = sum(report.steps_failed.values())
    if failed:
        lines.append(f"{failed:,} step failures (those documents skipped that step)")
    return [line for line in lines if line]
