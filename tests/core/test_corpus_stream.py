"""Streaming readers: the same documents as the loader, positions that fetch them again,
bounded memory, and clear refusals of truncated, corrupt or changing sources."""

from __future__ import annotations

import codecs
import gzip
import json
import os
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from lstm_studio.core.config import DataConfig
from lstm_studio.core.corpus.stream import fetch_text, stream_source
from lstm_studio.core.errors import DataError
from lstm_studio.core.limits import MB, InputLimits, ReadBudget
from lstm_studio.core.readers.common import decode
from lstm_studio.core.readers.lines import LineFile
from lstm_studio.core.readers.loader import _read

NTC_SCV = Path("/work/shared/data/ntc-scv")

CSV = ('review,label,split\n"Ngon quá, sẽ quay lại",pos,train\r\n'
       '"Chờ lâu\nquá, ""dở""",neg,test\n\n"Phở\r\nngon",pos,\n')
JSONL = ('\n{"text": "Đồ ăn ngon", "label": "pos"}\n   \n{"review": " dở ", "sentiment": 0, '
         '"split": "dev"}\r\n{"text": "vừa", "label": true}')
FILES: dict[str, bytes] = {
    "reviews.csv": CSV.encode(),
    "bom.csv": codecs.BOM_UTF8 + CSV.encode(),
    "reviews.tsv": "text\tlabel\nngon\tpos\n\"dở\nlắm\"\tneg\n".encode(),
    "utf16.tsv": "nhận_xét\tlabel\nrất ngon\t5\nquá tệ\t1\n".encode("utf-16"),
    "reviews.jsonl": JSONL.encode(),
    "bom.jsonl": codecs.BOM_UTF8 + JSONL.encode(),
    "array.json": b'[{"text": "a", "label": "x"},\n {"text": "b c", "label": "y"}]',
    "labels.txt": b"__label__pos ngon qu\xc3\xa1\n\n__label__neg __label__bad d\xe1\xbb\x9f\r\n",
    "labels.ft": b"__label__a one\r__label__b two\r",
    "lines.txt": "một câu\r\nhai câu\n   \u3000\nba câu".encode(),
    "paragraphs.txt": b"  \nfirst para\nstill first\n\n\n \t\nsecond\rthird line\n\n\n",
    "cp1258.csv": "text,label\nngon qu\u00e1,pos\nd\u00e0i,neg\n".encode("cp1258"),
}
TREE = {
    "train/pos/1.txt": "Ngon quá\n", "train/neg/2.txt": b"\xef\xbb\xbfD\xe1\xbb\x9f\r\n",
    "test/pos/3.txt": "Quán sạch\n".encode("utf-16"), "README.md": "not a document",
}


def config_for(name: str) -> DataConfig:
    return DataConfig(encoding="cp1258" if name.startswith("cp1258") else None,
                      text_column="nhận_xét" if name.startswith("utf16") else None)


def make(tmp_path: Path, name: str) -> Path:
    if name == "folder":
        for rel, content in TREE.items():
            path = tmp_path / "tree" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode() if isinstance(content, str) else content)
        return tmp_path / "tree"
    if name == "zip":
        path = tmp_path / "data.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for rel, content in TREE.items():
                archive.writestr("wrapper/" + rel, content)
        return path
    path = tmp_path / name
    path.write_bytes(FILES[name])
    return path


def records(stream) -> list[tuple[str, str | None, str | None, str]]:
    return [(r.text, r.label, r.split, r.where) for r in stream]


@pytest.mark.parametrize("name", [*FILES, "folder", "zip"])
def test_stream_equals_the_loader_and_fetches_every_document(tmp_path: Path, name: str) -> None:
    path = make(tmp_path, name)
    config = config_for(name)
    stream = stream_source(path, config, ReadBudget())
    streamed = list(stream)
    whole = _read(path, config, lambda done, total: None, ReadBudget())
    assert [(r.text, r.label, r.split, r.where) for r in streamed] == whole.records
    assert (stream.kind, stream.notes) == (whole.kind, whole.notes)
    assert streamed, name
    for record in streamed:
        assert Path(record.position.source).is_absolute()
        assert fetch_text(record.position, config) == record.text, record.where


@pytest.mark.parametrize("data", [
    b"a\r\nb\rc\n\nd", b"\xef\xbb\xbfx\r\r\ny\r", b"", b"\n\n", b"one line", "é\nü\r\n".encode(),
])
def test_lines_split_as_decoding_the_whole_file_does(tmp_path: Path, data: bytes) -> None:
    """The old readers decoded the whole file and split it on "\\n"; lines must agree, and
    each offset must point at its line's bytes."""
    path = tmp_path / "f.txt"
    path.write_bytes(data)
    lines = list(LineFile(path, None).lines())
    expected = decode(data, "f").split("\n")
    if expected and not expected[-1]:
        expected.pop()
    assert [text for _n, _o, text in lines] == expected
    assert [number for number, _o, _t in lines] == list(range(1, len(lines) + 1))
    for _number, offset, text in lines:
        assert data[offset:offset + len(text.encode())].decode() == text


