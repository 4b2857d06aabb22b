"""The Qt-free training loop: it reports plain event dataclasses and obeys stop and pause.

Listeners (the GUI's plots, the CLI's bar, the run store) subscribe through `on_event`; the
loop itself knows nothing about them, as in minGPT/Lightning callbacks. Per step it reads
back the loss, gradient norm and correct count in one device sync; validation, macro-F1 and
perplexity only run at epoch ends, so reporting never slows training down. Stop and pause
arrive through `Progress` between batches. A NaN or infinite loss, gradient, weight or
validation loss puts back the last verified weights and optimizer state, then stops or lowers
the learning rate and goes on (core/divergence.py).

The loop has five seams, so features change one piece instead of the loop:
- `sampler` (core/sampling.py) plans each epoch's batches;
- `objective` (core/objective.py) is the loss and the rule that ranks validated epochs;
- `callbacks` (`TrainerCallback`) hear the start and end of the run, of each epoch and each
  step, e.g. to write checkpoints or watch for a stop request;
- `state` (`FitState`) is everything the loop carries from epoch to epoch; a run continued
  from a FitState (with the model's and the optimizer's states) goes on exactly where it was,
  inside an epoch too: the batches the epoch already did are skipped;
- `world` (core/world.py) is the set of processes training together (data-parallel training
  shards each planned batch across them); alone, it changes nothing.

Stop and checkpoint requests from callbacks (`request_stop`, `request_checkpoint`) and the
time budget are agreed by every process at the end of a step, so all of them stop or save at
the same step; `on_checkpoint` then runs at that step, at every epoch end and when the run is
stopped, always with the training weights of a finished step.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from lstm_studio.core.batching import EncodedSet, collate
from lstm_studio.core.callbacks import TrainerCallback
from lstm_studio.core.config import TrainConfig
from lstm_studio.core.devices import resolve_device
from lstm_studio.core.divergence import DivergenceHandler, kept_message
from lstm_studio.core.errors import Cancelled, ConfigError
from lstm_studio.core.evaluation import evaluate_encoded
from lstm_studio.core.events import EpochEvent, EventHandler, RunEnded, RunStarted, StepEvent
from lstm_studio.core.fit_state import FitState
from lstm_studio.core.objective import Objective
from lstm_studio.core.optimizers import make_optimizer
from lstm_studio.core.progress import Progress
from lstm_studio.core.sampling import BatchSampler, BucketSampler
from lstm_studio.core.wording import plural
from lstm_studio.core.world import SingleProcess, World


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


class _NonFinite(Exception):
    """Training diverged and the divergence policy says stop (the message says why)."""


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
                 state: FitState | None = None, world: World | None = None) -> None:
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
        self.world = world or SingleProcess()
        self.sampler = self.world.plan(sampler or BucketSampler(
            train.input_lengths(), config.batch_size, config.seed))
        self.objective = objective or Objective(self.task)
        self.callbacks = list(callbacks)
        self.state = state or FitState()
        self._lengths = train.input_lengths()
        self._requests = {"stop": False, "checkpoint": False}
        self.step_module: torch.nn.Module = model  # what a training step calls (see World.wrap)
        self.total_steps = 0
        self.optimizer: torch.optim.Optimizer | None = None
        self.scheduler: torch.optim.lr_scheduler.ReduceLROnPlateau | None = None
        self.divergence: DivergenceHandler | None = None

    def request_stop(self) -> None:
        """End the run after the current step, as the user's Stop does (callbacks, signals)."""
        self._requests["stop"] = True

    def request_checkpoint(self) -> None:
        """Have `on_checkpoint` called at the end of the current step."""
        self._requests["checkpoint"] = True

    def _validate(self) -> dict:
        """Validation figures; only the main process evaluates, the others receive them."""
        metrics: dict = {}
        if self.valid_set is not None and self.world.is_main:
            metrics = evaluate_encoded(self.model, self.valid_set, self.labels,
                                       batch_size=max(64, self.config.batch_size * 2),
                                       device=self.device, progress=self.progress)
        if self.world.size > 1:
            return self.world.share_metrics(metrics)
        return metrics

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
        if self.state.global_step == 0:  # a continued run restores its random state instead
            torch.manual_seed(cfg.seed)
        self.model.to(self.device)
        self.model.train()
        self.step_module = self.world.wrap(self.model)
        if self.optimizer is None:
            self.optimizer = make_optimizer(self.model, cfg)
        if self.divergence is None:
            self.divergence = DivergenceHandler(
                self.model, self.optimizer, cfg, self._validate, self.objective.selection_key,
                self.valid_set is not None)
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
        # Training time so far: completed epochs, and the part of an epoch a continued run did.
        started = time.monotonic() - state.seconds - state.partial.get("seconds", 0.0)
        status, message = "finished", ""
        budget = cfg.time_budget_s if cfg.time_budget_s and cfg.time_budget_s > 0 else None
        epoch, step = state.epoch, 0
        try:
            for epoch in range(state.epoch + 1, epochs + 1):
                self._hooks("on_epoch_start", epoch)
                epoch_start = time.monotonic() - state.partial.get("seconds", 0.0)
                try:
                    train_metrics, step, out_of_time = self._run_epoch(
                        epoch, epochs, total_steps, started, budget, epoch_start)
                    entry = self._end_epoch(epoch, epochs, train_metrics, epoch_start)
                except _NonFinite as error:
                    status, message = "failed", str(error)
                    break
                if out_of_time:
                    message = (f"Stopped at the time budget of {budget:g} s during epoch "
                               f"{epoch} (step {step} of {entry['steps']}).")
                    break
                if cfg.early_stopping and state.stale >= cfg.early_stopping and epoch < epochs:
                    message = (f"Early stopping after epoch {epoch}: no improvement for "
                               f"{plural(state.stale, 'epoch')}.")
                    break
        except Cancelled:
            status = "stopped"
            step = state.epoch_step
            message = f"Stopped by the user at epoch {epoch}, step {step}."
            self._hooks("on_checkpoint")

        recovered, kept = None, "best epoch"
        assert self.divergence is not None
        if status == "failed":
            recovered, state.best_state, kept = self.divergence.settle(
                epoch, step, state.best_key, state.best_state, initial,
                lambda: _snapshot(self.model))
        restored = self._restore(status, initial, kept, recovered)
        message = " ".join(part for part in (message, *self.divergence.notes, restored)
                           if part).strip()
        if status == "finished" and not message:
            message = f"Trained {plural(len(state.history), 'epoch')}."
        result = FitResult(status, message, state.history, len(state.history),
                           time.monotonic() - started, state.best_epoch, recovered, kept)
        self._hooks("on_fit_end", result)
        self.on_event(RunEnded(status, message))
        return result

    def _run_epoch(self, epoch: int, epochs: int, total_steps: int, started: float,
                   budget: float | None, epoch_start: float) -> tuple[dict, int, bool]:
        """Train one epoch (from where a continued run left it); returns (its training
        figures, last step, out of time?)."""
        assert self.optimizer is not None and self.divergence is not None
        model, state, world = self.model, self.state, self.world
        guard = self.divergence.guard
        model.train()
        params = [p for p in model.parameters() if p.requires_grad]
        clip = (self.config.grad_clip if self.config.grad_clip and self.config.grad_clip > 0
                else float("inf"))
        lm = self.task == "lm"
        batches = self.sampler.batches(epoch)
        done = state.epoch_step if epoch == state.epoch + 1 else 0
        sums = {"loss_sum": 0.0, "seen": 0, "correct": 0, "tokens": 0, "busy": 0.0,
                "seconds": 0.0}
        if done:
            sums.update(state.partial)
        step = done
        out_of_time = False
        for step, indices in enumerate(batches, start=1):
            if step <= done:
                continue  # done before the run was interrupted
            if self.progress is not None:
                self.progress.update(state.global_step, total_steps, f"Epoch {epoch}/{epochs}")
            tick = time.monotonic()
            mine = world.shard(indices)
            batch = collate(self.train_set, mine, self.device)
            logits = self.step_module(batch.ids, batch.lengths)
            loss, correct = self.objective.loss(logits, batch.targets)
            # What the mean loss averages over: documents, or target tokens for a language model.
            count = batch.tokens if lm else len(mine)
            planned = sum(self._lengths[i] for i in indices) if lm else len(indices)
            scale = world.loss_scale(count, planned)
            self.optimizer.zero_grad(set_to_none=True)
            (loss if scale == 1.0 else loss * scale).backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(params, clip)
            figures = world.step_figures(loss.detach(), grad_norm.detach(), correct, count,
                                         planned, batch.tokens)
            if not (math.isfinite(figures.loss) and math.isfinite(figures.grad_norm)):
                what = "loss" if not math.isfinite(figures.loss) else "gradient norm"
                value = figures.loss if what == "loss" else figures.grad_norm
                failure = self.divergence.diverged(f"epoch {epoch}, step {step}", what,
                                                   "NaN" if math.isnan(value) else "infinite")
                if failure is None:
                    continue  # backed off: on with the next batch
                raise _NonFinite(failure)
            guard.offer()  # the weights this loss came from just proved themselves
            self.optimizer.step()
            state.global_step += 1
            guard.stepped(state.global_step)
            sums["busy"] += time.monotonic() - tick
            sums["tokens"] += figures.tokens
            sums["loss_sum"] += figures.loss * planned
            sums["seen"] += planned
            sums["correct"] += figures.correct
            sums["seconds"] = time.monotonic() - epoch_start
            state.epoch_step, state.partial = step, dict(sums)
            busy = sums["busy"]
            event = StepEvent(
                epoch=epoch, step=step, steps_per_epoch=len(batches),
                global_step=state.global_step, loss=figures.loss,
                accuracy=None if lm else figures.correct / len(indices),
                grad_norm=figures.grad_norm, lr=float(self.optimizer.param_groups[0]["lr"]),
                tokens_per_s=sums["tokens"] / busy if busy > 0 else 0.0)
            self.on_event(event)
            self._hooks("on_step_end", event)
            late = budget is not None and time.monotonic() - started >= budget
            if self._agree_on_requests(late):
                out_of_time = True
                break
        busy, seen = sums["busy"], max(1, int(sums["seen"]))
        figures_out = {"train_loss": sums["loss_sum"] / seen,
                       "train_accuracy": None if lm else sums["correct"] / seen,
                       "tokens_per_s": sums["tokens"] / busy if busy > 0 else 0.0,
                       "steps": len(batches)}
        return figures_out, step, out_of_time

    def _agree_on_requests(self, out_of_time: bool) -> bool:
        """Act on what any process asked for at this step; True when the time is up."""
        stop, checkpoint, out_of_time = self.world.agree(
            self._requests["stop"], self._requests["checkpoint"], out_of_time)
        self._requests["checkpoint"] = False
        if checkpoint and not (stop or out_of_time):  # those save at the run's end anyway
            self._hooks("on_checkpoint")
        if stop:
            raise Cancelled()
        return out_of_time

    def _end_epoch(self, epoch: int, epochs: int, figures: dict, epoch_start: float) -> dict:
        """Validate, keep the best weights, record the epoch, step the schedule."""
        assert self.optimizer is not None and self.divergence is not None
        state = self.state
        if self.progress is not None:
            self.progress.update(state.global_step, self.total_steps,
                                 f"Validating epoch {epoch}")
        failure, metrics = self.divergence.checked_validation(epoch)
        if failure is not None:
            raise _NonFinite(failure)
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
        state.epoch_step, state.partial = 0, {}
        state.seconds += seconds
        self.on_event(EpochEvent(
            epoch=epoch, epochs=epochs, train_loss=entry["train_loss"],
            train_accuracy=entry["train_accuracy"], valid_loss=entry["valid_loss"],
            valid_accuracy=entry["valid_accuracy"], valid_macro_f1=entry["valid_macro_f1"],
            valid_perplexity=entry["valid_perplexity"], seconds=seconds, improved=improved))
        if self.scheduler is not None:
            self.scheduler.step(key[0])  # the same metric that keeps the best epoch
        self._hooks("on_epoch_end", {**entry, "steps": figures["steps"]})
        self._hooks("on_checkpoint")
        return {**entry, "steps": figures["steps"]}

    def _restore(self, status: str, initial: dict[str, torch.Tensor], kept: str = "best epoch",
                 recovered: dict | None = None) -> str:
        """Put back the best validated weights (or, failing that, the last finite ones)."""
        state, model = self.state, self.model
        if state.best_state is not None and (self.config.restore_best or status != "finished"):
            model.load_state_dict(state.best_state)
            if kept != "best epoch":
                return kept_message(kept, recovered)
            if state.best_epoch == len(state.history) and status == "finished":
                return ""
            return f"Kept the weights of the best epoch ({state.best_epoch})."
        if not _all_finite(model):
            model.load_state_dict(initial)
            return "The weights had become invalid, so the initial weights were kept."
        return ""
