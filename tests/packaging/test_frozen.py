"""The frozen app, built by packaging/build.py, works and stays within its size budget.

Slow: the first test of a session runs `packaging/build.py --reuse --out BUILD_DIR`, which
reuses BUILD_DIR/dist when its manifest says it was built from exactly these sources and
otherwise builds everything (PyInstaller ~2-4 min on 2 cores, then the archives). BUILD_DIR is
outside the checkout (see packaging_helpers.package_build_dir), so the tests leave the working
tree untouched and a second run of the slow suite does not rebuild.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from packaging_helpers import REPO, load_packaging_module, package_build_dir

from lstm_studio import APP_ID, APP_NAME, __version__

# The first test also pays for the build (its fixture), which can take many minutes on a busy
# 2-core machine; a hang still ends within this.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(45 * 60)]

MB = 1024 * 1024
BUNDLE_BUDGET_MB = 700
ARCHIVE_BUDGET_MB = 300
IS_LINUX = sys.platform.startswith("linux")


@pytest.fixture(scope="module")
def layout() -> object:
    """Where the build goes: build.Layout(BUILD_DIR), outside the checkout."""
    return load_packaging_module("build").Layout(package_build_dir())


@pytest.fixture(scope="module")
def manifest(layout) -> dict:
    pytest.importorskip("PyInstaller", reason="PyInstaller is in the `packaging` and `dev` extras")
    subprocess.run([sys.executable, str(REPO / "packaging" / "build.py"), "--reuse",
                    "--out", str(layout.base)], cwd=REPO, check=True, timeout=45 * 60)
    return json.loads(layout.manifest.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def bundle(manifest: dict, layout) -> Path:
    return layout.base / manifest["bundle"]


def executable(bundle: Path) -> Path:
    """The executable that prints: the console one on Windows, the .app's one on macOS."""
    if sys.platform == "win32":
        return bundle / "lstm-studio.exe"
    if sys.platform == "darwin":
        return bundle.parent / f"{APP_NAME}.app" / "Contents" / "MacOS" / APP_NAME
    return bundle / "lstm-studio"


