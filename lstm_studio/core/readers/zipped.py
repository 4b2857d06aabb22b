"""A .zip of a labelled folder tree, read in memory within the input budgets.

Nothing is ever extracted or written: members are only read, so names such as
`../../etc/passwd.txt` or `/abs/path.txt` can do no harm; they are skipped all the same, with a
note, because they cannot come from an honest folder tree. Archives inside the archive are
never opened.

The standard library's `zipfile` reads the central directory (zip64, bytes prepended by
self-extractors, name encodings). A member is then inflated here, straight from a memory map
of the archive, by a `zlib` decompressor told never to produce more than
min(declared size, per-document budget) + 1 bytes, so a member that lies about its size or
hides a 3 GB document costs at most that. Why not `ZipFile.open(...).read(n)` for every
member: it builds a ZipExtFile per member, and on the 50,000 NTC-SCV reviews that doubled the
time of the whole load (0.7 s -> 1.5 s; see docs/limits.md). Methods other than stored and
deflate go through `zipfile`, with the same cap.

Checks, in order, before anything is inflated: the entry count the end record declares (so a
zip of a million empty entries is refused before `zipfile` builds a million objects),
folder depth, then the declared expansion of the members to be read against the archive's
size (the bomb check). While reading: every member's real size against its declaration and
its CRC, and the running total of the load.
"""

from __future__ import annotations

import mmap
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from lstm_studio.core.errors import DataError
from lstm_studio.core.limits import ReadBudget
from lstm_studio.core.readers.common import (
    Located,
    Record,
    SourceRead,
    Tick,
    decode_document,
)
from lstm_studio.core.readers.tree import plan_tree
from lstm_studio.core.wording import plural

_LOCAL_HEADER = b"PK\x03\x04"
_END_RECORD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_END = b"PK\x06\x06"
_CHUNK = 1 << 20  # compressed bytes fed to the decompressor at a time
# Deflate's best case: 258 bytes from about 2 bits, so a stream never expands more than this.
MAX_DEFLATE_RATIO = 1033
_DRIVE = re.compile(r"^[A-Za-z]:")


def _declared_entries(handle: IO[bytes], size: int) -> int | None:
    """The entry count in the end-of-central-directory record (zip64 aware), or None."""
    tail_size = min(size, 65557)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    end = tail.rfind(_END_RECORD)
    if end < 0 or end + 22 > len(tail):
        return None
    count = struct.unpack_from("<H", tail, end + 10)[0]
    locator = end - 20
    if count == 0xFFFF and locator >= 0 and tail[locator:locator + 4] == _ZIP64_LOCATOR:
        offset = struct.unpack_from("<Q", tail, locator + 8)[0]
        handle.seek(min(offset, size))
        record = handle.read(56)
        if len(record) == 56 and record[:4] == _ZIP64_END:
            count = struct.unpack_from("<Q", record, 32)[0]
    return count


def _unsafe(name: str) -> bool:
    """Absolute paths, drive letters and '..' steps: never part of an honest folder tree."""
    return (name[:1] == "/" or (name[1:2] == ":" and bool(_DRIVE.match(name)))
            or (".." in name and ".." in name.split("/")))


def _inflate(view: mmap.mmap | bytes, start: int, end: int, want: int, cap: int
             ) -> tuple[bytes, bool]:
    """At most `want` + 1 inflated bytes (about `cap` at most) of the raw deflate stream in
    view[start:end], and whether the stream ended."""
    if (end - start) * MAX_DEFLATE_RATIO <= cap:
        # It cannot expand past the cap, so one call does it (most reviews take this path);
        # a member holding more than it declares is caught by the caller all the same.
        return zlib.decompress(view[start:end], -15), True
    inflater = zlib.decompressobj(-15)
    parts: list[bytes] = []
    produced = 0
    position = start
    while position < end and produced <= want:
        chunk = view[position:min(end, position + _CHUNK)]
        position += len(chunk)
        out = inflater.decompress(chunk, want + 1 - produced)
        parts.append(out)
        produced += len(out)
        if inflater.eof or inflater.unconsumed_tail:
            break
    return b"".join(parts) if len(parts) != 1 else parts[0], inflater.eof