def test_positions_of_multi_line_rows_and_paragraphs(tmp_path: Path) -> None:
    streamed = list(stream_source(make(tmp_path, "reviews.csv"), DataConfig(), ReadBudget()))
    second = streamed[1]
    assert second.text == 'Chờ lâu\nquá, "dở"' and second.position.line == 3
    assert CSV.encode()[second.position.offset:].startswith('"Chờ lâu'.encode())
    assert streamed[2].position.line == 6 and streamed[2].text == "Phở\nngon"
    paragraphs = list(stream_source(make(tmp_path, "paragraphs.txt"), DataConfig(),
                                    ReadBudget()))
    assert [(r.text, r.position.line) for r in paragraphs] == [
        ("first para\nstill first", 2), ("second\nthird line", 7)]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_gzip_line_files_stream_like_the_plain_file(tmp_path: Path, suffix: str) -> None:
    plain = make(tmp_path, "reviews" + suffix)
    packed = tmp_path / f"packed{suffix}.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    stream = stream_source(packed, DataConfig(), ReadBudget())
    streamed = list(stream)
    expected = list(stream_source(plain, DataConfig(), ReadBudget()))
    assert [(r.text, r.label, r.split) for r in streamed] == \
        [(r.text, r.label, r.split) for r in expected]
    assert stream.kind == ("jsonl" if suffix == ".jsonl" else "csv")
    assert any("gzip" in note for note in stream.notes)
    assert [fetch_text(r.position, DataConfig()) for r in streamed] == [r.text for r in streamed]
    with pytest.raises(DataError, match="gzip archive"):  # the whole-file loader refuses it
        _read(packed, DataConfig(), lambda done, total: None, ReadBudget())


@pytest.mark.timeout(60)
def test_a_50_mb_jsonl_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    line = json.dumps({"text": "Đồ ăn ngon, phục vụ nhiệt tình " * 8, "label": "pos"}) + "\n"
    block = line.encode() * 2000
    with open(path, "wb") as handle:
        while handle.tell() < 50 * MB:
            handle.write(block)
    tracemalloc.start()
    try:
        count = sum(1 for _ in stream_source(path, DataConfig(), ReadBudget()).located())
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == os.path.getsize(path) // len(line.encode())
    assert peak < 20 * MB, f"peak {peak / MB:.1f} MB"


def _consume(path: Path, config: DataConfig | None = None) -> list:
    return list(stream_source(path, config or DataConfig(), ReadBudget()))


def test_truncated_and_corrupt_gzip_name_the_file(tmp_path: Path) -> None:
    data = gzip.compress(("\n".join(json.dumps({"text": f"doc {i} " * 50, "label": "a"})
                                    for i in range(2000))).encode())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(DataError, match=r"cut\.jsonl\.gz is cut short"):
        _consume(cut)
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(data[:40] + bytes(200) + data[240:])
    with pytest.raises(DataError, match=r"bad\.jsonl\.gz"):
        _consume(bad)


def test_truncated_and_corrupt_zip_name_the_file(tmp_path: Path) -> None:
    path = make(tmp_path, "zip")
    data = path.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[:len(data) - 30])
    with pytest.raises(DataError, match=r"cut\.zip is not a readable zip"):
        _consume(cut)
    damaged = tmp_path / "damaged.zip"
    start = data.index(b"wrapper/train/pos/1.txt") + len("wrapper/train/pos/1.txt")
    damaged.write_bytes(data[:start] + bytes(len(b"Ngon qu")) + data[start + 7:])
    with pytest.raises(DataError, match=r"damaged\.zip:wrapper/train/pos/1\.txt is damaged"):
        _consume(damaged)


def _grow(path: Path) -> None:
    with open(path, "ab") as handle:
        handle.write(b'\n{"text": "added", "label": "pos"}\n')
    info = os.stat(path)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))


@pytest.mark.parametrize("touch", [_grow])
def test_a_source_that_changes_while_read_is_refused_at_the_end(
        tmp_path: Path, touch: Callable[[Path], None]) -> None:
    path = make(tmp_path, "reviews.jsonl")
    stream = iter(stream_source(path, DataConfig(), ReadBudget()))
    next(stream)
    touch(path)
    with pytest.raises(DataError, match="changed while it was being read; read it again"):
        list(stream)


def test_invalid_json_line_says_what_the_loader_says(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok", "label": "a"}\n{"text": "oops"\n')
    with pytest.raises(DataError, match=r"bad\.jsonl:line 2 is not valid JSON"):
        _consume(path)


@pytest.mark.parametrize("name", ["reviews.jsonl", "labels.txt", "zip"])
def test_documents_over_the_cap_are_cut_and_counted(tmp_path: Path, name: str) -> None:
    path = make(tmp_path, name)
    config = DataConfig(limits=InputLimits(max_document_bytes=4))
    budget = ReadBudget(config.limits)
    streamed = list(stream_source(path, config, budget))
    assert all(len(r.text.encode()) <= 4 for r in streamed)
    note = budget.take_cut_note()
    assert note is not None and "cut to" in note
    assert [fetch_text(r.position, config) for r in streamed] == [r.text for r in streamed]


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.skipif(not NTC_SCV.is_dir(), reason="NTC-SCV data not present")
def test_ntc_scv_zips_stream_as_the_loader_reads_them() -> None:
    for path in sorted(NTC_SCV.glob("*.zip")):
        stream = stream_source(path, DataConfig(), ReadBudget())
        streamed = list(stream)
        whole = _read(path, DataConfig(), lambda done, total: None, ReadBudget())
        assert [(r.text, r.label, r.split, r.where) for r in streamed] == whole.records
        assert (stream.kind, stream.notes) == (whole.kind, whole.notes)
        for record in streamed[::5000]:
            assert fetch_text(record.position, DataConfig()) == record.text
