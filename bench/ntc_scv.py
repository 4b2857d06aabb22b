"""Where the benchmarks find the real NTC-SCV zips: `../shared` beside the checkout.

`LSTM_STUDIO_SHARED` points elsewhere (the tests honour it too, see tests/conftest.py).
Every benchmark that needs the data exits 0 with a message when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LSTM_STUDIO_SHARED", REPO_ROOT.parent / "shared"))
NTC_SCV_DIR = SHARED / "data" / "ntc-scv"
NTC_SCV_ZIPS = [NTC_SCV_DIR / "data_train.zip", NTC_SCV_DIR / "data_test.zip"]


def zips_present() -> bool:
    return all(path.is_file() for path in NTC_SCV_ZIPS)
