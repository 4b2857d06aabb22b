"""What the training loop does when a number stops being a number.

A NaN or infinite loss, gradient, weight or validation loss puts back the last verified
weights and optimizer state (core/nan_guard.py's LastGoodState), then either stops the run
(`on_nan="stop"`, status "failed") or lowers the learning rate and goes on (`on_nan="backoff"`,
at most `nan_retries` times). When a failed run ends, the restored weights are validated and
compete with the best validated epoch (and, when no epoch was validated, with the initial
weights), so the model a failed run saves always has a finite validation loss.

Kept apart from the loop (core/trainer.py), which only calls `diverged`, `checked_validation`
and `settle` at the places where numbers can go bad.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from lstm_studio.core.config import TrainConfig
from lstm_studio.core.nan_guard import LastGoodState
from lstm_studio.core.wording import plural

Snapshot = Callable[[], dict[str, torch.Tensor]]
Validate = Callable[[], dict]
SelectionKey = Callable[[dict, float], tuple[float, ...]]


class DivergenceHandler:
    """The last verified state of one run and the rules for going back to it."""

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                 config: TrainConfig, validate: Validate, key: SelectionKey,
                 has_validation: bool) -> None:
        self.model = model
        self.optimizer = optimizer
        self.config = config
        self.guard = LastGoodState(model, optimizer)
        self._validate = validate
        self._key = key
        self._has_validation = has_validation
        self.retries = 0
        self.notes: list[str] = []  # recoveries by learning-rate backoff, for the message

    # -- during the run --------------------------------------------------------------------
    def diverged(self, where: str, what: str, kind: str) -> str | None:
        """Put back the last verified state; None to go on (backoff), else why it stopped."""
        optimizer, cfg = self.optimizer, self.config
        failing = [float(group["lr"]) for group in optimizer.param_groups]
        good = self.guard.restore()
        if cfg.on_nan == "backoff" and self.retries < cfg.nan_retries:
            self.retries += 1
            for group, lr in zip(optimizer.param_groups, failing, strict=True):
                group["lr"] = lr * cfg.nan_backoff
            self.notes.append(
                f"At {where} the {what} became {kind}: the weights after step {good} were "
                f"restored and the learning rate lowered to {failing[0] * cfg.nan_backoff:.3g} "
                f"(retry {self.retries} of {cfg.nan_retries}).")
            return None
        hint = (f" after {plural(cfg.nan_retries, 'lower learning rate')}"
                if cfg.on_nan == "backoff" else "")
        which = (f"The last verified weights (after step {good})" if good
                 else "The initial weights, the last verified ones,")
        return (f"Training stopped at {where}: the {what} became {kind}{hint}; try a lower "
                f"learning rate or gradient clipping. {which} were restored.")

    def checked_validation(self, epoch: int) -> tuple[str | None, dict]:
        """Validate the epoch's weights, first checking they and their loss are finite."""
        where = f"the end of epoch {epoch}"
        if not self.guard.finite():
            failure = self.diverged(where, "weights", "NaN or infinite")
            if failure is not None:
                return failure, {}
        metrics = self._validate()
        if metrics and not math.isfinite(metrics["loss"]):
            failure = self.diverged(where, "validation loss", "NaN or infinite")
            if failure is not None:
                return failure, {}
            metrics = self._validate()
        return None, metrics

    # -- when a failed run ends -------------------------------------------------------------
    def settle(self, epoch: int, step: int, best_key: tuple[float, ...] | None,
               best_state: dict[str, torch.Tensor] | None, initial: dict[str, torch.Tensor],
               snapshot: Snapshot) -> tuple[dict, dict[str, torch.Tensor] | None, str]:
        """(what was recovered, the weights to keep, whose they are: "best epoch",
        "restored" or "initial") after a run that failed on a NaN."""
        recovered = self._judge_restored(epoch, step)
        kept = "best epoch"
        if best_state is None and self.guard.step:
            # No epoch was validated: the restored weights compete with the initial ones
            # (unless they are the initial ones).
            best_key = self._judge_initial(initial, snapshot)
            best_state, kept = initial, "initial"
        if recovered["key"] is not None and (best_key is None or recovered["key"] > best_key):
            best_state, kept = snapshot(), "restored"
        recovered.pop("key")
        return recovered, best_state, kept

    def _judge_initial(self, initial: dict[str, torch.Tensor], snapshot: Snapshot
                       ) -> tuple[float, ...] | None:
        """The initial weights' score (None without a validation split: the restored
        weights cannot be judged against them and are kept)."""
        if not self._has_validation:
            return None
        restored = snapshot()
        self.model.load_state_dict(initial)
        key = self._key(self._validate(), 0.0)
        self.model.load_state_dict(restored)
        return key

    def _judge_restored(self, epoch: int, step: int) -> dict:
        """Validate the restored weights, so the run can keep them if they are the best."""
        metrics = self._validate()
        loss = metrics.get("loss", float("nan"))
        usable = math.isfinite(loss) if metrics else self.guard.finite()
        return {"epoch": epoch, "step": step, "restored_step": self.guard.step,
                "valid_loss": loss if metrics else None,
                "valid_accuracy": metrics.get("accuracy"),
                "valid_macro_f1": metrics.get("macro_f1"),
                "key": self._key(metrics, 0.0) if usable else None}


def kept_message(kept: str, recovered: dict | None) -> str:
    """Why the model ends with the weights it ends with, after a failed run."""
    loss = recovered["valid_loss"] if recovered is not None else None
    if kept == "initial":
        worse = (f"validate worse (loss {loss:.4g})" if loss is not None
                 and math.isfinite(loss) else "are not usable")
        return f"The restored weights {worse}, so the initial weights were kept."
    shown = f" (validation loss {loss:.4g})" if loss is not None else ""
    return f"Kept the restored weights{shown}."
