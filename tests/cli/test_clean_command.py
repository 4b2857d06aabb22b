"""`lstm-studio clean` end to end on a small CSV."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from lstm_studio.cli import main

ROWS = [
    ("Mình được 1 cô bạn giới_thiệu đến đây , tìm địa_chỉ khá dễ . Menu nước uống chất khỏi nói "
     ". <https://foody.com>", "pos"),
    ("Quán chế_biến đồ_ăn lâu , Cá_Sapa nướng ướp rất dở , sò Lông ko tươi , nước_chấm ko ngon",
     "neg"),
    ("The room is cheap ! ! ! ! It ' s near the city center . The staff is so nice : - D 🍑🍑",
     "pos"),
    ("! ! ! 😊 😊", "neg"),
    ("Nhân_viên dễ_thương , đồ uống ngon , không_gian thoáng , chắc_chắn sẽ quay lại lần nữa",
     "pos"),
]


@pytest.fixture
def reviews(tmp_path: Path) -> Path:
    path = tmp_path / "reviews.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(ROWS)
    return path


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_clean_writes_the_csv_and_prints_the_json_report(
        reviews: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out" / "clean.csv"
    assert main(["clean", str(reviews), "--out", str(out), "--json", "--workers", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kept"] == 3
    assert report["dropped"] == {"language": 1, "empty": 1}
    assert report["languages"] == {"vi": 3, "en": 1}
    assert report["steps"]["remove_urls_html"] == 1
    assert report["steps"]["lowercase"] == 4
    rows = read_rows(out)
    assert list(rows[0]) == ["text", "label", "split"]
    assert [row["label"] for row in rows] == ["pos", "neg", "pos"]
    assert rows[0]["text"] == ("mình được cô bạn giới_thiệu đến đây tìm địa_chỉ khá dễ menu "
                               "nước uống chất khỏi nói")
    assert {row["split"] for row in rows} <= {"train", "valid", "test"}
    assert not list(out.parent.glob(".*.tmp"))


def test_options_choose_languages_and_steps(
        reviews: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "clean.csv"
    code = main(["clean", str(reviews), "--out", str(out), "--json", "--workers", "1",
                 "--lang", "vi,en", "--no-lowercase", "--keep-empty", "--threshold", "0.5"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kept"] == 5
    assert "lowercase" not in report["steps"]
    assert read_rows(out)[0]["text"].startswith("Mình")


def test_steps_and_no_language_flags(
        reviews: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "clean.csv"
    code = main(["clean", str(reviews), "--out", str(out), "--json", "--workers", "1",
                 "--steps", "normalize_whitespace,lowercase", "--no-language",
                 "--segment", "off"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["steps"]) == ["normalize_whitespace", "lowercase"]
    assert report["languages"] == {}
    assert report["kept"] == 5
    assert "<https://foody.com>" in read_rows(out)[0]["text"]


def test_text_report_lists_steps_and_drops(
        reviews: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clean", str(reviews), "--out", str(tmp_path / "c.csv"), "--workers", "1"]) == 0
    text = capsys.readouterr().out
    assert "Kept 3 of 5 documents" in text
    assert "1. Remove URLs and HTML tags" in text
    assert "language: en 1.00, not vi" in text
    assert "Word segmentation: auto, on (pyvi" in text


@pytest.mark.parametrize("bad", [
    ["--lang", "xx"],
    ["--steps", "lowercase,remove_html"],
    ["--threshold", "2"],
    ["--workers", "0"],
])
def test_bad_options_exit_2_with_one_line(
        reviews: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: list[str]) -> None:
    out = tmp_path / "clean.csv"
    assert main(["clean", str(reviews), "--out", str(out), *bad]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("lstm-studio: error: ") and "\n" not in error
    assert not out.exists()


def test_missing_source_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["clean", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "c.csv")])
    assert code == 2
    assert capsys.readouterr().err.count("\n") == 1
