"""What every reader shares: decoding bytes, spotting binary files, naming splits and columns.

Readers return `SourceRead`: plain tuples rather than Document objects, so the loader builds each
Document exactly once after the split rule has run. Decoding is done here, once per file, and
every failure becomes a DataError naming the file (or zip member) and the byte offset.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass, field

from lstm_studio.core.errors import DataError

# (text, label, split or None when the source does not say, source identifier)
Record = tuple[str, "str | None", "str | None", str]
# A Record and where it lives, so it can be read again: + (member or None, byte offset, line).
Located = tuple[str, "str | None", "str | None", str, "str | None", int, int]
Tick = Callable[[int, int], None]

# File extensions and the reader each one goes to (a `.gz` suffix before them is unwrapped by
# the streaming readers).
FILE_KINDS: dict[str, str] = {
    ".zip": "zip",
    ".csv": "table",
    ".tsv": "table",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".txt": "text",
    ".ft": "fasttext",
    ".fasttext": "fasttext",
}
SUPPORTED = "a folder, .zip, .csv, .tsv, .jsonl, .json or .txt (plain or fastText)"

# Folder names, column values and file-name words that name a split, mapped to SPLITS.
SPLIT_ALIASES: dict[str, str] = {
    "train": "train",
    "training": "train",
    "valid": "valid",
    "val": "valid",
    "dev": "valid",
    "validation": "valid",
    "test": "test",
    "testing": "test",
}

TEXT_COLUMNS: tuple[str, ...] = (
    "text", "review", "content", "sentence", "comment", "document", "body", "message", "tweet",
)
LABEL_COLUMNS: tuple[str, ...] = (
    "label", "sentiment", "class", "category", "target", "polarity", "labels",
)
SPLIT_COLUMNS: tuple[str, ...] = ("split", "set", "subset", "partition", "fold")

# Leading bytes of files people drop by mistake; NUL bytes catch most of the rest.
BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a zip archive or Office document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ", "an xz archive"),
    (b"7z\xbc\xaf", "a 7-zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
    (b"SQLite format 3", "an SQLite database"),
    (b"\x80\x02", "a Python pickle"),
    (b"\x80\x04", "a Python pickle"),
    (b"\x93NUMPY", "a NumPy array"),
    (b"ID3", "an MP3 file"),
    (b"OggS", "an Ogg media file"),
    (b"RIFF", "a media file"),
)

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SIGNATURES = tuple(signature for signature, _ in BINARY_SIGNATURES)


@dataclass
class SourceRead:
    """What one reader found in one source, before splits are decided."""

    kind: str
    records: list[Record]
    notes: list[str] = field(default_factory=list)


def split_alias(name: str) -> str | None:
    """The canonical split a folder/column/file-name word stands for, or None."""
    return SPLIT_ALIASES.get(name.strip().lower())


def _looks_binary(head: bytes, encoding: str | None) -> bool:
    """NUL bytes, or (for UTF-8 input) bytes that are not UTF-8 well before the sample's end."""
    if b"\x00" in head:
        return True
    if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
        return False
    try:
        head[:4096].decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start < min(len(head), 4096) - 3
    return False


def binary_kind(data: bytes, encoding: str | None = None) -> str | None:
    """Say what a binary file looks like ('a PNG image'), or None when it may be text.

    Signatures made of printable letters ('%PDF', 'MZ') only count when the bytes also look
    binary, so a review that starts with "MZ" stays text. UTF-16/32 text legitimately contains
    NUL bytes, so a UTF-16 BOM or an explicit UTF-16/32 encoding disables the NUL test.
    """
    head = data[:65536]
    wide = data.startswith(_UTF16_BOMS) or bool(
        encoding
        and encoding.lower().replace("-", "").replace("_", "").startswith(("utf16", "utf32"))
    )
    for signature, what in BINARY_SIGNATURES:
        if data.startswith(signature):
            if not signature.isascii() or not signature.decode("ascii").isprintable():
                return what
            if not wide and _looks_binary(head, encoding):
                return what
    if not wide and b"\x00" in head:
        return "a binary file (it contains NUL bytes)"
    return None


