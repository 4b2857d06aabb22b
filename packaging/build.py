"""Build LSTM Studio's double-click bundles (what `make package` runs).

    python packaging/build.py [--reuse | --repack] [--no-deb] [--out DIR]

1. PyInstaller runs packaging/lstm_studio.spec into dist/lstm-studio/ (one folder).
2. Linux: torch's own libraries are stripped (PyInstaller's strip=True would also strip numpy's
   OpenBLAS, which breaks it), install.sh is added, and the folder is packed as
   dist/LSTM-Studio-<version>-linux-<arch>.tar.gz plus a .deb when dpkg-deb exists.
   Windows: a .zip, and a setup.exe when Inno Setup's iscc is found. macOS: a .dmg of the .app.
3. Sizes are printed and written to build/package-manifest.json, together with a fingerprint
   of the sources, so tests can tell whether dist/ is fresh and skip a rebuild.

`--out DIR` puts dist/ and build/ under DIR instead of the checkout (the slow tests build
there, so a test run leaves the working tree untouched).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import syslibs  # noqa: E402

from lstm_studio import APP_ID, APP_NAME, __version__  # noqa: E402

FINGERPRINTED = ("lstm_studio", "resources", "packaging", "pyproject.toml")
MB = 1024 * 1024


@dataclass(frozen=True)
class Layout:
    """Where one build writes: `<base>/dist` for what ships, `<base>/build` for the rest."""

    base: Path

    @property
    def dist(self) -> Path:
        return self.base / "dist"

    @property
    def work(self) -> Path:
        return self.base / "build" / "pyinstaller"

    @property
    def icon_dir(self) -> Path:
        return self.work / "lstm_studio" / "icons"  # the spec's `workpath` is work/<spec name>

    @property
    def bundle(self) -> Path:
        return self.dist / "lstm-studio"

    @property
    def manifest(self) -> Path:
        return self.base / "build" / "package-manifest.json"

    @property
    def deb_stage(self) -> Path:
        return self.base / "build" / "deb"


CHECKOUT = Layout(ROOT)  # what `make package` and bench/bench_package.py use
DIST, WORK, ICON_DIR = CHECKOUT.dist, CHECKOUT.work, CHECKOUT.icon_dir
BUNDLE, MANIFEST = CHECKOUT.bundle, CHECKOUT.manifest


def platform_tag() -> str:
    """`linux-x86_64`, `windows-x86_64`, `macos-arm64`: the suffix of every output file name."""
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)
    if system.startswith("linux"):
        system = "linux"
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "x64": "x86_64"}.get(machine, machine)
    if system == "macos" and machine == "aarch64":
        machine = "arm64"
    return f"{system}-{machine}"


def release_name() -> str:
    return f"LSTM-Studio-{__version__}-{platform_tag()}"


def source_fingerprint() -> str:
    """Hash of every file that goes into the bundle from this checkout."""
    digest = hashlib.sha256()
    for top in FINGERPRINTED:
        base = ROOT / top
        paths = [base] if base.is_file() else sorted(base.rglob("*"))
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def tree_size(path: Path) -> int:
    """Bytes of all regular files under path (symbolic links count as nothing)."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def run_pyinstaller(layout: Layout = CHECKOUT) -> None:
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
               "--workpath", str(layout.work), "--distpath", str(layout.dist),
               str(HERE / "lstm_studio.spec")]
    subprocess.run(command, check=True, cwd=ROOT)


def strip_torch_libraries(bundle: Path) -> int:
    """`strip --strip-unneeded` on torch's own shared libraries; returns the bytes saved."""
    strip = shutil.which("strip")
    lib_dir = bundle / "_internal" / "torch" / "lib"
    if not strip or not lib_dir.is_dir():
        return 0
    libraries = [p for p in lib_dir.glob("*.so*") if p.is_file() and not p.is_symlink()]
    before = sum(p.stat().st_size for p in libraries)
    subprocess.run([strip, "--strip-unneeded", *map(str, libraries)], check=True)
    return before - sum(p.stat().st_size for p in libraries)


def add_linux_extras(bundle: Path) -> None:
    target = bundle / "install.sh"
    shutil.copy2(HERE / "linux" / "install.sh", target)
    target.chmod(0o755)


