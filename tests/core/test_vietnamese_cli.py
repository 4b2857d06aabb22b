"""The Vietnamese text features from the command line: clean, train, predict, eval, text, data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

from lstm_studio.cli import main

torch.set_num_threads(1)

# A segmented corpus, as NTC-SCV is; one English review in train and one in test.
TRAIN = [("nhân_viên phục_vụ rất thân_thiện , đồ_ăn ngon", "pos"),
         ("không_gian sạch_sẽ , giá_cả hợp_lý , sẽ quay lại", "pos"),
         ("rất hài_lòng , nhân_viên nhiệt_tình", "pos"),
         ("nhân_viên cau_có , phục_vụ chậm , thất_vọng", "neg"),
         ("đồ_ăn nguội , giá_cả đắt , không quay lại", "neg"),
         ("không_gian bẩn , không hài_lòng", "neg"),
         ("The waiter was rude and the soup was cold", "neg")]
TEST = [("nhân viên thân thiện , đồ ăn ngon", "pos"), ("phục vụ chậm , thất vọng", "neg"),
        ("The staff were friendly and the food was great", "pos")]


def write(path: Path, rows: list[tuple[str, str]], split: str) -> str:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label", "split"])
        writer.writerows([(text, label, split) for text, label in rows])
    return str(path)


@pytest.fixture
def corpus(tmp_path: Path) -> list[str]:
    return [write(tmp_path / "train.csv", TRAIN * 4, "train"),
            write(tmp_path / "test.csv", TEST, "test")]


def run_json(capsys: pytest.CaptureFixture, argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_clean_reports_segmentation_and_lists_dropped_texts(
        corpus: list[str], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    report = run_json(capsys, ["clean", *corpus, "--out", str(tmp_path / "c.csv"), "--json",
                               "--workers", "1"])
    assert report["segmentation"].startswith("auto, on (pyvi ")
    assert report["looked_segmented"] is True and report["joined_share_before"] > 0.3
    dropped = report["dropped_documents"]
    assert {item["text"] for item in dropped} == {TRAIN[-1][0]}
    assert all(item["source"].startswith("train.csv:line") and item["detail"] == "en 1.00, not vi"
               for item in dropped)
    assert report["spared"] == {"test": 1}  # the English test review stays: test is whole
    with (tmp_path / "c.csv").open(encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    assert "nhân_viên thân_thiện đồ ăn ngon" in texts  # the raw test review, segmented
    # (pyvi leaves "đồ ăn" apart where NTC-SCV's segmenter joined it: one of the 16% of
    # compounds it does not recover, see docs/vietnamese.md)


def test_train_then_predict_and_eval_raw_text(corpus: list[str], tmp_path: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    model = str(tmp_path / "m.safetensors")
    trained = run_json(capsys, ["train", *corpus, "--embedding", "8", "--hidden", "8",
                                "--epochs", "2", "--out", model, "--json", "--no-record"])
    assert trained["test"]["documents"] == len(TEST)  # never filtered, English one included
    predicted = run_json(capsys, ["predict", model, "nhân viên phục vụ rất thân thiện",
                                  "--json"])
    assert predicted["tokens"] == ["nhân_viên", "phục_vụ", "rất", "thân_thiện"]
    assert predicted["oov"] == []
    assert "Segment words (pyvi 0.1.1)" in " | ".join(predicted["pipeline"])
    assert main(["predict", model, "Nhân viên thân thiện lắmm"]) == 0
    assert "model reads: nhân_viên thân_thiện lắmm*" in capsys.readouterr().out
    inspected = run_json(capsys, ["inspect", model, "nhân viên thân thiện", "--json"])
    assert inspected["trace"]["tokens"] == ["nhân_viên", "thân_thiện"]
    scored = run_json(capsys, ["eval", model, corpus[1], "--json"])
    assert scored["documents"] == len(TEST)


def test_segment_off_and_a_custom_abbreviation_table(corpus: list[str], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    table = tmp_path / "abbr.txt"
    table.write_text("# mine\nnv = nhân viên\n", encoding="utf-8")
    out = tmp_path / "c.csv"
    report = run_json(capsys, ["clean", *corpus, "--out", str(out), "--json", "--workers", "1",
                               "--segment", "off", "--abbreviations", str(table)])
    assert report["segmentation"] == "off" and "segment_words" not in report["steps"]
    assert report["joined_share_after"] < report["joined_share_before"] + 1e-9
    traced = run_json(capsys, ["text", "NV ko thân thiện", "--abbreviations", str(table),
                               "--json"])
    assert traced["cleaned"] == "nhân_viên ko thân_thiện"  # "ko" is not in this table
    assert main(["text", "--abbreviations-table", "--abbreviations", str(table)]) == 0
    assert capsys.readouterr().out == "nv = nhân viên\n"


def test_a_malformed_table_is_one_line_naming_the_line(
        corpus: list[str], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    table = tmp_path / "abbr.txt"
    table.write_text("ko = không\ndc được\n", encoding="utf-8")
    code = main(["clean", *corpus, "--out", str(tmp_path / "c.csv"),
                 "--abbreviations", str(table)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "abbr.txt, line 2: write 'short = expansion'" in err


def test_text_shows_each_step_and_data_reports_the_joined_share(
        corpus: list[str], capsys: pytest.CaptureFixture) -> None:
    assert main(["text", "Nhân viên ko thân thiện, hòa nhã 😊"]) == 0
    out = capsys.readouterr().out
    assert "* Expand chat abbreviations" in out and "* Segment words" in out
    assert "nhân_viên | không | thân_thiện | hoà_nhã" in out
    summary = run_json(capsys, ["data", *corpus, "--json"])
    assert summary["looks_segmented"] is True
    assert 0.3 < summary["joined_share"] < 0.7
    assert main(["data", *corpus]) == 0
    assert "(looks word-segmented)" in capsys.readouterr().out
