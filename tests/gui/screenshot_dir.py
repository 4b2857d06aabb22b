"""Where GUI tests save screenshots to look at by eye: outside the checkout.

`LSTM_STUDIO_SCREENSHOTS` chooses the folder; by default it is `lstm-studio-screenshots` in the
system's temporary folder, so a test run leaves the working tree as it found it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SCREENSHOTS = Path(os.environ.get("LSTM_STUDIO_SCREENSHOTS")
                   or Path(tempfile.gettempdir()) / "lstm-studio-screenshots")
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