def _raw_member(view: mmap.mmap | bytes, info: zipfile.ZipInfo, want: int, cap: int,
                where: str) -> tuple[bytes, bool]:
    """Stored or deflated member bytes (at most `want` + 1) and whether the data ended."""
    offset = info.header_offset
    header = view[offset:offset + 30]
    if len(header) < 30 or header[:4] != _LOCAL_HEADER:
        raise DataError(f"{where} is damaged inside the zip (bad local header).")
    name_len, extra_len = struct.unpack_from("<HH", header, 26)
    start = offset + 30 + name_len + extra_len
    end = start + info.compress_size
    if end > len(view):
        raise DataError(f"{where} is cut short: the zip is truncated.")
    if info.compress_type == zipfile.ZIP_STORED:
        return view[start:min(end, start + want + 1)], True
    try:
        return _inflate(view, start, end, want, cap)
    except zlib.error as error:
        raise DataError(f"{where} is damaged inside the zip ({error}).") from error


def _other_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, want: int, where: str
                  ) -> tuple[bytes, bool]:
    """bzip2, lzma...: through zipfile, with the same cap."""
    try:
        with archive.open(info) as member:  # zipfile stops at the declared size by itself
            return member.read(want + 1), True
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, EOFError,
            OSError, ValueError) as error:
        raise DataError(f"{where} cannot be read from the zip ({error}).") from error


def _member(archive: zipfile.ZipFile, view: mmap.mmap | bytes, info: zipfile.ZipInfo,
            where: str, budget: ReadBudget) -> tuple[bytes, bool]:
    """A member's bytes within budget, checked against what the archive declares; returns
    (data, cut) where `cut` says the document was longer than its budget."""
    if info.flag_bits & 0x1:
        raise DataError(f"{where} is encrypted; unzip it with its password first.")
    cap = budget.limits.max_document_bytes
    declared = info.file_size
    want = min(declared, cap)
    if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        data, ended = _raw_member(view, info, want, cap, where)
    else:
        data, ended = _other_member(archive, info, want, where)
    if len(data) > want:
        if declared <= cap:
            raise DataError(f"{where} holds more than the {declared:,} bytes its zip entry "
                            "declares, so the archive is refused.")
        return data[:cap], True
    if len(data) != declared or not ended:
        raise DataError(f"{where} declares {declared:,} bytes but holds {len(data):,}; the zip "
                        "is damaged or lies about its contents.")
    if zlib.crc32(data) != info.CRC:
        raise DataError(f"{where} is damaged inside the zip (checksum mismatch).")
    return data, False


def _open_view(handle: IO[bytes]) -> mmap.mmap | bytes:
    try:
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (ValueError, OSError):  # empty or unmappable file: zipfile has already judged it
        handle.seek(0)
        return handle.read()


@contextmanager
def _opened(path: Path, budget: ReadBudget) -> Iterator[tuple[zipfile.ZipFile, IO[bytes], int]]:
    """The archive, its file and its size, after the entry-count checks."""
    what = f"The zip {path}"
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below)
    except OSError as error:
        raise DataError(f"Cannot read {path}: {error.strerror}.") from error
    with handle:
        size = os.fstat(handle.fileno()).st_size
        declared_count = _declared_entries(handle, size)
        if declared_count is not None:
            budget.check_entries(declared_count, what)
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            raise DataError(f"{path} is not a readable zip archive (damaged or not a zip).") \
                from error
        with archive:
            yield archive, handle, size


