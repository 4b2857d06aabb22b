"""Gate tracing cost on a long sentence: trace, prefix predictions and gradient flow.

Times each tool on a freshly initialised classifier (300 token ids, embedding and hidden 128,
one thread) for LSTM, GRU and RNN, and the largest |traced h_t - nn.LSTM output| as a check.
The Inspect tab runs these when a sentence is typed, so they must stay well under a second.

Usage: python bench/bench_gates.py [--tokens T] [--hidden H] [--repeat R]
A readable table goes to stderr; stdout is one JSON object with the figures in milliseconds,
{"tokens": 300, "hidden": 128, "repeat": 3, "cells": {"lstm": {"trace_ms": ..., ...}, ...}}.
This is where tracing speed is measured (tests/core/test_gates_exact.py checks correctness).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import torch

    from lstm_studio.core.config import ModelConfig
    from lstm_studio.core.gates import gradient_flow, prefix_predictions, trace
    from lstm_studio.core.models import build_model

    torch.set_num_threads(1)
    print(f"{args.tokens} tokens, embedding/hidden {args.hidden}, 1 thread, best of "
          f"{args.repeat}", file=sys.stderr)
    figures: dict[str, dict[str, float]] = {}
    for cell in ("lstm", "gru", "rnn"):
        torch.manual_seed(0)
        model = build_model(ModelConfig(cell=cell, embedding_dim=args.hidden,
                                        hidden_size=args.hidden, vocab_size=5000,
                                        num_classes=2)).eval()
        ids = torch.randint(2, 5000, (args.tokens,))
        traced = trace(model, ids)
        with torch.no_grad():
            output, _ = model.rnn_outputs(ids[None], torch.tensor([args.tokens]))
        error = float(abs(torch.from_numpy(traced.output) - output[0].double()).max())
        t_trace = _best(lambda m=model, i=ids: trace(m, i), args.repeat)
        t_prefix = _best(lambda m=model, i=ids: prefix_predictions(m, i), args.repeat)
        t_grad = _best(lambda m=model, i=ids: gradient_flow(m, i, 0), args.repeat)
        print(f"{cell:>4}: trace {t_trace * 1000:6.0f} ms   prefix predictions "
              f"{t_prefix * 1000:6.0f} ms   gradient flow {t_grad * 1000:6.0f} ms   "
              f"max |h - nn.{cell.upper()}| {error:.1e}", file=sys.stderr)
        figures[cell] = {"trace_ms": round(t_trace * 1000, 1),
                         "prefix_predictions_ms": round(t_prefix * 1000, 1),
                         "gradient_flow_ms": round(t_grad * 1000, 1), "max_abs_error": error}
    print(json.dumps({"tokens": args.tokens, "hidden": args.hidden, "repeat": args.repeat,
                      "threads": 1, "cells": figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
