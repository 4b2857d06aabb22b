"""One locator for shipped resources, the same in a checkout, an installed wheel and a frozen app.

Nothing is ever resolved against the current directory: a double-clicked app starts anywhere.
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """The folder holding `samples/`, `icons/` and the desktop entry."""
    package_dir = Path(__file__).resolve().parent
    candidates = [
        package_dir / "resources",  # installed wheel: mapped to lstm_studio/resources
        package_dir.parent / "resources",  # source checkout or editable install
    ]
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        candidates.insert(0, Path(frozen_root) / "lstm_studio" / "resources")
    for candidate in candidates:
        if (candidate / "samples").is_dir():
            return candidate
    raise FileNotFoundError("LSTM Studio's resources folder is missing from this installation.")


def resource(*parts: str) -> Path:
    """Path of one shipped resource, e.g. resource("samples", "reviews.csv")."""
    return resources_dir().joinpath(*parts)


SAMPLES: dict[str, str] = {"reviews": "reviews.csv", "lm": "lm-text.txt"}


def sample_paths(kind: str = "reviews") -> list[str]:
    """The built-in sample of that kind ("reviews" or "lm") as a list of paths to load."""
    return [str(resource("samples", SAMPLES.get(kind, SAMPLES["lm"])))]
