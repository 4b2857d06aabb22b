"""How close the training memory estimate (core/model_size.py) is to what training really
holds: for a few settings, a child process trains a few steps on random data shaped like the
settings (every batch at the maximum length) and reports its peak resident memory above what
it held before building the model. The estimate is meant to be an upper-side figure: a ratio
measured/estimate below 1 means training needed less than the form and the refusal said.

    .venv/bin/python bench/bench_memory_estimate.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lstm_studio.core.config import ModelConfig, TrainConfig  # noqa: E402
from lstm_studio.core.model_size import estimate_training_memory  # noqa: E402

SETTINGS: list[tuple[str, dict, dict, int]] = [
    ("app default, vocabulary 20k", {"vocab_size": 20000, "num_classes": 2}, {}, 256),
    ("big embedding table", {"vocab_size": 200000, "embedding_dim": 300, "num_classes": 2},
     {}, 128),
    ("wide BiLSTM, 2 layers", {"vocab_size": 20000, "hidden_size": 384, "num_layers": 2,
                               "bidirectional": True, "num_classes": 2}, {"batch_size": 64}, 128),
    ("language model", {"task": "lm", "vocab_size": 30000, "hidden_size": 256,
                        "embedding_dim": 256}, {"batch_size": 32}, 128),
]

# The child's peak is its own address space's high-water mark (VmHWM): Linux carries
# getrusage's ru_maxrss across exec, so that figure would start at this parent's peak.
CHILD = """
import json, sys, torch
from lstm_studio.core.batching import encode_classification, encode_lm
from lstm_studio.core.config import ModelConfig, TrainConfig
from lstm_studio.core.models import build_model
from lstm_studio.core.trainer import Trainer
model_args, train_args, length = json.loads(sys.argv[1])
torch.set_num_threads(2)
model_config = ModelConfig(**model_args)
config = TrainConfig(epochs=1, **train_args, max_len=length)
count = config.batch_size * 2  # two training steps and one validation pass reach the peak
generator = torch.Generator().manual_seed(0)
ids = torch.randint(4, model_config.vocab_size, (count, length), generator=generator).tolist()
if model_config.task == "lm":
    data = encode_lm(ids, 2, 3, length)
else:
    data = encode_classification(ids, [i % 2 for i in range(count)], length, 1)
def peak_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
before = peak_kib()
torch.manual_seed(0)
Trainer(build_model(model_config), config, data, data, ["neg", "pos"]).fit()
after = peak_kib()
print(json.dumps({"held_mb": (after - before) / 1024}))
"""


def main() -> int:
    rows = []
    for name, model_args, train_args, length in SETTINGS:
        estimate = estimate_training_memory(ModelConfig(**model_args),
                                            TrainConfig(**train_args), length)
        result = subprocess.run([sys.executable, "-c", CHILD,
                                 json.dumps([model_args, train_args, length])],
                                capture_output=True, text=True, timeout=900, check=True)
        held = json.loads(result.stdout.strip().splitlines()[-1])["held_mb"]
        rows.append({"settings": name, "parameters": estimate.parameters,
                     "estimate_mb": round(estimate.total / 2**20, 1),
                     "measured_mb": round(held, 1),
                     "measured_over_estimate": round(held / (estimate.total / 2**20), 2)})
    print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