def make_tarball(bundle: Path, out: Path) -> Path:
    """The bundle folder as <release>/... inside a .tar.gz (links and modes kept)."""
    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    partial = out.with_name(out.name + ".part")
    with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
        archive.add(bundle, arcname=out.name.removesuffix(".tar.gz"), filter=owned_by_root)
    partial.replace(out)
    return out


def link_tree(source: Path, target: Path) -> None:
    """Copy a tree as hard links (no extra disk space), falling back to copies across devices."""
    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, symlinks=True, copy_function=link_or_copy)


def deb_control(installed_kb: int, glibc: str | None, architecture: str) -> str:
    libc = f"libc6 (>= {glibc})" if glibc else "libc6"
    return (
        "Package: lstm-studio\n"
        f"Version: {__version__}\n"
        "Section: science\n"
        "Priority: optional\n"
        f"Architecture: {architecture}\n"
        "Maintainer: LSTM Studio contributors <lstm-studio@users.noreply.github.com>\n"
        f"Installed-Size: {installed_kb}\n"
        f"Depends: {libc}, libgl1, libegl1, libxcb1, fontconfig-config,"
        " fonts-dejavu-core | fonts-liberation2\n"
        "Description: From raw review text to a trained RNN/LSTM, and a look inside its gates\n"
        " A desktop app that loads review data, cleans it, builds a vocabulary, trains\n"
        " RNN/LSTM/GRU models on the CPU and shows what their gates do, step by step.\n"
    )


def make_deb(bundle: Path, layout: Layout = CHECKOUT) -> Path | None:
    """dist/lstm-studio_<version>_<arch>.deb: /opt/lstm-studio, /usr/bin link, menu entry."""
    if not shutil.which("dpkg-deb") or not shutil.which("dpkg"):
        return None
    architecture = subprocess.run(["dpkg", "--print-architecture"], capture_output=True,
                                  text=True, check=True).stdout.strip()
    out = layout.dist / f"lstm-studio_{__version__}_{architecture}.deb"
    stage = layout.deb_stage
    shutil.rmtree(stage, ignore_errors=True)
    link_tree(bundle, stage / "opt" / "lstm-studio")
    (stage / "opt" / "lstm-studio" / "install.sh").unlink(missing_ok=True)  # dpkg does that job
    resources = bundle / "_internal" / "lstm_studio" / "resources"
    (stage / "usr" / "bin").mkdir(parents=True)
    (stage / "usr" / "bin" / "lstm-studio").symlink_to("/opt/lstm-studio/lstm-studio")
    placed = {
        resources / f"{APP_ID}.desktop": stage / "usr/share/applications" / f"{APP_ID}.desktop",
        resources / "icons/lstm-studio.png": stage / "usr/share/icons/hicolor/256x256/apps"
        / f"{APP_ID}.png",
        resources / "icons/lstm-studio.svg": stage / "usr/share/icons/hicolor/scalable/apps"
        / f"{APP_ID}.svg",
    }
    for source, target in placed.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        target.chmod(0o644)
    debian = stage / "DEBIAN"
    debian.mkdir()
    installed_kb = tree_size(stage) // 1024
    glibc = syslibs.glibc_requirement(bundle)
    control = deb_control(installed_kb, glibc, architecture)
    (debian / "control").write_text(control, encoding="utf-8")
    for directory in [stage, *stage.rglob("*")]:
        if directory.is_dir() and not directory.is_symlink():
            directory.chmod(0o755)
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z6", "--build", str(stage),
                    str(out)], check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(stage, ignore_errors=True)
    return out


def find_iscc() -> str | None:
    found = shutil.which("iscc") or shutil.which("ISCC")
    if found:
        return found
    for base in (os.environ.get("PROGRAMFILES(X86)"), os.environ.get("PROGRAMFILES")):
        candidate = Path(base or "C:/missing") / "Inno Setup 6" / "ISCC.exe"
        if candidate.is_file():
            return str(candidate)
    return None


def make_windows_installers(bundle: Path, layout: Layout = CHECKOUT) -> list[Path]:
    dist = layout.dist
    outputs = [Path(shutil.make_archive(str(dist / release_name()), "zip", dist, bundle.name))]
    iscc = find_iscc()
    if iscc:
        subprocess.run([iscc, f"/DAppVersion={__version__}", f"/DBundleDir={bundle}",
                        f"/DIconFile={layout.icon_dir / 'lstm-studio.ico'}",
                        f"/DOutputDir={dist}", f"/DOutputName={release_name()}-setup",
                        str(HERE / "windows" / "lstm-studio.iss")], check=True)
        outputs.append(dist / f"{release_name()}-setup.exe")
    else:
        print("Inno Setup (iscc) not found: no setup.exe, only the .zip.")
    return outputs


