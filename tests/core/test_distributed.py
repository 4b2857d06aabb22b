"""Data-parallel training with two gloo processes on the CPU: one step on two processes is one
step on the whole batch in one process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from ddp_step_worker import one_step

from lstm_studio.core.world import metrics_from_tensor, metrics_to_tensor

WORKER = Path(__file__).with_name("ddp_step_worker.py")

pytestmark = pytest.mark.skipif(not torch.distributed.is_available()
                                or not torch.distributed.is_gloo_available(),
                                reason="torch.distributed with gloo is not available")


def run_workers(out: Path, processes: int) -> dict:
    """The worker in `processes` processes with the environment torchrun gives its workers
    (the launcher itself is exercised by tests/cli/test_distributed_command.py)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = {**os.environ, "OMP_NUM_THREADS": "1", "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port), "WORLD_SIZE": str(processes)}
    workers = [subprocess.Popen([sys.executable, str(WORKER), str(out)],
                                env={**base, "RANK": str(rank), "LOCAL_RANK": str(rank)},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for rank in range(processes)]
    outputs = [worker.communicate(timeout=50)[0] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), outputs
    return json.loads(out.read_text(encoding="utf-8"))


def test_one_data_parallel_step_equals_one_step_on_the_whole_batch(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    single = {task: one_step(task, None) for task in ("classify", "lm")}
    double = run_workers(tmp_path / "double.json", 2)
    assert double["processes"] == 2
    for task in ("classify", "lm"):
        one, two = single[task], double[task]
        assert one["loss"] == pytest.approx(two["loss"], abs=1e-6)  # reduced over processes
        moved = 0.0
        for key, weights in one["weights"].items():
            difference = np.abs(np.array(weights) - np.array(two["weights"][key])).max()
            assert difference <= 1e-6, (task, key, difference)
            moved = max(moved, float(np.abs(np.array(weights)).max()))
        assert moved > 0


def test_validation_figures_travel_as_floats_with_absent_ones_left_out() -> None:
    metrics = {"loss": 0.5, "accuracy": 0.75, "macro_f1": None, "documents": 12}
    assert metrics_from_tensor(metrics_to_tensor(metrics)) == {"loss": 0.5, "accuracy": 0.75}
    assert metrics_from_tensor(metrics_to_tensor({})) == {}
