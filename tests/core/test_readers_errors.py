"""Every mistake a user can make with a source gives one DataError sentence naming it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from lstm_studio.core.config import DataConfig
from lstm_studio.core.errors import DataError, UserError
from lstm_studio.core.readers import load_sources

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)


def one_sentence(error: pytest.ExceptionInfo[DataError]) -> str:
    message = str(error.value)
    assert isinstance(error.value, UserError)
    assert "\n" not in message and message.endswith(".")
    return message


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DataError) as error:
        load_sources([tmp_path / "nowhere.zip"])
    assert one_sentence(error) == f"{tmp_path / 'nowhere.zip'} does not exist."


def test_no_paths() -> None:
    with pytest.raises(DataError, match="No dataset source"):
        load_sources([])


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError) as error:
        load_sources([tmp_path / "empty"])
    assert "empty" in one_sentence(error) and str(tmp_path / "empty") in str(error.value)


def test_folder_without_documents(tmp_path: Path) -> None:
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "a.png").write_bytes(PNG)
    with pytest.raises(DataError, match=r"pics contains no \.txt documents"):
        load_sources([tmp_path / "pics"])


def test_zip_without_text_files(tmp_path: Path) -> None:
    path = tmp_path / "images.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("pos/a.png", PNG)
        archive.writestr("neg/b.csv", "text,label\n")
    with pytest.raises(DataError) as error:
        load_sources([path])
    assert "images.zip contains no .txt files" in one_sentence(error)


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(DataError, match=r"broken\.zip is not a readable zip archive"):
        load_sources([path])


def test_csv_without_text_column(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    path.write_text("id,score,label\n1,5,pos\n2,1,neg\n", encoding="utf-8")
    with pytest.raises(DataError) as error:
        load_sources([path])
    message = one_sentence(error)
    assert "scores.csv has no text column" in message and "id, score, label" in message


def test_csv_ragged_row(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text('text,label\n"a, b",pos\n"unclosed,neg\nc,neg\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"r\.csv:line 3 has 1 fields but the header has 2"):
        load_sources([path])


def test_csv_unknown_split_value(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("text,label,split\na,pos,train\nb,neg,holdout\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"s\.csv:line 3 has split 'holdout'"):
        load_sources([path])


def test_single_class(tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / "d" / "pos").mkdir(parents=True, exist_ok=True)
        (tmp_path / "d" / "pos" / f"{i}.txt").write_text("ngon", encoding="utf-8")
    with pytest.raises(DataError) as error:
        load_sources([tmp_path / "d"])
    assert "single label, 'pos' (3 documents)" in one_sentence(error)


def test_labelled_and_unlabelled_mixed(tmp_path: Path) -> None:
    labelled = tmp_path / "l.csv"
    labelled.write_text("text,label\na,pos\nb,neg\n", encoding="utf-8")
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("một\nhai\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"corpus\.txt:line 1 has no label while other"):
        load_sources([labelled, corpus])


@pytest.mark.parametrize(("name", "content", "what"), [
    ("photo.png", PNG, "a PNG image"),
    ("model.pt", b"PK\x03\x04" + bytes(40), "a zip archive or Office document"),
    ("reviews.txt", PNG, "a PNG image"),  # renamed image
    ("data.csv", b"text,label\n\x00\x01\x02", "binary file (it contains NUL bytes)"),
    ("report.pdf", b"%PDF-1.7\n\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
])
def test_binary_file_dropped_by_mistake(tmp_path: Path, name: str, content: bytes,
                                        what: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError) as error:
        load_sources([path])
    message = one_sentence(error)
    assert str(path) in message and what in message


def test_binary_member_inside_folder(tmp_path: Path) -> None:
    (tmp_path / "d" / "pos").mkdir(parents=True)
    (tmp_path / "d" / "neg").mkdir()
    (tmp_path / "d" / "pos" / "1.txt").write_text("ngon", encoding="utf-8")
    (tmp_path / "d" / "neg" / "2.txt").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(30))
    with pytest.raises(DataError, match=r"d/neg/2\.txt is a program, not a text document"):
        load_sources([tmp_path / "d"])


def test_text_starting_like_a_signature_is_still_text(tmp_path: Path) -> None:
    path = tmp_path / "mz.txt"
    path.write_text("MZ quán ăn ngon\nRIFF là gì\n", encoding="utf-8")
    assert [d.text for d in load_sources([path]).documents] == ["MZ quán ăn ngon", "RIFF là gì"]


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# not a dataset\n", encoding="utf-8")
    with pytest.raises(DataError) as error:
        load_sources([path])
    assert "unsupported file type '.md'" in one_sentence(error) and str(path) in str(error.value)


def test_undecodable_file_names_member_and_offset(tmp_path: Path) -> None:
    path = tmp_path / "d.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("d/pos/1.txt", b"ngon")
        archive.writestr("d/neg/2.txt", "dở ".encode() + b"\xff" + " tệ".encode())
    with pytest.raises(DataError) as error:
        load_sources([path])
    assert one_sentence(error).startswith(
        "d.zip:d/neg/2.txt is not valid UTF-8 text at byte offset 5")


def test_undecodable_after_bom_counts_bom_bytes(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfab\xc3")
    with pytest.raises(DataError, match="at byte offset 5"):
        load_sources([path])


def test_unknown_encoding(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("x\n", encoding="utf-8")
    with pytest.raises(DataError, match="Unknown text encoding 'klingon'"):
        load_sources([path], DataConfig(encoding="klingon"))


def test_empty_file_and_header_only_csv(tmp_path: Path) -> None:
    (tmp_path / "e.txt").write_text("\n \n", encoding="utf-8")
    with pytest.raises(DataError, match=r"e\.txt is empty"):
        load_sources([tmp_path / "e.txt"])
    (tmp_path / "h.csv").write_text("text,label\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"h\.csv has a header but no rows"):
        load_sources([tmp_path / "h.csv"])


def test_same_source_twice(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("text,label\na,pos\nb,neg\n", encoding="utf-8")
    with pytest.raises(DataError, match="given twice"):
        load_sources([path, tmp_path / "." / "a.csv"])


def test_bad_split_override(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("text,label\na,pos\nb,neg\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"Split override 'holdout' for a\.csv"):
        load_sources([path], DataConfig(split_overrides={str(path): "holdout"}))


def test_signature_lookalike_in_another_encoding_is_text(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes("MZ café crème\nGIF8 là gì\n".encode("cp1252"))
    docs = load_sources([path], DataConfig(encoding="cp1252")).documents
    assert [d.text for d in docs] == ["MZ café crème", "GIF8 là gì"]