def _safe_members(path: Path, archive: zipfile.ZipFile, budget: ReadBudget
                  ) -> tuple[dict[str, zipfile.ZipInfo], list[str]]:
    """Members by their '/'-separated name, and the unsafe names left out."""
    what = f"The zip {path}"
    infos = [info for info in archive.infolist() if not info.is_dir()]
    budget.check_entries(len(infos), what)
    by_name: dict[str, zipfile.ZipInfo] = {}
    unsafe: list[str] = []
    for info in infos:
        # Some Windows tools store "\\" separators; the tree rule wants "/".
        name = info.filename.replace("\\", "/")
        budget.check_depth(name, what)
        if _unsafe(name):
            unsafe.append(name)
        else:
            by_name[name] = info
    return by_name, unsafe


@contextmanager
def _mapped(handle: IO[bytes]) -> Iterator[mmap.mmap | bytes]:
    view = _open_view(handle)
    try:
        yield view
    finally:
        if isinstance(view, mmap.mmap):
            view.close()


class ZipDocuments:
    """A zip of a folder tree as a stream of located documents, one member at a time
    (member = its '/'-separated name inside the archive)."""

    kind = "zip"

    def __init__(self, path: Path, encoding: str | None, budget: ReadBudget) -> None:
        self.path, self.encoding, self.budget = path, encoding, budget
        self.notes: list[str] = []
        self._done = (0, 1)

    def progress(self) -> tuple[int, int]:
        return self._done

    def __iter__(self) -> Iterator[Located]:
        path, budget, encoding = self.path, self.budget, self.encoding
        what = f"The zip {path}"
        with _opened(path, budget) as (archive, handle, size):
            by_name, unsafe = _safe_members(path, archive, budget)
            plan = plan_tree(list(by_name), strip_wrapper=True)
            notes = list(plan.notes)
            if unsafe:
                notes.append(f"skipped {len(unsafe)} member(s) with an absolute or '..' path "
                             f"(e.g. {min(unsafe)}); nothing is ever extracted from an archive")
            if not plan.entries:
                found = (f" (it holds {plural(len(plan.other_files), 'other file')})"
                         if plan.other_files else "")
                raise DataError(f"The zip {path} contains no .txt files{found}.")
            self.notes = notes
            members = [by_name[name] for name, _label, _split in plan.entries]
            budget.check_expansion(sum(info.file_size for info in members), size, what)
            cap = budget.limits.max_document_bytes
            budget.check_file(sum(min(info.file_size, cap) for info in members), what,
                              verb="would expand to")
            total = len(members)
            with _mapped(handle) as view:
                for index, ((name, label, split), info) in enumerate(zip(plan.entries, members,
                                                                         strict=True)):
                    where = f"{path.name}:{name}"
                    data, cut = _member(archive, view, info, where, budget)
                    budget.took(data, cut, where)
                    yield (decode_document(data, where, encoding, cut), label, split, where,
                           name, 0, 0)
                    self._done = (index + 1, total)

    def fetch(self, member: str, budget: ReadBudget) -> str:
        """One member's text again (the per-document cap and the integrity checks apply)."""
        where = f"{self.path.name}:{member}"
        with _opened(self.path, budget) as (archive, handle, _size):
            info = _safe_members(self.path, archive, budget)[0].get(member)
            if info is None:
                raise DataError(f"{where} is no longer in the zip; read it again.")
            with _mapped(handle) as view:
                data, cut = _member(archive, view, info, where, budget)
        return decode_document(data, where, self.encoding, cut)


def read_zip(path: Path, encoding: str | None, tick: Tick,
             budget: ReadBudget | None = None) -> SourceRead:
    """The whole zip at once (the benchmarks compare readers through this)."""
    documents = ZipDocuments(path, encoding, budget or ReadBudget())
    records: list[Record] = []
    for index, located in enumerate(documents):
        records.append(located[:4])
        if index % 2000 == 0:
            tick(*documents.progress())
    return SourceRead(kind="zip", records=records, notes=documents.notes)
