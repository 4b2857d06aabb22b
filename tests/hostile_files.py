"""Hostile inputs built on the fly for the adversarial tests and bench/bench_bomb.py (no test
here). Everything is written under a folder the caller owns (tmp_path), quickly: a 3 GB
document compresses to 3 MB by deflating one repeated megabyte once and repeating its bytes.
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

MIB = 1 << 20
GIB = 1 << 30

# A child program that runs `lstm-studio ARGS…` and prints its own peak resident memory.
# The peak is the address space's high-water mark (VmHWM), not getrusage's ru_maxrss: Linux
# carries ru_maxrss across exec, so a child started by a big parent (pytest after the slow
# suite, ~520 MB) reports the parent's peak instead of its own.
PEAK_MEASURING_CLI = (
    "import resource, sys\n"
    "from lstm_studio.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "try:\n"
    "    with open('/proc/self/status') as status:\n"
    "        peak = next(int(line.split()[1]) for line in status if line.startswith('VmHWM:'))\n"
    "except (OSError, StopIteration):\n"
    "    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "print('peak-kib', peak, file=sys.stderr)\n"
    "sys.exit(code)\n")


def peak_kib(stderr: str) -> int:
    """The peak the PEAK_MEASURING_CLI child printed last on its standard error, in KiB."""
    return int(stderr.rsplit("peak-kib", 1)[1].split()[0])


def _deflate_repeated(fill: bytes, size: int) -> tuple[bytes, int]:
    """A raw deflate stream of `size` bytes of `fill` repeated, and its CRC-32.

    A full flush resets the compressor's dictionary, so every further megabyte of the same
    input compresses to exactly the same bytes: compress it once, repeat the result.
    """
    unit = (fill * (MIB // len(fill) + 1))[:MIB]
    whole, rest = divmod(size, MIB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(unit) + compressor.flush(zlib.Z_FULL_FLUSH)
    parts = [block * whole]
    crc = 0
    for _ in range(whole):
        crc = zlib.crc32(unit, crc)
    if rest:
        parts.append(compressor.compress(unit[:rest]))
        crc = zlib.crc32(unit[:rest], crc)
    parts.append(compressor.flush(zlib.Z_FINISH))
    return b"".join(parts), crc


def write_raw_zip(path: Path, members: list[tuple[str, bytes, int, int, int]]) -> Path:
    """A zip from already-compressed members: (name, deflate data, CRC, size, declared size).

    The declared size goes in both headers, so a member can lie about what it holds. Zip64
    records are written when a size needs them.
    """
    local_parts: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, data, crc, _size, declared in members:
        raw_name = name.encode("utf-8")
        big = declared >= 0xFFFFFFFF or len(data) >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, declared, len(data)) if big else b""
        sizes = (0xFFFFFFFF, 0xFFFFFFFF) if big else (len(data), declared)
        version = 45 if big else 20
        local = struct.pack("<4s5H3L2H", b"PK\x03\x04", version, 0x800, 8, 0, 0, crc,
                            *sizes, len(raw_name), len(extra)) + raw_name + extra
        local_parts.append(local + data)
        central_extra = (struct.pack("<HHQQQ", 1, 24, declared, len(data), offset) if big
                         else b"")
        central.append(struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", version, version, 0x800, 8, 0, 0, crc, *sizes,
            len(raw_name), len(central_extra), 0, 0, 0, 0,
            0xFFFFFFFF if big else offset) + raw_name + central_extra)
        offset += len(local) + len(data)
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(directory), offset, 0)
    with open(path, "wb") as handle:
        handle.writelines(local_parts)
        handle.write(directory)
        handle.write(end)
    return path


def write_bomb(path: Path, size: int = 3 * GIB, declared: int | None = None,
               member: str = "data/train/pos/1.txt") -> Path:
    """The issue's bomb: one document of `size` repeated letters (3 GB -> about 3 MB), next
    to one honest review so the archive looks like a dataset."""
    data, crc = _deflate_repeated(b"a", size)
    honest = "Món này ngon lắm".encode()
    members = [(member, data, crc, size, size if declared is None else declared)]
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    small = compressor.compress(honest) + compressor.flush()
    members.append(("data/train/neg/2.txt", small, zlib.crc32(honest), len(honest),
                    len(honest)))
    return write_raw_zip(path, members)


def write_declared_entries(path: Path, count: int) -> Path:
    """A tiny zip whose end record declares `count` entries (zip64 when needed)."""
    if count < 0xFFFF:
        end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, 0, 0, 0)
        path.write_bytes(end)
        return path
    record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, 0, 0)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, 0, 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                      0xFFFFFFFF, 0)
    path.write_bytes(record + locator + end)
    return path


def write_zip(path: Path, files: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode("utf-8") if isinstance(content, str)
                             else content)
    return path


def rewrite_safetensors_header(source: Path, target: Path, edit) -> Path:
    """Copy a model file with its JSON header changed by `edit(header) -> header`."""
    data = source.read_bytes()
    size = int.from_bytes(data[:8], "little")
    header = edit(json.loads(data[8:8 + size]))
    raw = json.dumps(header).encode("utf-8")
    target.write_bytes(len(raw).to_bytes(8, "little") + raw + data[8 + size:])
    return target


def edit_payload(header: dict, change) -> dict:
    """Apply `change(payload)` to the JSON payload in a model file's metadata."""
    payload = json.loads(header["__metadata__"]["payload"])
    change(payload)
    header["__metadata__"]["payload"] = json.dumps(payload)
    return header
