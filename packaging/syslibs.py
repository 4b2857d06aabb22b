"""Which shared libraries a built Linux bundle still takes from the system.

Every ELF file in the bundle is resolved with `ldd` the way the bootloader runs it
(LD_LIBRARY_PATH = the bundle's _internal folder). Whatever resolves outside the bundle, or
not at all, is what a bare system must provide. The answer is meant to be short: the C
library, the GL/EGL stack (it has to match the machine's drivers) and the X11 connection
library; fonts and their fontconfig configuration are data, not libraries.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

# Libraries a frozen Qt app may expect from any desktop system: the C library, zlib (the
# bootloader's, from a package every distribution installs), GL/EGL, X11's libxcb.
ALLOWED_SYSTEM_LIBS = re.compile(
    r"^(linux-vdso|ld-linux[-\w]*|libc|libm|libdl|libpthread|librt|libutil|libresolv|libz"
    r"|libGL|libEGL|libOpenGL|libGLX\w*|libGLdispatch|libdrm|libgbm"
    r"|libxcb|libxcb-dri\d|libxcb-glx|libwayland-\w+)\.so[.\d]*$"
)
LDD_LINE = re.compile(r"^\s*(\S+)\s*(?:=>\s*(not found|\S+))?")
GLIBC_SYMBOL = re.compile(r"\bGLIBC_(\d+\.\d+(?:\.\d+)?)\b")


def elf_files(bundle: Path) -> list[Path]:
    found = []
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def system_libraries(bundle: Path) -> dict[str, set[str]]:
    """{library outside the bundle (or "name (not found)"): the bundle files that need it}."""
    bundle = bundle.resolve()
    internal = bundle / "_internal"
    inside = dict(os.environ, LD_LIBRARY_PATH=str(internal if internal.is_dir() else bundle))
    # The bootloader itself starts before it sets LD_LIBRARY_PATH for the rest.
    outside = {key: value for key, value in os.environ.items() if key != "LD_LIBRARY_PATH"}
    needs: dict[str, set[str]] = {}
    for path in elf_files(bundle):
        env = outside if path.parent == bundle else inside
        result = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env,
                                check=False)
        if "not a dynamic executable" in result.stdout + result.stderr:
            continue
        for line in result.stdout.splitlines():
            match = LDD_LINE.match(line)
            if not match or "statically linked" in line:
                continue
            name, target = match.group(1), match.group(2)
            if target == "not found":
                key = f"{name} (not found)"
            elif target and target.startswith("/") and not Path(target).resolve().is_relative_to(
                    bundle):
                key = name
            elif target is None and name.startswith("/"):
                key = Path(name).name  # the dynamic loader itself
            else:
                continue
            needs.setdefault(key, set()).add(str(path.relative_to(bundle)))
    return needs


def unexpected(needs: dict[str, set[str]]) -> dict[str, set[str]]:
    """The system libraries beyond the GL/X11/C-library set a bare desktop provides."""
    return {name: users for name, users in needs.items() if not ALLOWED_SYSTEM_LIBS.match(name)}


def glibc_requirement(bundle: Path) -> str | None:
    """The newest GLIBC symbol version any file in the bundle needs, e.g. "2.34" (via objdump)."""
    if not shutil.which("objdump"):
        return None
    versions: set[tuple[int, ...]] = set()
    for path in elf_files(bundle):
        result = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True,
                                check=False)
        versions.update(tuple(int(part) for part in found.split("."))
                        for found in GLIBC_SYMBOL.findall(result.stdout))
    return ".".join(map(str, max(versions))) if versions else None
