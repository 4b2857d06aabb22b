"""Inspect tab responsiveness on a long sentence: showing a trace, and one step of the cursor.

Builds a fresh LSTM classifier (embedding and hidden 128 by default), traces 300 token ids with
the gates core, then times, offscreen at 1280x760: `show` (heatmaps, token strip, drawing and
formulas for a new trace) and `step` (moving the cursor one token: every view refreshed).
Stepping must stay far below the ~50 ms a key press can take before it feels slow.

Usage: QT_QPA_PLATFORM=offscreen python bench/bench_inspect.py [--tokens T] [--hidden H]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()

    import torch
    from PySide6.QtWidgets import QApplication

    from lstm_studio.core.config import ModelConfig
    from lstm_studio.core.gates import trace
    from lstm_studio.core.inspection import Inspection
    from lstm_studio.core.models import build_model
    from lstm_studio.gui.inspect.tab import InspectTab
    from lstm_studio.gui.state import AppState

    torch.set_num_threads(1)
    app = QApplication.instance() or QApplication([])
    config = ModelConfig(cell="lstm", embedding_dim=args.hidden, hidden_size=args.hidden,
                         vocab_size=5000, num_classes=2)
    torch.manual_seed(0)
    model = build_model(config).eval()
    ids = torch.randint(2, 5000, (args.tokens,)).tolist()
    started = time.perf_counter()
    traced = trace(model, ids)
    trace_s = time.perf_counter() - started
    tab = InspectTab(AppState())
    tab.resize(1280, 760)
    tab.show()
    app.processEvents()
    inspection = Inspection(trace=traced, kind="model", description="bench", text="",
                            predictions=[])
    walk = tab.walk
    started = time.perf_counter()
    walk.show_inspection(inspection)
    app.processEvents()
    show_s = time.perf_counter() - started
    walk.set_stage("cell")
    started = time.perf_counter()
    for _ in range(args.steps):
        walk.step_by(1)
        app.processEvents()
    step_s = (time.perf_counter() - started) / args.steps
    print(f"tokens={args.tokens} hidden={args.hidden}: core trace {trace_s * 1000:.0f} ms, "
          f"show a new trace {show_s * 1000:.0f} ms, one step (all views, painted) "
          f"{step_s * 1000:.1f} ms")
    tab.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
