"""The wheel users get from `pip install lstm-studio`: built for real, read, installed, run.

Slow suite. The checkout's sources are copied to a temporary folder (setuptools writes build/
and *.egg-info beside the sources it builds) and `pip wheel --no-deps` builds the wheel there,
offline (`--no-index`, no build isolation: setuptools comes from this environment). The tests
read the wheel's file list and metadata, then install it with pip (`--no-deps --no-index`)
into two fresh venvs that borrow this environment's third-party packages through a .pth line,
so nothing is downloaded:

* `headless` borrows everything except Qt (PySide6, shiboken6, pyqtgraph): what
  `pip install lstm-studio` gives. The command line works there on the built-in sample, and
  asking for the window says to install the gui extra.
* `full` borrows Qt too (`pip install "lstm-studio[gui]"`): the window passes its self-test.

A borrowed folder's own .pth files are never executed, so the checkout's editable install is
not visible in either venv; the tests check that the wheel's copy is the one that runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from lstm_studio import __version__

pytestmark = [pytest.mark.slow, pytest.mark.timeout(10 * 60)]

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("lstm_studio", "resources", "pyproject.toml", "README.md")
QT_PACKAGES = ("PySide6", "shiboken6", "pyqtgraph")
# What the editable install of the checkout leaves in site-packages: never borrowed.
OWN = ("lstm_studio", "__editable__", "_lstm_studio", "lstm-studio")

PROBE = """
import json, sys
from pathlib import Path
import lstm_studio
from lstm_studio.resources_path import resources_dir, resource, sample_paths
expected = json.loads(sys.argv[1])
print(json.dumps({
    "package": str(Path(lstm_studio.__file__).resolve().parent),
    "resources": str(resources_dir()),
    "missing": [name for name in expected if not resource(*name.split("/")).is_file()],
    "sample": sample_paths()[0],
}))
"""


def shipped_resources() -> list[str]:
    root = REPO / "resources"
    return sorted(
        str(path.relative_to(root)).replace("\\", "/")
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.name != ".keep"
    )


def source_modules() -> set[str]:
    """Every .py file of the package, as its path inside the wheel."""
    return {str(path.relative_to(REPO)).replace("\\", "/")
            for path in (REPO / "lstm_studio").rglob("*.py") if "__pycache__" not in path.parts}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
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
    [built] = wheels.glob("*.whl")
    return built


def wheel_text(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        [member] = [m for m in archive.namelist() if m.endswith(f".dist-info/{name}")]
        return archive.read(member).decode("utf-8")


def borrowed_site(tmp: Path, exclude: tuple[str, ...]) -> Path:
    """A folder of links to this environment's installed packages, minus `exclude`."""
    folder = tmp / "borrowed"
    folder.mkdir()
    for site in dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib")):
        for entry in Path(site).iterdir():
            name = entry.name
            skip = exclude + OWN
            if name.endswith(".pth") or name.startswith(skip) or (folder / name).exists():
                continue
            (folder / name).symlink_to(entry, target_is_directory=entry.is_dir())
    return folder


def install_into_fresh_venv(wheel: Path, tmp: Path, exclude: tuple[str, ...]) -> Path:
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_python(env_dir)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                                "['purelib'])"], capture_output=True, text=True,
                               check=True).stdout.strip())
    (site / "borrowed-dependencies.pth").write_text(f"{borrowed_site(tmp, exclude)}\n",
                                                    encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, cwd=tmp, timeout=300)
    return env_dir