def bomless_utf16(data: bytes, encoding: str | None = None) -> str | None:
    """'utf-16-le' or 'utf-16-be' when the bytes read like UTF-16 text saved without a
    byte-order mark (the NUL high bytes of ASCII letters all on one side), else None."""
    if encoding or data.startswith(_UTF16_BOMS):
        return None
    head = data[:4096]
    head = head[:len(head) - len(head) % 2]
    if len(head) < 4:
        return None
    pairs = len(head) // 2
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd >= 0.3 * pairs and even <= 0.02 * pairs:
        return "utf-16-le"
    if even >= 0.3 * pairs and odd <= 0.02 * pairs:
        return "utf-16-be"
    return None


def refuse_binary(data: bytes, where: str, encoding: str | None, noun: str) -> None:
    """DataError when `data` is not text: a named binary format, or UTF-16 without a BOM
    (which only needs its encoding named)."""
    wide = bomless_utf16(data, encoding)
    if wide:
        raise DataError(f"{where} looks like UTF-16 text without a byte-order mark; open it "
                        f"with --encoding {wide}.")
    what = binary_kind(data, encoding)
    if what:
        raise DataError(f"{where} is {what}, not {noun}.")


def text_codec(head: bytes, encoding: str | None) -> tuple[str, int]:
    """(codec, bytes of byte-order mark to skip) for a file starting with `head`: the given
    encoding, else UTF-8 (BOM optional) or UTF-16 by its BOM (the codec consumes that BOM)."""
    if encoding:
        try:
            if not getattr(codecs.lookup(encoding), "_is_text_encoding", True):  # base64...
                raise LookupError(encoding)
        except LookupError as error:
            raise DataError(f"Unknown text encoding '{encoding}' (try utf-8, utf-16 or "
                            "cp1258).") from error
        lowered = encoding.lower().replace("_", "-")
        skip = 3 if lowered in ("utf-8", "utf8") and head.startswith(codecs.BOM_UTF8) else 0
        return encoding, skip
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith(_UTF16_BOMS):
        return "utf-16", 0
    return "utf-8", 0


def decoding_error(error: UnicodeDecodeError, where: str, offset: int,
                   named: bool) -> DataError:
    """The message for an undecodable byte at `offset` (counted from the file's start)."""
    hint = "" if named else "; if it uses another encoding, name it (e.g. --encoding cp1258)"
    return DataError(f"{where} is not valid {error.encoding.upper()} text at byte offset "
                     f"{offset}{hint}.")


def decode(data: bytes, where: str, encoding: str | None = None, partial: bool = False) -> str:
    """Bytes to text with the codec `text_codec` picks.

    Line endings become "\\n". An undecodable byte raises DataError with its offset in the file.
    `partial` says the bytes were cut at a budget, so a character split by the cut at the very
    end is dropped instead of reported.
    """
    codec, skip = text_codec(data, encoding)
    body = data[skip:] if skip else data
    try:
        text = (codecs.getincrementaldecoder(codec)().decode(body, final=False) if partial
                else body.decode(codec))
    except UnicodeDecodeError as error:
        raise decoding_error(error, where, error.start + skip, bool(encoding)) from error
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def decode_document(data: bytes, where: str, encoding: str | None,
                    partial: bool = False) -> str:
    """One file = one document: refuse binary content, decode, trim surrounding whitespace."""
    # Two C-level scans first: almost every document skips the binary checks altogether.
    if b"\x00" in data or data.startswith(_SIGNATURES):
        refuse_binary(data, where, encoding, "a text document")
    return decode(data, where, encoding, partial).strip()


def find_column(names: list[str], wanted: str | None, candidates: tuple[str, ...],
                where: str, role: str) -> int | None:
    """Index of the column the user named, else of the first header matching `candidates`."""
    lowered = [name.strip().lstrip("\ufeff").lower() for name in names]
    if wanted:
        key = wanted.strip().lower()
        if key in lowered:
            return lowered.index(key)
        raise DataError(
            f"{where} has no {role} column named '{wanted}'; its columns are: "
            f"{', '.join(names) or '(none)'}."
        )
    for candidate in candidates:
        if candidate in lowered:
            return lowered.index(candidate)
    return None


def clean_label(value: object) -> str | None:
    """Labels are non-empty strings; numbers and booleans become their text."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = str(value).lower()
    text = str(value).strip()
    return text or None
