"""Fast checks of the packaging pieces that need no PyInstaller build."""

from __future__ import annotations

import configparser
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from packaging_helpers import PACKAGING, REPO, load_packaging_module

from lstm_studio import APP_ID, APP_NAME, __version__

icons = load_packaging_module("icons")
prune = load_packaging_module("prune")
build = load_packaging_module("build")
launcher = load_packaging_module("launcher")

PNG = REPO / "resources" / "icons" / "lstm-studio.png"
DESKTOP = REPO / "resources" / f"{APP_ID}.desktop"


def test_ico_wraps_the_png_with_a_valid_directory() -> None:
    png = PNG.read_bytes()
    ico = icons.ico_bytes(png)
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    width, height, _, _, planes, bits, size, offset = struct.unpack("<BBBBHHII", ico[6:22])
    assert (reserved, kind, count) == (0, 1, 1)
    assert (width, height) == (0, 0)  # 256 is stored as 0
    assert (planes, bits, size, offset) == (1, 32, len(png), 22)
    assert ico[offset:] == png


def test_icns_wraps_the_png_in_an_element_of_its_size() -> None:
    png = PNG.read_bytes()
    icns = icons.icns_bytes(png)
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    assert icns[8:12] == b"ic08"  # 256x256 PNG
    assert struct.unpack(">I", icns[12:16])[0] == 8 + len(png)
    assert icns[16:] == png


def test_icon_conversion_refuses_what_the_formats_cannot_hold() -> None:
    header = icons.PNG_SIGNATURE + b"\x00\x00\x00\x0dIHDR"
    with pytest.raises(ValueError):
        icons.ico_bytes(header + struct.pack(">II", 512, 512))
    with pytest.raises(ValueError):
        icons.icns_bytes(header + struct.pack(">II", 200, 100))
    with pytest.raises(ValueError):
        icons.png_size(b"GIF89a" + bytes(30))


@pytest.mark.parametrize("dest", [
    "torch/include/ATen/Tensor.h",
    "torch/test/c10_small_vector_test",
    "torch/bin/test_api",
    "torch/bin/protoc",
    "torch/lib/libtorchbind_test.so",
    "torch/lib/libjitbackend_test.so",
    "torch/share/cmake/Torch/TorchConfig.cmake",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/plugins/platforms/libqwayland-egl.so",
    "PySide6/Qt/plugins/platforms/libqminimalegl.so",
    "PySide6/Qt/plugins/imageformats/libqtiff.so",
    "PySide6/Qt/plugins/tls/libqopensslbackend.so",
    "PySide6/Qt/translations/qtbase_de.qm",
    "PySide6/Qt/lib/libQt6WaylandClient.so.6",
    "PySide6/Qt/lib/libQt6Quick.so.6",
    "PySide6\\plugins\\platforms\\qdirect2d.dll",
    "PySide6\\translations\\qt_fr.qm",
])
def test_prune_drops_what_the_app_never_uses(dest: str) -> None:
    assert prune.is_dropped(dest)


@pytest.mark.parametrize("dest", [
    "torch/bin/torch_shm_manager",
    "torch/lib/libtorch_cpu.so",
    "torch/lib/libgomp.so.1",
    "torch/_C.cpython-311-x86_64-linux-gnu.so",
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "PySide6/Qt/plugins/platforms/libqminimal.so",
    "PySide6/Qt/plugins/imageformats/libqsvg.so",
    "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
    "PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so",
    "PySide6/Qt/lib/libQt6OpenGL.so.6",
    "PySide6/Qt/lib/libQt6OpenGLWidgets.so.6",
    "PySide6/Qt/lib/libQt6Svg.so.6",
    "PySide6\\plugins\\platforms\\qwindows.dll",
    "PySide6\\plugins\\styles\\qmodernwindowsstyle.dll",
    "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
    "lstm_studio/resources/samples/reviews.csv",
    "lstm_studio/resources/icons/lstm-studio.svg",
    "numpy.libs/libscipy_openblas64_-32a4b2a6.so",
])
def test_prune_keeps_what_the_app_needs(dest: str) -> None:
    assert not prune.is_dropped(dest)


def test_prune_filters_a_toc() -> None:
    toc = [("torch/bin/torch_shm_manager", "/x/a", "BINARY"),
           ("torch/bin/test_jit", "/x/b", "DATA")]
    assert prune.prune(toc) == toc[:1]