def make_macos_dmg(layout: Layout = CHECKOUT) -> list[Path]:
    out = layout.dist / f"{release_name()}.dmg"
    subprocess.run(["sh", str(HERE / "macos" / "make_dmg.sh"),
                    str(layout.dist / f"{APP_NAME}.app"),
                    str(out), f"{APP_NAME} {__version__}"], check=True)
    return [out]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true",
                        help="skip PyInstaller when dist/lstm-studio was built from these sources")
    parser.add_argument("--no-deb", action="store_true", help="do not build the .deb")
    parser.add_argument("--repack", action="store_true",
                        help="skip PyInstaller: pack the dist/lstm-studio already there")
    parser.add_argument("--out", metavar="DIR", type=Path,
                        help="write dist/ and build/ under DIR instead of the checkout")
    args = parser.parse_args(argv)
    layout = Layout(args.out.resolve()) if args.out else CHECKOUT
    bundle = layout.bundle

    started = time.perf_counter()
    fingerprint = source_fingerprint()
    if args.reuse and is_fresh(fingerprint, layout):
        print(f"{bundle} is up to date with the sources ({layout.manifest.name}); reusing it.")
        return 0
    layout.manifest.unlink(missing_ok=True)
    repacked = args.repack and bundle.is_dir()
    if not repacked:
        run_pyinstaller(layout)
    built_s = time.perf_counter() - started
    outputs: list[Path] = []
    saved = 0
    if sys.platform.startswith("linux"):
        saved = strip_torch_libraries(bundle)
        add_linux_extras(bundle)
        outputs.append(make_tarball(bundle, layout.dist / f"{release_name()}.tar.gz"))
        deb = None if args.no_deb else make_deb(bundle, layout)
        outputs += [deb] if deb else []
    elif sys.platform == "win32":
        outputs += make_windows_installers(bundle, layout)
    elif sys.platform == "darwin":
        outputs += make_macos_dmg(layout)

    manifest = {
        "version": __version__,
        "platform": platform_tag(),
        "fingerprint": None if repacked else fingerprint,  # a repack may hold older sources
        # Paths relative to the layout's base: the checkout unless --out said otherwise.
        "bundle": str(bundle.relative_to(layout.base)),
        "bundle_mb": round(tree_size(bundle) / MB, 1),
        "stripped_mb": round(saved / MB, 1),
        "outputs": {str(p.relative_to(layout.base)): round(p.stat().st_size / MB, 1)
                    for p in outputs},
        "pyinstaller_s": round(built_s, 1),
        "total_s": round(time.perf_counter() - started, 1),
    }
    layout.manifest.parent.mkdir(parents=True, exist_ok=True)
    layout.manifest.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"bundle  {manifest['bundle']}: {manifest['bundle_mb']} MB "
          f"(stripping torch saved {manifest['stripped_mb']} MB)")
    for name, size in manifest["outputs"].items():
        print(f"output  {name}: {size} MB")
    print(f"time    PyInstaller {manifest['pyinstaller_s']} s, total {manifest['total_s']} s")
    if sys.platform.startswith("linux") and shutil.which("ldd"):
        report_system_libraries(bundle)
    return 0


def report_system_libraries(bundle: Path) -> None:
    """Name what the bundle takes from the system, and what it should have carried but could not."""
    needs = syslibs.system_libraries(bundle)
    print("system  " + ", ".join(sorted(needs)))
    extra = syslibs.unexpected(needs)
    if extra:
        print("WARNING: the bundle also needs these from the system; install them on the build "
              "machine (e.g. libxcb-icccm4, libxcb-keysyms1) and rebuild: "
              + ", ".join(sorted(extra)))


def is_fresh(fingerprint: str, layout: Layout = CHECKOUT) -> bool:
    try:
        manifest = json.loads(layout.manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    outputs_there = all((layout.base / name).is_file() for name in manifest.get("outputs", {}))
    return (manifest.get("fingerprint") == fingerprint and layout.bundle.is_dir()
            and outputs_there)


if __name__ == "__main__":
    sys.exit(main())