@pytest.fixture(scope="module")
def headless(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_into_fresh_venv(wheel, tmp_path_factory.mktemp("headless"), QT_PACKAGES)


@pytest.fixture(scope="module")
def full(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_into_fresh_venv(wheel, tmp_path_factory.mktemp("full"), ())


def env_python(env_dir: Path) -> Path:
    return env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def command(env_dir: Path) -> Path:
    return env_dir / ("Scripts/lstm-studio.exe" if sys.platform == "win32" else "bin/lstm-studio")


def run(env_dir: Path, tmp_path: Path, *args: str, timeout: int = 300,
        program: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run from an unrelated folder with a private home and settings file."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LSTM_STUDIO_HOME=str(tmp_path / "home"),
               LSTM_STUDIO_SETTINGS=str(tmp_path / "settings.ini"))
    env.pop("PYTHONPATH", None)
    return subprocess.run([str(program or command(env_dir)), *args], capture_output=True,
                          text=True, cwd=elsewhere, env=env, timeout=timeout, check=False)


# --- the artefact itself ----------------------------------------------------------------------

def test_wheel_holds_every_module_and_resource_and_nothing_else(wheel: Path) -> None:
    assert wheel.name.startswith(f"lstm_studio-{__version__}-py3-none-any")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing_modules = source_modules() - names
    assert not missing_modules, ("add the packages to [tool.setuptools] packages in "
                                 f"pyproject.toml: {sorted(missing_modules)}")
    missing_resources = {f"lstm_studio/resources/{name}" for name in shipped_resources()} - names
    assert missing_resources == set()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"lstm_studio", f"lstm_studio-{__version__}.dist-info"}  # no tests, bench...


def test_wheel_declares_both_commands(wheel: Path) -> None:
    entry_points = wheel_text(wheel, "entry_points.txt")
    sections: dict[str, dict[str, str]] = {}
    current = ""
    for line in entry_points.splitlines():
        line = line.strip()
        if line.startswith("["):
            current = line.strip("[]")
        elif "=" in line:
            key, _, value = line.partition("=")
            sections.setdefault(current, {})[key.strip()] = value.strip()
    assert sections["console_scripts"] == {"lstm-studio": "lstm_studio.cli:main"}
    assert sections["gui_scripts"] == {"lstm-studio-gui": "lstm_studio.cli:open_window"}


def test_wheel_metadata_keeps_qt_in_the_gui_extra(wheel: Path) -> None:
    metadata = Parser().parsestr(wheel_text(wheel, "METADATA"))
    assert metadata["Version"] == __version__
    requires = metadata.get_all("Requires-Dist") or []
    unconditional = {req.split(";")[0].replace(" ", "") for req in requires if ";" not in req}
    names = {req.split("=")[0].split(">")[0].split("<")[0] for req in unconditional}
    assert {"torch", "numpy", "safetensors", "platformdirs", "langid"} <= names
    assert "langid==1.1.6" in unconditional  # the detector reads this release's model arrays
    assert not names & {"PySide6-Essentials", "pyqtgraph"}
    gui = [req for req in requires if "extra" in req and '"gui"' in req]
    assert {req.split(";")[0].split(">")[0].split("<")[0].strip() for req in gui} == {
        "PySide6-Essentials", "pyqtgraph"}
    assert set(metadata.get_all("Provides-Extra") or []) >= {"gui", "test", "dev"}


# --- installed without the gui extra ----------------------------------------------------------

def test_installed_package_finds_every_resource_from_elsewhere(headless: Path,
                                                               tmp_path: Path) -> None:
    expected = shipped_resources()
    assert "samples/reviews.csv" in expected  # the check below covers the real samples
    result = run(headless, tmp_path, "-c", PROBE, json.dumps(expected),
                 program=env_python(headless))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    package = Path(report["package"])
    assert package.is_relative_to(headless.resolve())  # the wheel's copy, not the checkout
    assert Path(report["resources"]) == package / "resources"
    assert report["missing"] == []


def test_headless_install_has_no_qt(headless: Path, tmp_path: Path) -> None:
    code = ("import importlib.util as u; "
            f"print([m for m in {list(QT_PACKAGES)!r} if u.find_spec(m)])")
    result = run(headless, tmp_path, "-c", code, program=env_python(headless))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_headless_command_reports_its_version(headless: Path, tmp_path: Path) -> None:
    result = run(headless, tmp_path, "--version", timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"LSTM Studio {__version__}"


def test_headless_commands_clean_train_and_predict_the_sample(headless: Path,
                                                              tmp_path: Path) -> None:
    probe = run(headless, tmp_path, "-c", PROBE, "[]", program=env_python(headless))
    sample = json.loads(probe.stdout)["sample"]
    summary = run(headless, tmp_path, "data", sample, "--json")
    assert summary.returncode == 0, summary.stderr
    data = json.loads(summary.stdout)
    assert data["documents"] > 300 and set(data["splits"]) == {"train", "valid", "test"}
    cleaned = tmp_path / "clean.csv"
    clean = run(headless, tmp_path, "clean", sample, "--out", str(cleaned), "--workers", "1",
                "--json")
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["kept"] > 300
    model = tmp_path / "model.safetensors"
    train = run(headless, tmp_path, "train", str(cleaned), "--no-clean", "--epochs", "1",
                "--embedding", "16", "--hidden", "16", "--threads", "1", "--out", str(model),
                "--no-record", "--json")
    assert train.returncode == 0, train.stderr
    trained = json.loads(train.stdout)
    assert trained["status"] == "finished" and trained["test"]["documents"] > 0
    predict = run(headless, tmp_path, "predict", str(model), "món này rất ngon", "--json")
    assert predict.returncode == 0, predict.stderr
    probabilities = json.loads(predict.stdout)["probabilities"]
    assert set(probabilities) == {"neg", "pos"}
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-6)


def test_headless_window_asks_for_the_gui_extra(headless: Path, tmp_path: Path) -> None:
    for program in (command(headless), headless / "bin" / "lstm-studio-gui"):
        if not program.exists():  # Windows names it .exe
            program = program.with_suffix(".exe")
        result = run(headless, tmp_path, program=program, timeout=120)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and 'pip install "lstm-studio[gui]"' in lines[0], result.stderr
        assert "Traceback" not in result.stderr


# --- installed with the gui extra -------------------------------------------------------------

def test_full_install_opens_the_window_and_passes_its_self_test(full: Path,
                                                                tmp_path: Path) -> None:
    result = run(full, tmp_path, "--self-test", timeout=400)
    stages = [line for line in result.stdout.splitlines() if line.startswith("self-test:")]
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert stages and not any("FAILED" in line for line in stages)
