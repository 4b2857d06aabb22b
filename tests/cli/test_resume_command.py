"""`lstm-studio train --resume`: a run killed with SIGKILL goes on exactly where its last
checkpoint left it, and every reason it cannot is one sentence with a non-zero exit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from train_fixtures import write_split_files

from lstm_studio.cli import main
from lstm_studio.core.run_checkpoint import load_training_checkpoint
from lstm_studio.core.run_log import read_log
from lstm_studio.core.runs import RunStore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

TRAIN = ["--lang", "any", "--embedding", "12", "--hidden", "10", "--dropout", "0.3",
         "--batch-size", "8", "--lr", "0.02", "--threads", "1", "--seed", "3"]


@pytest.fixture
def reviews(tmp_path: Path) -> list[str]:
    return write_split_files(tmp_path, (("train", 96, 1), ("valid", 24, 2)))


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "lstm_studio", *args]


def step_losses(folder: Path) -> dict[int, float]:
    return {line["global_step"]: line["loss"] for line in read_log(folder / "log.jsonl").lines
            if line["event"] == "step"}


def run_folder(home: Path) -> Path:
    [folder] = [path for path in (home / "runs").iterdir() if path.is_dir()]
    return folder


def wait_for(predicate, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_kill_9_then_resume_gives_the_uninterrupted_losses(reviews: list[str], tmp_path: Path,
                                                           monkeypatch) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    whole_home, cut_home = tmp_path / "whole", tmp_path / "cut"
    done = subprocess.run(cli("train", *reviews, *TRAIN, "--epochs", "4", "--json",
                              "--out", str(tmp_path / "whole.safetensors")),
                          env={**env, "LSTM_STUDIO_HOME": str(whole_home)},
                          capture_output=True, text=True, timeout=50)
    assert done.returncode == 0, done.stderr
    expected = step_losses(run_folder(whole_home))
    assert len(expected) == 4 * 12

    # The same run, checkpointing at almost every step, killed once it has finished two epochs
    # and is part-way into the third.
    process = subprocess.Popen(
        cli("train", *reviews, *TRAIN, "--epochs", "4", "--checkpoint-minutes", "0.0001",
            "--out", str(tmp_path / "cut.safetensors")),
        env={**env, "LSTM_STUDIO_HOME": str(cut_home)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: any((cut_home / "runs").glob("*/run.json")))
        folder = run_folder(cut_home)

        def into_third_epoch() -> bool:
            record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
            point = record.get("last_checkpoint") or {}
            return point.get("epoch") == 2 and point.get("epoch_step", 0) >= 3
        wait_for(into_third_epoch)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    record = RunStore(cut_home / "runs").get(folder.name)
    assert record.status == "interrupted" and record.resumable
    # The checkpoint file is written before the record notes it: the file is the truth.
    checkpoint = load_training_checkpoint(folder / "checkpoint.safetensors")
    point = {"epoch_step": checkpoint.state["epoch_step"], "global_step": checkpoint.global_step}
    assert checkpoint.epoch == 2 and point["epoch_step"] >= record.last_checkpoint["epoch_step"]
    assert not (tmp_path / "cut.safetensors").exists()  # killed: no model file yet

    monkeypatch.setenv("LSTM_STUDIO_HOME", str(cut_home))
    resumed = subprocess.run(cli("train", "--resume", folder.name, "--json"),
                             env={**env, "LSTM_STUDIO_HOME": str(cut_home)},
                             capture_output=True, text=True, timeout=50)
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert result["resumed_from"] == {"run": folder.name, "epoch": 2,
                                      "epoch_step": point["epoch_step"],
                                      "global_step": point["global_step"]}
    assert result["status"] == "finished" and result["epochs"] == 4
    assert result["model"] == str(tmp_path / "cut.safetensors")
    got = step_losses(folder)
    assert sorted(got) == sorted(expected)  # the log was cut back to the checkpoint
    after = [step for step in expected if step > point["global_step"]]
    assert len(after) >= 12
    worst = max(abs(got[step] - expected[step]) for step in after)
    assert worst <= 1e-5
    # The epoch figures of the resumed run are those of the uninterrupted one too.
    whole = json.loads(done.stdout)["history"]
    assert [round(h["valid_loss"], 6) for h in result["history"]] == \
        [round(h["valid_loss"], 6) for h in whole]
    progress = [json.loads(line) for line in resumed.stderr.splitlines()]
    assert {line["stage"] for line in progress} >= {"reading", "training", "epoch"}
    assert RunStore(cut_home / "runs").get(folder.name).resumes[0]["epoch"] == 2


def test_what_cannot_be_resumed_is_said_in_one_line(reviews: list[str], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture) -> None:
    assert main(["train", *reviews, *TRAIN, "--epochs", "2", "--json",
                 "--out", str(tmp_path / "m.safetensors")]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    folder = RunStore().run_dir(run_id).path

    # As if its process had been killed: `runs` lists it as interrupted with its checkpoint.
    store = RunStore()
    record = store.get(run_id)
    record.status, record.pid = "running", int(subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
        text=True, check=True).stdout)  # a process that has ended
    store.save(record)
    assert main(["runs", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["status"], row["resumable"], row["folder"]) == ("interrupted", True, str(folder))
    assert row["last_checkpoint"]["epoch"] == 2 and row["valid"] is not None
    assert main(["runs"]) == 0
    listing = capsys.readouterr().out
    assert f"{run_id} interrupted" in listing and "epoch 2 " in listing
    assert f"Resume a run with: lstm-studio train --resume {run_id}" in listing

    def error(*argv: str) -> str:
        assert main(["train", *argv]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1, captured.err
        return captured.err

    assert "has already trained 2 epochs; give --epochs with more than 2" in error(
        "--resume", run_id)
    message = error("--resume", run_id, "--epochs", "3", "--hidden", "32", "--cell", "gru",
                    "--lang", "vi")
    assert ("cell 'gru' (the run has 'lstm'); hidden size 32 (the run has 10); the cleaning "
            "settings") in message
    assert "leave out the dataset PATHs" in error("--resume", run_id, reviews[0])
    assert "There is no run nope in the run history" in error("--resume", "nope")

    damaged = folder / "checkpoint.safetensors"
    damaged.write_bytes(damaged.read_bytes()[:300])
    assert "is damaged and cannot be loaded" in error("--resume", str(folder), "--epochs", "3")
    damaged.unlink()
    assert "has no checkpoint to resume from" in error("--resume", run_id, "--epochs", "3")

    # The same values as the run's are no difference: only the missing checkpoint stops it.
    assert "no checkpoint" in error("--resume", run_id, "--epochs", "3", "--hidden", "10")


def test_a_run_killed_while_reading_its_data_is_listed(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("".join(f"__label__{'pos' if i % 2 else 'neg'} word{i} w{i % 7}\n"
                           for i in range(400_000)), encoding="utf-8")
    home = tmp_path / "home"
    process = subprocess.Popen(cli("train", str(big), "--lang", "any", "--epochs", "1"),
                               env={**os.environ, "LSTM_STUDIO_HOME": str(home)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: any((home / "runs").glob("*/run.json")))
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    [record] = RunStore(home / "runs").list_runs()
    assert record.status == "interrupted" and not record.resumable
    assert record.data_config["sources"] == [str(big)]