def run_frozen(bundle: Path, tmp_path: Path, *args: str, timeout: int = 900,
               **env: str) -> subprocess.CompletedProcess[str]:
    """Run the frozen app from an unrelated folder with a private home and settings file."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    full_env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                    LSTM_STUDIO_HOME=str(tmp_path / "home"),
                    LSTM_STUDIO_SETTINGS=str(tmp_path / "settings.ini"), **env)
    return subprocess.run([str(executable(bundle)), *args], cwd=elsewhere, env=full_env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_frozen_app_passes_its_self_test(bundle: Path, tmp_path: Path) -> None:
    """On Linux the dynamic loader also logs every library the run loads (dlopen included)."""
    trace = {"LD_DEBUG": "libs", "LD_DEBUG_OUTPUT": str(tmp_path / "ld")} if IS_LINUX else {}
    result = run_frozen(bundle, tmp_path, "--self-test", **trace)
    output = result.stdout + result.stderr
    stages = [line for line in result.stdout.splitlines() if line.startswith("self-test:")]
    assert result.returncode == 0, output[-4000:]
    assert stages and not any("FAILED" in line for line in stages), output[-4000:]
    if IS_LINUX:
        syslibs = load_packaging_module("syslibs")
        loaded = {line.rsplit(None, 1)[-1] for log in tmp_path.glob("ld.*")
                  for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
                  if "calling init:" in line}
        from_system = {Path(path).name for path in loaded
                       if not Path(path).resolve().is_relative_to(bundle.resolve())}
        assert "libc.so.6" in from_system
        assert {name for name in from_system
                if not syslibs.ALLOWED_SYSTEM_LIBS.match(name)} == set()


def test_frozen_command_line_runs_from_any_folder(bundle: Path, tmp_path: Path) -> None:
    result = run_frozen(bundle, tmp_path, "--version", timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"LSTM Studio {__version__}"


def test_frozen_window_shows_and_reports_its_start_time(bundle: Path, tmp_path: Path) -> None:
    (tmp_path / "settings.ini").write_text("[app]\nlaunched=true\n", encoding="utf-8")
    result = run_frozen(bundle, tmp_path, timeout=300, LSTM_STUDIO_EXIT_AFTER_SHOW="1")
    assert result.returncode == 0, result.stderr[-4000:]
    shown = [line.split() for line in result.stdout.splitlines()
             if line.startswith("LSTM_STUDIO_SHOWN")]
    assert len(shown) == 1 and float(shown[0][1]) > 0


def test_build_made_the_windows_and_macos_icons_where_installers_look(bundle: Path,
                                                                     layout) -> None:
    assert (layout.icon_dir / "lstm-studio.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    assert (layout.icon_dir / "lstm-studio.icns").read_bytes()[:4] == b"icns"


def test_bundle_holds_every_resource_and_nothing_pruned(bundle: Path) -> None:
    prune = load_packaging_module("prune")
    contents = bundle / "_internal"
    if sys.platform == "darwin":
        contents = bundle.parent / f"{APP_NAME}.app" / "Contents" / "Resources"
    shipped = [p.relative_to(REPO / "resources") for p in (REPO / "resources").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts]
    missing = [str(rel) for rel in shipped
               if not (contents / "lstm_studio" / "resources" / rel).is_file()]
    assert missing == []
    inside = [str(p.relative_to(contents)) for p in contents.rglob("*") if p.is_file()]
    assert [path for path in inside if prune.is_dropped(path)] == []
    names = {Path(path).name for path in inside}
    assert any(name.startswith("torch_shm_manager") for name in names)
    assert any("Qt6OpenGLWidgets" in name or "QtOpenGLWidgets" in name for name in names)
    assert any("qoffscreen" in name for name in names)


@pytest.mark.skipif(not IS_LINUX, reason="Linux size budget and archives")
def test_linux_bundle_and_archive_fit_the_budget(bundle: Path, manifest: dict, layout) -> None:
    build = load_packaging_module("build")
    bundle_mb = build.tree_size(bundle) / MB
    archive = layout.dist / f"{build.release_name()}.tar.gz"
    archive_mb = archive.stat().st_size / MB
    assert bundle_mb <= BUNDLE_BUDGET_MB, f"bundle is {bundle_mb:.0f} MB"
    assert archive_mb <= ARCHIVE_BUDGET_MB, f"archive is {archive_mb:.0f} MB"
    assert str(archive.relative_to(layout.base)) in manifest["outputs"]


@pytest.mark.skipif(not IS_LINUX, reason="Linux archives")
def test_linux_archive_unpacks_to_one_versioned_folder(bundle: Path, layout) -> None:
    build = load_packaging_module("build")
    top = build.release_name()
    assert f"-{__version__}-linux-" in top
    with tarfile.open(layout.dist / f"{top}.tar.gz") as archive:
        members = {member.name: member for member in archive}
    assert {name.split("/")[0] for name in members} == {top}
    for name in ("lstm-studio", "install.sh"):
        assert members[f"{top}/{name}"].mode & 0o111, f"{name} is not executable"
    assert f"{top}/_internal/lstm_studio/resources/{APP_ID}.desktop" in members


@pytest.mark.skipif(not IS_LINUX, reason="Linux shared libraries")
def test_bare_linux_system_needs_only_gl_x11_and_the_c_library(bundle: Path) -> None:
    syslibs = load_packaging_module("syslibs")
    needs = syslibs.system_libraries(bundle)
    assert "libc.so.6" in needs  # the check sees system libraries at all
    assert syslibs.unexpected(needs) == {}


@pytest.mark.skipif(not IS_LINUX, reason="Debian package")
def test_deb_installs_to_opt_with_a_command_and_menu_entry(manifest: dict, layout) -> None:
    debs = [layout.base / name for name in manifest["outputs"] if name.endswith(".deb")]
    if not debs:
        pytest.skip("dpkg-deb was not available to the build")
    listing = subprocess.run(["dpkg-deb", "--contents", str(debs[0])], capture_output=True,
                             text=True, check=True).stdout
    assert "./opt/lstm-studio/lstm-studio" in listing
    assert "./usr/bin/lstm-studio -> /opt/lstm-studio/lstm-studio" in listing
    assert f"./usr/share/applications/{APP_ID}.desktop" in listing
    assert f"./usr/share/icons/hicolor/256x256/apps/{APP_ID}.png" in listing
    version = subprocess.run(["dpkg-deb", "--field", str(debs[0]), "Version"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == __version__


def test_frozen_cleaning_in_worker_processes_matches_in_process(bundle: Path,
                                                                tmp_path: Path) -> None:
    """Spawned workers are this executable started again: freeze_support must divert them."""
    rows = (REPO / "resources" / "samples" / "reviews.csv").read_text(encoding="utf-8")
    header, *lines = rows.splitlines()
    big = tmp_path / "big.csv"
    big.write_text("\n".join([header, *lines * 3]) + "\n", encoding="utf-8")  # > 2 chunks
    reports = {}
    for workers in ("1", "2"):
        out = tmp_path / f"clean-{workers}.csv"
        result = run_frozen(bundle, tmp_path, "clean", str(big), "--out", str(out),
                            "--workers", workers, "--json", timeout=300)
        assert result.returncode == 0, result.stderr[-4000:]
        reports[workers] = (json.loads(result.stdout), out.read_bytes())
    assert reports["2"][0]["workers"] == 2
    assert reports["2"][0]["kept"] == reports["1"][0]["kept"] > 0
    assert reports["2"][1] == reports["1"][1]
