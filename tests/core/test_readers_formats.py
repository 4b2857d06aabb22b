"""Every reader on small fixtures written here, NTC-SCV oddities included."""

from __future__ import annotations

import codecs
import json
import unicodedata
import zipfile
from pathlib import Path

import pytest

from lstm_studio.core.config import DataConfig
from lstm_studio.core.errors import DataError
from lstm_studio.core.readers import load_sources
from lstm_studio.core.readers.common import decode

REVIEW_POS = "Đồ_ăn ngon , nhân_viên phục_vụ nhiệt_tình 😊\n"
REVIEW_NEG = "Mua có mỗi Bingsu thập_cẩm 45k mà chờ\nlâu quá\n\nkhông quay lại\n"  # multi-line


def write_tree(root: Path, files: dict[str, bytes | str]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
    return root


def write_zip(path: Path, files: dict[str, bytes | str],
              compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for rel, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            archive.writestr(rel, data)
    return path


def by_source(dataset) -> dict[str, tuple[str, str | None, str]]:
    return {doc.source: (doc.text, doc.label, doc.split) for doc in dataset.documents}


NTC_LIKE = {
    "train/pos/1.txt": REVIEW_POS,
    "train/pos/2.txt": codecs.BOM_UTF8 + "Ngon quá , sẽ quay lại\n".encode(),
    "train/neg/1.txt": REVIEW_NEG,
    "train/neg/7.txt": "Phở dở\r\nquá\r\n",
    "test/pos/3.txt": "Quán sạch_sẽ\n".encode("utf-16"),  # UTF-16 with BOM
    "test/neg/4.txt": unicodedata.normalize("NFD", "Giá hơi đắt , phục_vụ chậm\n"),
}


def test_folder_tree_labels_splits_encodings(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "data_train", NTC_LIKE)
    dataset = load_sources([root])
    docs = by_source(dataset)
    assert len(dataset) == 6
    assert docs["data_train/train/pos/1.txt"] == (REVIEW_POS.strip(), "pos", "train")
    assert docs["data_train/train/pos/2.txt"][0] == "Ngon quá , sẽ quay lại"  # BOM gone
    assert docs["data_train/train/neg/1.txt"][0] == REVIEW_NEG.strip()  # lines kept
    assert docs["data_train/train/neg/7.txt"][0] == "Phở dở\nquá"  # CRLF -> LF
    assert docs["data_train/test/pos/3.txt"] == ("Quán sạch_sẽ", "pos", "test")
    nfd = docs["data_train/test/neg/4.txt"][0]
    assert nfd == unicodedata.normalize("NFD", "Giá hơi đắt , phục_vụ chậm")  # not normalised
    assert not unicodedata.is_normalized("NFC", nfd)
    assert dataset.sources[0].kind == "folder"
    assert dataset.sources[0].documents == 6


def test_zip_gives_same_documents_as_folder(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "data_train", NTC_LIKE)
    archive = write_zip(tmp_path / "data_train.zip",
                        {f"data_train/{rel}": data for rel, data in NTC_LIKE.items()})
    from_folder = load_sources([folder])
    from_zip = load_sources([archive])
    assert [(d.text, d.label, d.split) for d in from_zip.documents] == \
        [(d.text, d.label, d.split) for d in from_folder.documents]
    assert from_zip.documents[0].source.startswith("data_train.zip:data_train/")
    assert from_zip.sources[0].kind == "zip"


def test_zip_stored_members_and_no_wrapper(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "plain.zip",
                        {"pos/a.txt": "tốt", "neg/b.txt": "tệ",
                         "__MACOSX/pos/._a.txt": b"\x00\x01"},
                        compression=zipfile.ZIP_STORED)
    docs = by_source(load_sources([archive]))
    assert docs == {"plain.zip:neg/b.txt": ("tệ", "neg", "train"),
                    "plain.zip:pos/a.txt": ("tốt", "pos", "train")}


def test_zip_with_other_compression_falls_back(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "bz.zip", {"pos/a.txt": "tốt", "neg/b.txt": "tệ"},
                        compression=zipfile.ZIP_BZIP2)
    assert sorted(d.text for d in load_sources([archive]).documents) == ["tệ", "tốt"]


def test_damaged_zip_member_is_reported(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "bad.zip", {"pos/a.txt": "tốt " * 50, "neg/b.txt": "tệ " * 50},
                        compression=zipfile.ZIP_STORED)
    blob = bytearray(archive.read_bytes())
    blob[blob.index("tốt".encode())] ^= 0x01  # flip a bit inside the first member's data
    archive.write_bytes(bytes(blob))
    with pytest.raises(DataError, match=r"bad\.zip:pos/a\.txt is damaged"):
        load_sources([archive])


def test_split_folders_at_any_depth_and_aliases(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "corpus", {
        "v1/training/pos/1.txt": "a",
        "v1/training/neg/1.txt": "b",
        "v1/dev/pos/2.txt": "c",
        "v1/val/neg/2.txt": "d",
        "extra/test/x/neg/3.txt": "e",
        "README.txt": "not a document",
    })
    dataset = load_sources([root])
    splits = {doc.text: doc.split for doc in dataset.documents}
    assert splits == {"a": "train", "b": "train", "c": "valid", "d": "valid", "e": "test"}
    assert any("left out 1 .txt file" in note and "README.txt" in note
               for note in dataset.sources[0].notes)


def test_unlabelled_folder_is_a_corpus(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "books", {"train/a.txt": "một", "test/b.txt": "hai"})
    dataset = load_sources([root])
    assert {(d.text, d.label, d.split) for d in dataset.documents} == \
        {("một", None, "train"), ("hai", None, "test")}
    assert not dataset.labelled


def test_csv_header_names_multiline_and_split_column(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text(
        'id,Review,Sentiment,set\n'
        '1,"Ngon, rẻ ,\nsẽ quay lại",pos,train\n'
        '2,"Dở ""lắm""",neg,dev\n'
        '\n'
        '3,Bình_thường,neg,test\n'
        '4,Tuyệt,pos,\n',
        encoding="utf-8-sig")
    dataset = load_sources([path])
    docs = by_source(dataset)
    assert docs == {
        "reviews.csv:line 2": ("Ngon, rẻ ,\nsẽ quay lại", "pos", "train"),
        "reviews.csv:line 4": ('Dở "lắm"', "neg", "valid"),
        "reviews.csv:line 6": ("Bình_thường", "neg", "test"),
        "reviews.csv:line 7": ("Tuyệt", "pos", "train"),
    }
    assert dataset.sources[0].kind == "csv"
    assert "text from column 'Review'" in dataset.sources[0].notes[0]


@pytest.mark.parametrize("delimiter", [";", "|", "\t"])
def test_csv_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "data.csv"
    path.write_text(f"label{delimiter}text\npos{delimiter}a, b, c\nneg{delimiter}d, e\n",
                    encoding="utf-8")
    docs = sorted((d.label, d.text) for d in load_sources([path]).documents)
    assert docs == [("neg", "d, e"), ("pos", "a, b, c")]


def test_tsv_utf16_with_named_columns(tmp_path: Path) -> None:
    path = tmp_path / "data.tsv"
    path.write_bytes("nhận_xét\tstars\nrất ngon\t5\nquá tệ\t1\n".encode("utf-16"))
    with pytest.raises(DataError, match="no text column"):
        load_sources([path], DataConfig(text_column=None, label_column=None))
    config = DataConfig(text_column="NHẬN_XÉT", label_column="stars")
    dataset = load_sources([path], config)
    assert sorted((d.text, d.label) for d in dataset.documents) == \
        [("quá tệ", "1"), ("rất ngon", "5")]
    assert dataset.sources[0].kind == "tsv"


def test_named_column_that_does_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("text,label\na,pos\nb,neg\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"no label column named 'stars'.*text, label"):
        load_sources([path], DataConfig(label_column="stars"))


def test_other_encoding_by_option(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("text,label\ncafé crème,pos\nsoupe froide,neg\n".encode("cp1252"))
    with pytest.raises(DataError, match=r"latin\.csv is not valid UTF-8 text at byte offset 14"):
        load_sources([path])
    dataset = load_sources([path], DataConfig(encoding="cp1252"))
    assert "café crème" in {d.text for d in dataset.documents}


def test_jsonl_and_json_array(tmp_path: Path) -> None:
    lines = tmp_path / "data.jsonl"
    lines.write_text(
        json.dumps({"content": "ngon", "label": 1}, ensure_ascii=False) + "\n\n"
        + json.dumps({"content": "dở", "label": 0, "split": "test"}, ensure_ascii=False) + "\n",
        encoding="utf-8")
    assert sorted((d.text, d.label, d.split, d.source) for d in load_sources([lines]).documents) \
        == [("dở", "0", "test", "data.jsonl:line 3"), ("ngon", "1", "train", "data.jsonl:line 1")]
    array = tmp_path / "data.json"
    array.write_text(json.dumps([{"text": "a", "sentiment": "pos"},
                                 {"text": "b", "sentiment": "neg"}]), encoding="utf-8")
    assert [d.source for d in load_sources([array]).documents] == \
        ["data.json:item 1", "data.json:item 2"]


def test_jsonl_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text('{"text": "a", "label": "x"}\n{"text": oops}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"data\.jsonl:line 2 is not valid JSON"):
        load_sources([path])


def test_fasttext_in_txt_file(tmp_path: Path) -> None:
    path = tmp_path / "train.ft.txt"
    path.write_text("__label__pos ngon quá\n__label__neg __label__angry dở tệ\n\n"
                    "__label__neg chán\n", encoding="utf-8")
    dataset = load_sources([path])
    assert [(d.text, d.label, d.split, d.source) for d in dataset.documents] == [
        ("ngon quá", "pos", "train", "train.ft.txt:line 1"),
        ("dở tệ", "neg", "train", "train.ft.txt:line 2"),
        ("chán", "neg", "train", "train.ft.txt:line 4"),
    ]
    assert dataset.sources[0].kind == "fasttext"
    assert any("several labels" in note for note in dataset.sources[0].notes)


def test_fasttext_line_without_label(tmp_path: Path) -> None:
    path = tmp_path / "data.ft"
    path.write_text("__label__pos a\nno label here\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"data\.ft:line 2 has no __label__"):
        load_sources([path])


def test_text_corpus_lines_and_paragraphs(tmp_path: Path) -> None:
    lines = tmp_path / "lines.txt"
    lines.write_text("câu một\n\ufeffcâu hai\n   \ncâu ba\n".replace("\ufeff", ""),
                     encoding="utf-8")
    # A whitespace-only line counts as blank, so this file has paragraphs.
    assert [d.text for d in load_sources([lines]).documents] == ["câu một\ncâu hai", "câu ba"]
    flat = tmp_path / "flat.txt"
    flat.write_text("một\nhai\nba\n", encoding="utf-8")
    dataset = load_sources([flat])
    assert [(d.text, d.label, d.split) for d in dataset.documents] == \
        [("một", None, "train"), ("hai", None, "train"), ("ba", None, "train")]
    assert dataset.sources[0].kind == "text"
    assert "one document per line" in dataset.sources[0].notes[0]


def test_folder_of_data_files_opens_them(tmp_path: Path) -> None:
    write_zip(tmp_path / "data_train.zip", {"data_train/train/pos/1.txt": "a",
                                            "data_train/train/neg/1.txt": "b",
                                            "data_train/test/pos/2.txt": "c",
                                            "data_train/test/neg/2.txt": "d"})
    write_zip(tmp_path / "data_test.zip", {"data_test/test/pos/3.txt": "e",
                                           "data_test/test/neg/3.txt": "f"})
    (tmp_path / "README.md").write_text("about", encoding="utf-8")
    dataset = load_sources([tmp_path])
    assert [s.kind for s in dataset.sources] == ["zip", "zip"]
    assert {d.text: d.split for d in dataset.documents} == \
        {"a": "train", "b": "train", "c": "valid", "d": "valid", "e": "test", "f": "test"}


def test_progress_is_reported_and_cancellable(tmp_path: Path) -> None:
    from lstm_studio.core.errors import Cancelled
    from lstm_studio.core.progress import Progress

    root = write_tree(tmp_path / "d", {f"{label}/{i}.txt": "x" for label in ("a", "b")
                                       for i in range(5)})
    seen: list[tuple[int, int, str]] = []
    load_sources([root], progress=Progress(lambda *a: seen.append(a), min_interval=0))
    assert seen and seen[-1] == (10, 10, "Read d")
    progress = Progress()
    progress.cancel()
    with pytest.raises(Cancelled):
        load_sources([root], progress=progress)


def test_zip_with_windows_separators(tmp_path: Path) -> None:
    path = tmp_path / "win.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("data\\train\\pos\\1.txt"), "tốt")
        archive.writestr(zipfile.ZipInfo("data\\train\\neg\\2.txt"), "tệ")
    assert {(d.label, d.split) for d in load_sources([path]).documents} == \
        {("pos", "train"), ("neg", "train")}


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED,
                                         zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_zip_reader_agrees_with_zipfile(tmp_path: Path, compression: int) -> None:
    """Members inflated by the reader itself (stored, deflate) or through zipfile (bzip2,
    lzma) give exactly the documents zipfile's own reading gives."""
    files = {f"data_train/{rel}": data for rel, data in NTC_LIKE.items()}
    archive = write_zip(tmp_path / "data_train.zip", files, compression)
    documents = {doc.source.split(":", 1)[1]: doc.text
                 for doc in load_sources([archive]).documents}
    with zipfile.ZipFile(archive) as reference:
        expected = {name: decode(reference.read(name), name).strip()
                    for name in reference.namelist()}
    assert documents == expected and len(documents) == 6


def test_zip_with_prepended_bytes(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "inner.zip", {"pos/a.txt": "tốt", "neg/b.txt": "tệ"})
    sfx = tmp_path / "sfx.zip"
    sfx.write_bytes(b"#!/bin/sh\nexit 0\n" + archive.read_bytes())
    assert sorted(d.text for d in load_sources([sfx]).documents) == ["tệ", "tốt"]


def test_readers_and_summary_load_neither_torch_nor_qt() -> None:
    import subprocess
    import sys

    code = ("import sys, lstm_studio.core.readers, lstm_studio.core.summary, "
            "lstm_studio.commands.data\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'PySide6', 'shiboken6', 'pyqtgraph')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
