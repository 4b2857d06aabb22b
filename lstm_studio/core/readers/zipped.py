"""A .zip of a labelled folder tree, read in memory without extracting anything.

Speed matters here (50,000 NTC-SCV reviews should load in well under 3 s), so the archive is
read into memory once, its central directory is parsed with one struct per entry, and each
stored or deflated member is inflated straight from its slice of those bytes with zlib, with
its CRC checked. That skips building a ZipInfo and a ZipExtFile per member, which was half of
the loading time. Anything unusual (zip64, other compression methods, a damaged directory) falls
back to `zipfile`, which stays the reference for correctness.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

from lstm_studio.core.errors import DataError
from lstm_studio.core.readers.common import Record, SourceRead, Tick, decode_document
from lstm_studio.core.readers.tree import plan_tree
from lstm_studio.core.wording import plural

# (name, compression method, flag bits, CRC-32, compressed size, local header offset)
Member = tuple[str, int, int, int, int, int]

_LOCAL_HEADER = b"PK\x03\x04"
_CENTRAL_HEADER = b"PK\x01\x02"
_END_RECORD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_END = struct.Struct("<4s4H2LH")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_FAST_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def _central_directory(blob: bytes) -> list[Member] | None:
    """The members listed in the central directory, or None to let zipfile handle it."""
    end = blob.rfind(_END_RECORD, max(0, len(blob) - 65557))
    if end < 0 or end + _END.size > len(blob):
        return None
    _, disk, cd_disk, on_disk, count, cd_size, cd_offset, _ = _END.unpack_from(blob, end)
    if disk or cd_disk or on_disk != count or count == 0xFFFF or \
            0xFFFFFFFF in (cd_size, cd_offset) or blob[end - 20:end - 16] == _ZIP64_LOCATOR:
        return None
    concat = end - cd_size - cd_offset  # bytes prepended to the archive (self-extractors)
    if concat < 0:
        return None
    members: list[Member] = []
    position = cd_offset + concat
    unpack = _CENTRAL.unpack_from
    for _ in range(count):
        if blob[position:position + 4] != _CENTRAL_HEADER:
            return None
        (_, _, _, flags, method, _, _, crc, csize, usize, name_len, extra_len, comment_len,
         _, _, _, offset) = unpack(blob, position)
        if 0xFFFFFFFF in (csize, usize, offset):
            return None
        raw = blob[position + 46:position + 46 + name_len]
        name = raw.decode("utf-8" if flags & 0x800 else "cp437")
        position += 46 + name_len + extra_len + comment_len
        if not name.endswith(("/", "\\")):
            members.append((name, method, flags, crc, csize, offset + concat))
    return members


def _members_via_zipfile(blob: bytes, path: Path) -> list[Member]:
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            return [(i.filename, i.compress_type, i.flag_bits, i.CRC, i.compress_size,
                     i.header_offset) for i in archive.infolist() if not i.is_dir()]
    except zipfile.BadZipFile as error:
        raise DataError(f"{path} is not a readable zip archive (damaged or not a zip).") \
            from error


def _slow_read(blob: bytes, member: Member, where: str) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            return archive.read(member[0])
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, KeyError, zlib.error,
            EOFError, OSError) as error:
        raise DataError(f"{where} cannot be read from the zip ({error}).") from error


def _member_bytes(blob: bytes, member: Member, where: str) -> bytes:
    _name, method, flags, crc, csize, offset = member
    if flags & 0x1:
        raise DataError(f"{where} is encrypted; unzip it with its password first.")
    if method not in _FAST_METHODS or blob[offset:offset + 4] != _LOCAL_HEADER:
        return _slow_read(blob, member, where)
    name_len, extra_len = struct.unpack_from("<HH", blob, offset + 26)
    start = offset + 30 + name_len + extra_len
    raw = blob[start:start + csize]
    try:
        data = zlib.decompress(raw, -15) if method == zipfile.ZIP_DEFLATED else raw
    except zlib.error as error:
        raise DataError(f"{where} is damaged inside the zip ({error}).") from error
    if zlib.crc32(data) != crc:
        raise DataError(f"{where} is damaged inside the zip (checksum mismatch).")
    return data


def read_zip(path: Path, encoding: str | None, tick: Tick) -> SourceRead:
    try:
        blob = path.read_bytes()
    except OSError as error:
        raise DataError(f"Cannot read {path}: {error.strerror}.") from error
    members = _central_directory(blob)
    if members is None:
        members = _members_via_zipfile(blob, path)
    # Some Windows tools store "\\" separators; the tree rule wants "/".
    by_name = {member[0].replace("\\", "/"): member for member in members}
    plan = plan_tree(list(by_name), strip_wrapper=True)
    if not plan.entries:
        found = (f" (it holds {plural(len(plan.other_files), 'other file')})"
                 if plan.other_files else "")
        raise DataError(f"The zip {path} contains no .txt files{found}.")
    records: list[Record] = []
    total = len(plan.entries)
    for index, (name, label, split) in enumerate(plan.entries):
        where = f"{path.name}:{name}"
        data = _member_bytes(blob, by_name[name], where)
        records.append((decode_document(data, where, encoding), label, split, where))
        if index % 2000 == 0:
            tick(index, total)
    return SourceRead(kind="zip", records=records, notes=list(plan.notes))
