"""A non-editable install finds every shipped resource, from any working directory.

The checkout's sources are copied to a temporary folder, built into a wheel and installed with
pip into a fresh venv (no network: `--no-index`, no build isolation). The new venv borrows the
third-party packages of the project's venv through a .pth line, so nothing is downloaded; the
editable install of the project itself is not visible there (a .pth inside a borrowed folder
is never executed), which the test checks.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("lstm_studio", "resources", "pyproject.toml", "README.md")

PROBE = """
import json, sys
from pathlib import Path
import lstm_studio
from lstm_studio.resources_path import resources_dir, resource
expected = json.loads(sys.argv[1])
print(json.dumps({
    "package": str(Path(lstm_studio.__file__).resolve().parent),
    "resources": str(resources_dir()),
    "missing": [name for name in expected if not resource(*name.split("/")).is_file()],
}))
"""


def shipped_resources() -> list[str]:
    root = REPO / "resources"
    return sorted(
        str(path.relative_to(root)).replace("\\", "/")
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.name != ".keep"
    )


def source_packages() -> set[str]:
    return {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "lstm_studio").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the project installed from a wheel; returns the venv folder."""
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "source"
    source.mkdir()
    for name in SOURCES:
        origin = REPO / name
        if origin.is_dir():
            shutil.copytree(origin, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(origin, source / name)
    wheels = tmp / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
                    "--no-build-isolation", "--wheel-dir", str(wheels), str(source)],
                   check=True, cwd=tmp, timeout=300)
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_python(env_dir)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                                "['purelib'])"], capture_output=True, text=True,
                               check=True).stdout.strip())
    borrowed = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site / "borrowed-dependencies.pth").write_text("".join(f"{p}\n" for p in borrowed),
                                                    encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", "--no-index", *map(str, wheels.glob("*.whl"))],
                   check=True, cwd=tmp, timeout=300)
    return env_dir


def env_python(env_dir: Path) -> Path:
    return env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def test_installed_package_finds_every_resource_from_elsewhere(installed: Path,
                                                                tmp_path: Path) -> None:
    expected = shipped_resources()
    assert "samples/reviews.csv" in expected  # the check below covers the real samples
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    result = subprocess.run([str(env_python(installed)), "-c", PROBE, json.dumps(expected)],
                            capture_output=True, text=True, cwd=elsewhere, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    package = Path(report["package"])
    assert package.is_relative_to(installed.resolve())  # the wheel's copy, not the checkout
    assert Path(report["resources"]) == package / "resources"
    assert report["missing"] == []


def test_wheel_holds_every_source_package(installed: Path) -> None:
    site = next(installed.glob("lib*/python*/site-packages"), None) or installed / "Lib" / \
        "site-packages"
    installed_packages = {
        ".".join(init.parent.relative_to(site).parts)
        for init in (site / "lstm_studio").rglob("__init__.py")
    }
    missing = source_packages() - installed_packages
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_installed_command_runs_from_elsewhere(installed: Path, tmp_path: Path) -> None:
    script = installed / ("Scripts/lstm-studio.exe" if sys.platform == "win32"
                          else "bin/lstm-studio")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    from lstm_studio import __version__

    assert result.stdout.strip() == f"LSTM Studio {__version__}"
