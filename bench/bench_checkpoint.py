"""What a training checkpoint costs: size, write and read time for the NTC-SCV-sized model.

The model is the one the Train tab's benchmarks use (LSTM, embedding 200, hidden 128, a
20,000-word vocabulary, two classes), after one Adam step on a synthetic batch so the
optimizer holds its two moment tensors, with a best-epoch copy of the weights, as a real run's
checkpoint does. No data needed. The write goes through the atomic path (temporary file, fsync,
rename) into a temporary folder; the last line printed is the JSON of the figures.

    .venv/bin/python bench/bench_checkpoint.py
    .venv/bin/python bench/bench_checkpoint.py --vocab 50000 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from lstm_studio.core.batching import encode_classification  # noqa: E402
from lstm_studio.core.config import ModelConfig, TrainConfig  # noqa: E402
from lstm_studio.core.models import build_model, count_parameters  # noqa: E402
from lstm_studio.core.run_checkpoint import (  # noqa: E402
    capture_random_state,
    load_training_checkpoint,
    save_training_checkpoint,
)
from lstm_studio.core.trainer import Trainer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(2, args.vocab, (64, 60), generator=generator).tolist()
    data = encode_classification(ids, [i % 2 for i in range(64)], None)
    model = build_model(ModelConfig(cell="lstm", embedding_dim=200, hidden_size=128,
                                    vocab_size=args.vocab, num_classes=2))
    trainer = Trainer(model, TrainConfig(epochs=1, batch_size=64, threads=1), data)
    trainer.fit()  # one step: Adam's moments exist; the best weights are kept
    writes, reads = [], []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "checkpoint.safetensors"
        size = 0
        for _ in range(args.repeats):
            started = time.perf_counter()
            size = save_training_checkpoint(path, trainer, capture_random_state(trainer), {})
            writes.append(time.perf_counter() - started)
            started = time.perf_counter()
            load_training_checkpoint(path)
            reads.append(time.perf_counter() - started)
    figures = {"parameters": count_parameters(model), "bytes": size,
               "write_s_median": round(statistics.median(writes), 3),
               "write_s_min": round(min(writes), 3),
               "read_s_median": round(statistics.median(reads), 3)}
    print(f"{figures['parameters']:,} parameters: checkpoint of {size / 1e6:.1f} MB written in "
          f"{figures['write_s_median']} s, read in {figures['read_s_median']} s (medians)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
