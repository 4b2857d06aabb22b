"""Training checkpoints: the state round trip, damaged files, and a SIGKILL in the middle of a
write leaving the previous checkpoint loadable."""

from __future__ import annotations

import json
import math
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from train_fixtures import quick_train_config, small_model_config

from lstm_studio.core.batching import encode_classification
from lstm_studio.core.errors import CheckpointError
from lstm_studio.core.models import build_model
from lstm_studio.core.run_checkpoint import (
    load_training_checkpoint,
    pack,
    save_training_checkpoint,
    unpack,
)
from lstm_studio.core.run_dir import RunDir
from lstm_studio.core.trainer import Trainer

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[2]


def test_pack_keeps_what_json_alone_would_lose() -> None:
    value = {"state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.ones(2, 3)}},
             "groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1]}],
             "best": math.inf, "worst": -math.inf, "nan": math.nan, "raw": b"\x00\xff",
             "none": None, "flag": True, "__odd": 1}
    tensors: dict[str, torch.Tensor] = {}
    text = json.dumps(pack(value, "x", tensors), allow_nan=False)
    back = unpack(json.loads(text), tensors)
    assert set(back["state"]) == {0}  # an integer key stays an integer
    assert torch.equal(back["state"][0]["exp_avg"], torch.ones(2, 3))
    assert back["groups"][0]["betas"] == (0.9, 0.999)  # a tuple stays a tuple
    assert back["best"] == math.inf and back["worst"] == -math.inf and math.isnan(back["nan"])
    assert back["raw"] == b"\x00\xff" and back["none"] is None and back["flag"] is True
    assert back["__odd"] == 1
    with pytest.raises(TypeError):
        pack({"x": object()}, "y", {})


def small_trainer(epochs: int = 2, plateau: bool = True) -> Trainer:
    rng = random.Random(0)
    ids = [[rng.randrange(2, 40) for _ in range(rng.randint(2, 9))] for _ in range(40)]
    data = encode_classification(ids, [i % 2 for i in range(40)], None)
    torch.manual_seed(0)
    model = build_model(small_model_config(vocab_size=40, num_classes=2, dropout=0.2))
    config = quick_train_config(epochs=epochs, batch_size=8, plateau_schedule=plateau)
    return Trainer(model, config, data, data, ["a", "b"])


def test_a_checkpoint_puts_everything_back(tmp_path: Path) -> None:
    trainer = small_trainer()
    trainer.fit()
    path = tmp_path / "checkpoint.safetensors"
    rng = {"cpu": [torch.get_rng_state()], "python": random.getstate()}
    size = save_training_checkpoint(path, trainer, rng, {"run_id": "r1"})
    assert size == path.stat().st_size
    loaded = load_training_checkpoint(path)
    assert (loaded.epoch, loaded.global_step, loaded.info["run_id"]) == (2, 10, "r1")

    fresh = small_trainer()
    loaded.apply(fresh)
    assert all(torch.equal(a, b) for a, b in zip(trainer.model.state_dict().values(),
                                                fresh.model.state_dict().values(), strict=True))
    assert fresh.state.history == trainer.state.history
    assert fresh.state.best_key == trainer.state.best_key
    assert torch.equal(fresh.state.best_state["head.weight"],
                       trainer.state.best_state["head.weight"])
    assert fresh.optimizer is not None and trainer.optimizer is not None
    old, new = trainer.optimizer.state_dict(), fresh.optimizer.state_dict()
    assert old["param_groups"] == new["param_groups"]
    assert all(torch.equal(old["state"][k]["exp_avg_sq"], new["state"][k]["exp_avg_sq"])
               for k in old["state"])
    assert fresh.scheduler is not None and trainer.scheduler is not None
    assert fresh.scheduler.state_dict() == trainer.scheduler.state_dict()
    assert torch.equal(torch.get_rng_state(), rng["cpu"][0])


def test_damaged_and_foreign_checkpoints_are_one_sentence(tmp_path: Path) -> None:
    trainer = small_trainer(epochs=1)
    trainer.fit()
    path = tmp_path / "checkpoint.safetensors"
    save_training_checkpoint(path, trainer, {"cpu": [torch.get_rng_state()]}, {})
    data = path.read_bytes()
    cases = {"truncated": data[: len(data) // 2], "garbage": b"not a checkpoint at all",
             "empty": b""}
    for name, content in cases.items():
        target = tmp_path / f"{name}.safetensors"
        target.write_bytes(content)
        with pytest.raises(CheckpointError, match="is damaged and cannot be loaded"):
            load_training_checkpoint(target)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign))
    with pytest.raises(CheckpointError, match="not an LSTM Studio training checkpoint"):
        load_training_checkpoint(foreign)
    with pytest.raises(CheckpointError, match="There is no checkpoint at"):
        load_training_checkpoint(tmp_path / "missing.safetensors")


WRITER = textwrap.dedent("""
    import os, sys, time
    sys.path[:0] = [{repo!r}, {tests!r}]
    import torch
    from tests.core.test_run_checkpoint import small_trainer
    from lstm_studio.core.run_checkpoint import save_training_checkpoint
    torch.set_num_threads(1)
    path, mode = sys.argv[1], sys.argv[2]
    trainer = small_trainer(epochs=1)
    trainer.fit()
    rng = {{"cpu": [torch.get_rng_state()]}}
    save_training_checkpoint(path, trainer, rng, {{"version": 1}})
    print("saved", flush=True)
    if mode == "hang-in-fsync":  # the new file's bytes are written, not yet renamed
        real_fsync = os.fsync
        def slow_fsync(fd):
            real_fsync(fd)
            print("writing", flush=True)
            time.sleep(60)
        os.fsync = slow_fsync
        trainer.state.global_step = 99
        save_training_checkpoint(path, trainer, rng, {{"version": 2}})
    else:  # keep writing checkpoints until killed
        version = 2
        while True:
            trainer.state.global_step = version
            save_training_checkpoint(path, trainer, rng, {{"version": version}})
            version += 1
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_while_writing_leaves_the_previous_checkpoint_loadable(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(repo=str(REPO), tests=str(REPO / "tests")), encoding="utf-8")
    path = tmp_path / "run" / "checkpoint.safetensors"

    def kill_when(mode: str, marker: str, delay: float = 0.0) -> None:
        process = subprocess.Popen([sys.executable, str(script), str(path), mode],
                                   stdout=subprocess.PIPE, text=True)
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if line.strip() == marker:
                    break
            time.sleep(delay)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=20)

    kill_when("hang-in-fsync", "writing")
    assert list(path.parent.glob(".*.tmp"))  # the half-done write is left aside...
    loaded = load_training_checkpoint(path)  # ...and the previous checkpoint is whole
    assert loaded.info["version"] == 1 and loaded.global_step == 5
    RunDir(path.parent).remove_stale_temporaries()
    assert not list(path.parent.glob(".*.tmp"))

    # Killed at an arbitrary moment of a stream of writes: some whole version is there.
    kill_when("loop", "saved", delay=0.1)
    loaded = load_training_checkpoint(path)
    assert loaded.info["version"] >= 1 and loaded.epoch == 1
