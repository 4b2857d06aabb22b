"""`lstm-studio train ... --nproc N`: start N data-parallel training processes on this machine
with torchrun's launcher (torch.distributed.run, the engine behind `torchrun`).

This process only launches and waits: the workers run the same command line (the
`LSTM_STUDIO_DIST_ERRORS` variable tells them they were started here and names a folder the
two sides share), join through a rendezvous on a local port, and rank 0 prints the result.
When a worker fails, torchrun's agent stops the others; the worker's one-sentence error
(written to that folder) becomes this command's error, or, for a worker that died without a
word, what killed it. The workers run in sessions of their own, so the terminal's Ctrl+C
reaches only this process: the first one writes a stop file in the folder, which the workers
look for after every step (they stop together and save a checkpoint); a second one has the
agent kill them. Nothing here waits without a limit: the rendezvous has a join timeout and
the collectives have theirs (core/distributed.py).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from lstm_studio.core.errors import ConfigError, UserError
from lstm_studio.core.run_dir import RunDir

ERRORS_ENV = "LSTM_STUDIO_DIST_ERRORS"
RUN_FILE = "run"  # rank 0 writes its run folder here
STOP_FILE = "stop"  # the launcher's Ctrl+C, for the workers (they run in their own sessions)
JOIN_TIMEOUT_S = 120  # all local processes must have started and met within this


def started_by_launcher() -> bool:
    return bool(os.environ.get(ERRORS_ENV))


def check_nproc(nproc: int, device: str | None) -> None:
    if nproc < 1:
        raise ConfigError(f"--nproc must be at least 1 (it is {nproc}): the number of training "
                          "processes to start on this machine.")
    name = (device or "cpu").lower()
    if name.startswith("cuda") or name == "auto":
        import torch

        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if name.startswith("cuda") and nproc > gpus:
            raise ConfigError(f"--nproc {nproc} needs a GPU per process on device cuda, but "
                              f"{gpus} {'is' if gpus == 1 else 'are'} available.")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def check_port(port: int, host: str = "127.0.0.1") -> None:
    if not 0 < port < 65536:
        raise ConfigError(f"--master-port {port} is not a port number (1-65535).")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as error:
            raise ConfigError(f"Port {port} is already in use on this machine; choose another "
                              "with --master-port, or leave it out to use a free one.") from error


def worker_command(argv: list[str]) -> tuple[str, list[str]]:
    """The program and arguments that run this same command line as a worker (what torchrun
    runs for `-m lstm_studio ...`, or the packaged app, which is its own interpreter)."""
    if getattr(sys, "frozen", False):
        return sys.executable, list(argv)
    return sys.executable, ["-u", "-m", "lstm_studio", *argv]


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def _interrupts_to_workers(folder: Path) -> Iterator[None]:
    """First Ctrl+C: the workers stop after their current step (the stop file); second: the
    agent kills them at once."""
    from torch.distributed.elastic.multiprocessing.api import SignalException

    def handler(signum: int, frame: object) -> None:
        stop = folder / STOP_FILE
        if stop.exists():
            raise SignalException("interrupted twice",
                                  sigval=getattr(signal, "SIGKILL", signal.SIGTERM))
        stop.write_text("stop\n", encoding="utf-8")
        print("\nStopping the training processes after their current step (Ctrl+C again to "
              "abort)...", file=sys.stderr)

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def launch(args: argparse.Namespace) -> int:
    """Start `args.nproc` workers running `args.argv` and wait for them; their exit status."""
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    check_nproc(args.nproc, args.device)
    if args.master_port is not None:
        check_port(args.master_port)
    port = args.master_port or free_port()
    folder = Path(tempfile.mkdtemp(prefix="lstm-studio-dist-"))
    # What `torchrun --standalone --nproc-per-node N` sets up, on the chosen port; SIGINT is
    # this process's (see _interrupts_to_workers).
    config = LaunchConfig(
        min_nodes=1, max_nodes=1, nproc_per_node=args.nproc, run_id=uuid.uuid4().hex,
        role="lstm-studio", rdzv_backend="c10d", rdzv_endpoint=f"127.0.0.1:{port}",
        rdzv_configs={"join_timeout": JOIN_TIMEOUT_S}, max_restarts=0, monitor_interval=0.2,
        start_method="spawn", signals_to_handle="SIGTERM,SIGHUP,SIGQUIT")
    program, program_args = worker_command(list(args.argv))
    env = {ERRORS_ENV: str(folder),
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(args.threads or 1))}
    # The agent logs each failure; this command reports it in one sentence instead.
    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)
    try:
        with _environment(env), _interrupts_to_workers(folder):
            elastic_launch(config, program)(*program_args)
        return 0
    except ChildFailedError as error:
        return _report_failure(error, folder, args.nproc)
    except SignalException as error:
        raise KeyboardInterrupt from error
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _report_failure(error, folder: Path, nproc: int) -> int:
    rank, failure = error.get_first_failure()
    message_file = folder / f"rank{rank}.txt"
    run_folder = _read(folder / RUN_FILE)
    resumable = bool(run_folder) and RunDir.at(run_folder).checkpoint.exists()
    resume = (f" Resume it with: lstm-studio train --resume {Path(run_folder).name}"
              if resumable else "")
    if message_file.exists():
        message = _read(message_file)
        raise UserError(f"Training process {rank} of {nproc}: {message}"
                        + (resume if "resume" not in message.lower() else ""))
    if failure.exitcode is not None and failure.exitcode > 0 and all(
            f.exitcode == failure.exitcode for f in error.failures.values()):
        return int(failure.exitcode)  # every process ended the same way (e.g. a failed run)
    code = failure.exitcode if failure.exitcode is not None else 1
    cause = (f"was killed by {failure.signal_name()}" if code < 0
             else f"ended with exit status {code}")
    raise UserError(f"Training process {rank} of {nproc} {cause}, so the others were stopped."
                    + resume)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def note_run(run_folder: str) -> None:
    """Rank 0 tells the launcher its run's folder (for the resume hint after a failure)."""
    folder = os.environ.get(ERRORS_ENV)
    if folder:
        with contextlib.suppress(OSError):
            (Path(folder) / RUN_FILE).write_text(run_folder, encoding="utf-8")


def watch_launcher_stop(stop: threading.Event, interval_s: float = 0.2) -> None:
    """In a worker: set `stop` once the launcher's stop file appears (a daemon thread)."""
    folder = os.environ.get(ERRORS_ENV)
    if not folder:
        return
    path = Path(folder) / STOP_FILE

    def watch() -> None:
        while not stop.is_set():
            if path.exists():
                stop.set()
                return
            time.sleep(interval_s)

    threading.Thread(target=watch, name="launcher-stop", daemon=True).start()


def note_error(rank: int, message: str) -> None:
    """A worker's one-sentence error, for the launcher to report once."""
    folder = os.environ.get(ERRORS_ENV)
    if folder:
        with contextlib.suppress(OSError):
            (Path(folder) / f"rank{rank}.txt").write_text(message, encoding="utf-8")
