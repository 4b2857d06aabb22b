"""The Qt-free training loop: it reports plain event dataclasses and obeys stop and pause.

Listeners (the GUI's plots, the CLI's bar, the run store) subscribe through `on_event`; the
loop itself knows nothing about them, as in minGPT/Lightning callbacks. Per step it reads
back the loss, gradient norm and correct count in one device sync; validation, macro-F1 and
perplexity only run at epoch ends, so reporting never slows training down. Stop and pause
arrive through `Progress` between batches. A NaN or infinite loss ends the run before that
step touches the weights.

The loop has four seams, so features change one piece instead of the loop:
- `sampler` (core/sampling.py) plans each epoch's batches;
- `objective` (core/objective.py) is the loss and the rule that ranks validated epochs;
- `callbacks` (`TrainerCallback`) hear the start and end of the run, of each epoch and each
  step, e.g. to write checkpoints or watch for a stop request;
- `state` (`FitState`) is everything the loop carries from epoch to epoch; a run continued
  from a FitState (with the model's and the optimizer's states) goes on exactly where it was.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from lstm_studio.core.batching import EncodedSet, collate
from lstm_studio.core.config import TrainConfig, validate_training
from lstm_studio.core.errors import Cancelled, ConfigError
from lstm_studio.core.evaluation import evaluate_encoded
from lstm_studio.core.events import EpochEvent, EventHandler, RunEnded, RunStarted, StepEvent
from lstm_studio.core.objective import Objective
from lstm_studio.core.progress import Progress
from lstm_studio.core.sampling import BatchSampler, BucketSampler


@dataclass
class FitResult:
    status: str
    message: str
    history: list[dict] = field(default_factory=list)
    epochs: int = 0
    seconds: float = 0.0
    best_epoch: int | None = None


def resolve_device(name: str | None) -> torch.device:
    """'cpu', 'cuda', 'mps' or 'auto'; a device that is not there is a ConfigError."""
    name = (name or "cpu").lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("Device cuda was asked for but no CUDA GPU is available; use cpu.")
    if name == "mps" and not (getattr(torch.backends, "mps", None)
                              and torch.backends.mps.is_available()):
        raise ConfigError("Device mps was asked for but Apple's MPS is not available; use cpu.")
    if name != "cpu" and not name.startswith("cuda") and name != "mps":
        raise ConfigError(f"Unknown device {name!r}; choose cpu, cuda, mps or auto.")
    return torch.device(name)


def available_devices() -> list[str]:
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def make_optimizer(model: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    validate_training(config)
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer in ("adam", "adamw"):
        cls = torch.optim.Adam if config.optimizer == "adam" else torch.optim.AdamW
        try:  # the fused kernel updates a large embedding table several times faster
            return cls(params, lr=config.lr, weight_decay=config.weight_decay, fused=True)
        except (RuntimeError, TypeError, ValueError):
            return cls(params, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, weight_decay=config.weight_decay,
                               momentum=config.momentum)
    raise AssertionError(f"validate_training let optimizer {config.optimizer!r} through")


@dataclass
class FitState:
    """What the loop carries across epochs (with the model's and optimizer's own states,
    everything a continued run needs)."""

    epoch: int = 0  # epochs completed
    global_step: int = 0
    history: list[dict] = field(default_factory=list)
    best_key: tuple[float, ...] | None = None
    best_epoch: int | None = None
    best_state: dict[str, torch.Tensor] | None = None
    stale: int = 0  # epochs since the last improvement
    seconds: float = 0.0  # training time of the completed epochs


class TrainerCallback:
    """Hooks into the loop; override what you need. Raising Cancelled from a hook stops the
    run like the user's Stop does."""

    def on_fit_start(self, trainer: Trainer) -> None: ...

    def on_epoch_start(self, trainer: Trainer, epoch: int) -> None: ...

    def on_step_end(self, trainer: Trainer, event: StepEvent) -> None: ...

    def on_epoch_end(self, trainer: Trainer, entry: dict) -> None: ...

    def on_fit_end(self, trainer: Trainer, result: FitResult) -> None: ...


class _NonFinite(Exception):
    """A step produced a NaN/infinite loss or gradient norm (the weights were not updated)."""


