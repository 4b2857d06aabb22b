"""Settings through one versioned module: old files migrate, newer files survive untouched,
garbage falls back to defaults, and the window starts with what was remembered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from lstm_studio.core.config import CleaningConfig, TrainConfig, VocabConfig
from lstm_studio.gui import settings

# What the unversioned (version 1) module wrote: configs as JSON under options/.
OLD_LAYOUT = r'''[app]
launched=true

[options]
cleaning="{\"threshold\": 0.75, \"languages\": [\"vi\", \"en\"], \"steps\": {\"lowercase\": false}}"
vocabulary="{\"min_freq\": 3, \"max_size\": null, \"max_len\": 40}"

[paths]
last_dir=/data/reviews
last_project=/data/work.lstmproj

[recent]
datasets="[[\"/data/a.csv\", \"/data/b.csv\"], [\"/data/c.zip\"]]"
'''


def open_window(qtbot: Any) -> Any:
    from lstm_studio.gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    return window


def test_an_old_unversioned_file_loads_after_migration(isolated_settings: Path,
                                                       qtbot: Any) -> None:
    isolated_settings.write_text(OLD_LAYOUT, encoding="utf-8")
    cleaning = settings.load_config("cleaning", CleaningConfig)
    assert cleaning.threshold == 0.75 and cleaning.languages == ["vi", "en"]
    assert cleaning.steps == {"lowercase": False}
    vocabulary = settings.load_config("vocabulary", VocabConfig)
    assert (vocabulary.min_freq, vocabulary.max_size, vocabulary.max_len) == (3, None, 40)
    assert settings.recent_datasets() == [["/data/a.csv", "/data/b.csv"], ["/data/c.zip"]]
    assert settings.last_folder() == "/data/reviews"
    assert settings.last_project() == "/data/work.lstmproj"
    assert not settings.first_launch()

    on_disk = isolated_settings.read_text(encoding="utf-8")
    assert f"[meta]\nversion={settings.SETTINGS_VERSION}" in on_disk
    assert "[options]" not in on_disk
    store = QSettings(str(isolated_settings), QSettings.Format.IniFormat)
    assert store.contains("configs/cleaning") and store.contains("configs/vocabulary")

    window = open_window(qtbot)  # the window starts with the migrated settings
    assert window.state.cleaning_config.threshold == 0.75
    assert window.tab("Clean").panel.threshold_box.value() == 0.75
    assert not window.tab("Clean").panel.step_boxes["lowercase"].isChecked()
    assert window.tab("Vocabulary").min_freq.value() == 3
    window.shutdown_tabs()


def test_migration_runs_once_and_reports_the_version_found(isolated_settings: Path) -> None:
    isolated_settings.write_text(OLD_LAYOUT, encoding="utf-8")
    store = QSettings(str(isolated_settings), QSettings.Format.IniFormat)
    assert settings.migrate(store) == 1
    assert settings.migrate(store) == settings.SETTINGS_VERSION
    assert settings.load_config("cleaning", CleaningConfig).threshold == 0.75


def test_a_new_file_starts_at_the_current_version(isolated_settings: Path) -> None:
    assert settings.first_launch()
    settings.mark_launched()
    assert not settings.first_launch()
    on_disk = isolated_settings.read_text(encoding="utf-8")
    assert f"[meta]\nversion={settings.SETTINGS_VERSION}" in on_disk


def test_a_newer_file_is_read_but_never_written(isolated_settings: Path, qtbot: Any) -> None:
    newer = (f"[meta]\nversion={settings.SETTINGS_VERSION + 7}\n\n"
             "[configs]\nvocabulary=\"{\\\"min_freq\\\": 5}\"\n\n"
             "[future]\nlayout=\"something we do not know\"\n")
    isolated_settings.write_text(newer, encoding="utf-8")
    assert settings.load_config("vocabulary", VocabConfig).min_freq == 5  # still read

    settings.save_config("vocabulary", VocabConfig(min_freq=9))
    settings.add_recent_dataset(["/x.csv"])
    settings.mark_launched()
    settings.save_window_geometry(QByteArray(b"geometry"))
    window = open_window(qtbot)
    window.close()  # saves every option on the way out
    assert isolated_settings.read_text(encoding="utf-8") == newer
    assert settings.load_config("vocabulary", VocabConfig).min_freq == 5


def test_garbage_values_fall_back_to_defaults(isolated_settings: Path, qtbot: Any) -> None:
    isolated_settings.write_text(
        "[meta]\nversion=not-a-number\n\n"
        "[configs]\ncleaning=\"{not json\"\n"
        "vocabulary=\"{\\\"min_freq\\\": \\\"three\\\", \\\"max_len\\\": 12}\"\n"
        "training=\"[1, 2]\"\n\n"
        "[recent]\ndatasets=\"{\\\"a\\\": 1}\"\n\n"
        "[window]\ngeometry=nonsense\n", encoding="utf-8")
    assert settings.load_config("cleaning", CleaningConfig) == CleaningConfig()
    vocabulary = settings.load_config("vocabulary", VocabConfig)
    assert vocabulary.min_freq == VocabConfig().min_freq and vocabulary.max_len == 12
    assert settings.load_config("training", TrainConfig) == TrainConfig()
    assert settings.recent_datasets() == []
    assert settings.window_geometry() is None

    window = open_window(qtbot)  # opens with the defaults, at the default size
    assert window.tab("Clean").panel.threshold_box.value() == CleaningConfig().threshold
    assert window.tab("Vocabulary").max_len.value() == 12
    assert (window.width(), window.height()) == (1280, 800)
    window.shutdown_tabs()


def test_configs_round_trip(isolated_settings: Path) -> None:
    saved = CleaningConfig(threshold=0.6, candidate_languages=["vi", "en"], drop_empty=False)
    settings.save_config("cleaning", saved)
    assert settings.load_config("cleaning", CleaningConfig) == saved
    for number in range(settings.RECENT_LIMIT + 3):
        settings.add_recent_dataset([f"/data/{number}.csv"])
    settings.add_recent_dataset(["/data/4.csv"])  # opened again: moves to the front, once
    recent = settings.recent_datasets()
    assert len(recent) == settings.RECENT_LIMIT
    assert recent[0] == ["/data/4.csv"] and recent.count(["/data/4.csv"]) == 1
    geometry = QByteArray(b"\x01\xd9\xd0\xcb saved geometry")
    settings.save_window_geometry(geometry)
    assert settings.window_geometry() == geometry
