"""Size of the built bundle and its archive, and the frozen app's start time to window shown.

    python bench/bench_package.py [--runs 3] [--no-source]

Needs a build first (`make package`). The start time is measured by launching the frozen
executable with LSTM_STUDIO_EXIT_AFTER_SHOW=1 (see packaging/launcher.py): it prints the time
from its Python entry point to the first event-loop turn with the main window visible, then
exits; this script also takes the wall time from process launch to that line, which adds the
bootloader and interpreter start. The same measurement on the sources (`python
packaging/launcher.py`) runs in the same command, so the frozen/source ratio is comparable on
a busy machine. Runs use the offscreen platform unless QT_QPA_PLATFORM is set, a temporary
settings file marked "already launched" (no first-launch sample load) and a temporary home.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "packaging"))

from lstm_studio import APP_NAME  # noqa: E402


def packaging_module(name: str) -> ModuleType:
    """packaging/<name>.py by path (a plain `import build` could meet the build/ folder)."""
    spec = importlib.util.spec_from_file_location(f"lstm_packaging_{name}",
                                                  ROOT / "packaging" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = packaging_module("build")
launcher = packaging_module("launcher")
EXIT_AFTER_SHOW, SHOWN_MARKER = launcher.EXIT_AFTER_SHOW, launcher.SHOWN_MARKER

MB = 1024 * 1024


def frozen_executable() -> Path:
    if sys.platform == "win32":
        return build.BUNDLE / "lstm-studio.exe"
    if sys.platform == "darwin":
        return build.DIST / f"{APP_NAME}.app" / "Contents" / "MacOS" / APP_NAME
    return build.BUNDLE / "lstm-studio"


def archives() -> list[Path]:
    patterns = (f"{build.release_name()}*", "lstm-studio_*.deb")
    return sorted(p for pattern in patterns for p in build.DIST.glob(pattern) if p.is_file())


def time_to_show(command: list[str], workdir: Path) -> tuple[float, float]:
    """(wall seconds from launch to the report line, seconds the app itself reported)."""
    settings = workdir / "settings.ini"
    settings.write_text("[app]\nlaunched=true\n", encoding="utf-8")
    env = dict(os.environ, LSTM_STUDIO_SETTINGS=str(settings),
               LSTM_STUDIO_HOME=str(workdir / "home"),
               QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    env[EXIT_AFTER_SHOW] = "1"
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(SHOWN_MARKER):
            wall = time.perf_counter() - started
            process.wait(timeout=60)
            value = line.split()[1]
            if value == "timeout":
                raise RuntimeError("the window was not shown within 120 s")
            return wall, float(value)
    process.wait(timeout=60)
    raise RuntimeError(f"{command[0]} exited with {process.returncode} before showing a window")


def measure(label: str, command: list[str], runs: int) -> float:
    walls, inner = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            wall, reported = time_to_show(command, Path(tmp))
            walls.append(wall)
            inner.append(reported)
    runs_text = ", ".join(f"{w:.2f}" for w in walls)
    print(f"start to window shown, {label}: median {statistics.median(walls):.2f} s wall "
          f"(runs: {runs_text}; in-app {statistics.median(inner):.2f} s)")
    return statistics.median(walls)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-source", action="store_true",
                        help="skip the comparison run on the sources")
    args = parser.parse_args()

    exe = frozen_executable()
    if not exe.is_file():
        print(f"no frozen app at {exe}: run `make package` first", file=sys.stderr)
        return 1
    print(f"bundle {build.BUNDLE.relative_to(ROOT)}: {build.tree_size(build.BUNDLE) / MB:.1f} MB")
    for archive in archives():
        print(f"archive {archive.relative_to(ROOT)}: {archive.stat().st_size / MB:.1f} MB")
    frozen = measure("frozen", [str(exe)], args.runs)
    if not args.no_source:
        source = measure("sources", [sys.executable, str(ROOT / "packaging" / "launcher.py")],
                         args.runs)
        print(f"frozen / sources start time: {frozen / source:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
