"""Main window: real drag-and-drop of folders, zips and CSVs, error dialogs that keep the data,
menus and shortcuts, the About box, persisted settings, and no torch before the window."""

from __future__ import annotations

import csv
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from drops import drop
from PySide6.QtGui import QKeySequence

from lstm_studio.gui import settings

POS = ["món ăn ngon , nhân_viên nhiệt_tình", "quán sạch_sẽ , giá hợp_lý", "đồ_ăn tuyệt_vời"]
NEG = ["món ăn dở , phục_vụ chậm", "quán bẩn , giá đắt", "nhân_viên thô_lỗ quá"]


def write_tree(root: Path) -> int:
    count = 0
    for split in ("train", "test"):
        for label, texts in (("pos", POS), ("neg", NEG)):
            folder = root / split / label
            folder.mkdir(parents=True)
            for number, text in enumerate(texts):
                (folder / f"{number}.txt").write_text(f"{text} {split}\n", encoding="utf-8")
                count += 1
    return count


def write_csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for i in range(rows):
            writer.writerow([f"{POS[i % 3] if i % 2 else NEG[i % 3]} số {i}",
                             "pos" if i % 2 else "neg"])
    return path


def wait_idle(qtbot: Any, window: Any) -> None:
    qtbot.waitUntil(lambda: not window.data_tab.is_busy(), timeout=30_000)


def test_dropping_a_folder_loads_its_tree(window: Any, qtbot: Any, tmp_path: Path) -> None:
    expected = write_tree(tmp_path / "reviews")
    with qtbot.waitSignal(window.state.dataset_changed, timeout=30_000):
        drop(window, [tmp_path / "reviews"])
    dataset = window.state.dataset
    assert len(dataset) == expected
    assert {d.split for d in dataset.documents} == {"train", "test"}
    assert window.data_tab.model.rowCount() == expected
    assert "12 documents" in window.data_tab.summary_label.text()


def test_dropping_a_zip_and_several_csvs_at_once(window: Any, qtbot: Any,
                                                 tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    expected = write_tree(tree)
    archive = tmp_path / "reviews.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for file in tree.rglob("*.txt"):
            handle.write(file, file.relative_to(tree).as_posix())
    with qtbot.waitSignal(window.state.dataset_changed, timeout=30_000):
        drop(window, [archive])
    assert len(window.state.dataset) == expected

    first = write_csv(tmp_path / "a.csv", 10)
    second = write_csv(tmp_path / "b.csv", 6)
    with qtbot.waitSignal(window.state.dataset_changed, timeout=30_000):
        drop(window, [first, second])
    assert len(window.state.dataset) == 16
    assert window.state.data_config.sources == [str(first), str(second)]
    assert settings.recent_datasets()[0] == [str(first), str(second)]


def test_a_bad_file_shows_the_reason_and_keeps_the_data(window: Any, qtbot: Any,
                                                        tmp_path: Path,
                                                        dialog_responder: Any) -> None:
    good = write_csv(tmp_path / "good.csv", 8)
    with qtbot.waitSignal(window.state.dataset_changed, timeout=30_000):
        drop(window, [good])
    before = window.state.dataset
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"\x00\x01\x02\xff\xfe binary \x00 junk" * 50)
    drop(window, [bad])
    qtbot.waitUntil(lambda: bool(dialog_responder.texts("error")), timeout=30_000)
    wait_idle(qtbot, window)
    message = dialog_responder.texts("error")[0]
    assert "broken.csv" in message
    assert "Traceback" not in message
    assert window.state.dataset is before
    assert window.data_tab.model.rowCount() == 8
    # still usable: a good drop afterwards loads
    with qtbot.waitSignal(window.state.dataset_changed, timeout=30_000):
        drop(window, [write_csv(tmp_path / "again.csv", 4)])
    assert len(window.state.dataset) == 4


def test_menus_have_the_shortcuts(window: Any) -> None:
    actions = {a.text().replace("&", ""): a for menu in window.menuBar().findChildren(
        type(window.menuBar().actions()[0].menu())) for a in menu.actions()}
    assert actions["Open File…"].shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert actions["Open Folder…"].shortcut() == QKeySequence("Ctrl+Shift+O")
    assert actions["Save Project"].shortcut() == QKeySequence(QKeySequence.StandardKey.Save)
    assert actions["Quit"].shortcut() == QKeySequence("Ctrl+Q")
    for name in ("Open Sample", "Recent", "Open Project…", "Save Project As…",
                 "About LSTM Studio"):
        assert name in actions


def test_open_file_menu_goes_through_the_dialog(window: Any, qtbot: Any, tmp_path: Path,
                                                dialog_responder: Any) -> None:
    path = write_csv(tmp_path / "picked.csv", 5)
    dialog_responder.answers["open_files"] = [str(path)]
    with qtbot.waitSignal(window.state.dataset_changed, timeout=30_000):
        window.open_file_action.trigger()
    assert len(window.state.dataset) == 5


def test_about_lists_the_versions(window: Any, dialog_responder: Any) -> None:
    import PySide6
    from PySide6.QtCore import qVersion

    window.show_about()
    text = dialog_responder.texts("about")[0]
    assert PySide6.__version__ in text and qVersion() in text
    assert "PyTorch" in text and "langid" in text


def test_geometry_and_options_persist(qtbot: Any) -> None:
    from lstm_studio.gui.main_window import MainWindow

    first = MainWindow()
    qtbot.addWidget(first)
    first.resize(700, 600)  # below the minimum: Qt grows it to the minimum size
    first.show()
    qtbot.waitExposed(first)
    saved = (first.width(), first.height())
    assert saved != (1280, 800)
    first.state.cleaning_config.threshold = 0.75
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    # restored, not the 1280x800 default (the width is clamped to the 800-pixel offscreen screen)
    assert second.height() == saved[1]
    assert second.width() == min(saved[0], second.screen().availableGeometry().width() - 2)
    assert second.state.cleaning_config.threshold == 0.75
    assert second.tab("Clean").panel.threshold_box.value() == 0.75
    second.shutdown_tabs()


def test_the_window_opens_without_importing_torch(isolated_settings: Path) -> None:
    code = (
        "import sys\n"
        "from lstm_studio.app import create_application\n"
        "app = create_application()\n"
        "from lstm_studio.gui.main_window import MainWindow\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "print(sorted(w.tab_widgets), 'torch' in sys.modules)\n"
        "w.shutdown_tabs()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip().endswith("False"), result.stdout + result.stderr
