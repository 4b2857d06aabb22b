"""Hostile text files: one enormous line, NUL bytes, broken or BOM-less encodings, odd line
endings, quoting tricks, a label column that is not one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from adversarial import cli_error, refused_by_data_and_train
from hostile_files import MIB

from lstm_studio.cli import main
from lstm_studio.core.config import DataConfig
from lstm_studio.core.limits import ReadBudget, cut_text
from lstm_studio.core.readers import load_sources

TEN_MB_LINE = "ngon_quá " * (10 * MIB // 10)  # 10 bytes per repetition ("á" is 2 bytes)


def write_one_huge_line(folder: Path, kind: str, text: str) -> Path:
    if kind == "csv":
        path = folder / "huge.csv"
        path.write_text(f"text,label\n{text},pos\nbình thường,neg\n", encoding="utf-8")
    elif kind == "jsonl":
        path = folder / "huge.jsonl"
        path.write_text(json.dumps({"text": text, "label": "pos"}, ensure_ascii=False) + "\n"
                        + json.dumps({"text": "bình thường", "label": "neg"}) + "\n",
                        encoding="utf-8")
    elif kind == "fasttext":
        path = folder / "huge.ft"
        path.write_text(f"__label__pos {text}\n__label__neg bình thường\n", encoding="utf-8")
    else:
        path = folder / "huge.txt"
        path.write_text(f"{text}\nbình thường\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["csv", "jsonl", "fasttext", "txt"])
def test_a_10_mb_single_line_document_is_cut_to_the_budget_and_counted(
        tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_one_huge_line(tmp_path, kind, TEN_MB_LINE.strip())
    assert main(["data", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["documents"] == 2
    assert any("1 document was longer than 4.0 MB and cut to its first 4.0 MB" in note
               and "--max-document-mb" in note for note in summary["sources"][0]["notes"])
    longest = max(load_sources([path]).documents, key=lambda doc: len(doc.text))
    assert len(longest.text.encode("utf-8")) <= 4 * MIB
    assert TEN_MB_LINE.startswith(longest.text)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("kind", ["csv", "jsonl", "fasttext", "txt"])
def test_a_50_mb_single_line_document(tmp_path: Path, kind: str) -> None:
    path = write_one_huge_line(tmp_path, kind, "x" * (50 * MIB))
    dataset = load_sources([path])
    assert max(len(doc.text) for doc in dataset.documents) == 4 * MIB
    assert any("cut to its first 4.0 MB" in note for note in dataset.sources[0].notes)


def test_a_file_over_the_load_budget_is_refused_unread(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_one_huge_line(tmp_path, "csv", TEN_MB_LINE)
    line = refused_by_data_and_train(capsys, tmp_path, [str(path)], "--max-total-mb", "5")
    assert "huge.csv is 10.0 MB, more than the 5.0 MB one load may read" in line
    assert "--max-total-mb" in line


def test_cutting_never_splits_a_character() -> None:
    text = "ệ" * 10  # 3 bytes each
    for limit in range(1, 31):
        cut = cut_text(text, limit)
        assert cut is not None if limit < 30 else cut is None
        if cut is not None:
            assert len(cut.encode()) <= limit and text.startswith(cut)
            assert len(cut.encode()) > limit - 3
    budget = ReadBudget()
    assert budget.document_text("short") == "short" and budget.take_cut_note() is None


def test_nul_bytes_are_refused_as_binary(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"text,label\nngon\x00qua,pos\nde,neg\n")
    line = refused_by_data_and_train(capsys, tmp_path, [str(path)])
    assert "nul.csv is a binary file (it contains NUL bytes), not a text dataset" in line


def test_invalid_utf8_in_the_middle_names_the_byte(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    head = "text,label\n" + "ngon quá,pos\n" * 100
    path = tmp_path / "broken.csv"
    path.write_bytes(head.encode() + b"d\xff\xfeo,neg\n")
    line = cli_error(capsys, ["data", str(path)])
    assert f"not valid UTF-8 text at byte offset {len(head.encode()) + 1}" in line
    assert "--encoding" in line


def test_utf16_without_a_bom_gets_a_hint_and_loads_once_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "wide.csv"
    path.write_bytes("text,label\nngon quá,pos\ndở tệ,neg\n".encode("utf-16-le"))
    line = cli_error(capsys, ["data", str(path)])
    assert "looks like UTF-16 text without a byte-order mark" in line
    assert "--encoding utf-16-le" in line
    dataset = load_sources([path], DataConfig(encoding="utf-16-le"))
    assert sorted(doc.text for doc in dataset.documents) == ["dở tệ", "ngon quá"]
    big_endian = tmp_path / "wide-be.csv"
    big_endian.write_bytes("text,label\nngon quá,pos\ndở tệ,neg\n".encode("utf-16-be"))
    assert "--encoding utf-16-be" in cli_error(capsys, ["data", str(big_endian)])


def test_mixed_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"text,label\r\nngon,pos\rdo,neg\nok,pos\r\n")
    dataset = load_sources([path])
    assert [(doc.text, doc.label) for doc in dataset.documents] == \
        [("ngon", "pos"), ("do", "neg"), ("ok", "pos")]
    corpus = tmp_path / "mixed.txt"
    corpus.write_bytes(b"one\r\ntwo\rthree\n")
    assert [doc.text for doc in load_sources([corpus]).documents] == ["one", "two", "three"]


def test_csv_with_embedded_newlines_quotes_and_delimiters(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    path.write_text('text,label\n"line one\nline ""two"", with, commas",pos\n"plain",neg\n',
                    encoding="utf-8")
    texts = {doc.label: doc.text for doc in load_sources([path]).documents}
    assert texts == {"pos": 'line one\nline "two", with, commas', "neg": "plain"}
    unclosed = tmp_path / "unclosed.csv"
    unclosed.write_text('text,label\n"never closed,pos\nnext,neg\n', encoding="utf-8")
    with pytest.raises(Exception, match="fields but the header has 2") as caught:
        load_sources([unclosed])
    assert type(caught.value).__name__ == "DataError"


def test_a_label_column_with_100k_distinct_values_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("text,label\n" + "".join(f"review {i},id-{i}\n" for i in range(100_000)),
                    encoding="utf-8")
    line = refused_by_data_and_train(capsys, tmp_path, [str(path)])
    assert "100,000 distinct labels, more than the 1,000 limit" in line
    assert "--max-labels" in line and "--label-column" in line


def test_bad_limit_flags_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text("text,label\na,pos\nb,neg\n")
    assert "--max-document-mb must be a positive number" in \
        cli_error(capsys, ["data", str(path), "--max-document-mb", "0"])
    assert "at least 1" in cli_error(capsys, ["data", str(path), "--max-ratio", "0.5"])
