"""The Qt-free training loop: it reports plain event dataclasses and obeys stop and pause.

Listeners (the GUI's plots, the CLI's bar, the run store) subscribe through `on_event`; the
loop itself knows nothing about them, as in minGPT/Lightning callbacks. Per step it reads
back the loss, gradient norm and correct count in one device sync; validation, macro-F1 and
perplexity only run at epoch ends, so reporting never slows training down. Stop and pause
arrive through `Progress` between batches. A NaN or infinite loss, gradient, weight or
validation loss puts back the last verified weights and optimizer state (core/nan_guard.py),
then stops (`on_nan="stop"`, status "failed") or lowers the learning rate and goes on
(`on_nan="backoff"`, a capped number of times).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from lstm_studio.core.batching import IGNORE_INDEX, EncodedSet, bucket_batches, collate
from lstm_studio.core.config import TrainConfig, validate_training
from lstm_studio.core.errors import Cancelled, ConfigError
from lstm_studio.core.evaluation import evaluate_encoded
from lstm_studio.core.events import EpochEvent, EventHandler, RunEnded, RunStarted, StepEvent
from lstm_studio.core.nan_guard import LastGoodState
from lstm_studio.core.progress import Progress


@dataclass
class FitResult:
    status: str
    message: str
    history: list[dict] = field(default_factory=list)
    epochs: int = 0
    seconds: float = 0.0
    best_epoch: int | None = None
    # After a divergence: the step whose weights were restored and their validation figures.
    recovered: dict | None = None
    kept: str = "best epoch"  # whose weights the model ends with: best epoch, restored, initial


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


def _snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def _all_finite(model: torch.nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


class Trainer:
    """Fits a RecurrentModel on an EncodedSet, validating on another after every epoch."""

    def __init__(self, model: torch.nn.Module, config: TrainConfig, train: EncodedSet,
                 valid: EncodedSet | None = None, labels: Sequence[str] | None = None,
                 on_event: EventHandler | None = None, progress: Progress | None = None,
                 run_id: str = "", device: torch.device | str | None = None) -> None:
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
        self.retries = 0
        self.notes: list[str] = []  # recoveries by learning-rate backoff, for the final message

    # -- one step -------------------------------------------------------------------------
    def _loss(self, logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor,
                                                                          torch.Tensor]:
        if self.task == "lm":
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                   ignore_index=IGNORE_INDEX)
            return loss, torch.zeros((), device=logits.device)
        correct = (logits.argmax(dim=-1) == targets).sum()
        return F.cross_entropy(logits, targets), correct

    def _validate(self) -> dict:
        if self.valid_set is None:
            return {}
        return evaluate_encoded(self.model, self.valid_set, self.labels,
                                batch_size=max(64, self.config.batch_size * 2),
                                device=self.device, progress=self.progress)

    def _score(self, metrics: dict, train_loss: float) -> tuple:
        """Higher is better: accuracy then -loss for classifiers, -loss otherwise."""
        if not metrics:
            return (-train_loss,)
        if self.task == "lm":
            return (-metrics["loss"],)
        return (metrics["accuracy"], -metrics["loss"])

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

    def _fit(self) -> FitResult:
        cfg = self.config
        torch.manual_seed(cfg.seed)
        model = self.model.to(self.device)
        model.train()
        optimizer = make_optimizer(model, cfg)
        scheduler = (torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=cfg.plateau_factor, patience=cfg.plateau_patience)
            if cfg.plateau_schedule else None)
        params = [p for p in model.parameters() if p.requires_grad]
        clip = cfg.grad_clip if cfg.grad_clip and cfg.grad_clip > 0 else float("inf")
        lengths = self.train_set.input_lengths()
        steps_per_epoch = len(bucket_batches(lengths, cfg.batch_size, True, cfg.seed, 0))
        epochs = max(1, int(cfg.epochs))
        total_steps = steps_per_epoch * epochs
        self.on_event(RunStarted(self.run_id, total_steps))

        guard = LastGoodState(model, optimizer)
        initial = _snapshot(model)
        history: list[dict] = []
        best_key: tuple | None = None
        best_state: dict[str, torch.Tensor] | None = None
        best_epoch: int | None = None
        stale = 0
        global_step = 0
        started = time.monotonic()
        status, message = "finished", ""
        budget = cfg.time_budget_s if cfg.time_budget_s and cfg.time_budget_s > 0 else None
        out_of_time = False
        epoch = 0
        step = 0
        try:
            for epoch in range(1, epochs + 1):
                model.train()
                epoch_start = time.monotonic()
                busy = 0.0
                loss_sum = 0.0
                correct_sum = 0
                seen = 0
                epoch_tokens = 0
                batches = bucket_batches(lengths, cfg.batch_size, True, cfg.seed, epoch)
                for step, indices in enumerate(batches, start=1):
                    if self.progress is not None:
                        self.progress.update(global_step, total_steps, f"Epoch {epoch}/{epochs}")
                    tick = time.monotonic()
                    batch = collate(self.train_set, indices, self.device)
                    logits = model(batch.ids, batch.lengths)
                    loss, correct = self._loss(logits, batch.targets)
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    grad_norm = torch.nn.utils.clip_grad_norm_(params, clip)
                    loss_value, norm_value, correct_value = torch.stack(
                        [loss.detach().float(), grad_norm.detach().float().to(loss.device),
                         correct.float()]).tolist()
                    if not (math.isfinite(loss_value) and math.isfinite(norm_value)):
                        what = "loss" if not math.isfinite(loss_value) else "gradient norm"
                        value = loss_value if what == "loss" else norm_value
                        failure = self._diverged(guard, optimizer, f"epoch {epoch}, step {step}",
                                                 what, "NaN" if math.isnan(value) else "infinite")
                        if failure is None:
                            continue  # backed off: on with the next batch
                        status, message = "failed", failure
                        break
                    guard.offer()  # the weights this loss came from just proved themselves
                    optimizer.step()
                    global_step += 1
                    guard.stepped(global_step)
                    busy += time.monotonic() - tick
                    epoch_tokens += batch.tokens
                    count = len(indices)
                    loss_sum += loss_value * (batch.tokens if self.task == "lm" else count)
                    seen += batch.tokens if self.task == "lm" else count
                    correct_sum += int(correct_value)
                    self.on_event(StepEvent(
                        epoch=epoch, step=step, steps_per_epoch=steps_per_epoch,
                        global_step=global_step, loss=loss_value,
                        accuracy=None if self.task == "lm" else correct_value / count,
                        grad_norm=norm_value, lr=float(optimizer.param_groups[0]["lr"]),
                        tokens_per_s=epoch_tokens / busy if busy > 0 else 0.0))
                    if budget and time.monotonic() - started >= budget:
                        out_of_time = True
                        break
                if status == "failed":
                    break
                if self.progress is not None:
                    self.progress.update(global_step, total_steps, f"Validating epoch {epoch}")
                train_loss = loss_sum / max(1, seen)
                failure, metrics = self._checked_validation(guard, optimizer, epoch)
                if failure is not None:
                    status, message = "failed", failure
                    break
                key = self._score(metrics, train_loss)
                improved = best_key is None or key > best_key
                if improved:
                    best_key, best_epoch, stale = key, epoch, 0
                    best_state = _snapshot(model)
                else:
                    stale += 1
                entry = {
                    "epoch": epoch,
                    "train_loss": train_loss,
                    "train_accuracy": None if self.task == "lm" else correct_sum / max(1, seen),
                    "valid_loss": metrics.get("loss", float("nan")),
                    "valid_accuracy": metrics.get("accuracy"),
                    "valid_macro_f1": metrics.get("macro_f1"),
                    "valid_perplexity": metrics.get("perplexity"),
                    "seconds": time.monotonic() - epoch_start,
                    "lr": float(optimizer.param_groups[0]["lr"]),
                    "tokens_per_s": epoch_tokens / busy if busy > 0 else 0.0,
                    "improved": improved,
                }
                history.append(entry)
                self.on_event(EpochEvent(
                    epoch=epoch, epochs=epochs, train_loss=train_loss,
                    train_accuracy=entry["train_accuracy"], valid_loss=entry["valid_loss"],
                    valid_accuracy=entry["valid_accuracy"],
                    valid_macro_f1=entry["valid_macro_f1"],
                    valid_perplexity=entry["valid_perplexity"], seconds=entry["seconds"],
                    improved=improved))
                if scheduler is not None:
                    scheduler.step(metrics.get("loss", train_loss))
                if out_of_time:
                    message = (f"Stopped at the time budget of {budget:g} s during epoch "
                               f"{epoch} (step {step} of {steps_per_epoch}).")
                    break
                if cfg.early_stopping and stale >= cfg.early_stopping and epoch < epochs:
                    message = (f"Early stopping after epoch {epoch}: no improvement for "
                               f"{stale} epoch(s).")
                    break
        except Cancelled:
            status = "stopped"
            message = f"Stopped by the user at epoch {epoch}, step {step}."

        recovered, kept = None, "best epoch"
        if status == "failed":
            recovered = self._judge_restored(guard, epoch, step)
            if best_state is None and guard.step:
                # No epoch was validated: the restored weights compete with the initial ones
                # (unless they are the initial ones).
                best_key = self._judge_initial(model, initial)
                best_state, kept = initial, "initial"
            if recovered["key"] is not None and (best_key is None or recovered["key"] > best_key):
                best_state, kept = _snapshot(model), "restored"
        restored = self._restore(model, status, best_state, best_epoch, len(history), initial,
                                 kept, recovered)
        message = " ".join(part for part in (message, *self.notes, restored) if part).strip()
        if status == "finished" and not message:
            message = f"Trained {len(history)} epoch(s)."
        seconds = time.monotonic() - started
        self.on_event(RunEnded(status, message))
        if recovered is not None:
            recovered.pop("key")
        return FitResult(status, message, history, len(history), seconds, best_epoch,
                         recovered, kept)

    # -- divergence -----------------------------------------------------------------------
    def _diverged(self, guard: LastGoodState, optimizer: torch.optim.Optimizer, where: str,
                  what: str, kind: str) -> str | None:
        """Put back the last verified state; None to go on (backoff), else why it stopped."""
        failing = [float(group["lr"]) for group in optimizer.param_groups]
        good = guard.restore()
        cfg = self.config
        if cfg.on_nan == "backoff" and self.retries < cfg.nan_retries:
            self.retries += 1
            for group, lr in zip(optimizer.param_groups, failing, strict=True):
                group["lr"] = lr * cfg.nan_backoff
            self.notes.append(
                f"At {where} the {what} became {kind}: the weights after step {good} were "
                f"restored and the learning rate lowered to {failing[0] * cfg.nan_backoff:.3g} "
                f"(retry {self.retries} of {cfg.nan_retries}).")
            return None
        hint = (f" after {cfg.nan_retries} lower learning rate(s)" if cfg.on_nan == "backoff"
                else "")
        which = f"The last verified weights (after step {good})" if good else \
            "The initial weights, the last verified ones,"
        return (f"Training stopped at {where}: the {what} became {kind}{hint}; try a lower "
                f"learning rate or gradient clipping. {which} were restored.")

    def _checked_validation(self, guard: LastGoodState, optimizer: torch.optim.Optimizer,
                            epoch: int) -> tuple[str | None, dict]:
        """Validate the epoch's weights, first checking they and their loss are finite."""
        where = f"the end of epoch {epoch}"
        if not guard.finite():
            failure = self._diverged(guard, optimizer, where, "weights", "NaN or infinite")
            if failure is not None:
                return failure, {}
        metrics = self._validate()
        if metrics and not math.isfinite(metrics["loss"]):
            failure = self._diverged(guard, optimizer, where, "validation loss",
                                     "NaN or infinite")
            if failure is not None:
                return failure, {}
            metrics = self._validate()
        return None, metrics

    def _judge_initial(self, model: torch.nn.Module, initial: dict[str, torch.Tensor]
                       ) -> tuple | None:
        """The initial weights' score (None without a validation split: the restored
        weights cannot be judged against them and are kept)."""
        if self.valid_set is None:
            return None
        restored = _snapshot(model)
        model.load_state_dict(initial)
        key = self._score(self._validate(), 0.0)
        model.load_state_dict(restored)
        return key

    def _judge_restored(self, guard: LastGoodState, epoch: int, step: int) -> dict:
        """Validate the restored weights, so the run can keep them if they are the best."""
        metrics = self._validate()
        loss = metrics.get("loss", float("nan"))
        usable = math.isfinite(loss) if metrics else guard.finite()
        return {"epoch": epoch, "step": step, "restored_step": guard.step,
                "valid_loss": loss if metrics else None,
                "valid_accuracy": metrics.get("accuracy"),
                "valid_macro_f1": metrics.get("macro_f1"),
                "key": self._score(metrics, 0.0) if usable else None}

    def _restore(self, model: torch.nn.Module, status: str,
                 best_state: dict[str, torch.Tensor] | None, best_epoch: int | None,
                 last_epoch: int, initial: dict[str, torch.Tensor], kept: str = "best epoch",
                 recovered: dict | None = None) -> str:
        """Put back the best validated weights (or, failing that, the last finite ones)."""
        if best_state is not None and (self.config.restore_best or status != "finished"):
            model.load_state_dict(best_state)
            if kept == "initial":
                loss = recovered["valid_loss"] if recovered is not None else None
                worse = (f"validate worse (loss {loss:.4g})" if loss is not None
                         and math.isfinite(loss) else "are not usable")
                return f"The restored weights {worse}, so the initial weights were kept."
            if kept == "restored" and recovered is not None:
                loss = recovered["valid_loss"]
                shown = f" (validation loss {loss:.4g})" if loss is not None else ""
                return f"Kept the restored weights{shown}."
            if best_epoch == last_epoch and status == "finished":
                return ""
            return f"Kept the weights of the best epoch ({best_epoch})."
        if not _all_finite(model):
            model.load_state_dict(initial)
            return "The weights had become invalid, so the initial weights were kept."
        return ""
