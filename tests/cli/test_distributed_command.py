"""`lstm-studio train --nproc N` and the user's own `torchrun ... -m lstm_studio train`: gloo on
the CPU with two processes; bad requests end at once with one sentence."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from train_fixtures import write_split_files

from lstm_studio.cli import main
from lstm_studio.core.run_log import read_log
from lstm_studio.core.runs import RunStore

TRAIN = ["--lang", "any", "--embedding", "16", "--hidden", "16", "--batch-size", "16",
         "--lr", "0.01", "--threads", "1", "--seed", "1"]

needs_gloo = pytest.mark.skipif(not torch.distributed.is_available()
                                or not torch.distributed.is_gloo_available(),
                                reason="torch.distributed with gloo is not available")


@pytest.fixture
def reviews(tmp_path: Path) -> list[str]:
    return write_split_files(tmp_path, (("train", 192, 1), ("valid", 64, 2), ("test", 32, 3)))


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "lstm_studio", *args]


def test_bad_requests_end_at_once_with_one_sentence(reviews: list[str], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def error(*argv: str) -> str:
        started = time.monotonic()
        assert main(["train", *reviews, *TRAIN, *argv]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1, captured.err
        assert time.monotonic() - started < 30  # nothing was launched, nothing waited
        return captured.err

    assert "--nproc must be at least 1 (it is 0)" in error("--nproc", "0")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert f"Port {port} is already in use" in error("--nproc", "2", "--master-port",
                                                          str(port))
    assert "--master-port goes with --nproc" in error("--master-port", "29999")
    assert "not a port number" in error("--nproc", "2", "--master-port", "70000")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert "under torchrun leave it out" in error("--nproc", "2")
    assert RunStore().list_runs() == []  # none of them got as far as recording a run


def process_of_rank(launcher: int, rank: int) -> int | None:
    """The pid of the training process with RANK=rank among the launcher's children."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            environ = (entry / "environ").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if parent == launcher and f"RANK={rank}".encode() in environ:
            return int(entry.name)
    return None


@needs_gloo
@pytest.mark.slow
@pytest.mark.timeout(240)
def test_two_processes_learn_what_one_does_and_write_one_model_and_one_record(
        reviews: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "LSTM_STUDIO_HOME": str(tmp_path / "home"), "OMP_NUM_THREADS": "1"}
    one = subprocess.run(cli("train", *reviews, *TRAIN, "--epochs", "4", "--json",
                             "--out", str(tmp_path / "one" / "model.safetensors")),
                         env=env, capture_output=True, text=True, timeout=100)
    assert one.returncode == 0, one.stderr
    # The way a cluster user starts it: torchrun itself, with -m lstm_studio.
    two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                          "--nproc-per-node", "2", "-m", "lstm_studio", "train", *reviews,
                          *TRAIN, "--epochs", "4", "--json",
                          "--out", str(tmp_path / "two" / "model.safetensors")],
                         env=env, capture_output=True, text=True, timeout=150)
    assert two.returncode == 0, two.stderr
    single, double = json.loads(one.stdout), json.loads(two.stdout)  # rank 0 printed alone
    assert "distributed" not in single
    assert double["distributed"] == {"processes": 2, "backend": "gloo", "batch_size": 16,
                                     "per_process_batch": 8.0, "lr": 0.01}
    assert abs(single["valid"]["accuracy"] - double["valid"]["accuracy"]) <= 0.02
    for a, b in zip(single["history"], double["history"], strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=0.02)
    assert [p.name for p in (tmp_path / "two").iterdir()] == ["model.safetensors"]
    runs = RunStore(tmp_path / "home" / "runs").list_runs()
    assert len(runs) == 2 and {r.status for r in runs} == {"finished"}
    assert sorted(r.processes for r in runs) == [1, 2]
    lines = [json.loads(line) for line in two.stderr.splitlines() if line.startswith("{")]
    assert any(line["stage"] == "distributed" for line in lines)


@needs_gloo
@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_one_process_stops_the_other_with_a_message_and_the_run_resumes(
        reviews: list[str], tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "LSTM_STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1"}
    launcher = subprocess.Popen(cli("train", *reviews, *TRAIN, "--epochs", "200",
                                    "--nproc", "2", "--out", str(tmp_path / "m.safetensors")),
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    try:
        deadline = time.monotonic() + 100
        while not any(line.get("event") == "checkpoint" for folder in
                      (home / "runs").glob("*") for line in read_log(folder / "log.jsonl").lines):
            assert time.monotonic() < deadline and launcher.poll() is None
            time.sleep(0.1)
        victim = process_of_rank(launcher.pid, 1)
        assert victim is not None
        os.kill(victim, signal.SIGKILL)
        _, err = launcher.communicate(timeout=90)
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert launcher.returncode == 2
    assert err.strip().splitlines()[-1].startswith(
        "lstm-studio: error: Training process 1 of 2 was killed by SIGKILL, so the others "
        "were stopped. Resume it with: lstm-studio train --resume ")
    [record] = RunStore(home / "runs").list_runs()
    assert record.status == "interrupted" and record.resumable and record.processes == 2
    assert not (tmp_path / "m.safetensors").exists()

    resumed = subprocess.run(cli("train", "--resume", record.run_id, "--epochs",
                                 str(record.last_checkpoint["epoch"] + 1), "--json"),
                             env=env, capture_output=True, text=True, timeout=100)
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert result["status"] == "finished" and result["resumed_from"]["run"] == record.run_id
    assert (tmp_path / "m.safetensors").exists()
    final = RunStore(home / "runs").get(record.run_id)
    assert final.processes == 1 and final.resumes[0]["processes"] == 1


@needs_gloo
@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a process is POSIX")
def test_ctrl_c_to_the_launcher_stops_every_process_at_the_same_step(
        reviews: list[str], tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "LSTM_STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1"}
    launcher = subprocess.Popen(cli("train", *reviews, *TRAIN, "--epochs", "200", "--nproc",
                                    "2", "--json"),
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    try:
        deadline = time.monotonic() + 100
        while not any(line.get("event") == "epoch" for folder in (home / "runs").glob("*")
                      for line in read_log(folder / "log.jsonl").lines):
            assert time.monotonic() < deadline and launcher.poll() is None
            time.sleep(0.1)
        launcher.send_signal(signal.SIGINT)  # what Ctrl+C in its terminal does
        out, err = launcher.communicate(timeout=90)
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert launcher.returncode == 0, err
    result = json.loads(out)
    assert result["status"] == "stopped" and "Stopped by the user" in result["message"]
    [record] = RunStore(home / "runs").list_runs()
    assert record.status == "stopped" and record.resumable
