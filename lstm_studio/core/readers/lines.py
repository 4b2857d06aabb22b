"""Text files read a line at a time, each line with its number and the byte offset it starts at.

This is what lets the line formats (CSV/TSV, JSON Lines, fastText, text corpora) stream a file
larger than memory and fetch one document again later. Lines are split on the raw bytes
("\\n", "\\r\\n" and a lone "\\r" all end a line, as `decode` has it) and decoded one by one, so
each line's text is exactly what decoding the whole file and splitting it would give, and an
undecodable byte is reported at the same offset. That holds for UTF-8 and every encoding in
which "\\n" and "\\r" are single bytes never found inside another character (cp1258, latin-1,
the double-byte CJK ones). UTF-16/32 and stateful encodings (UTF-7, ISO-2022) cannot be split
before decoding, so those files are read whole (a note says so); their lines carry offset 0
and are found again by line number.

A `.gz` file is decompressed while it is read (never unpacked to disk); a truncated or
damaged stream is a DataError naming the file. Memory: one line at a time, so a file of one
huge line still costs that line (the load's total budget bounds it).
"""

from __future__ import annotations

import codecs
import gzip
import os
import zlib
from collections.abc import Generator
from pathlib import Path
from typing import IO, cast

from lstm_studio.core.errors import DataError
from lstm_studio.core.limits import ReadBudget
from lstm_studio.core.readers.common import decode, decoding_error, text_codec

HEAD_BYTES = 65536  # what the binary and UTF-16 checks look at
_CHUNK = 1 << 20
_WHOLE = ("utf-16", "utf-32", "utf-7", "iso2022", "hz")

Line = tuple[int, int, str]  # (1-based line number, byte offset of its first byte, its text)
Lines = Generator[Line, None, None]


def splittable(codec: str) -> bool:
    """Whether a file in `codec` can be split into lines on its raw bytes."""
    return not codecs.lookup(codec).name.replace("_", "-").startswith(_WHOLE)


class LineFile:
    """A text file (plain or gzip-compressed) that can be read as lines any number of times."""

    def __init__(self, path: Path, encoding: str | None, compressed: bool = False) -> None:
        self.path = path
        self.where = str(path)
        self.encoding = encoding
        self.compressed = compressed
        self.size = 0
        self.done = 0  # raw (compressed) bytes read so far by the current pass
        self.head = self._read_head()
        self.codec, self.skip = text_codec(self.head, encoding)
        self.whole = not splittable(self.codec)
        self.notes = ([f"{self.codec.upper()} text is read whole: it cannot be split into "
                       "lines before it is decoded"] if self.whole else [])

    # --- opening -----------------------------------------------------------------------------
    def _open(self) -> tuple[IO[bytes], IO[bytes]]:
        """(the text's byte stream, the file on disk): the second one tells progress."""
        try:
            # A 1 MB buffer, not the default 8 KB: every read from the disk releases and
            # retakes the GIL, and a waiting thread (the window's) that sees the GIL change
            # hands keeps waiting (CPython's convoy effect), so a line-by-line read with small
            # buffers starved the window for 100-400 ms at a time while loading 200,000
            # reviews; with 1 MB the longest wait is under 10 ms.
            raw = open(self.path, "rb", buffering=_CHUNK)  # noqa: SIM115 (closed by caller)
        except OSError as error:
            raise DataError(f"Cannot read {self.path}: {error.strerror}.") from error
        self.size = os.fstat(raw.fileno()).st_size
        if not self.compressed:
            return raw, raw
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb")), raw

    def _broken(self, error: BaseException) -> DataError:
        if isinstance(error, EOFError):
            return DataError(f"{self.path} is cut short: the gzip stream is truncated.")
        if isinstance(error, (zlib.error, gzip.BadGzipFile)):
            return DataError(f"{self.path} is damaged: it is not a readable gzip stream "
                             f"({error}).")
        strerror = getattr(error, "strerror", None) or str(error)
        return DataError(f"Cannot read {self.path}: {strerror}.")

    def _read_head(self) -> bytes:
        handle, raw = self._open()
        try:
            with raw, handle:
                return handle.read(HEAD_BYTES)
        except (EOFError, zlib.error, OSError) as error:
            raise self._broken(error) from error

    def blank(self) -> bool:
        """True when the file holds nothing but ASCII whitespace (read only as far as needed)."""
        if self.head.strip():
            return False
        if len(self.head) < HEAD_BYTES:
            return True
        handle, raw = self._open()
        try:
            with raw, handle:
                while chunk := handle.read(_CHUNK):
                    if chunk.strip():
                        return False
        except (EOFError, zlib.error, OSError) as error:
            raise self._broken(error) from error
        return True

    def progress(self) -> tuple[int, int]:
        """(bytes read, bytes in the file) on disk, for a progress bar."""
        return self.done, max(self.size, self.done, 1)

    # --- lines -------------------------------------------------------------------------------
    def lines(self, budget: ReadBudget | None = None, offset: int = 0, number: int = 1) -> Lines:
        """The lines from the one starting at byte `offset` (numbered `number`) to the end;
        `budget` is charged for every byte read. Files read whole start at line `number`."""
        handle, raw = self._open()
        try:
            with raw, handle:
                if self.whole:
                    yield from self._whole(handle, budget, number)
                else:
                    yield from self._split(handle, raw, budget, offset, number)
        except (EOFError, zlib.error, OSError) as error:
            raise self._broken(error) from error

    def _split(self, handle: IO[bytes], raw: IO[bytes], budget: ReadBudget | None,
               offset: int, number: int) -> Lines:
        position = max(offset, self.skip)
        if position:
            handle.seek(position)
        readline, codec, where = handle.readline, self.codec, self.where
        named = bool(self.encoding)
        charge = budget.charge if budget is not None else None
        count = 0
        while raw_line := readline():
            size = len(raw_line)
            if charge is not None:
                charge(size, where)
            body = raw_line[:-1] if raw_line[-1:] == b"\n" else raw_line
            if body[-1:] == b"\r":
                body = body[:-1]
            pieces = body.split(b"\r") if b"\r" in body else (body,)
            start = position
            for piece in pieces:
                try:
                    text = piece.decode(codec)
                except UnicodeDecodeError as error:
                    raise decoding_error(error, where, start + error.start, named) from error
                yield number, start, text
                number += 1
                start += len(piece) + 1
            position += size
            count += 1
            if count & 1023 == 0:
                self.done = raw.tell()
        self.done = self.size

    def _whole(self, handle: IO[bytes], budget: ReadBudget | None, number: int) -> Lines:
        data = handle.read()
        if budget is not None:
            budget.charge(len(data), self.where)
        lines = decode(data, self.where, self.encoding).split("\n")
        del data
        if lines and not lines[-1]:
            lines.pop()  # the final line break, as the split reading has it
        for index in range(number - 1, len(lines)):
            yield index + 1, 0, lines[index]
        self.done = self.size