def _snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def _all_finite(model: torch.nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


class Trainer:
    """Fits a RecurrentModel on an EncodedSet, validating on another after every epoch."""

    def __init__(self, model: torch.nn.Module, config: TrainConfig, train: EncodedSet,
                 valid: EncodedSet | None = None, labels: Sequence[str] | None = None,
                 on_event: EventHandler | None = None, progress: Progress | None = None,
                 run_id: str = "", device: torch.device | str | None = None, *,
                 sampler: BatchSampler | None = None, objective: Objective | None = None,
                 callbacks: Sequence[TrainerCallback] = (),
                 state: FitState | None = None) -> None:
        if len(train) == 0:
            raise ConfigError("The training split is empty.")
        self.model = model
        self.config = config
        self.train_set = train
        self.valid_set = valid if valid is not None and len(valid) else None
        self.labels = list(labels or [])
        self.on_event = on_event or (lambda event: None)
        self.progress = progress
        self.run_id = run_id
        self.device = resolve_device(str(device) if device is not None else config.device)
        self.task = train.task
        self.sampler = sampler or BucketSampler(train.input_lengths(), config.batch_size,
                                                config.seed)
        self.objective = objective or Objective(self.task)
        self.callbacks = list(callbacks)
        self.state = state or FitState()
        self.total_steps = 0
        self.optimizer: torch.optim.Optimizer | None = None
        self.scheduler: torch.optim.lr_scheduler.ReduceLROnPlateau | None = None

    def _validate(self) -> dict:
        if self.valid_set is None:
            return {}
        return evaluate_encoded(self.model, self.valid_set, self.labels,
                                batch_size=max(64, self.config.batch_size * 2),
                                device=self.device, progress=self.progress)

    def _hooks(self, name: str, *args: object) -> None:
        for callback in self.callbacks:
            getattr(callback, name)(self, *args)

    # -- the loop -------------------------------------------------------------------------
    def fit(self) -> FitResult:
        threads_before = torch.get_num_threads()
        if self.config.threads:
            torch.set_num_threads(int(self.config.threads))
        try:
            return self._fit()
        finally:
            # A 1-thread run must not leave later "automatic" runs in this process at 1.
            torch.set_num_threads(threads_before)

    def _setup(self) -> None:
        cfg = self.config
        if self.state.epoch == 0:
            torch.manual_seed(cfg.seed)
        self.model.to(self.device)
        self.model.train()
        if self.optimizer is None:
            self.optimizer = make_optimizer(self.model, cfg)
        if self.scheduler is None and cfg.plateau_schedule:
            # mode "max": it follows the objective's selection metric (higher is better).
            self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                self.optimizer, mode="max", factor=cfg.plateau_factor,
                patience=cfg.plateau_patience)

    def _fit(self) -> FitResult:
        cfg = self.config
        self._setup()
        state = self.state
        epochs = max(1, int(cfg.epochs))
        steps_per_epoch = len(self.sampler.batches(state.epoch + 1))
        total_steps = self.total_steps = steps_per_epoch * epochs
        self.on_event(RunStarted(self.run_id, total_steps))
        self._hooks("on_fit_start")
        initial = _snapshot(self.model)
        started = time.monotonic() - state.seconds
        status, message = "finished", ""
        budget = cfg.time_budget_s if cfg.time_budget_s and cfg.time_budget_s > 0 else None
        epoch, step = state.epoch, 0
        try:
            for epoch in range(state.epoch + 1, epochs + 1):
                self._hooks("on_epoch_start", epoch)
                epoch_start = time.monotonic()
                try:
                    train_metrics, step, out_of_time = self._run_epoch(
                        epoch, epochs, total_steps, started, budget)
                except _NonFinite as error:
                    status, message = "failed", str(error)
                    break
                entry = self._end_epoch(epoch, epochs, train_metrics, epoch_start)
                if out_of_time:
                    message = (f"Stopped at the time budget of {budget:g} s during epoch "
                               f"{epoch} (step {step} of {entry['steps']}).")
                    break
                if cfg.early_stopping and state.stale >= cfg.early_stopping and epoch < epochs:
                    message = (f"Early stopping after epoch {epoch}: no improvement for "
                               f"{state.stale} epoch(s).")
                    break
        except Cancelled:
            status = "stopped"
            message = f"Stopped by the user at epoch {epoch}, step {step}."

        restored = self._restore(status, initial)
        message = " ".join(part for part in (message, restored) if part).strip()
        if status == "finished" and not message:
            message = f"Trained {len(state.history)} epoch(s)."
        result = FitResult(status, message, state.history, len(state.history),
                           time.monotonic() - started, state.best_epoch)
        self._hooks("on_fit_end", result)
        self.on_event(RunEnded(status, message))
        return result

    def _run_epoch(self, epoch: int, epochs: int, total_steps: int, started: float,
                   budget: float | None) -> tuple[dict, int, bool]:
        """Train one epoch; returns (its training figures, last step, out of time?)."""
        assert self.optimizer is not None
        model, state = self.model, self.state
        model.train()
        params = [p for p in model.parameters() if p.requires_grad]
        clip = (self.config.grad_clip if self.config.grad_clip and self.config.grad_clip > 0
                else float("inf"))
        lm = self.task == "lm"
        busy = loss_sum = 0.0
        correct_sum = seen = epoch_tokens = 0
        batches = self.sampler.batches(epoch)
        step = 0
        out_of_time = False
        for step, indices in enumerate(batches, start=1):
            if self.progress is not None:
                self.progress.update(state.global_step, total_steps, f"Epoch {epoch}/{epochs}")
            tick = time.monotonic()
            batch = collate(self.train_set, indices, self.device)
            logits = model(batch.ids, batch.lengths)
            loss, correct = self.objective.loss(logits, batch.targets)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(params, clip)
            loss_value, norm_value, correct_value = torch.stack(
                [loss.detach().float(), grad_norm.detach().float().to(loss.device),
                 correct.float()]).tolist()
            if not (math.isfinite(loss_value) and math.isfinite(norm_value)):
                what = "loss" if not math.isfinite(loss_value) else "gradient norm"
                value = loss_value if what == "loss" else norm_value
                raise _NonFinite(
                    f"Training stopped at epoch {epoch}, step {step}: the {what} became "
                    f"{'NaN' if math.isnan(value) else 'infinite'}; try a lower learning rate "
                    "or gradient clipping (the last good weights were kept).")
            self.optimizer.step()
            state.global_step += 1
            busy += time.monotonic() - tick
            epoch_tokens += batch.tokens
            count = batch.tokens if lm else len(indices)
            loss_sum += loss_value * count
            seen += count
            correct_sum += int(correct_value)
            event = StepEvent(
                epoch=epoch, step=step, steps_per_epoch=len(batches),
                global_step=state.global_step, loss=loss_value,
                accuracy=None if lm else correct_value / len(indices), grad_norm=norm_value,
                lr=float(self.optimizer.param_groups[0]["lr"]),
                tokens_per_s=epoch_tokens / busy if busy > 0 else 0.0)
            self.on_event(event)
            self._hooks("on_step_end", event)
            if budget and time.monotonic() - started >= budget:
                out_of_time = True
                break
        figures = {"train_loss": loss_sum / max(1, seen),
                   "train_accuracy": None if lm else correct_sum / max(1, seen),
                   "tokens_per_s": epoch_tokens / busy if busy > 0 else 0.0,
                   "steps": len(batches)}
        return figures, step, out_of_time

    def _end_epoch(self, epoch: int, epochs: int, figures: dict, epoch_start: float) -> dict:
        """Validate, keep the best weights, record the epoch, step the schedule."""
        assert self.optimizer is not None
        state = self.state
        if self.progress is not None:
            self.progress.update(state.global_step, self.total_steps,
                                 f"Validating epoch {epoch}")
        metrics = self._validate()
        key = self.objective.selection_key(metrics, figures["train_loss"])
        improved = state.best_key is None or key > state.best_key
        if improved:
            state.best_key, state.best_epoch, state.stale = key, epoch, 0
            state.best_state = _snapshot(self.model)
        else:
            state.stale += 1
        seconds = time.monotonic() - epoch_start
        entry = {
            "epoch": epoch,
            "train_loss": figures["train_loss"],
            "train_accuracy": figures["train_accuracy"],
            "valid_loss": metrics.get("loss", float("nan")),
            "valid_accuracy": metrics.get("accuracy"),
            "valid_macro_f1": metrics.get("macro_f1"),
            "valid_perplexity": metrics.get("perplexity"),
            "seconds": seconds,
            "lr": float(self.optimizer.param_groups[0]["lr"]),
            "tokens_per_s": figures["tokens_per_s"],
            "improved": improved,
        }
        state.history.append(entry)
        state.epoch = epoch
        state.seconds += seconds
        self.on_event(EpochEvent(
            epoch=epoch, epochs=epochs, train_loss=entry["train_loss"],
            train_accuracy=entry["train_accuracy"], valid_loss=entry["valid_loss"],
            valid_accuracy=entry["valid_accuracy"], valid_macro_f1=entry["valid_macro_f1"],
            valid_perplexity=entry["valid_perplexity"], seconds=seconds, improved=improved))
        if self.scheduler is not None:
            self.scheduler.step(key[0])  # the same metric that keeps the best epoch
        self._hooks("on_epoch_end", {**entry, "steps": figures["steps"]})
        return {**entry, "steps": figures["steps"]}

    def _restore(self, status: str, initial: dict[str, torch.Tensor]) -> str:
        """Put back the best validated weights (or, failing that, the last finite ones)."""
        state, model = self.state, self.model
        if state.best_state is not None and (self.config.restore_best or status != "finished"):
            model.load_state_dict(state.best_state)
            if state.best_epoch == len(state.history) and status == "finished":
                return ""
            return f"Kept the weights of the best epoch ({state.best_epoch})."
        if not _all_finite(model):
            model.load_state_dict(initial)
            return "The weights had become invalid, so the initial weights were kept."
        return ""