def test_desktop_entry_names_the_app_and_its_icon_by_one_id() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(DESKTOP, encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Name"] == APP_NAME
    assert section["Exec"] == "lstm-studio"
    assert section["Icon"] == APP_ID
    assert section["Terminal"] == "false"
    assert section["Categories"].endswith(";")


def test_release_names_carry_version_and_platform() -> None:
    name = build.release_name()
    assert name.startswith(f"LSTM-Studio-{__version__}-")
    system, _, machine = build.platform_tag().partition("-")
    assert system in {"linux", "windows", "macos"} and machine
    assert "0.0.0" not in name


def test_installer_scripts_take_the_version_from_the_build() -> None:
    iss = (PACKAGING / "windows" / "lstm-studio.iss").read_text(encoding="utf-8")
    assert __version__ not in iss  # passed in with /DAppVersion, never written twice
    assert '#define AppExe "LSTM Studio.exe"' in iss
    spec = (PACKAGING / "lstm_studio.spec").read_text(encoding="utf-8")
    compile(spec, "lstm_studio.spec", "exec")
    assert "from lstm_studio import APP_ID, APP_NAME, __version__" in spec


def test_workflow_builds_and_smoke_tests_every_platform() -> None:
    workflow = (REPO / ".github" / "workflows" / "package.yml").read_text(encoding="utf-8")
    for runner in ("ubuntu-", "windows-", "macos-"):
        assert f"os: {runner}" in workflow
    assert "python packaging/build.py" in workflow
    assert '"$app" --self-test' in workflow


def test_exit_after_show_hook_reports_the_real_window(tmp_path: Path) -> None:
    """The hook bench/bench_package.py times the frozen app with, run on the sources."""
    settings = tmp_path / "settings.ini"
    settings.write_text("[app]\nlaunched=true\n", encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LSTM_STUDIO_EXIT_AFTER_SHOW="1",
               LSTM_STUDIO_SETTINGS=str(settings))
    result = subprocess.run([sys.executable, str(PACKAGING / "launcher.py")], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    marker = [line for line in result.stdout.splitlines()
              if line.startswith(launcher.SHOWN_MARKER)]
    assert len(marker) == 1
    assert 0 < float(marker[0].split()[1]) < 120


@pytest.mark.skipif(shutil.which("sh") is None or sys.platform == "win32", reason="POSIX sh")
class TestLinuxInstallScript:
    def unpacked(self, tmp_path: Path, folder: str = "LSTM Studio") -> Path:
        """A stand-in for the unpacked bundle: the real script and resources, a dummy executable."""
        bundle = tmp_path / folder
        resources = bundle / "_internal" / "lstm_studio" / "resources"
        shutil.copytree(REPO / "resources", resources)
        exe = bundle / "lstm-studio"
        exe.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
        exe.chmod(0o755)
        shutil.copy2(PACKAGING / "linux" / "install.sh", bundle / "install.sh")
        return bundle

    def run(self, bundle: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "XDG_DATA_HOME"}
        env["HOME"] = str(home)
        return subprocess.run(["sh", str(bundle / "install.sh"), *args], env=env,
                              capture_output=True, text=True, timeout=60, check=False)

    def test_install_adds_menu_entry_icons_and_command_then_uninstall_removes_them(
            self, tmp_path: Path) -> None:
        bundle, home = self.unpacked(tmp_path), tmp_path / "home"
        assert self.run(bundle, home).returncode == 0
        share = home / ".local" / "share"
        entry = share / "applications" / f"{APP_ID}.desktop"
        lines = entry.read_text(encoding="utf-8").splitlines()
        assert f'Exec="{bundle.resolve()}/lstm-studio"' in lines
        assert f"Icon={APP_ID}" in lines
        assert (share / "icons/hicolor/256x256/apps" / f"{APP_ID}.png").read_bytes() == \
            PNG.read_bytes()
        assert (share / "icons/hicolor/scalable/apps" / f"{APP_ID}.svg").is_file()
        link = home / ".local" / "bin" / "lstm-studio"
        assert os.readlink(link) == str(bundle.resolve() / "lstm-studio")

        assert self.run(bundle, home, "--uninstall").returncode == 0
        left = [p for p in home.rglob("*") if p.is_file() or p.is_symlink()]
        assert left == []

    def test_uninstall_leaves_someone_elses_command_alone(self, tmp_path: Path) -> None:
        bundle, home = self.unpacked(tmp_path), tmp_path / "home"
        other = home / ".local" / "bin" / "lstm-studio"
        other.parent.mkdir(parents=True)
        other.write_text("#!/bin/sh\n", encoding="utf-8")
        assert self.run(bundle, home).returncode == 0
        assert self.run(bundle, home, "--uninstall").returncode == 0
        assert other.read_text(encoding="utf-8") == "#!/bin/sh\n"

    def test_refuses_a_folder_the_desktop_entry_cannot_quote(self, tmp_path: Path) -> None:
        bundle, home = self.unpacked(tmp_path, "costs $5"), tmp_path / "home"
        result = self.run(bundle, home)
        assert result.returncode == 1
        assert "move the folder" in result.stderr
        assert not (home / ".local").exists()

    def test_unknown_option_is_a_usage_error(self, tmp_path: Path) -> None:
        result = self.run(self.unpacked(tmp_path), tmp_path / "home", "--bogus")
        assert result.returncode == 2 and "usage" in result.stderr
