"""Windows .ico and macOS .icns made from the app's PNG icon, with the standard library only.

Both formats may hold PNG data as-is (ICO since Windows Vista, ICNS types ic07-ic10 since
OS X 10.5), so no image library is needed on the build machine: the PNG bytes are wrapped
in the container's header.
"""

from __future__ import annotations

import struct
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# ICNS element types that hold a PNG of a given edge length.
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09",
              1024: b"ic10"}


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) read from the PNG's IHDR chunk."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def ico_bytes(png: bytes) -> bytes:
    """An ICO file holding one PNG image (an edge of 256 is written as 0, as ICO requires)."""
    width, height = png_size(png)
    if width > 256 or height > 256:
        raise ValueError("an ICO image is at most 256x256 pixels")
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32, len(png), 6 + 16)
    return header + entry + png


def icns_bytes(png: bytes) -> bytes:
    """An ICNS file with one PNG element of the icon's own (square, standard) size."""
    width, height = png_size(png)
    if width != height or width not in ICNS_TYPES:
        raise ValueError(f"an ICNS PNG must be square with an edge in {sorted(ICNS_TYPES)}")
    element = ICNS_TYPES[width] + struct.pack(">I", 8 + len(png)) + png
    return b"icns" + struct.pack(">I", 8 + len(element)) + element


def write_platform_icons(png_path: Path, out_dir: Path) -> dict[str, Path]:
    """Write lstm-studio.ico and lstm-studio.icns into out_dir; returns their paths by suffix."""
    png = Path(png_path).read_bytes()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {"ico": out_dir / "lstm-studio.ico", "icns": out_dir / "lstm-studio.icns"}
    written["ico"].write_bytes(ico_bytes(png))
    written["icns"].write_bytes(icns_bytes(png))
    return written
